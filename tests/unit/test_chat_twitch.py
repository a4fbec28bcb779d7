"""Twitch IRC: IRCv3 tag parsing, and a loopback server replaying recorded Twitch lines to the real source."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from studio_console.adapters.chat.twitch_irc import (
    TwitchIrcOptions,
    TwitchIrcSource,
    parse_line,
    unescape_tag_value,
)
from studio_console.domain.chat import ChatKind, ChatMessage, SourceStatus
from studio_console.services.chat.hub import ChatHub
from tests.helpers.chat import RecordingSleep, wait_for

RECORDED = Path(__file__).resolve().parents[1] / "data" / "twitch_recorded.irc"
TOKEN = "abcd1234efgh5678ijkl9012mnop34"


def test_tag_values_are_unescaped() -> None:
    assert unescape_tag_value(r"a\sb\:c\\d\re\nf") == "a b;c\\d\re\nf"
    assert unescape_tag_value("plain") == "plain"
    assert unescape_tag_value("trailing\\") == "trailing"
    assert unescape_tag_value(r"unknown\qescape") == "unknownqescape"


def test_lines_parse_with_tags_prefix_and_trailing() -> None:
    line = parse_line(
        r"@badges=subscriber/6,premium/1;display-name=Lena_Lux;id=x;empty= :lena!lena@x PRIVMSG #shop :hi: there"
    )
    assert line.command == "PRIVMSG" and line.nick == "lena"
    assert line.params == ("#shop", "hi: there")
    assert line.tags == {"badges": "subscriber/6,premium/1", "display-name": "Lena_Lux", "id": "x", "empty": ""}
    assert parse_line("PING :tmi.twitch.tv").params == ("tmi.twitch.tv",)
    assert parse_line(":srv 001 me :Welcome").params == ("me", "Welcome")
    with pytest.raises(ValueError):
        parse_line("@a=b ")


@dataclass
class RecordedTwitch:
    """A loopback IRC server that answers like Twitch from the recorded lines (one connection at a time)."""

    server: asyncio.Server
    received: list[str] = field(default_factory=list)
    connections: int = 0
    # Connections after which the server sends RECONNECT once the recording is played.
    reconnect_after_replay: int = 0
    reject_token: bool = False

    @property
    def port(self) -> int:
        return int(self.server.sockets[0].getsockname()[1])


def recorded_sections() -> tuple[list[str], list[str]]:
    text = RECORDED.read_text(encoding="utf-8").splitlines()
    split = text.index("--- after JOIN")
    return text[:split], text[split + 1 :]


async def start_recorded_twitch() -> RecordedTwitch:
    before_join, after_join = recorded_sections()
    holder: list[RecordedTwitch] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state = holder[0]
        state.connections += 1
        nick = ""

        def send(line: str) -> None:
            writer.write(line.replace("{nick}", nick).encode() + b"\r\n")

        try:
            while line := (await reader.readline()).decode().rstrip("\r\n"):
                state.received.append(line)
                if line.startswith("NICK "):
                    nick = line.split()[1]
                    if state.reject_token:
                        send(":tmi.twitch.tv NOTICE * :Login authentication failed")
                        break
                    for recorded in before_join:
                        send(recorded)
                elif line.startswith("JOIN "):
                    for recorded in after_join:
                        send(recorded)
                    if state.connections <= state.reconnect_after_replay:
                        send(":tmi.twitch.tv RECONNECT")
                elif line.startswith("PING "):
                    send(":tmi.twitch.tv PONG tmi.twitch.tv :" + line.split(":", 1)[1])
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    holder.append(RecordedTwitch(server))
    return holder[0]


def with_server(scenario: Callable[[RecordedTwitch], Awaitable[None]], **settings: object) -> RecordedTwitch:
    """Run ``scenario`` against a fresh recorded-Twitch server on its own loop."""

    async def main() -> RecordedTwitch:
        server = await start_recorded_twitch()
        for name, value in settings.items():
            setattr(server, name, value)
        try:
            await scenario(server)
        finally:
            server.server.close()
            await server.server.wait_closed()
        return server

    return asyncio.run(main())


def make_source(port: int, **options: object) -> TwitchIrcSource:
    opts = TwitchIrcOptions(channel="StudioShop", host="127.0.0.1", port=port, tls=False, **options)  # type: ignore[arg-type]
    return TwitchIrcSource(opts, secrets={"twitch-token": "oauth:" + TOKEN}.get, sleep=RecordingSleep())


def test_recorded_twitch_chat_is_read_with_tags() -> None:
    got: list[ChatMessage] = []
    sources: list[TwitchIrcSource] = []

    async def scenario(server: RecordedTwitch) -> None:
        source = make_source(server.port)
        sources.append(source)
        source.subscribe(got.append)
        source.start()
        await wait_for(lambda: source.pings_answered >= 1)
        assert source.state.status is SourceStatus.LIVE
        assert "anonymously" in source.state.message
        await source.stop()

    twitch_server = with_server(scenario)
    source = sources[0]

    sent = twitch_server.received
    assert sent[0] == "CAP REQ :twitch.tv/tags twitch.tv/commands"
    assert sent[1].startswith("NICK justinfan") and not any(s.startswith("PASS") for s in sent)
    assert "JOIN #studioshop" in sent and "PONG :tmi.twitch.tv" in sent
    assert source.capabilities == {"twitch.tv/tags", "twitch.tv/commands"}

    by_user = {m.user_name: m for m in got}
    assert "someone" not in by_user  # another channel's line
    lena = by_user["lena_lux"]
    assert (lena.display_name, lena.user_id, lena.text) == ("Lena_Lux", "58721439", "how much is A1?")
    assert lena.message_id == "3b7b0d0a-0f8e-4c4c-9d53-cf0b6c1c2f11"
    assert lena.badges == ("subscriber", "premium") and lena.timestamp == 1795372805.123
    assert by_user["maria_k"].display_name == "마리아"
    assert by_user["modbot"].text == "Rules: be kind; no spam <b>really</b>"
    assert by_user["cheerfulchris"].bits == 100
    assert by_user["emoter"].text == "waves at everyone"
    resub = by_user["sam_sews"]
    assert (
        resub.kind is ChatKind.GIFT
        and resub.gift_name == "Subscription (Tier 1)"
        and resub.text == "love the new stuff"
    )
    mystery = by_user["generousgail"]
    assert mystery.kind is ChatKind.GIFT and mystery.gift_count == 5
    assert (
        mystery.text == "GenerousGail is gifting 5 Tier 1 Subs to studioshop's community! "
        "They've gifted a total of 5 in the channel!"
    )
    raid = by_user["raidleader"]
    assert (
        raid.kind is ChatKind.SYSTEM
        and raid.viewer_count == 42
        and raid.text == "42 raiders from RaidLeader have joined!"
    )


def test_reconnect_replays_backlog_which_the_hub_drops() -> None:
    hub = ChatHub(publish_interval_s=0)
    shown: list[str] = []
    hub.subscribe(lambda m: shown.append(m.message_id))
    messages: list[str] = []

    async def scenario(server: RecordedTwitch) -> None:
        source = make_source(server.port)
        hub.add_source(source)
        source.subscribe(lambda _m: None, lambda state: messages.append(state.message))
        source.start()
        await wait_for(lambda: server.connections == 2 and source.pings_answered >= 2)
        await source.stop()

    with_server(scenario, reconnect_after_replay=1)
    assert len(shown) == len(set(shown)) == 9
    assert hub.snapshot.duplicates_dropped == 9
    assert any("asked for a reconnect" in text for text in messages)


def test_token_login_sends_pass_and_never_logs_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def scenario(server: RecordedTwitch) -> None:
        source = make_source(server.port, token_secret="twitch-token", nickname="StudioShop")
        source.start()
        await wait_for(lambda: source.state.status is SourceStatus.LIVE)
        await source.stop()

    twitch_server = with_server(scenario)
    assert f"PASS oauth:{TOKEN}" in twitch_server.received
    assert "NICK studioshop" in twitch_server.received
    assert "as studioshop" in " ".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text
    assert "PASS ***" in caplog.text


def test_refused_token_fails_without_retrying() -> None:
    async def scenario(server: RecordedTwitch) -> None:
        source = make_source(server.port, token_secret="twitch-token", nickname="studioshop")
        source.start()
        await wait_for(lambda: source.state.status is SourceStatus.FAILED)
        assert "Login authentication failed" in source.state.message
        await source.stop()

    assert with_server(scenario, reject_token=True).connections == 1


def test_missing_token_fails_at_once() -> None:
    async def scenario() -> str:
        opts = TwitchIrcOptions(
            channel="shop", token_secret="absent", nickname="shop", host="127.0.0.1", port=9, tls=False
        )
        source = TwitchIrcSource(opts, secrets={}.get)
        source.start()
        await wait_for(lambda: source.state.status is SourceStatus.FAILED)
        message = source.state.message
        await source.stop()
        return message

    assert "No Twitch token" in asyncio.run(scenario())
