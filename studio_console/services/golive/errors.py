"""Why going live or changing a destination was refused: each message is a sentence for the operator."""

from __future__ import annotations

from studio_console.domain.stream import CheckStatus, PreflightResult


class GoLiveError(Exception):
    """Going live (or changing the destination) was refused or failed; the message is for the operator."""


class NeedsConfirmation(GoLiveError):
    """A real audience needs the operator's confirmation in the app (the remote API gets HTTP 409)."""


class StartInProgress(GoLiveError):
    """A start is already under way or the stream already runs."""


class DestinationLocked(GoLiveError):
    """The destination cannot change while the stream runs or starts."""


class UnknownDestination(GoLiveError):
    """No such destination, or it is unavailable."""


class PreflightFailed(GoLiveError):
    def __init__(self, result: PreflightResult) -> None:
        failed = [c.sentence for c in result.checks if c.status is CheckStatus.FAIL]
        super().__init__(f"Preflight for {result.destination} failed: " + " ".join(failed))
        self.result = result
