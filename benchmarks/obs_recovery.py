"""Benchmark: how fast the app notices OBS dying (SIGKILL) and how fast it is back after OBS restarts,
against the time OBS itself needs to open its websocket. Repeated kills of one private OBS."""

from __future__ import annotations

import asyncio
import time

from _common import emit, private_obs, summary_ms

ROUNDS = 5


async def rounds(obs: object) -> dict[str, list[float]]:
    from studio_console.obs.errors import ObsConnectionLost
    from studio_console.obs.requests import Sleep
    from studio_console.obs.session import ObsSession

    port, password = obs.port, obs.password  # type: ignore[attr-defined]
    session = ObsSession("127.0.0.1", port, password)
    session.start()
    figures: dict[str, list[float]] = {
        "pending_failed": [],
        "disconnected_shown": [],
        "reconnected_after_ready": [],
        "obs_start_to_ready": [],
    }

    async def until(predicate: object, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise TimeoutError
            await asyncio.sleep(0.002)

    await until(lambda: session.snapshot.connection.connected)
    loop = asyncio.get_running_loop()
    try:
        for _ in range(ROUNDS):
            pending = asyncio.ensure_future(session.call_batch([Sleep(30000)], timeout=60))
            await asyncio.sleep(0.2)
            killed = time.monotonic()
            obs.kill()  # type: ignore[attr-defined]
            try:
                await pending
            except ObsConnectionLost:
                figures["pending_failed"].append(time.monotonic() - killed)
            await until(lambda: not session.snapshot.connection.connected)
            figures["disconnected_shown"].append(time.monotonic() - killed)
            started = time.monotonic()
            await loop.run_in_executor(None, obs.restart)  # type: ignore[attr-defined]
            ready = time.monotonic()  # restart() returns once GetVersion answers
            figures["obs_start_to_ready"].append(ready - started)
            await until(lambda: session.snapshot.connection.connected)
            figures["reconnected_after_ready"].append(time.monotonic() - ready)
            await asyncio.sleep(0.5)
    finally:
        await session.stop()
    return figures


def main() -> None:
    obs = private_obs()
    try:
        figures = asyncio.run(rounds(obs))
    finally:
        obs.stop()
    result: dict[str, object] = {"benchmark": "obs_recovery", "rounds": ROUNDS}
    for name, values in figures.items():
        result[name] = summary_ms(values)
    result["targets"] = {"disconnected_shown_max_ms": 1000, "reconnected_after_ready_max_ms": 2000}
    emit(result)


if __name__ == "__main__":
    main()
