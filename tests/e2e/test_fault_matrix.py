"""Faults a studio meets that no other test covers, each against real components: the show goes on.

The README's table "Faults a studio meets" lists every fault with the test that covers it; these are the
rows that had none: a second start on the same folders seen from the running show, and a real chat server
that stops answering.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_console.domain.chat import ChatMessage, SourceStatus
from studio_console.obs.launcher import VirtualDisplay
from tests.e2e.test_app_signals import pid_alive
from tests.e2e.test_chat_irc import CHANNEL, Ngircd, RawIrcClient, irc_source
from tests.e2e.test_chat_irc import ngircd as ngircd  # the fixture, re-exported for pytest
from tests.helpers.chat import wait_for
from tests.helpers.demo_app import DemoApp


@pytest.fixture
def demo_apps(xvfb: VirtualDisplay) -> Iterator[list[DemoApp]]:
    """Apps the test starts; every app and every OBS they started is gone afterwards, however the test ended."""
    apps: list[DemoApp] = []
    yield apps
    for app in reversed(apps):
        app.stop()
    for app in apps:
        for pid in app.obs_pids():
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_second_start_on_the_same_folders_hands_over_and_the_first_show_goes_on(
    xvfb: VirtualDisplay, tmp_path: Path, demo_apps: list[DemoApp]
) -> None:
    # tests/e2e/test_lifecycle.py checks the hand-over without OBS; this is the show's side of it.
    first = DemoApp(tmp_path / "studio", xvfb)
    demo_apps.append(first)
    assert first.connected.wait(120), "demo mode never connected to its OBS:\n" + "".join(first.lines[-40:])
    status, body = first.api("POST", "/api/v1/product/next")
    assert status == 200, body
    pinned = first.state()["products"]["pinned_sku"]
    assert pinned
    obs_pids = first.obs_pids()

    # Someone double-clicks the icon again: same folders, same OBS port, demo mode.
    env = {**os.environ, "DISPLAY": xvfb.display, "QT_QPA_PLATFORM": "xcb", "STUDIO_CONSOLE_SECRETS": "file"}
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio_console",
            "--demo",
            "--config-dir",
            str(first.config),
            "--obs-port",
            str(first.obs_port),
            "--remote-port",
            "0",
            "--quit-after",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )
    assert second.returncode == 0 and "already runs" in second.stderr, second.stderr
    assert "started OBS" not in second.stderr and "remote-control API listening" not in second.stderr

    # The first show goes on: its OBS, its session, its card and its remote API are all still there.
    assert all(pid_alive(pid) for pid in obs_pids), "the second start stopped the first one's OBS"
    state = first.state()
    assert state["connection"] == "connected"
    assert state["products"]["pinned_sku"] == pinned


def test_a_chat_server_that_stops_answering_is_noticed_and_chat_comes_back(ngircd: Ngircd) -> None:
    got: list[ChatMessage] = []
    assert ngircd.process is not None
    server = ngircd.process

    async def scenario() -> list[SourceStatus]:
        source = irc_source(ngircd.port, keepalive_s=0.5, stale_after_s=2.0)
        statuses: list[SourceStatus] = []
        source.subscribe(got.append, lambda s: statuses.append(s.status))
        source.start()
        await wait_for(lambda: source.state.status is SourceStatus.LIVE, timeout=30)
        viewer = RawIrcClient(ngircd.port, "viewer_cho")
        await viewer.connect(CHANNEL)
        viewer.send(f"PRIVMSG {CHANNEL} :before the stall")
        await wait_for(lambda: [m.text for m in got] == ["before the stall"], timeout=20)
        await viewer.close()

        server.send_signal(signal.SIGSTOP)  # the TCP connection stays open; nothing answers any more
        try:
            await wait_for(lambda: source.state.status is SourceStatus.RECONNECTING, timeout=30)
            assert "no data" in source.state.message
        finally:
            server.send_signal(signal.SIGCONT)
        await wait_for(lambda: source.state.status is SourceStatus.LIVE, timeout=60)
        viewer = RawIrcClient(ngircd.port, "viewer_dan")
        await viewer.connect(CHANNEL)
        viewer.send(f"PRIVMSG {CHANNEL} :after the stall")
        await wait_for(lambda: "after the stall" in [m.text for m in got], timeout=20)
        await viewer.close()
        await source.stop()
        return statuses

    statuses = asyncio.run(scenario())
    assert [m.text for m in got] == ["before the stall", "after the stall"]
    stalled = statuses.index(SourceStatus.RECONNECTING, statuses.index(SourceStatus.LIVE))
    assert SourceStatus.LIVE in statuses[stalled:]
