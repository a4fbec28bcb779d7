"""Errors raised by the OBS layer; each carries what the operator needs to act on it."""

from __future__ import annotations

from studio_console.obs.protocol import RequestStatus


class ObsError(Exception):
    """Base class of everything the OBS layer raises."""


class ObsConnectError(ObsError):
    """Connecting failed. ``retry`` says whether trying again could help without the operator."""

    retry = True


class ObsNotRunning(ObsConnectError):
    """Nothing listens on the websocket port: OBS is not running, or its websocket server is off."""


class ObsNotAnswering(ObsConnectError):
    """Something accepts the connection but OBS does not answer (hung, stopped, or overloaded).

    Not ``ObsNotRunning``: an OBS that is there but frozen must not be launched a second time.
    """


class ObsAuthFailed(ObsConnectError):
    """OBS refused the password (close code 4009)."""

    retry = False


class ObsUnsupportedVersion(ObsConnectError):
    """OBS speaks an obs-websocket version this app cannot use (close code 4010, or v4)."""

    retry = False


class ObsConnectionLost(ObsError):
    """The connection closed while a request was waiting for its answer."""


class ObsTimeout(ObsError):
    """OBS did not answer a request in time."""


class ObsNotConnected(ObsError):
    """A request was made while no connection to OBS exists."""


class ObsRequestError(ObsError):
    """OBS answered a request with a failure status; ``code`` and ``comment`` are OBS's own.

    ``status`` is the code as a RequestStatus (None for a code this app does not know).
    """

    def __init__(self, request_type: str, code: int, comment: str | None) -> None:
        self.request_type = request_type
        self.code = code
        self.status = RequestStatus.of(code)
        self.comment = comment
        detail = f": {comment}" if comment else ""
        super().__init__(f"{request_type} failed with OBS status {code}{detail}")
