"""Benchmark: CPU cost of the local test server receiving OBS's stream, with and without thumbnails, vs OBS's own.

Run: python benchmarks/local_server_cpu.py [--seconds 20]
A private headless OBS (640x360 at 15 fps, x264 ultrafast, 800 kbps) streams a looping moving test
clip into the app's embedded RTMP server. In one run the receiving thread's CPU time is measured
over the same number of seconds with thumbnails on (decode every frame, a JPEG each second) and
off (demux and measure only), next to OBS's CPU use as GetStats reports it (cpuUsage: percent of
all cores) and as its process CPU time shows. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import emit, private_obs
from obswebsocket import requests

from studio_console.adapters.sinks.local_test_server import LocalTestServer
from studio_console.domain.stream import LocalServerState, Thumbnail
from tests.helpers.servers import RunningObs

SCENE = "Benchmark"
CLIP_INPUT = "Benchmark clip"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU seconds of a process (or one of its threads) from /proc."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid is not None else f"/proc/{pid}/stat"
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    # Fields after the command name start at "state" (field 3): utime is field 14, stime 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def make_clip(folder: Path) -> Path | None:
    """A 10 s moving test pattern the size of the canvas, so the encoder and decoder have real work."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    clip = folder / "testsrc2.mkv"
    source = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15:duration=10"]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "15"]
    subprocess.run([ffmpeg, "-v", "error", "-y", *source, *encode, str(clip)], check=True, timeout=120)
    return clip


def prepare_obs(obs: RunningObs, clip: Path | None, server: LocalTestServer) -> None:
    client = obs.client()
    try:
        client.call(requests.CreateScene(sceneName=SCENE))
        if clip is not None:
            client.call(
                requests.CreateInput(
                    sceneName=SCENE,
                    inputName=CLIP_INPUT,
                    inputKind="ffmpeg_source",
                    inputSettings={"local_file": str(clip), "looping": True, "is_local_file": True},
                    sceneItemEnabled=True,
                )
            )
        else:
            client.call(
                requests.CreateInput(
                    sceneName=SCENE,
                    inputName=CLIP_INPUT,
                    inputKind="color_source_v3",
                    inputSettings={"color": 0xFF3366CC, "width": 640, "height": 360},
                    sceneItemEnabled=True,
                )
            )
        client.call(requests.SetCurrentProgramScene(sceneName=SCENE))
        client.call(
            requests.SetStreamServiceSettings(
                streamServiceType="rtmp_custom",
                streamServiceSettings={"server": server.server_url, "key": server.key},
            )
        )
        client.call(requests.StartStream())
    finally:
        client.disconnect()


async def measure(obs: RunningObs, server: LocalTestServer, seconds: float, thumbnails: bool) -> dict[str, Any]:
    """CPU of the receiving thread and of OBS over ``seconds`` with thumbnails on or off."""
    server.set_thumbnails(thumbnails)
    made: list[Thumbnail] = []
    unsubscribe = server.subscribe_thumbnails(made.append)
    await asyncio.sleep(3.0)  # settle: the decoder resyncs at a keyframe after a toggle
    made.clear()
    thread = server._thread  # the benchmark reads /proc for this thread's own CPU time
    assert thread is not None and thread.native_id is not None
    my_pid, obs_pid = os.getpid(), obs.process.process.pid
    client = obs.client()
    try:
        usage: list[float] = []
        wall0 = time.monotonic()
        receiver0 = thread_cpu_seconds(my_pid, thread.native_id)
        app0 = thread_cpu_seconds(my_pid)
        obs0 = thread_cpu_seconds(obs_pid)
        while time.monotonic() - wall0 < seconds:
            await asyncio.sleep(1.0)
            stats = await asyncio.to_thread(client.call, requests.GetStats())
            usage.append(float(stats.datain.get("cpuUsage", 0.0)))
        wall = time.monotonic() - wall0
        receiver = thread_cpu_seconds(my_pid, thread.native_id) - receiver0
        app = thread_cpu_seconds(my_pid) - app0
        obs_cpu = thread_cpu_seconds(obs_pid) - obs0
    finally:
        client.disconnect()
        unsubscribe()
    cores = os.cpu_count() or 1
    # Same unit as OBS's cpuUsage: percent of all cores.
    receiver_pct = receiver / wall / cores * 100
    obs_stats_pct = sum(usage) / len(usage) if usage else float("nan")
    obs_process_pct = obs_cpu / wall / cores * 100
    info = server.status.info
    return {
        "receiver_cpu_s": round(receiver, 3),
        "receiver_cpu_percent_of_all_cores": round(receiver_pct, 3),
        "app_process_cpu_percent_of_all_cores": round(app / wall / cores * 100, 3),
        "obs_getstats_cpu_usage_percent": round(obs_stats_pct, 3),
        "obs_process_cpu_percent_of_all_cores": round(obs_process_pct, 3),
        "ratio_to_obs_getstats": round(receiver_pct / obs_stats_pct, 4) if obs_stats_pct else None,
        "ratio_to_obs_process": round(receiver_pct / obs_process_pct, 4) if obs_process_pct else None,
        "thumbnails_per_s": round(len(made) / wall, 2),
        "received_kbps": info.video_bitrate_kbps if info is not None else None,
        "wall_s": round(wall, 2),
    }


async def run(obs: RunningObs, seconds: float, clip: Path | None) -> dict[str, Any]:
    server = LocalTestServer(thumbnails=True)
    await server.start()
    try:
        await asyncio.to_thread(prepare_obs, obs, clip, server)
        while server.status.state is not LocalServerState.RECEIVING or server.status.info is None:
            await asyncio.sleep(0.2)
        with_thumbs = await measure(obs, server, seconds, thumbnails=True)
        without = await measure(obs, server, seconds, thumbnails=False)
        info = server.status.info
        return {
            "with_thumbnails": with_thumbs,
            "without_thumbnails": without,
            "thumbnail_cost_ratio": round(with_thumbs["receiver_cpu_s"] / without["receiver_cpu_s"], 2)
            if without["receiver_cpu_s"]
            else None,
            "stream": f"{info.video_codec} {info.width}x{info.height} {info.fps} fps" if info else None,
        }
    finally:
        client = obs.client()
        try:
            client.call(requests.StopStream())
        finally:
            client.disconnect()
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window per variant")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-local-server-"))
    clip = make_clip(folder)
    obs = private_obs()
    try:
        figures = asyncio.run(run(obs, args.seconds, clip))
    finally:
        obs.stop()
        shutil.rmtree(folder, ignore_errors=True)
    emit(
        {
            "benchmark": "local_server_cpu",
            "seconds_per_variant": args.seconds,
            "cores": os.cpu_count(),
            "source": "moving test clip" if clip is not None else "colour source",
            **figures,
        }
    )


if __name__ == "__main__":
    main()
