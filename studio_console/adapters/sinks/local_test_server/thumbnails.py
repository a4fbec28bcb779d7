"""Thumbnails of the received video: decode from a keyframe on and turn a frame into JPEG bytes when one is due."""

from __future__ import annotations

import logging
import time
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from studio_console.domain.stream import Thumbnail

if TYPE_CHECKING:
    from av.packet import Packet
    from av.video.codeccontext import VideoCodecContext
    from av.video.frame import VideoFrame

log = logging.getLogger(__name__)


class ThumbnailMaker:
    """Decodes the received video and turns a frame into JPEG bytes when one is due."""

    def __init__(self, codec: VideoCodecContext, width: int, interval_s: float) -> None:
        self.codec = codec
        self.width = width
        self.interval_s = interval_s
        self.synced = False
        self.last_made = float("-inf")
        self._encoder: Any = None
        self._encoder_size: tuple[int, int] | None = None

    def feed(self, packet: Packet[Any], stream_time: float) -> Thumbnail | None:
        import av

        if not self.synced:
            if not packet.is_keyframe:
                return None  # a P-frame without its keyframe only decodes to garbage
            self.synced = True
        try:
            frames = self.codec.decode(packet)
        except av.error.FFmpegError as exc:
            log.debug("thumbnail decode failed (%s); waiting for the next keyframe", exc)
            self.synced = False
            return None
        now = time.monotonic()
        if not frames or now - self.last_made < self.interval_s:
            return None
        self.last_made = now
        return self._jpeg(frames[-1], stream_time)

    def _jpeg(self, frame: VideoFrame, stream_time: float) -> Thumbnail:
        import av

        width = self.width if 0 < self.width < frame.width else frame.width
        height = max(2, round(frame.height * width / frame.width / 2) * 2)
        width -= width % 2
        if self._encoder_size != (width, height):
            encoder: Any = av.CodecContext.create("mjpeg", "w")
            encoder.width, encoder.height = width, height
            encoder.pix_fmt = "yuvj420p"
            encoder.time_base = Fraction(1, 25)
            self._encoder, self._encoder_size = encoder, (width, height)
        small = frame.reformat(width=width, height=height, format="yuvj420p")
        data = b"".join(bytes(p) for p in self._encoder.encode(small))
        return Thumbnail(jpeg=data, width=width, height=height, stream_time_s=round(stream_time, 3))
