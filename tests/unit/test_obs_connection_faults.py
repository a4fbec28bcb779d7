"""The reconnect loop and liveness check against a fake obs-websocket server that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from studio_console.domain.obs_state import ConnectionStatus
from studio_console.obs.errors import ObsConnectionLost, ObsTimeout
from studio_console.obs.requests import GetStats, GetVersion
from studio_console.obs.session import Backoff, ObsSession
from tests.helpers.fake_obs_server import (
    CHALLENGE_WITHOUT_SALT,
    JUNK_AFTER_IDENTIFIED,
    RESET_AFTER_HELLO,
    SILENT,
    FakeObsServer,
)

FAST = Backoff(first_s=0.05, cap_s=0.2)


async def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.01)


def run_with_server(
    body: Callable[[FakeObsServer, ObsSession], Awaitable[None]],
    *,
    password: str | None = None,
    plan: list[str] | None = None,
    prepare: Callable[[FakeObsServer], None] | None = None,
    **session_args: Any,
) -> None:
    async def main() -> None:
        server = FakeObsServer(password=password, plan=list(plan or []))
        if prepare is not None:
            prepare(server)
        port = await server.start()
        session_args.setdefault("backoff", FAST)
        session = ObsSession("127.0.0.1", port, password, **session_args)
        try:
            session.start()
            await body(server, session)
        finally:
            await session.stop()
            await server.stop()

    asyncio.run(main())


def connected(session: ObsSession) -> bool:
    return session.snapshot.connection.status is ConnectionStatus.CONNECTED


def test_a_reset_right_after_hello_goes_back_into_the_reconnect_loop() -> None:
    async def body(server: FakeObsServer, session: ObsSession) -> None:
        await wait_for(lambda: connected(session), "a connection after the reset")
        assert server.connections >= 2
        assert server.open_sessions == 1

    run_with_server(body, plan=[RESET_AFTER_HELLO, RESET_AFTER_HELLO])


def test_a_challenge_without_salt_is_a_retried_connect_error() -> None:
    async def body(server: FakeObsServer, session: ObsSession) -> None:
        await wait_for(lambda: connected(session), "a connection after the bad challenge")
        assert server.open_sessions == 1

    run_with_server(body, password="secret-pass", plan=[CHALLENGE_WITHOUT_SALT])


def test_a_resync_answer_missing_a_field_is_reported_and_reconnect_works() -> None:
    def broken(server: FakeObsServer) -> None:
        server.responses["GetSceneTransitionList"]["transitions"] = [{"name-is-missing": True}]

    async def body(server: FakeObsServer, session: ObsSession) -> None:
        await wait_for(
            lambda: session.snapshot.connection.status is ConnectionStatus.DISCONNECTED and server.identified_sessions,
            "the bad resync to be reported",
        )
        assert "could not be used" in session.snapshot.connection.message
        await wait_for(lambda: server.open_sessions == 0, "the failed session closed")
        server.responses["GetSceneTransitionList"]["transitions"] = [{"transitionName": "Cut"}]
        # The next automatic retry is 30 s away: only Reconnect can bring the connection back in time.
        session.retry_now()
        await wait_for(lambda: connected(session), "a connection once OBS answers properly", timeout=10)
        assert session.snapshot.transitions == ("Cut",)
        assert server.open_sessions == 1

    run_with_server(body, prepare=broken, backoff=Backoff(first_s=30, cap_s=30, jitter=0))


def test_a_kicked_session_is_retried_and_labelled_as_kicked() -> None:
    statuses: list[tuple[ConnectionStatus, str]] = []

    async def body(server: FakeObsServer, session: ObsSession) -> None:
        session.subscribe(lambda s: statuses.append((s.connection.status, s.connection.message)))
        await wait_for(lambda: connected(session), "the first connection")
        await server.kick(4011, "kicked by another client")
        await wait_for(lambda: server.identified_sessions == 2 and connected(session), "the reconnection")
        assert server.open_sessions == 1
        assert all(status is not ConnectionStatus.UNSUPPORTED for status, _ in statuses)
        assert any("ended this session" in message for _, message in statuses), statuses

    run_with_server(body)


def test_a_server_that_accepts_and_never_greets_is_retried_not_called_unsupported() -> None:
    statuses: list[ConnectionStatus] = []

    async def body(server: FakeObsServer, session: ObsSession) -> None:
        session.subscribe(lambda s: statuses.append(s.connection.status))
        await wait_for(lambda: connected(session), "a connection after the silent one")
        assert ConnectionStatus.UNSUPPORTED not in statuses
        assert ConnectionStatus.NOT_ANSWERING in statuses

    run_with_server(body, plan=[SILENT], connect_timeout=0.5)


def test_an_obs_that_stops_answering_is_noticed_pending_requests_fail_and_it_recovers() -> None:
    async def body(server: FakeObsServer, session: ObsSession) -> None:
        await wait_for(lambda: connected(session), "the first connection")
        server.answering = False
        # A 60 s request timeout: the request can only fail early because the liveness check noticed.
        pending = asyncio.ensure_future(session.call(GetStats(), timeout=60))
        await wait_for(
            lambda: session.snapshot.connection.status is ConnectionStatus.NOT_ANSWERING, "the not-answering state"
        )
        assert "OBS is not answering" in session.snapshot.connection.message
        assert session.snapshot.stats is None  # no frozen FPS on screen
        with pytest.raises((ObsConnectionLost, ObsTimeout)):
            await asyncio.wait_for(pending, 30)
        server.answering = True
        await wait_for(lambda: connected(session), "the reconnection once OBS answers")
        await wait_for(lambda: server.open_sessions == 1, "exactly one session left")
        await session.call(GetVersion())

    run_with_server(body, request_timeout=60)


def test_any_unexpected_error_keeps_the_loop_alive() -> None:
    class Flaky(ObsSession):
        failures = 2

        async def resync(self) -> None:
            if Flaky.failures:
                Flaky.failures -= 1
                raise RuntimeError("something nobody expected")
            await super().resync()

    async def main() -> None:
        server = FakeObsServer()
        port = await server.start()
        session = Flaky("127.0.0.1", port, None, backoff=FAST)
        try:
            session.start()
            await wait_for(lambda: connected(session), "a connection after two unexpected errors")
            assert server.open_sessions == 1
        finally:
            await session.stop()
            await server.stop()

    asyncio.run(main())


def test_odd_frames_from_the_server_are_ignored_and_the_session_stays() -> None:
    async def body(server: FakeObsServer, session: ObsSession) -> None:
        await wait_for(lambda: connected(session), "a connection despite the odd frames")
        await session.call(GetVersion())
        assert server.identified_sessions == 1  # never dropped and reconnected

    run_with_server(body, plan=[JUNK_AFTER_IDENTIFIED])
