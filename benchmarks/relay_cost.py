"""Benchmark: relay CPU per destination (1, 2, 4) against OBS's own, and its added latency against a direct stream.

Run: python benchmarks/relay_cost.py [--seconds 15] [--width 1280 --height 720] [--fps 30] [--no-rtmps]
A private headless OBS streams a looping moving clip the size of the canvas. CPU: OBS streams to the app's local test
server, which relays to 0, 1, 2 and 4 nginx-rtmp servers in turn; over the same window each time
the app process's CPU and OBS's process CPU are read from /proc. Per destination is the app's CPU
above the 0-destination run, divided by the number of destinations. Latency: a small box in the
scene changes colour over the websocket; a viewer process-thread reading nginx-rtmp decodes every
frame and notes when the new colour arrives. The same is done with OBS streaming straight to
nginx-rtmp, through the relay, and through the relay over RTMPS (a TLS terminator process in front of
nginx, verified against a throwaway CA), in the same run; the ratio and the difference of the medians
are the relay's added latency. OBS's own GetStats (render and output frames skipped) is read around
every phase, since OBS may lag at 720p30 on a small machine; the load average is read at the start and
the end. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import emit, private_obs
from local_server_cpu import CLIP_INPUT, SCENE, thread_cpu_seconds
from obswebsocket import obsws, requests

from studio_console.adapters.sinks.local_test_server import LocalTestServer
from studio_console.adapters.sinks.local_test_server.relay import RelayTarget
from studio_console.domain.stream import LocalServerState, RelayState
from studio_console.obs.launcher import free_port
from tests.helpers.servers import NginxRtmp, RunningObs, start_nginx_rtmp
from tests.helpers.tls_proxy import make_certificates

BOX = "Latency box"
RED, BLUE = 0xFF0000FF, 0xFFFF0000  # ABGR


def make_clip(folder: Path, size: tuple[int, int], fps: int) -> Path | None:
    """A 10 s moving test pattern at the canvas size and rate, so OBS decodes and encodes real work."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    clip = folder / "testsrc2.mkv"
    source = ["-f", "lavfi", "-i", f"testsrc2=size={size[0]}x{size[1]}:rate={fps}:duration=10"]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-g", str(fps)]
    subprocess.run([ffmpeg, "-v", "error", "-y", *source, *encode, str(clip)], check=True, timeout=300)
    return clip


_STAT_COUNTERS = ("renderSkippedFrames", "renderTotalFrames", "outputSkippedFrames", "outputTotalFrames")


def obs_stats(obs: RunningObs) -> dict[str, float]:
    """OBS's GetStats plus the stream output's own skipped/total frames (GetStreamStatus)."""
    client = obs.client()
    try:
        stats = dict(client.call(requests.GetStats()).datain)
        stream = client.call(requests.GetStreamStatus()).datain
    finally:
        client.disconnect()
    return {
        **{k: float(stats.get(k) or 0) for k in (*_STAT_COUNTERS, "activeFps", "cpuUsage", "averageFrameRenderTime")},
        "streamSkippedFrames": float(stream.get("outputSkippedFrames") or 0),
        "streamTotalFrames": float(stream.get("outputTotalFrames") or 0),
    }


def stats_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What OBS lagged or skipped during one phase (counters as differences, rates as read at its end)."""
    delta = {k: after[k] - before[k] for k in (*_STAT_COUNTERS, "streamSkippedFrames", "streamTotalFrames")}
    # A stream restarted in the phase resets its own counters: then its end value is the phase's count.
    for key in ("streamSkippedFrames", "streamTotalFrames"):
        if delta[key] < 0:
            delta[key] = after[key]
    delta.update({k: after[k] for k in ("activeFps", "cpuUsage", "averageFrameRenderTime")})
    return {k: round(v, 3) for k, v in delta.items()}


def loadavg() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def start_tls_terminator(folder: Path, upstream_port: int) -> tuple[subprocess.Popen[bytes], int, Path]:
    """The test TLS terminator as its own process, so its CPU and GIL are not the app's."""
    certs = make_certificates(folder / "certs")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.helpers.tls_proxy",
            "--certs",
            str(folder / "certs"),
            "--upstream",
            str(upstream_port),
            "--port",
            str(port),
        ],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.readline()  # "ready"
    return process, port, certs.ca_file


def set_box(client: obsws, colour: int) -> float:
    sent = time.monotonic()
    client.call(requests.SetInputSettings(inputName=BOX, inputSettings={"color": colour}))
    return sent


def prepare_scene(obs: RunningObs, clip: Path | None, size: tuple[int, int], fps: int) -> None:
    client = obs.client()
    try:
        client.call(
            requests.SetVideoSettings(
                baseWidth=size[0],
                baseHeight=size[1],
                outputWidth=size[0],
                outputHeight=size[1],
                fpsNumerator=fps,
                fpsDenominator=1,
            )
        )
        for name, value in (("UseAdvanced", "true"), ("x264Settings", f"keyint={fps * 2}")):
            client.call(
                requests.SetProfileParameter(parameterCategory="SimpleOutput", parameterName=name, parameterValue=value)
            )
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
        client.call(
            requests.CreateInput(
                sceneName=SCENE,
                inputName=BOX,
                inputKind="color_source_v3",
                inputSettings={"color": RED, "width": size[0] // 5, "height": size[1] // 5},
                sceneItemEnabled=True,
            )
        )
        client.call(requests.SetCurrentProgramScene(sceneName=SCENE))
    finally:
        client.disconnect()


def stream_to(obs: RunningObs, server: str, key: str, start: bool) -> None:
    client = obs.client()
    try:
        if client.call(requests.GetStreamStatus()).datain.get("outputActive"):
            client.call(requests.StopStream())
            while client.call(requests.GetStreamStatus()).datain.get("outputActive"):
                time.sleep(0.2)
            time.sleep(1.0)
        if start:
            client.call(
                requests.SetStreamServiceSettings(
                    streamServiceType="rtmp_custom", streamServiceSettings={"server": server, "key": key}
                )
            )
            client.call(requests.StartStream())
    finally:
        client.disconnect()


class Viewer:
    """Reads a stream from nginx-rtmp in a thread and notes when each new box colour first arrives."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.colour: str | None = None
        self.changes: list[tuple[float, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import av

        while not self.stop.is_set():
            try:
                with av.open(self.url, options={"rw_timeout": "5000000", "fflags": "nobuffer"}) as container:
                    stream = container.streams.video[0]
                    stream.codec_context.thread_count = 1
                    for frame in container.decode(stream):
                        small = frame.reformat(width=40, height=40, format="rgb24")
                        plane = small.planes[0]
                        row = bytes(plane)[4 * plane.line_size : 4 * plane.line_size + 3 * 40]
                        r, _g, b = row[12], row[13], row[14]
                        colour = "red" if r > 150 and b < 100 else "blue" if b > 150 and r < 100 else None
                        if colour is not None and colour != self.colour:
                            self.colour = colour
                            self.changes.append((time.monotonic(), colour))
                        if self.stop.is_set():
                            return
            except Exception:
                time.sleep(0.3)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)


async def latency(obs: RunningObs, viewer_url: str, toggles: int, stats: dict[str, Any]) -> list[float]:
    viewer = Viewer(viewer_url)
    client = obs.client()
    delays: list[float] = []
    before = await asyncio.to_thread(obs_stats, obs)
    try:
        while viewer.colour is None:
            await asyncio.sleep(0.1)
        colour = viewer.colour
        for _ in range(toggles):
            colour = "blue" if colour == "red" else "red"
            sent = await asyncio.to_thread(set_box, client, BLUE if colour == "blue" else RED)
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline and not any(t >= sent and c == colour for t, c in viewer.changes):
                await asyncio.sleep(0.01)
            arrived = [t for t, c in viewer.changes if t >= sent and c == colour]
            if arrived:
                delays.append(arrived[0] - sent)
            await asyncio.sleep(0.7)
    finally:
        client.disconnect()
        viewer.close()
    stats.update(stats_delta(before, await asyncio.to_thread(obs_stats, obs)))
    return delays


async def cpu_window(obs: RunningObs, server: LocalTestServer, seconds: float) -> dict[str, float]:
    await asyncio.sleep(3.0)  # settle: outputs start at a keyframe
    me, obs_pid = os.getpid(), obs.process.process.pid
    relay_threads = [t for t in threading.enumerate() if t.name.startswith("relay-") and t.native_id]
    relay0 = {t.native_id: thread_cpu_seconds(me, t.native_id) for t in relay_threads}
    stats0 = await asyncio.to_thread(obs_stats, obs)
    app0, obs0, wall0 = thread_cpu_seconds(me), thread_cpu_seconds(obs_pid), time.monotonic()
    await asyncio.sleep(seconds)
    wall = time.monotonic() - wall0
    app1, obs1 = thread_cpu_seconds(me), thread_cpu_seconds(obs_pid)
    stats1 = await asyncio.to_thread(obs_stats, obs)
    relay_cpu = sum(thread_cpu_seconds(me, tid) - start for tid, start in relay0.items() if tid is not None)
    return {
        "app_percent_of_one_core": (app1 - app0) / wall * 100,
        "obs_percent_of_one_core": (obs1 - obs0) / wall * 100,
        "relay_threads_percent_of_one_core": relay_cpu / wall * 100,
        **{f"obs_{k}": v for k, v in stats_delta(stats0, stats1).items()},
    }


async def run(
    obs: RunningObs, nginxes: list[NginxRtmp], seconds: float, toggles: int, rtmps: tuple[int, Path] | None
) -> dict[str, Any]:
    server = LocalTestServer(thumbnails=False)
    await server.start()
    obs_during: dict[str, dict[str, Any]] = {"direct": {}, "relayed": {}, "relayed_rtmps": {}}
    relayed_rtmps: list[float] = []
    try:
        # Direct: OBS -> nginx #0.
        await asyncio.to_thread(stream_to, obs, nginxes[0].url, "direct", True)
        direct = await latency(obs, f"{nginxes[0].url}/direct", toggles, obs_during["direct"])
        # Through the relay: OBS -> local test server -> nginx #0.
        await asyncio.to_thread(stream_to, obs, server.server_url, server.key, True)
        while server.status.state is not LocalServerState.RECEIVING:
            await asyncio.sleep(0.2)
        server.relay.start(RelayTarget("r0", "nginx 0", f"{nginxes[0].url}/relayed"))
        while (s := server.relay.status("r0")) is None or s.state is not RelayState.LIVE:
            await asyncio.sleep(0.1)
        relayed = await latency(obs, f"{nginxes[0].url}/relayed", toggles, obs_during["relayed"])
        server.relay.stop_all()
        await asyncio.to_thread(server.relay.join)
        if rtmps is not None:
            # Through the relay over verified RTMPS: local test server -> TLS terminator -> nginx #0.
            port, ca_file = rtmps
            server.relay.start(
                RelayTarget("t0", "nginx 0 (TLS)", f"rtmps://localhost:{port}/live/relayed-tls", ca_file=str(ca_file))
            )
            while (s := server.relay.status("t0")) is None or s.state is not RelayState.LIVE:
                if s is not None and s.state is RelayState.FAILED:
                    raise RuntimeError(f"rtmps destination failed: {s.last_error}")
                await asyncio.sleep(0.1)
            relayed_rtmps = await latency(obs, f"{nginxes[0].url}/relayed-tls", toggles, obs_during["relayed_rtmps"])
            server.relay.stop_all()
            await asyncio.to_thread(server.relay.join)
        cpu: dict[str, dict[str, float]] = {}
        for count in (0, 1, 2, 4):
            for i in range(count):
                server.relay.start(RelayTarget(f"c{i}", f"nginx {i}", f"{nginxes[i].url}/cpu{count}"))
            cpu[str(count)] = await cpu_window(obs, server, seconds)
            dropped = sum(s.packets_dropped for s in server.relay.statuses)
            cpu[str(count)]["packets_dropped"] = dropped
            server.relay.stop_all()
            await asyncio.to_thread(server.relay.join)
        await asyncio.to_thread(stream_to, obs, "", "", False)
    finally:
        await server.stop()
    base = cpu["0"]["app_percent_of_one_core"]
    per_destination = {
        n: {
            "relay_percent_of_one_core_per_destination": round((cpu[n]["app_percent_of_one_core"] - base) / int(n), 3),
            "relay_threads_percent_of_one_core_per_destination": round(
                cpu[n]["relay_threads_percent_of_one_core"] / int(n), 3
            ),
            "share_of_obs_cpu_per_destination": round(
                (cpu[n]["app_percent_of_one_core"] - base) / int(n) / cpu[n]["obs_percent_of_one_core"], 4
            ),
            "packets_dropped": cpu[n]["packets_dropped"],
        }
        for n in ("1", "2", "4")
    }
    direct_ms = statistics.median(direct) * 1000 if direct else float("nan")
    relayed_ms = statistics.median(relayed) * 1000 if relayed else float("nan")
    rtmps_ms = statistics.median(relayed_rtmps) * 1000 if relayed_rtmps else float("nan")
    return {
        "cpu": {n: {k: round(v, 3) for k, v in row.items()} for n, row in cpu.items()},
        "per_destination": per_destination,
        "latency_direct_median_ms": round(direct_ms, 1),
        "latency_relayed_median_ms": round(relayed_ms, 1),
        "latency_added_ms": round(relayed_ms - direct_ms, 1),
        "latency_ratio_relayed_to_direct": round(relayed_ms / direct_ms, 3) if direct_ms else None,
        "latency_relayed_rtmps_median_ms": round(rtmps_ms, 1),
        "latency_added_rtmps_ms": round(rtmps_ms - direct_ms, 1),
        "latency_ms": {
            "direct": [round(v * 1000, 1) for v in direct],
            "relayed": [round(v * 1000, 1) for v in relayed],
            "relayed_rtmps": [round(v * 1000, 1) for v in relayed_rtmps],
        },
        "latency_samples": {"direct": len(direct), "relayed": len(relayed), "relayed_rtmps": len(relayed_rtmps)},
        "obs_during_latency": obs_during,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="CPU window per destination count")
    parser.add_argument("--width", type=int, default=None, help="canvas width (default: from --size)")
    parser.add_argument("--height", type=int, default=None, help="canvas height (default: from --size)")
    parser.add_argument("--size", default="640x360", help="canvas WxH, when --width/--height are not given")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--toggles", type=int, default=8)
    parser.add_argument("--no-rtmps", action="store_true", help="skip the RTMPS latency phase")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    width, height = args.width or width, args.height or height
    folder = Path(tempfile.mkdtemp(prefix="bench-relay-"))
    load_start = loadavg()
    clip = make_clip(folder, (width, height), args.fps)
    nginxes = [start_nginx_rtmp(folder / f"nginx{i}") for i in range(4)]
    terminator: subprocess.Popen[bytes] | None = None
    rtmps: tuple[int, Path] | None = None
    if not args.no_rtmps:
        terminator, port, ca_file = start_tls_terminator(folder / "tls", nginxes[0].rtmp_port)
        rtmps = (port, ca_file)
    obs = private_obs()
    try:
        prepare_scene(obs, clip, (width, height), args.fps)
        figures = asyncio.run(run(obs, nginxes, args.seconds, args.toggles, rtmps))
    finally:
        obs.stop()
        if terminator is not None:
            terminator.terminate()
            terminator.wait(10)
        for nginx in nginxes:
            nginx.stop()
        shutil.rmtree(folder, ignore_errors=True)
    emit(
        {
            "benchmark": "relay_cost",
            "canvas": f"{width}x{height}@{args.fps}",
            "seconds_per_window": args.seconds,
            "cores": os.cpu_count(),
            "loadavg_start": load_start,
            "loadavg_end": loadavg(),
            **figures,
        }
    )


if __name__ == "__main__":
    main()
