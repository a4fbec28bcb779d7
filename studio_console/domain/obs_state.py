"""What the app knows about OBS at one moment, as immutable models (the state mirror's snapshots)."""

from __future__ import annotations

from studio_console.domain.base import Frozen as _Frozen
from studio_console.domain.obs_status import ConnectionStatus, OutputPhase

__all__ = ["ConnectionStatus", "OutputPhase"]


class ConnectionState(_Frozen):
    status: ConnectionStatus = ConnectionStatus.DISCONNECTED
    # One sentence for the status bar, naming what is wrong and what to do.
    message: str = "OBS not connected"
    obs_version: str | None = None
    websocket_version: str | None = None
    attempts: int = 0

    @property
    def connected(self) -> bool:
        return self.status is ConnectionStatus.CONNECTED


class OutputState(_Frozen):
    phase: OutputPhase = OutputPhase.STOPPED
    # monotonic() when the output went live, to show a running duration.
    live_since: float | None = None

    @property
    def active(self) -> bool:
        return self.phase not in (OutputPhase.STOPPED,)


class AudioInput(_Frozen):
    name: str
    kind: str
    muted: bool = False
    volume_mul: float = 1.0
    volume_db: float = 0.0


class VideoSettings(_Frozen):
    base_width: int
    base_height: int
    output_width: int
    output_height: int
    fps_numerator: int
    fps_denominator: int

    @property
    def vertical(self) -> bool:
        return self.base_height > self.base_width

    @property
    def fps(self) -> float:
        return self.fps_numerator / max(1, self.fps_denominator)


class ObsStats(_Frozen):
    active_fps: float = 0.0
    cpu_usage: float = 0.0
    memory_mb: float = 0.0
    render_skipped_frames: int = 0
    render_total_frames: int = 0
    output_skipped_frames: int = 0
    output_total_frames: int = 0
    stream_duration_ms: int = 0
    stream_bytes: int = 0
    stream_congestion: float = 0.0
    stream_skipped_frames: int = 0
    stream_total_frames: int = 0
    stream_reconnecting: bool = False
    record_duration_ms: int = 0


class ObsSnapshot(_Frozen):
    """Everything the UI shows about OBS; a new snapshot replaces the old one on every change."""

    connection: ConnectionState = ConnectionState()
    scenes: tuple[str, ...] = ()
    program_scene: str | None = None
    preview_scene: str | None = None
    studio_mode: bool = False
    transitions: tuple[str, ...] = ()
    transition: str | None = None
    transition_duration_ms: int | None = None
    audio_inputs: tuple[AudioInput, ...] = ()
    stream: OutputState = OutputState()
    record: OutputState = OutputState()
    video: VideoSettings | None = None
    stats: ObsStats | None = None

    def audio(self, name: str) -> AudioInput | None:
        return next((a for a in self.audio_inputs if a.name == name), None)
