"""An RTMP publisher process (PyAV: h264 + aac in FLV, as OBS sends), for tests without OBS.

It runs as its own process: PyAV holds the GIL while it opens an RTMP connection, so a publisher
thread in the test process would starve the server's thread it is waiting for. A process can also
be frozen (SIGSTOP: the connection stays open but goes silent) or killed (an abrupt disconnect).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class RtmpPublisher:
    """Sends a solid-colour picture and silence to ``url`` in real time until stopped."""

    def __init__(
        self,
        url: str,
        colour: tuple[int, int, int] = (255, 0, 0),
        size: tuple[int, int] = (320, 180),
        fps: int = 15,
        keyint: int = 15,
    ) -> None:
        self.args = [
            sys.executable,
            "-m",
            "tests.helpers.rtmp_publisher",
            url,
            "--colour",
            ",".join(map(str, colour)),
            "--size",
            f"{size[0]}x{size[1]}",
            "--fps",
            str(fps),
            "--keyint",
            str(keyint),
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RtmpPublisher:
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def hang(self) -> None:
        """Freeze the publisher: its connection stays open and goes silent."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        """An abrupt disconnect, as when the encoder crashes."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> int | None:
        """End the stream properly; returns the exit code (non-zero when the server dropped us)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.process.returncode

    def wait(self) -> int:
        assert self.process is not None
        return self.process.wait(60)


def publish(url: str, colour: tuple[int, int, int], size: tuple[int, int], fps: int, keyint: int) -> int:
    import av

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    width, height = size
    output = av.open(url, "w", format="flv")
    try:
        video = output.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"g": str(keyint), "preset": "ultrafast", "tune": "zerolatency"}
        audio = output.add_stream("aac", rate=44100)
        audio.layout = "stereo"
        rgb = av.VideoFrame(width, height, "rgb24")
        plane = rgb.planes[0]
        row = bytes(colour) * width
        plane.update((row + bytes(plane.line_size - len(row))) * height)
        picture = rgb.reformat(format="yuv420p")
        started = time.monotonic()
        frames = samples = 0
        while not stop.is_set():
            picture.pts = frames
            picture.time_base = Fraction(1, fps)
            output.mux(video.encode(picture))
            frames += 1
            while samples < frames * 44100 // fps:
                sound = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
                for channel in sound.planes:
                    channel.update(bytes(channel.buffer_size))
                sound.sample_rate = 44100
                sound.pts = samples
                sound.time_base = Fraction(1, 44100)
                output.mux(audio.encode(sound))
                samples += 1024
            time.sleep(max(0.0, started + frames / fps - time.monotonic()))
    finally:
        output.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--colour", default="255,0,0")
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--keyint", type=int, default=15)
    args = parser.parse_args()
    r, g, b = (int(v) for v in args.colour.split(","))
    width, height = (int(v) for v in args.size.split("x"))
    try:
        return publish(args.url, (r, g, b), (width, height), args.fps, args.keyint)
    except Exception as exc:  # the server refused or dropped us
        print(f"publisher: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
