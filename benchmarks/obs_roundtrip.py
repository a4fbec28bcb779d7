"""Benchmark: OBS request round trip through the app's OBS layer (typed requests, and the layer's own
untyped path) vs raw obs-websocket-py and simpleobsws, click-to-CurrentProgramSceneChanged vs OBS's
own SetCurrentProgramScene round trip, and UI event-loop lag during a burst of 1,000 requests. All
against one private OBS in one run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from _common import emit, private_obs, summary_ms

N = 400
BURST = 1000


def raw_obsws_round_trips(port: int, password: str) -> tuple[list[float], list[float]]:
    from obswebsocket import obsws, requests

    client = obsws("127.0.0.1", port, password, legacy=False, timeout=10)
    client.connect()
    try:
        for _ in range(20):
            client.call(requests.GetVersion())
        rtts = []
        for _ in range(N):
            t = time.perf_counter()
            client.call(requests.GetVersion())
            rtts.append(time.perf_counter() - t)
        switches = []
        for i in range(40):
            t = time.perf_counter()
            client.call(requests.SetCurrentProgramScene(sceneName="Bench A" if i % 2 else "Bench B"))
            switches.append(time.perf_counter() - t)
        return rtts, switches
    finally:
        client.disconnect()


async def simpleobsws_round_trips(port: int, password: str) -> list[float]:
    import simpleobsws

    ws = simpleobsws.WebSocketClient(url=f"ws://127.0.0.1:{port}", password=password)
    await ws.connect()
    await ws.wait_until_identified()
    try:
        for _ in range(20):
            await ws.call(simpleobsws.Request("GetVersion"))
        rtts = []
        for _ in range(N):
            t = time.perf_counter()
            await ws.call(simpleobsws.Request("GetVersion"))
            rtts.append(time.perf_counter() - t)
        return rtts
    finally:
        await ws.disconnect()


async def app_layer(port: int, password: str) -> dict[str, object]:
    """Runs on the qasync loop, as in the app."""
    from PySide6.QtCore import QTimer

    from studio_console.obs.requests import GetVersion
    from studio_console.obs.session import ObsSession
    from studio_console.services.obs_control.switcher import SceneSwitcher

    session = ObsSession("127.0.0.1", port, password)
    session.start()
    while not session.snapshot.connection.connected:
        await asyncio.sleep(0.01)
    try:
        for _ in range(20):
            await session.call(GetVersion())
        # Typed requests against the session's raw string path in the same run, interleaved so drift
        # in OBS or the machine hits both alike: the typed layer must not cost measurable time.
        # Which goes first alternates, so neither always follows the other's answer.
        rtts, untyped = [], []

        async def typed_call() -> None:
            t = time.perf_counter()
            await session.call(GetVersion())
            rtts.append(time.perf_counter() - t)

        async def untyped_call() -> None:
            t = time.perf_counter()
            await session._request("GetVersion")
            untyped.append(time.perf_counter() - t)

        for i in range(N):
            first, second = (typed_call, untyped_call) if i % 2 else (untyped_call, typed_call)
            await first()
            await second()

        # Click to CurrentProgramSceneChanged: the switcher as the scene tile uses it.
        switcher = SceneSwitcher(session)
        clicks = []
        for i in range(40):
            target = "Bench A" if i % 2 else "Bench B"
            changed = asyncio.get_running_loop().create_future()
            unsubscribe = session.subscribe(
                lambda snap, t=target, f=changed: f.done() or snap.program_scene != t or f.set_result(None)
            )
            t = time.perf_counter()
            switcher.switch(target)
            await changed
            clicks.append(time.perf_counter() - t)
            unsubscribe()
            await asyncio.sleep(0.05)

        # UI lag: lateness of a 16 ms timer while 1,000 requests go through the layer.
        lateness: list[float] = []
        expected = [time.perf_counter() + 0.016]
        timer = QTimer()
        timer.setInterval(16)

        def tick() -> None:
            now = time.perf_counter()
            lateness.append(max(0.0, now - expected[0]))
            expected[0] = now + 0.016

        timer.timeout.connect(tick)
        timer.start()
        await asyncio.sleep(0.3)
        baseline = list(lateness)

        async def measure(burst: Callable[[], Awaitable[object]]) -> tuple[list[float], float]:
            samples: list[float] = []
            total = 0.0
            for _ in range(3):
                lateness.clear()
                started = time.perf_counter()
                await burst()
                total += time.perf_counter() - started
                await asyncio.sleep(0.05)
                samples += lateness
            return samples, total / 3

        async def concurrent() -> None:
            results = await session.call_all([GetVersion()] * BURST)
            assert not any(isinstance(r, Exception) for r in results)

        async def naive_gather() -> None:
            # How a caller that ignores call_all() would do it: one task per request.
            await asyncio.gather(*(session.call(GetVersion()) for _ in range(BURST)))

        async def sequential() -> None:
            for _ in range(BURST):
                await session.call(GetVersion())

        async def gather_only() -> None:
            # The peer: the same 1,000 tasks doing nothing, to separate asyncio's own cost.
            await asyncio.gather(*(asyncio.sleep(0) for _ in range(BURST)))

        lag_concurrent, burst_s = await measure(concurrent)
        lag_sequential, sequential_s = await measure(sequential)
        lag_gather_only, _ = await measure(gather_only)
        lag_naive, naive_s = await measure(naive_gather)
        timer.stop()
        return {
            "rtts": rtts,
            "clicks": clicks,
            "lag": lag_concurrent,
            "lag_sequential": lag_sequential,
            "lag_gather_only": lag_gather_only,
            "lag_naive": lag_naive,
            "naive_s": naive_s,
            "idle_lag": baseline,
            "burst_s": burst_s,
            "sequential_s": sequential_s,
            "untyped": untyped,
        }
    finally:
        await session.stop()


def typed_layer_cpu_us(rounds: int = 20000) -> dict[str, float]:
    """CPU cost per request of building a typed request and parsing its answer, against building the
    same request as a (type, dict) pair and reading the answer's dict: no network, so no noise from OBS."""
    from studio_console.obs.requests import GetSceneItemList, SetSceneItemEnabled

    answer = {"sceneItems": [{"sceneItemId": i, "sourceName": f"s{i}", "sceneItemEnabled": True} for i in range(5)]}

    def typed() -> None:
        request = SetSceneItemEnabled("Overlay", 3, True)
        request.data()
        listing = GetSceneItemList("Overlay")
        listing.data()
        listing.parse(answer)

    def untyped() -> None:
        _ = ("SetSceneItemEnabled", {"sceneName": "Overlay", "sceneItemId": 3, "sceneItemEnabled": True})
        _ = ("GetSceneItemList", {"sceneName": "Overlay"})
        [(i["sceneItemId"], i["sourceName"], i["sceneItemEnabled"]) for i in answer["sceneItems"]]

    figures = {}
    for name, work in (("typed_us", typed), ("untyped_us", untyped)):
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(rounds):
                work()
            best = min(best, (time.perf_counter() - started) / rounds)
        figures[name] = round(best * 1e6, 2)
    return figures


def main() -> None:
    import qasync
    from obswebsocket import obsws, requests
    from PySide6.QtWidgets import QApplication

    obs = private_obs()
    try:
        setup = obsws("127.0.0.1", obs.port, obs.password, legacy=False, timeout=10)
        setup.connect()
        for scene in ("Bench A", "Bench B"):
            setup.call(requests.CreateScene(sceneName=scene))
        setup.call(requests.SetCurrentSceneTransition(transitionName="Cut"))
        setup.disconnect()

        raw, raw_switch = raw_obsws_round_trips(obs.port, obs.password)
        simple = asyncio.run(simpleobsws_round_trips(obs.port, obs.password))
        app = QApplication.instance() or QApplication([])
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            ours = loop.run_until_complete(app_layer(obs.port, obs.password))
    finally:
        obs.stop()

    app_s, raw_s, simple_s = summary_ms(ours["rtts"]), summary_ms(raw), summary_ms(simple)  # type: ignore[arg-type]
    untyped_s = summary_ms(ours["untyped"])  # type: ignore[arg-type]
    cpu = typed_layer_cpu_us()
    fastest_p50 = min(raw_s["p50_ms"], simple_s["p50_ms"])
    click_s, switch_s = summary_ms(ours["clicks"]), summary_ms(raw_switch)  # type: ignore[arg-type]
    lag = summary_ms(ours["lag"])  # type: ignore[arg-type]
    emit(
        {
            "benchmark": "obs_roundtrip",
            "requests": N,
            "app_layer": app_s,
            "raw_obs_websocket_py": raw_s,
            "simpleobsws": simple_s,
            "p50_ratio_vs_fastest_raw": round(app_s["p50_ms"] / fastest_p50, 3),
            "app_layer_untyped": untyped_s,
            "typed_p50_ratio_vs_untyped": round(app_s["p50_ms"] / untyped_s["p50_ms"], 3),
            "typed_p99_ratio_vs_untyped": round(app_s["p99_ms"] / untyped_s["p99_ms"], 3),
            "typed_layer_cpu_per_two_requests": cpu,
            "p99_ratio_vs_fastest_raw": round(app_s["p99_ms"] / min(raw_s["p99_ms"], simple_s["p99_ms"]), 3),
            "click_to_program_changed": click_s,
            "obs_set_program_round_trip": switch_s,
            "click_p50_ratio_vs_obs_round_trip": round(click_s["p50_ms"] / switch_s["p50_ms"], 3),
            "ui_lag_during_burst": {**lag, "burst_requests": BURST, "burst_s": round(ours["burst_s"], 3)},  # type: ignore[dict-item]
            "ui_lag_during_sequential_burst": {
                **summary_ms(ours["lag_sequential"]),  # type: ignore[arg-type]
                "burst_s": round(ours["sequential_s"], 3),  # type: ignore[arg-type]
            },
            "ui_lag_peer_gather_1000_noop_tasks": summary_ms(ours["lag_gather_only"]),  # type: ignore[arg-type]
            "ui_lag_naive_gather_1000_requests": {
                **summary_ms(ours["lag_naive"]),  # type: ignore[arg-type]
                "burst_s": round(ours["naive_s"], 3),  # type: ignore[arg-type]
            },
            "ui_lag_idle": summary_ms(ours["idle_lag"]),  # type: ignore[arg-type]
            "targets": {"p50_ratio_max": 1.10, "ui_lag_p99_ms_max": 8, "ui_lag_max_ms_max": 50},
        }
    )


if __name__ == "__main__":
    main()
