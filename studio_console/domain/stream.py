"""Stream destinations, what they expect from OBS's output, preflight results and output figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from studio_console.domain.base import Frozen as _Frozen
from studio_console.domain.obs_state import OutputPhase


class DestinationKind(StrEnum):
    LOCAL_TEST = "local_test"
    CUSTOM_RTMP = "custom_rtmp"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    TWITCH = "twitch"


class Orientation(StrEnum):
    ANY = "any"
    LANDSCAPE = "landscape"
    VERTICAL = "vertical"


class OutputProfile(_Frozen):
    """What a destination expects from OBS's output. None means "no expectation"."""

    orientation: Orientation = Orientation.ANY
    # Recommended output size (width, height); a different size is a warning, not a failure.
    recommended_size: tuple[int, int] | None = None
    min_fps: float | None = None
    max_fps: float | None = None
    min_bitrate_kbps: int | None = None
    max_bitrate_kbps: int | None = None
    # Longer than this and the platform rejects or degrades the stream (a failure).
    max_keyframe_interval_s: float | None = None
    recommended_keyframe_interval_s: float | None = None


class StreamTarget(_Frozen):
    """Where a stream goes. Holds the *name* of the stream key in the secret store, never the key."""

    sink_id: str
    display_name: str
    kind: DestinationKind
    server_url: str
    key_ref: str | None = None
    is_real_audience: bool
    profile: OutputProfile = OutputProfile()


class CheckStatus(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


_SEVERITY = {CheckStatus.PASS: 0, CheckStatus.WARN: 1, CheckStatus.FAIL: 2}


class PreflightCheck(_Frozen):
    """One check before going live; ``sentence`` says what was found and, when not PASS, what to do."""

    name: str
    status: CheckStatus
    sentence: str


class PreflightResult(_Frozen):
    sink_id: str
    destination: str
    checks: tuple[PreflightCheck, ...] = ()

    @property
    def status(self) -> CheckStatus:
        """The worst status among the checks."""
        worst = CheckStatus.PASS
        for check in self.checks:
            if _SEVERITY[check.status] > _SEVERITY[worst]:
                worst = check.status
        return worst

    @property
    def ok(self) -> bool:
        """No check failed (warnings allow going live)."""
        return self.status is not CheckStatus.FAIL

    def check(self, name: str) -> PreflightCheck | None:
        return next((c for c in self.checks if c.name == name), None)


class ReceivedStreamInfo(_Frozen):
    """What the local test server measured in the stream it receives."""

    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    video_bitrate_kbps: float | None = None
    # Time between the last two keyframes; None until two were seen.
    keyframe_interval_s: float | None = None
    # Stream time since the last keyframe: with a long interval this tells more than no figure.
    seconds_since_keyframe: float = 0.0
    keyframes: int = 0
    audio_codec: str | None = None
    audio_sample_rate: int | None = None
    audio_channels: int | None = None
    audio_bitrate_kbps: float | None = None
    # Seconds of stream received in this publish session.
    received_s: float = 0.0
    received_bytes: int = 0

    @property
    def longest_keyframe_gap_s(self) -> float:
        """The keyframe interval when known, or at least the time waited since the last one."""
        return max(self.keyframe_interval_s or 0.0, self.seconds_since_keyframe)


class LocalServerState(StrEnum):
    STOPPED = "stopped"
    LISTENING = "listening"
    RECEIVING = "receiving"
    FAILED = "failed"


class LocalServerStatus(_Frozen):
    """The local test server's state and figures, as the Output panel and the remote API show them."""

    state: LocalServerState = LocalServerState.STOPPED
    # One sentence for the operator.
    message: str = "Local test server stopped"
    host: str = "127.0.0.1"
    port: int | None = None
    info: ReceivedStreamInfo | None = None
    # Publishes refused because they used a wrong stream key.
    rejected_publishes: int = 0
    publish_sessions: int = 0
    recording_path: str | None = None
    thumbnails: bool = True
    # CPU seconds used by the receiving thread so far (for the benchmark and the panel).
    cpu_seconds: float = 0.0


class Thumbnail(_Frozen):
    """A picture of what the local test server received, as JPEG bytes (Qt-free)."""

    jpeg: bytes = Field(repr=False)
    width: int
    height: int
    # Stream time of the frame, seconds since the publish began.
    stream_time_s: float = 0.0


class DestinationInfo(_Frozen):
    """A configured destination instance as the picker shows it (``sink_id`` is the instance id)."""

    sink_id: str
    display_name: str
    # The sink type it is an instance of ("youtube_live"); several instances may share one.
    sink_type: str = ""
    kind: DestinationKind
    is_real_audience: bool
    available: bool = True
    unavailable_reason: str | None = None
    server_url: str = ""
    # Whether the operator can edit the server URL (presets with a fixed ingest cannot be wrong).
    server_editable: bool = False
    needs_key: bool = False
    key_set: bool = False


class SinkTypeInfo(_Frozen):
    """A kind of destination that can be added (a sink plugin found through its entry point)."""

    sink_type: str
    display_name: str
    available: bool = True
    unavailable_reason: str | None = None


class GoLiveConfirmation(_Frozen):
    """Issued by the go-live service for a real destination; the app shows ``prompt`` before starting."""

    token: str = Field(repr=False)
    sink_id: str
    destination: str
    prompt: str


class OutputStatus(_Frozen):
    """Everything the Output panel shows: state, destination, figures, the local test server."""

    phase: OutputPhase = OutputPhase.STOPPED
    # One sentence: what is happening, or what went wrong.
    message: str = "Not streaming"
    selected: str | None = None
    destinations: tuple[DestinationInfo, ...] = ()
    # Kinds of destination the operator can add.
    sink_types: tuple[SinkTypeInfo, ...] = ()
    # The destination of the running stream (None when stopped or started outside the app).
    active_sink: str | None = None
    active_destination: str | None = None
    active_is_real_audience: bool = False
    start_in_progress: bool = False
    duration_s: float = 0.0
    bitrate_kbps: float | None = None
    congestion: float = 0.0
    dropped_frames: int = 0
    total_frames: int = 0
    reconnects: int = 0
    # StartStream requests this service sent (a test can prove no duplicate start).
    start_requests: int = 0
    local_server: LocalServerStatus | None = None
    last_rehearsal: ReceivedStreamInfo | None = None
    preflight: PreflightResult | None = None

    @property
    def dropped_ratio(self) -> float:
        return self.dropped_frames / self.total_frames if self.total_frames else 0.0

    def destination(self, sink_id: str) -> DestinationInfo | None:
        return next((d for d in self.destinations if d.sink_id == sink_id), None)


class RelayState(StrEnum):
    """Where one relayed destination stands (the relay forwards OBS's one stream to each)."""

    PREPARING = "preparing"
    LIVE = "live"
    RETRYING = "retrying"
    FAILED = "failed"
    STOPPED = "stopped"


class RelayDestinationStatus(_Frozen):
    """One relayed destination's truth: state, why it is not live, and what it has sent."""

    destination_id: str
    display_name: str = ""
    state: RelayState = RelayState.STOPPED
    # Counts from 1 while retrying; 0 otherwise.
    attempt: int = 0
    # Wall-clock time (Unix seconds) of the next connection attempt while retrying.
    next_retry_at: float | None = None
    last_error: str | None = None
    bitrate_kbps: float = 0.0
    packets_sent: int = 0
    packets_dropped: int = 0
    # Connections made again after the first one (destination or OBS came back).
    reconnects: int = 0
    # Seconds live in the current connection.
    live_s: float = 0.0


@dataclass(frozen=True)
class RelayTarget:
    """Where one relayed copy goes: the full publish URL (with the stream key) and a name to show."""

    destination_id: str
    display_name: str
    url: str
    # rtmps only: trust this CA file (PEM) instead of the system's store. Tests and self-hosted ingests set it.
    ca_file: str | None = None


class UploadMeasurement(_Frozen):
    """The highest total the relay sustained in one session: the mean of all destinations' sent bitrates
    over the best window of ``window_s`` seconds (what the upload link really carried), and when."""

    kbps: float
    # UTC, when the session that measured it ended (or the figure was last raised).
    measured_at: datetime
    window_s: float = 10.0
    # The most destinations live at once during that window.
    destinations: int = 0
    # Only destinations without a real audience took part (a rehearsal, not a show).
    rehearsal: bool = True


# How far under its bitrate setting an encoder may run and a same-size rehearsal still count as proof.
RATE_CONTROL_MARGIN = 0.15


class UploadFigure(_Frozen):
    """Upload needed (OBS's video+audio bitrate x destinations) against what the last rehearsal measured."""

    destinations: int = 0
    # OBS's video + audio bitrate: what each destination is sent (the relay does not re-encode).
    per_destination_kbps: float | None = None
    # Where ``per_destination_kbps`` comes from, for the sentence ("OBS's settings", "measured ...").
    source: str = ""
    measured: UploadMeasurement | None = None

    @property
    def needed_kbps(self) -> float | None:
        if self.per_destination_kbps is None:
            return None
        return self.per_destination_kbps * self.destinations

    @property
    def warning(self) -> str | None:
        """Why the upload may not be enough, or None when the last rehearsal sustained what is needed."""
        needed = self.needed_kbps
        if self.destinations == 0:
            return None
        if self.measured is None:
            return "Upload never measured: rehearse to several destinations for at least 10 s first."
        if needed is None:
            return "OBS's bitrate is unknown, so the upload needed cannot be compared with the rehearsal."
        proven = self.measured.destinations >= self.destinations
        # Encoders send a little under their setting (x264 ~7 % here): a rehearsal to as many destinations
        # that sustained nearly the nominal total proved the link; fewer destinations never tried that total.
        if needed > self.measured.kbps * (1 + RATE_CONTROL_MARGIN if proven else 1):
            over = (needed / self.measured.kbps - 1) * 100 if self.measured.kbps > 0 else None
            by = f", {over:.0f} % more" if over is not None else ""
            return (
                f"Upload needed ({needed:.0f} kbps) is more than the last rehearsal sustained "
                f"({self.measured.kbps:.0f} kbps{by}): streams may drop frames or stall."
            )
        return None

    def sentences(self) -> tuple[str, str]:
        """Two lines for the operator: what is needed, and what was measured (with its date)."""
        needed = self.needed_kbps
        if needed is None:
            need = f"Upload needed: unknown for {self.destinations} destination(s) ({self.source or 'no bitrate'})."
        else:
            per = self.per_destination_kbps or 0.0
            need = (
                f"Upload needed: {needed:.0f} kbps = {per:.0f} kbps ({self.source}) x {self.destinations} "
                "destination(s)."
            )
        m = self.measured
        if m is None:
            have = "Last rehearsal measured: never measured."
        else:
            kind = "rehearsal" if m.rehearsal else "show"
            when = m.measured_at.astimezone().strftime("%Y-%m-%d %H:%M")
            have = (
                f"Last rehearsal measured: {m.kbps:.0f} kbps sustained over {m.window_s:g} s to "
                f"{m.destinations} destination(s) ({kind}, {when})."
            )
        return need, have


class PlannedDestination(_Frozen):
    """One destination of a go-live-to-several plan with its own preflight findings."""

    destination_id: str
    display_name: str
    kind: DestinationKind
    is_real_audience: bool
    # The server only (never the key); empty for a destination without a fixed URL.
    server_url: str = ""
    preflight: PreflightResult
    # Already relayed (live, preparing or retrying): left as it is.
    already_running: bool = False

    @property
    def will_start(self) -> bool:
        return self.preflight.ok and not self.already_running


class SimulcastPlan(_Frozen):
    """What "go live to several" will do, shown in one confirmation before anything starts."""

    # One-time token naming exactly these destinations; empty when nothing can start.
    token: str = Field(default="", repr=False)
    destinations: tuple[PlannedDestination, ...] = ()
    upload: UploadFigure = UploadFigure()
    prompt: str = ""

    @property
    def to_start(self) -> tuple[PlannedDestination, ...]:
        return tuple(d for d in self.destinations if d.will_start)

    @property
    def reaches_real_audience(self) -> bool:
        return any(d.is_real_audience for d in self.to_start)


class SimulcastResult(_Frozen):
    """What a go-live-to-several start did: each destination started, or why not."""

    started: tuple[RelayDestinationStatus, ...] = ()
    # (destination id, the sentence why it did not start)
    refused: tuple[tuple[str, str], ...] = ()


class SimulcastStatus(_Frozen):
    """The go-live-to-several side of the Output panel: which destinations are turned on, and the upload."""

    turned_on: tuple[str, ...] = ()
    upload: UploadFigure = UploadFigure()
