"""Rapid submissions run the first and the newest only, never the stale ones in between."""

from __future__ import annotations

import asyncio

from studio_console.kernel.tasks import LatestWins, TaskRunner


def test_rapid_submissions_collapse_to_latest() -> None:
    sent: list[str] = []

    async def action(value: str) -> None:
        sent.append(value)
        await asyncio.sleep(0.02)

    async def main() -> None:
        runner = LatestWins(action)
        for name in "ABCDEFG":
            runner.submit(name)
            await asyncio.sleep(0)
        while runner.busy:
            await asyncio.sleep(0.01)

    asyncio.run(main())
    assert sent == ["A", "G"]


def test_errors_are_reported_and_runner_keeps_going() -> None:
    errors: list[Exception] = []
    sent: list[int] = []

    async def action(value: int) -> None:
        if value == 1:
            raise ValueError("boom")
        sent.append(value)

    async def main() -> None:
        runner = LatestWins(action, errors.append)
        await runner.submit(1)
        await runner.submit(2)

    asyncio.run(main())
    assert [str(e) for e in errors] == ["boom"] and sent == [2]


def test_work_submitted_after_shutdown_or_loop_close_is_dropped_quietly() -> None:
    """At quit, widgets being torn down still emit signals (the audio strip's hide): no "loop is closed"."""
    ran: list[str] = []

    async def job(name: str) -> None:
        ran.append(name)

    errors: list[Exception] = []
    runner = TaskRunner(on_error=errors.append)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(runner.shutdown())
        assert runner.spawn(job("spawned"), "late") is None
        assert runner.latest("meters", lambda: job("latest")) is None
        fresh = TaskRunner(on_error=errors.append)
    finally:
        loop.close()
    assert fresh.latest("meters", lambda: job("after close")) is None  # the loop itself is closed now
    assert fresh.spawn(job("after close"), "late") is None
    asyncio.set_event_loop(None)
    assert ran == [] and errors == []
