"""OBS control against real OBS: the state mirror, the switcher, crashes and restarts, wrong passwords."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from obswebsocket import requests

from studio_console.domain.obs_state import ConnectionStatus
from studio_console.obs.errors import ObsConnectionLost, ObsNotConnected, ObsRequestError
from studio_console.obs.protocol import RequestStatus
from studio_console.obs.requests import GetSceneItemList, GetVersion, ObsVersion, Request, Sleep
from studio_console.obs.session import ObsSession
from studio_console.services.obs_control.switcher import SceneSwitcher
from tests.helpers.servers import RunningObs

R = TypeVar("R")


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> float:
    """Seconds until ``predicate()`` held; fails the test after ``timeout``."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.005)
    return time.monotonic() - started


class CountingSession(ObsSession):
    """A real session that counts the requests it sends, by type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[str] = []

    async def call(self, request: Request[R], *, timeout: float | None = None) -> R:
        self.sent.append(request.request_type)
        return await super().call(request, timeout=timeout)


async def connected_session(obs: RunningObs, cls: type[ObsSession] = ObsSession) -> ObsSession:
    session = cls("127.0.0.1", obs.port, obs.password)
    session.start()
    await wait_for(lambda: session.snapshot.connection.connected, what="connection")
    return session


def program_of(obs: RunningObs) -> str:
    client = obs.client()
    try:
        return str(client.call(requests.GetCurrentProgramScene()).datain["currentProgramSceneName"])
    finally:
        client.disconnect()


def test_mirror_reflects_changes_made_in_obs(obs: RunningObs) -> None:
    async def main() -> float:
        session = await connected_session(obs)
        try:
            assert session.snapshot.scenes == ("Alpha", "Bravo", "Charlie")  # OBS dock order
            assert session.snapshot.program_scene == "Alpha"
            assert session.snapshot.video is not None and session.snapshot.video.base_width == 640
            client = obs.client()
            try:
                client.call(requests.SetCurrentProgramScene(sceneName="Bravo"))
                seen_after = await wait_for(lambda: session.snapshot.program_scene == "Bravo", what="program change")
                client.call(requests.CreateScene(sceneName="Delta"))
                await wait_for(lambda: "Delta" in session.snapshot.scenes, what="new scene")
            finally:
                client.disconnect()
            return seen_after
        finally:
            await session.stop()

    seen_after = asyncio.run(main())
    print(f"program change made by another client seen after {seen_after * 1000:.1f} ms")


def test_scene_switched_in_app_becomes_obs_program(obs: RunningObs) -> None:
    async def main() -> None:
        session = await connected_session(obs)
        try:
            await SceneSwitcher(session).apply("Charlie")
            await wait_for(lambda: session.snapshot.program_scene == "Charlie", what="program event")
        finally:
            await session.stop()

    asyncio.run(main())
    assert program_of(obs) == "Charlie"


def test_studio_mode_preview_and_take_round_trip(obs: RunningObs) -> None:
    async def main() -> None:
        session = await connected_session(obs)
        switcher = SceneSwitcher(session)
        try:
            await switcher.set_studio_mode(True)
            await wait_for(lambda: session.snapshot.studio_mode, what="studio mode")
            await switcher.apply("Bravo", "preview")
            await wait_for(lambda: session.snapshot.preview_scene == "Bravo", what="preview")
            client = obs.client()
            try:
                preview = client.call(requests.GetCurrentPreviewScene()).datain["currentPreviewSceneName"]
            finally:
                client.disconnect()
            assert preview == "Bravo"
            await switcher.take()
            await wait_for(lambda: session.snapshot.program_scene == "Bravo", what="take")
        finally:
            await session.stop()

    asyncio.run(main())
    assert program_of(obs) == "Bravo"


def test_rapid_clicks_never_queue_stale_switches(obs: RunningObs) -> None:
    async def main() -> CountingSession:
        session = await connected_session(obs, CountingSession)
        assert isinstance(session, CountingSession)
        switcher = SceneSwitcher(session)
        try:
            for scene in ["Bravo", "Charlie", "Alpha", "Bravo", "Charlie", "Alpha", "Bravo", "Charlie"]:
                switcher.switch(scene)
            await wait_for(lambda: session.snapshot.program_scene == "Charlie", what="final scene")
            await asyncio.sleep(0.3)  # nothing further may arrive
            return session
        finally:
            await session.stop()

    session = asyncio.run(main())
    switches = [r for r in session.sent if r == "SetCurrentProgramScene"]
    assert 1 <= len(switches) <= 2, session.sent  # the first click (or none) and the last
    assert program_of(obs) == "Charlie"


def test_obs_killed_and_restarted(own_obs: RunningObs) -> None:
    figures: dict[str, float] = {}

    async def main() -> None:
        session = await connected_session(own_obs)
        try:
            # A request OBS is still working on when it dies (Sleep only exists inside batches).
            pending = asyncio.ensure_future(session.call_batch([Sleep(20000)], timeout=60))
            await asyncio.sleep(0.2)
            killed_at = time.monotonic()
            own_obs.kill()
            with pytest.raises(ObsConnectionLost):
                await pending
            figures["pending_failed_s"] = time.monotonic() - killed_at
            await wait_for(lambda: not session.snapshot.connection.connected, what="disconnected state")
            figures["disconnected_shown_s"] = time.monotonic() - killed_at
            assert session.snapshot.connection.status in (
                ConnectionStatus.DISCONNECTED,
                ConnectionStatus.RECONNECTING,
                ConnectionStatus.CONNECTING,
            )
            started = time.monotonic()
            with pytest.raises(ObsNotConnected):
                await session.call(GetVersion())
            figures["request_while_down_s"] = time.monotonic() - started

            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, own_obs.restart)
            ready_at = time.monotonic()
            await wait_for(lambda: session.snapshot.connection.connected, timeout=30, what="reconnect")
            figures["reconnected_after_ready_s"] = time.monotonic() - ready_at
            assert set(session.snapshot.scenes) >= {"Scene"}
            assert (await session.call(GetVersion())).websocket_version.startswith("5.")
        finally:
            await session.stop()

    asyncio.run(main())
    print("recovery figures:", {k: round(v, 3) for k, v in figures.items()})
    # Generous bounds: the targets (1 s, 2 s) are measured and reported by
    # benchmarks/obs_recovery.py; here a hang or a retry loop stuck for long must fail.
    assert figures["pending_failed_s"] < 5
    assert figures["request_while_down_s"] < 0.5
    assert figures["reconnected_after_ready_s"] < 10


def test_wrong_password_gives_clear_message_and_no_retry_loop(obs: RunningObs) -> None:
    async def main() -> ObsSession:
        session = ObsSession("127.0.0.1", obs.port, "definitely-wrong")
        session.start()
        await wait_for(lambda: session.snapshot.connection.status is ConnectionStatus.AUTH_FAILED, what="auth failure")
        await asyncio.sleep(2.0)  # a retry loop would try again within this time
        await session.stop()
        return session

    before = obs.process.latest_log().count("code `4009`")
    session = asyncio.run(main())
    after = obs.process.latest_log().count("code `4009`")
    assert after - before == 1, "the app retried a refused password"
    message = session.snapshot.connection.message
    assert "OBS not connected" in message or "password" in message.lower()


def test_auth_failed_message_names_the_fix(obs: RunningObs) -> None:
    async def main() -> str:
        session = ObsSession("127.0.0.1", obs.port, "nope-nope")
        session.start()
        await wait_for(lambda: session.snapshot.connection.status is ConnectionStatus.AUTH_FAILED, what="auth failure")
        message = session.snapshot.connection.message
        # The operator types the right password: the app connects without a restart.
        session.set_password(obs.password)
        await wait_for(lambda: session.snapshot.connection.connected, what="connect after new password")
        await session.stop()
        return message

    message = asyncio.run(main())
    assert "refused the WebSocket password" in message
    assert "WebSocket Server Settings" in message


def test_call_all_keeps_order_and_reports_errors(obs: RunningObs) -> None:
    async def main() -> list[Any]:
        session = await connected_session(obs)
        try:
            calls: list[Request[Any]] = [GetVersion()] * 50
            calls[10] = GetSceneItemList("No such scene")
            return await session.call_all(calls, concurrency=8)
        finally:
            await session.stop()

    results = asyncio.run(main())
    assert len(results) == 50
    assert all(isinstance(r, ObsVersion) and r.obs_version for i, r in enumerate(results) if i != 10)
    assert isinstance(results[10], ObsRequestError) and results[10].status is RequestStatus.RESOURCE_NOT_FOUND
