"""Test set-up shared by all tiers: offscreen Qt, no real keyring, tier markers, a qasync loop."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

# Before anything imports Qt or keyring.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["STUDIO_CONSOLE_SECRETS"] = "file"  # tests never touch a developer's real keyring

import pytest

TESTS_DIR = Path(__file__).parent
TIERS = ("unit", "gui", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            tier = Path(str(item.fspath)).relative_to(TESTS_DIR).parts[0]
        except ValueError:
            continue
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def failed(request: pytest.FixtureRequest) -> bool:
    rep = getattr(request.node, "rep_call", None)
    return bool(rep is None or rep.failed)


@pytest.fixture(scope="session")
def _session_qloop(qapp: object) -> Iterator[asyncio.AbstractEventLoop]:
    # One qasync loop for the whole run, as the app has one for its whole life: creating and closing
    # a loop (and its thread executor) per test crashed PySide6 now and then, which the app never does.

    from studio_console.qt.event_loop import StudioEventLoop

    loop = StudioEventLoop(qapp)
    try:
        yield loop
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.fixture
def qloop(_session_qloop: asyncio.AbstractEventLoop) -> Iterator[asyncio.AbstractEventLoop]:
    """The qasync loop; run coroutines with ``qloop.run_until_complete``. Tasks left over are cancelled."""
    loop = _session_qloop
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        asyncio.set_event_loop(None)
