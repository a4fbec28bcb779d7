"""One trial connection to an OBS (the connection dialog's Test): what answered, or exactly why not."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import websocket

from studio_console.obs.client import ObsClient
from studio_console.obs.errors import (
    ObsAuthFailed,
    ObsConnectError,
    ObsError,
    ObsNotRunning,
    ObsUnsupportedVersion,
)
from studio_console.obs.protocol import Subscription


class ProbeOutcome(enum.Enum):
    OK = "ok"
    REFUSED = "refused"  # nothing listens there: OBS not running or its WebSocket server is off
    TIMEOUT = "timeout"  # no answer in time: wrong host, a firewall, or not an obs-websocket server
    WRONG_PASSWORD = "wrong_password"  # close code 4009, or OBS needs a password and none was given
    UNSUPPORTED_VERSION = "unsupported_version"  # close code 4010, or obs-websocket 4.x
    NOT_OBS = "not_obs"  # something else answers on that port
    FAILED = "failed"


@dataclass(frozen=True)
class ProbeResult:
    """What a trial connection found; ``message`` is one or two sentences for the producer."""

    outcome: ProbeOutcome
    message: str
    obs_version: str | None = None
    websocket_version: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is ProbeOutcome.OK


def _caused_by_timeout(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, TimeoutError | websocket.WebSocketTimeoutException):
            return True
        cause = cause.__cause__
    return False


def _classify(exc: ObsError, host: str, port: int, timeout_s: float) -> ProbeResult:
    if isinstance(exc, ObsAuthFailed):
        return ProbeResult(
            ProbeOutcome.WRONG_PASSWORD,
            "OBS refused the password (close code 4009). Copy it from OBS: Tools > WebSocket Server "
            "Settings > Show Connect Info.",
        )
    if isinstance(exc, ObsUnsupportedVersion):
        return ProbeResult(
            ProbeOutcome.UNSUPPORTED_VERSION,
            f"{exc}. Studio Console needs obs-websocket 5 (built into OBS 28 and newer).",
        )
    if _caused_by_timeout(exc):
        return ProbeResult(
            ProbeOutcome.TIMEOUT,
            f"{host}:{port} did not answer within {timeout_s:g} s: check the host, the port and the firewall.",
        )
    if isinstance(exc, ObsNotRunning):
        return ProbeResult(ProbeOutcome.REFUSED, str(exc))
    if isinstance(exc, ObsConnectError):
        return ProbeResult(ProbeOutcome.NOT_OBS, str(exc))
    return ProbeResult(ProbeOutcome.FAILED, str(exc) or exc.__class__.__name__)


async def probe_obs(host: str, port: int, password: str | None, timeout_s: float = 3.0) -> ProbeResult:
    """Connect, ask OBS its version, disconnect. Never raises for connection problems: it explains them."""
    client = ObsClient(host, port, password, subscriptions=Subscription(0), connect_timeout=timeout_s)
    try:
        await client.connect()
        version = await client.request("GetVersion", timeout=timeout_s)
    except ObsError as exc:
        return _classify(exc, host, port, timeout_s)
    finally:
        await client.close()
    obs_version = str(version.get("obsVersion") or "?")
    ws_version = str(version.get("obsWebSocketVersion") or "?")
    return ProbeResult(
        ProbeOutcome.OK,
        f"Connected to OBS {obs_version} (obs-websocket {ws_version}).",
        obs_version=obs_version,
        websocket_version=ws_version,
    )
