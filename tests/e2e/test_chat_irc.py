"""The Twitch IRC source against a real IRC server (Debian's ngircd, no IRCv3 tags) on a free loopback port."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio_console.adapters.chat.twitch_irc import TwitchIrcOptions, TwitchIrcSource
from studio_console.domain.chat import ChatMessage, SourceStatus
from studio_console.obs.launcher import free_port
from tests.conftest import failed
from tests.helpers.chat import wait_for

NGIRCD = shutil.which("ngircd") or "/usr/sbin/ngircd"
CHANNEL = "#studioshop"
TOKEN = "irc-test-token-6f1d2c9a8b7e"


@dataclass
class Ngircd:
    """A running ngircd; ``restart`` keeps its port (reconnect tests)."""

    conf: Path
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([NGIRCD, "--nodaemon", "-f", str(self.conf)], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ngircd exited:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                    probe.sendall(b"QUIT\r\n")
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"ngircd did not listen on {self.port}:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_ngircd(tmp: Path, password: str | None = None) -> Ngircd:
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = tmp / "ngircd.conf"
    conf.write_text(
        f"""
[Global]
Name = irc.studio.test
Info = Studio Console test server
Listen = 127.0.0.1
Ports = {port}
MotdPhrase = Studio Console tests
{f"Password = {password}" if password else ""}
[Limits]
MaxNickLength = 31
# ngircd PINGs a client after this much silence (5 s is its minimum), and drops it without a PONG.
PingTimeout = 5
PongTimeout = 5
[Options]
DNS = no
Ident = no
PAM = no
"""
    )
    server = Ngircd(conf, port, tmp / "ngircd.log")
    server.start()
    return server


def server_fixture(tmp_path: Path, request: pytest.FixtureRequest, password: str | None) -> Iterator[Ngircd]:
    if not Path(NGIRCD).exists():
        if os.environ.get("STUDIO_CONSOLE_SKIP_E2E") == "1":
            pytest.skip("ngircd is not installed (e2e opted out with STUDIO_CONSOLE_SKIP_E2E=1)")
        pytest.fail("the IRC tests need Debian's ngircd: sudo apt-get install ngircd", pytrace=False)
    server = start_ngircd(tmp_path / "ngircd", password)
    yield server
    server.stop()
    if failed(request):
        print("----- ngircd log -----")
        print(server.log()[-20000:])


@pytest.fixture
def ngircd(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Ngircd]:
    yield from server_fixture(tmp_path, request, None)


@pytest.fixture
def ngircd_with_password(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Ngircd]:
    yield from server_fixture(tmp_path, request, f"oauth:{TOKEN}")


class RawIrcClient:
    """A second, plain IRC client: it joins the channel and talks, as a viewer would."""

    def __init__(self, port: int, nick: str) -> None:
        self.nick = nick
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, channel: str) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.send(f"NICK {self.nick}")
        self.send(f"USER {self.nick} 0 * :{self.nick}")
        await self.wait_for_line(" 001 ")
        self.send(f"JOIN {channel}")
        await self.wait_for_line(" 366 ")

    def send(self, line: str) -> None:
        assert self.writer is not None
        self.writer.write(line.encode() + b"\r\n")

    async def wait_for_line(self, marker: str) -> str:
        assert self.reader is not None
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), 20)).decode(errors="replace")
            if not line:
                raise ConnectionError("the server closed the connection")
            if line.startswith("PING"):
                self.send("PONG" + line[4:].rstrip())
            if marker in line:
                return line

    async def close(self) -> None:
        if self.writer is not None:
            self.send("QUIT :bye")
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except ConnectionError:
                pass


def irc_source(port: int, **options: object) -> TwitchIrcSource:
    opts = TwitchIrcOptions(
        channel=CHANNEL,
        host="127.0.0.1",
        port=port,
        tls=False,
        backoff_first_s=0.2,
        backoff_cap_s=1.0,
        **options,  # type: ignore[arg-type]
    )
    return TwitchIrcSource(opts, secrets={"twitch-token": TOKEN}.get)


def test_connect_join_privmsg_and_server_ping(ngircd: Ngircd) -> None:
    got: list[ChatMessage] = []

    async def scenario() -> TwitchIrcSource:
        source = irc_source(ngircd.port)
        source.subscribe(got.append)
        source.start()
        await wait_for(lambda: source.state.status is SourceStatus.LIVE, timeout=30)
        assert source.state.message == f"Reading {CHANNEL} anonymously (read-only)"
        assert source.capabilities == frozenset()  # ngircd refuses the Twitch capabilities: plain IRC still works

        viewer = RawIrcClient(ngircd.port, "viewer_anna")
        await viewer.connect(CHANNEL)
        viewer.send(f"PRIVMSG {CHANNEL} :<b>hi</b> how much is A1? <img src=x>")
        viewer.send(f"PRIVMSG {CHANNEL} :\x01ACTION waves\x01")
        viewer.send("JOIN #elsewhere")
        viewer.send("PRIVMSG #elsewhere :not for the shop")
        await wait_for(lambda: len(got) == 2, timeout=20)

        # ngircd PINGs idle clients and drops those that do not answer: answering keeps the chat.
        await wait_for(lambda: source.pings_answered >= 2, timeout=60)
        viewer.send(f"PRIVMSG {CHANNEL} :still here?")
        await wait_for(lambda: len(got) == 3, timeout=20)
        assert source.state.status is SourceStatus.LIVE
        await viewer.close()
        await source.stop()
        return source

    source = asyncio.run(scenario())
    first, action, last = got
    assert (first.user_name, first.display_name, first.text) == (
        "viewer_anna",
        "viewer_anna",
        "<b>hi</b> how much is A1? <img src=x>",
    )
    assert first.platform == "twitch" and first.message_id != last.message_id
    assert action.text == "waves" and last.text == "still here?"
    assert source.state.status is SourceStatus.IDLE


def test_keepalive_ping_gets_a_pong(ngircd: Ngircd) -> None:
    async def scenario() -> int:
        source = irc_source(ngircd.port, keepalive_s=0.5)
        source.start()
        await wait_for(lambda: source.pongs_received >= 2, timeout=30)
        pongs = source.pongs_received
        await source.stop()
        return pongs

    assert asyncio.run(scenario()) >= 2


def test_reconnects_when_the_server_restarts(ngircd: Ngircd) -> None:
    got: list[str] = []

    async def scenario() -> list[SourceStatus]:
        source = irc_source(ngircd.port)
        statuses: list[SourceStatus] = []
        source.subscribe(lambda m: got.append(m.text), lambda s: statuses.append(s.status))
        source.start()
        await wait_for(lambda: source.state.status is SourceStatus.LIVE, timeout=30)
        await asyncio.to_thread(ngircd.stop)
        await wait_for(lambda: source.state.status is SourceStatus.RECONNECTING, timeout=30)
        await asyncio.to_thread(ngircd.start)
        await wait_for(lambda: source.state.status is SourceStatus.LIVE, timeout=60)
        viewer = RawIrcClient(ngircd.port, "viewer_ben")
        await viewer.connect(CHANNEL)
        viewer.send(f"PRIVMSG {CHANNEL} :back again")
        await wait_for(lambda: got == ["back again"], timeout=20)
        await viewer.close()
        await source.stop()
        return statuses

    statuses = asyncio.run(scenario())
    live_then_lost = statuses.index(SourceStatus.RECONNECTING, statuses.index(SourceStatus.LIVE))
    assert SourceStatus.LIVE in statuses[live_then_lost:]


def test_token_login_and_refused_token(ngircd_with_password: Ngircd, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def scenario() -> tuple[str, str]:
        good = irc_source(ngircd_with_password.port, token_secret="twitch-token", nickname="studioshop")
        good.start()
        await wait_for(lambda: good.state.status is SourceStatus.LIVE, timeout=30)
        live_message = good.state.message
        await good.stop()

        bad = TwitchIrcSource(
            TwitchIrcOptions(
                channel=CHANNEL,
                host="127.0.0.1",
                port=ngircd_with_password.port,
                tls=False,
                token_secret="twitch-token",
                nickname="intruder",
            ),
            secrets={"twitch-token": "not-the-token"}.get,
        )
        bad.start()
        await wait_for(lambda: bad.state.status is SourceStatus.FAILED, timeout=30)
        failed_message = bad.state.message
        await bad.stop()
        return live_message, failed_message

    live_message, failed_message = asyncio.run(scenario())
    assert live_message == f"Reading {CHANNEL} as studioshop"
    assert failed_message.startswith("The chat server refused the login")
    assert TOKEN not in caplog.text and "not-the-token" not in caplog.text
