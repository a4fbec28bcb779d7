"""What a destination receives, read with ffprobe: codecs and sizes, packet timestamps, frames that decode."""

from __future__ import annotations

import json
import subprocess


def _ffprobe(url: str, wait_s: float, *args: str) -> str:
    """Run ffprobe on ``url``; it gives up on a silent stream after ``wait_s`` (its own read timeout)."""
    return subprocess.run(
        ["ffprobe", "-v", "error", "-rw_timeout", str(int(wait_s * 1_000_000)), *args, url],
        capture_output=True,
        text=True,
        timeout=wait_s * 4,
        check=True,
    ).stdout


def stream_info(url: str, wait_s: float = 8.0) -> dict[str, dict[str, object]]:
    """Codec and size per stream type (``video``, ``audio``)."""
    out = _ffprobe(url, wait_s, "-show_streams", "-of", "json")
    return {s["codec_type"]: s for s in json.loads(out)["streams"]}


def video_packet_times(url: str, packets: int = 20, wait_s: float = 8.0) -> list[float]:
    """Video packet timestamps (seconds) a new viewer of ``url`` receives, in arrival order."""
    out = _ffprobe(
        url,
        wait_s,
        "-select_streams",
        "v",
        "-show_entries",
        "packet=dts_time",
        "-read_intervals",
        f"%+#{packets}",
        "-of",
        "csv=p=0",
    )
    return [float(line) for line in out.split() if line and line != "N/A"]


def decoded_video_frames(url: str, frames: int = 10, wait_s: float = 8.0) -> int:
    """Decode the first ``frames`` video frames; ffprobe counts what really decoded."""
    out = _ffprobe(
        url,
        wait_s,
        "-count_frames",
        "-read_intervals",
        f"%+#{frames}",
        "-select_streams",
        "v",
        "-show_entries",
        "stream=nb_read_frames",
        "-of",
        "csv=p=0",
    )
    return int(out.strip().splitlines()[0])
