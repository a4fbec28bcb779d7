"""Recording what the local test server receives: packets remuxed into a file, no re-encoding."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from av.container import OutputContainer
    from av.packet import Packet
    from av.stream import Stream

log = logging.getLogger(__name__)


class Recorder:
    """Remuxes the received packets into a file (no re-encoding), from the first video keyframe on."""

    def __init__(self, path: Path, streams: Sequence[Stream]) -> None:
        import av

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.output: OutputContainer = av.open(str(path), "w")
        self.streams = {s.index: self.output.add_stream_from_template(s) for s in streams}
        self.has_video = any(s.type == "video" for s in streams)
        self.started = not self.has_video

    def write(self, packet: Packet[Any], is_video: bool) -> None:
        if not self.started:
            if not (is_video and packet.is_keyframe):
                return
            self.started = True
        target = self.streams.get(packet.stream_index)
        if target is None:
            return
        packet.stream = target
        self.output.mux(packet)

    def close(self) -> None:
        try:
            self.output.close()
        except Exception as exc:  # a half-written file must not take the receiver down
            log.warning("closing the recording %s failed: %s", self.path, exc)


def unused_path(path: Path) -> Path:
    """``path``, or ``name-2.mkv``, ``name-3.mkv``… when taken: a new publish never overwrites a recording."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate
