"""Figures of one publish session (bitrate, frame rate, keyframe interval), from packet sizes and timestamps."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from studio_console.domain.stream import ReceivedStreamInfo

if TYPE_CHECKING:
    from av.packet import Packet
    from av.stream import Stream

# Figures are computed over the last few seconds of stream time.
MEASURE_WINDOW_S = 4.0


class StreamMeter:
    """Figures of one publish session, computed from packet sizes and timestamps (stream time)."""

    def __init__(self, video: Stream | None, audio: Stream | None) -> None:
        self.video = video
        self.audio = audio
        self.video_window: deque[tuple[float, int]] = deque()
        self.audio_window: deque[tuple[float, int]] = deque()
        self.keyframe_times: deque[float] = deque(maxlen=2)
        self.keyframes = 0
        self.first_time: float | None = None
        self.last_time = 0.0
        self.received_bytes = 0

    @staticmethod
    def _seconds(packet: Packet[Any]) -> float | None:
        stamp = packet.pts if packet.pts is not None else packet.dts
        if stamp is None or packet.time_base is None:
            return None
        return float(stamp * packet.time_base)

    def add(self, packet: Packet[Any]) -> None:
        self.received_bytes += packet.size
        at = self._seconds(packet)
        if at is None:
            return
        if self.first_time is None:
            self.first_time = at
        self.last_time = max(self.last_time, at)
        if self.video is not None and packet.stream_index == self.video.index:
            self.video_window.append((at, packet.size))
            if packet.is_keyframe:
                self.keyframes += 1
                self.keyframe_times.append(at)
            _trim(self.video_window, at)
        elif self.audio is not None and packet.stream_index == self.audio.index:
            self.audio_window.append((at, packet.size))
            _trim(self.audio_window, at)

    def info(self) -> ReceivedStreamInfo:
        video_ctx: Any = self.video.codec_context if self.video is not None else None
        audio_ctx: Any = self.audio.codec_context if self.audio is not None else None
        fps = _rate(self.video_window)
        if fps is None and self.video is not None and self.video.average_rate:
            fps = float(self.video.average_rate)
        interval = None
        if len(self.keyframe_times) == 2:
            interval = self.keyframe_times[1] - self.keyframe_times[0]
        since_key = self.last_time - self.keyframe_times[-1] if self.keyframe_times else self._received_s()
        channels = None
        if audio_ctx is not None:
            layout = getattr(audio_ctx, "layout", None)
            channels = int(layout.nb_channels) if layout is not None else None
        return ReceivedStreamInfo(
            video_codec=video_ctx.name if video_ctx is not None else None,
            width=int(video_ctx.width) if video_ctx is not None and video_ctx.width else None,
            height=int(video_ctx.height) if video_ctx is not None and video_ctx.height else None,
            fps=round(fps, 2) if fps is not None else None,
            video_bitrate_kbps=_kbps(self.video_window),
            keyframe_interval_s=round(interval, 3) if interval is not None else None,
            seconds_since_keyframe=round(max(0.0, since_key), 3),
            keyframes=self.keyframes,
            audio_codec=audio_ctx.name if audio_ctx is not None else None,
            audio_sample_rate=int(audio_ctx.sample_rate) if audio_ctx is not None and audio_ctx.sample_rate else None,
            audio_channels=channels,
            audio_bitrate_kbps=_kbps(self.audio_window),
            received_s=round(self._received_s(), 3),
            received_bytes=self.received_bytes,
        )

    def _received_s(self) -> float:
        return self.last_time - self.first_time if self.first_time is not None else 0.0


def _trim(window: deque[tuple[float, int]], now: float) -> None:
    while window and window[0][0] < now - MEASURE_WINDOW_S:
        window.popleft()


def _span(window: deque[tuple[float, int]]) -> float:
    return window[-1][0] - window[0][0] if len(window) >= 2 else 0.0


def _rate(window: deque[tuple[float, int]]) -> float | None:
    span = _span(window)
    return (len(window) - 1) / span if span > 0 else None


def _kbps(window: deque[tuple[float, int]]) -> float | None:
    span = _span(window)
    if span <= 0:
        return None
    # The last packet's bytes belong after the span's end.
    payload = sum(size for _, size in window) - window[-1][1]
    return round(payload * 8 / 1000 / span, 1)
