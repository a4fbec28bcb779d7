"""Twitch chat over IRC (asyncio streams): anonymous or with an OAuth token, IRCv3 tags, subs and cheers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import Field

from studio_console.adapters.chat.base import (
    ChatSourceOptions,
    ReconnectingChatSource,
    SecretLookup,
    SessionEnded,
    Sleep,
    SourceFailed,
)
from studio_console.domain.chat import ChatKind, ChatMessage, ChatPlatform
from studio_console.logs import secrets as secret_registry
from studio_console.net import ssl_context

log = logging.getLogger(__name__)

TWITCH_TOKEN_SECRET = "twitch-oauth-token"
# IRC lines are short; Twitch allows 8 KiB of tags. Anything longer is garbage and skipped.
MAX_LINE_BYTES = 16 * 1024
_TAG_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_SUB_PLANS = {"Prime": "Prime", "1000": "Tier 1", "2000": "Tier 2", "3000": "Tier 3"}
# NOTICE msg-ids (and texts, for servers without tags) after which retrying cannot help.
_FATAL_NOTICES = ("msg_banned", "msg_channel_suspended", "msg_requires_verified_phone_number")
_AUTH_FAILED_TEXTS = ("login authentication failed", "improperly formatted auth", "invalid nick")


class TwitchIrcOptions(ChatSourceOptions):
    source_id: str = "twitch"
    channel: str = Field(min_length=1, max_length=64, pattern=r"^#?[A-Za-z0-9_]+$")
    # Keyring entry holding an OAuth token (chat:read); None reads anonymously as justinfanNNNNN.
    token_secret: str | None = None
    # The account the token belongs to (needed with a token).
    nickname: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_]+$")
    host: str = "irc.chat.twitch.tv"
    port: int = Field(default=6697, ge=1, le=65535)
    tls: bool = True
    # Ask for tags and commands (display names, badges, bits, ids, USERNOTICE).
    request_capabilities: bool = True
    # We PING when the server has been quiet this long; the PONG proves the link.
    keepalive_s: float = Field(default=60.0, gt=0, le=600)
    stale_after_s: float | None = Field(default=150.0, gt=0, le=3600)
    connect_timeout_s: float = Field(default=15.0, gt=0, le=120)


@dataclass(frozen=True)
class IrcLine:
    """One parsed IRC line: IRCv3 tags, prefix, command and parameters (the trailing one included)."""

    command: str
    params: tuple[str, ...] = ()
    prefix: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def nick(self) -> str:
        return self.prefix.split("!", 1)[0]

    def param(self, index: int, default: str = "") -> str:
        return self.params[index] if len(self.params) > index else default


def unescape_tag_value(value: str) -> str:
    """IRCv3 message-tag unescaping: \\: \\s \\\\ \\r \\n; other escapes drop the backslash; a lone one is dropped."""
    if "\\" not in value:
        return value
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, None)
        if nxt is not None:
            out.append(_TAG_ESCAPES.get(nxt, nxt))
    return "".join(out)


def parse_tags(raw: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in raw.split(";"):
        if not item:
            continue
        key, _, value = item.partition("=")
        tags[key] = unescape_tag_value(value)
    return tags


def parse_line(line: str) -> IrcLine:
    """Parse one line (without CR LF). Raises ValueError when it has no command."""
    rest = line.lstrip(" ")
    tags: dict[str, str] = {}
    prefix = ""
    if rest.startswith("@"):
        raw_tags, _, rest = rest[1:].partition(" ")
        tags = parse_tags(raw_tags)
        rest = rest.lstrip(" ")
    if rest.startswith(":"):
        prefix, _, rest = rest[1:].partition(" ")
        rest = rest.lstrip(" ")
    trailing: str | None = None
    if " :" in rest:
        rest, trailing = rest.split(" :", 1)
    elif rest.startswith(":"):
        rest, trailing = "", rest[1:]
    words = rest.split()
    if not words:
        raise ValueError(f"IRC line without a command: {line[:80]!r}")
    params = tuple(words[1:]) + ((trailing,) if trailing is not None else ())
    return IrcLine(command=words[0].upper(), params=params, prefix=prefix, tags=tags)


class TwitchIrcSource(ReconnectingChatSource):
    """Reads one Twitch channel's chat. The token is read from the keyring at each connect and never logged."""

    platform: ClassVar[str] = ChatPlatform.TWITCH.value
    title: ClassVar[str] = "Twitch chat"
    options_model: ClassVar[type[ChatSourceOptions]] = TwitchIrcOptions

    def __init__(
        self, options: TwitchIrcOptions, *, secrets: SecretLookup | None = None, sleep: Sleep | None = None
    ) -> None:
        super().__init__(options, sleep=sleep)
        self.twitch_options = options
        self.channel = "#" + options.channel.lstrip("#").lower()
        self._secrets = secrets
        self._writer: asyncio.StreamWriter | None = None
        self._nick = ""
        self._registered = False
        self._anonymous = True
        # Visible for tests and diagnostics.
        self.pings_answered = 0
        self.pongs_received = 0
        self.capabilities: frozenset[str] = frozenset()

    def _describe(self) -> str:
        return f"Twitch {self.channel}"

    # -- one session -------------------------------------------------------------------------------

    async def _run_session(self) -> None:
        opts = self.twitch_options
        token = self._token()
        context = ssl_context() if opts.tls else None
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                opts.host, opts.port, ssl=context, server_hostname=opts.host if context else None, limit=MAX_LINE_BYTES
            ),
            opts.connect_timeout_s,
        )
        self._writer = writer
        self._registered = False
        self._anonymous = token is None
        self.capabilities = frozenset()
        if token is None:
            self._nick = f"justinfan{random.randint(10_000, 99_999)}"
        else:
            self._nick = (opts.nickname or "").lower()
        if opts.request_capabilities:
            # Before registration: a server that knows CAP holds registration until CAP END.
            self._send("CAP REQ :twitch.tv/tags twitch.tv/commands")
        if token is not None:
            self._send(f"PASS oauth:{token}", secret=True)
        self._send(f"NICK {self._nick}")
        self._send(f"USER {self._nick} 0 * :{self._nick}")
        if opts.request_capabilities:
            self._send("CAP END")
        await writer.drain()
        keepalive = asyncio.ensure_future(self._keepalive())
        try:
            async for raw in _read_lines(reader):
                self._alive()
                if not raw:
                    continue
                try:
                    line = parse_line(raw)
                except ValueError:
                    log.debug("twitch: unparsable line skipped")
                    continue
                self._handle(line)
                await writer.drain()
        finally:
            keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive

    async def _close_session(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2.0)

    def _token(self) -> str | None:
        name = self.twitch_options.token_secret
        if name is None:
            return None
        if not self.twitch_options.nickname:
            raise SourceFailed("Twitch needs the account name that belongs to the token")
        token = self._secrets(name) if self._secrets is not None else None
        if not token:
            raise SourceFailed(f"No Twitch token in the keyring (entry {name!r}): sign in to Twitch again")
        token = token.removeprefix("oauth:")
        secret_registry.add(token)
        return token

    def _send(self, line: str, *, secret: bool = False) -> None:
        if self._writer is None:
            return
        if log.isEnabledFor(logging.DEBUG):
            log.debug("twitch > %s", line.split(" ", 1)[0] + " ***" if secret else line)
        # CR and LF inside a parameter would start a new command: never let viewer text do that.
        self._writer.write(line.replace("\r", " ").replace("\n", " ").encode("utf-8") + b"\r\n")

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.twitch_options.keepalive_s)
            self._send("PING :studio-console")
            if self._writer is not None:
                await self._writer.drain()

    # -- lines -------------------------------------------------------------------------------------

    def _handle(self, line: IrcLine) -> None:
        command = line.command
        if command == "PING":
            self._send(f"PONG :{line.param(0)}")
            self.pings_answered += 1
        elif command == "PONG":
            self.pongs_received += 1
        elif command == "PRIVMSG":
            if line.param(0).lower() == self.channel:
                self._emit(self._privmsg(line))
        elif command == "USERNOTICE":
            if line.param(0).lower() == self.channel:
                self._emit(self._usernotice(line))
        elif command == "001":
            self._registered = True
            self._send(f"JOIN {self.channel}")
        elif command == "433" and self._anonymous and not self._registered:
            self._nick = f"justinfan{random.randint(10_000, 99_999)}"
            self._send(f"NICK {self._nick}")
        elif command == "JOIN":
            if line.nick.lower() == self._nick and line.param(0).lower() == self.channel:
                who = "anonymously (read-only)" if self._anonymous else f"as {self._nick}"
                self._live(f"Reading {self.channel} {who}")
        elif command == "CAP":
            if line.param(1) == "ACK":
                self.capabilities = frozenset(line.param(2).split())
        elif command == "NOTICE":
            self._notice(line)
        elif command == "RECONNECT":
            raise SessionEnded("Twitch asked for a reconnect")
        elif command in ("464", "465"):
            raise SourceFailed(f"The chat server refused the login: {line.param(1) or command}")
        elif command == "ERROR":
            reason = line.param(0)
            if not self._registered and not self._anonymous:
                raise SourceFailed(f"The chat server refused the login: {reason}")
            raise ConnectionError(f"server error: {reason}")

    def _notice(self, line: IrcLine) -> None:
        text = line.param(1)
        msg_id = line.tags.get("msg-id", "")
        if msg_id in _FATAL_NOTICES:
            raise SourceFailed(f"Twitch: {text}")
        if any(marker in text.lower() for marker in _AUTH_FAILED_TEXTS):
            raise SourceFailed(f"Twitch refused the token: {text}. Sign in to Twitch again.")
        log.info("twitch notice: %s", text[:200])

    def _message(self, line: IrcLine, *, extra_badges: tuple[str, ...] = (), **fields: Any) -> ChatMessage:
        tags = line.tags
        login = tags.get("login") or line.nick
        badges = tuple(b.split("/", 1)[0] for b in tags.get("badges", "").split(",") if b)
        try:
            stamp = int(tags["tmi-sent-ts"]) / 1000.0
        except (KeyError, ValueError):
            stamp = time.time()
        return ChatMessage(
            source_id=self.source_id,
            platform=self.platform,
            # Servers without tags give no id; a fresh one never collides in de-duplication.
            message_id=tags.get("id") or f"irc-{uuid.uuid4().hex}",
            user_id=tags.get("user-id", login.lower()),
            user_name=login,
            display_name=tags.get("display-name") or login,
            badges=badges + extra_badges,
            timestamp=stamp,
            **fields,
        )

    def _privmsg(self, line: IrcLine) -> ChatMessage:
        text = line.param(1)
        if text.startswith("\x01ACTION ") and text.endswith("\x01"):
            text = text[8:-1]
        return self._message(line, text=text, bits=max(0, _int(line.tags.get("bits"), 0)))

    def _usernotice(self, line: IrcLine) -> ChatMessage:
        tags = line.tags
        kind_id = tags.get("msg-id", "")
        system_text = tags.get("system-msg", "")
        user_text = line.param(1)
        plan = _SUB_PLANS.get(tags.get("msg-param-sub-plan", ""), "")
        plan_suffix = f" ({plan})" if plan else ""
        if kind_id in ("sub", "resub"):
            return self._message(
                line,
                kind=ChatKind.GIFT,
                text=user_text or system_text,
                gift_name=f"Subscription{plan_suffix}",
                gift_count=1,
                gift_unit="subs",
            )
        if kind_id in ("subgift", "submysterygift", "anonsubgift", "anonsubmysterygift"):
            return self._message(
                line,
                kind=ChatKind.GIFT,
                text=system_text,
                gift_name=f"Gift sub{plan_suffix}",
                gift_count=max(1, _int(tags.get("msg-param-mass-gift-count"), 1)),
                gift_unit="subs",
            )
        if kind_id == "announcement":
            return self._message(line, text=user_text, extra_badges=("announcement",))
        if kind_id == "raid":
            viewers = _int(tags.get("msg-param-viewerCount"), 0)
            return self._message(line, kind=ChatKind.SYSTEM, text=system_text, viewer_count=viewers or None)
        return self._message(line, kind=ChatKind.SYSTEM, text=f"{system_text} {user_text}".strip())


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


async def _read_lines(reader: asyncio.StreamReader) -> AsyncIterator[str]:
    """Yield decoded lines; an over-long line is dropped whole instead of ending the connection."""
    buffer = b""
    skipping = False
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        buffer += chunk
        while True:
            end = buffer.find(b"\n")
            if end < 0:
                if len(buffer) > MAX_LINE_BYTES:
                    buffer, skipping = b"", True
                break
            raw, buffer = buffer[:end], buffer[end + 1 :]
            if skipping:
                skipping = False
                continue
            yield raw.rstrip(b"\r").decode("utf-8", "replace")
