"""Hand-written chat fakes and builders shared by the chat tests (real classes, no mocks)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from studio_console.adapters.chat.base import ChatSourceOptions, ReconnectingChatSource
from studio_console.domain.chat import ChatKind, ChatMessage, SourceState

_serial = itertools.count(1)

HOSTILE_NAMES = (
    "<b>Bold</b>",
    '<img src="file:///etc/hostname">',
    '<a href="https://evil.example/">click me</a>',
    "<script>alert(1)</script>",
    "مرحبا\u202eevil",  # right-to-left text and a right-to-left override
    "zero\u200bwidth\u200dname\ufeff",
)


def message(text: str = "hello", **fields: Any) -> ChatMessage:
    """A comment with a fresh id unless the test names one."""
    values: dict[str, Any] = {
        "source_id": "test",
        "platform": "rehearsal",
        "message_id": f"m{next(_serial)}",
        "kind": ChatKind.COMMENT,
        "user_id": "u1",
        "user_name": "anna",
        "display_name": "Anna",
        "text": text,
    }
    values.update(fields)
    return ChatMessage(**values)


class RecordingSleep:
    """Stands in for asyncio.sleep: remembers each requested delay and yields to the loop once."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.called = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.called.set()
        await asyncio.sleep(0)


class ScriptedSource(ReconnectingChatSource):
    """A reconnecting source whose sessions run the coroutines a test scripts, one per connect."""

    platform = "scripted"

    def __init__(
        self,
        sessions: list[Callable[[ScriptedSource], Awaitable[None]]],
        *,
        stale_after_s: float | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        stayed_live_s: float = 0.0,
    ) -> None:
        super().__init__(ChatSourceOptions(source_id="scripted", stale_after_s=stale_after_s), sleep=sleep)
        self.stayed_live_s = stayed_live_s
        self.sessions = list(sessions)
        self.sessions_started = 0
        self.sessions_closed = 0
        self.states: list[SourceState] = []
        self.subscribe(lambda _m: None, self.states.append)

    async def _run_session(self) -> None:
        self.sessions_started += 1
        if not self.sessions:
            await asyncio.Event().wait()  # nothing scripted: stay connected forever
        await self.sessions.pop(0)(self)

    async def _close_session(self) -> None:
        self.sessions_closed += 1

    # Scripts use these (they are protected in the base class).
    def go_live(self) -> None:
        self._live("scripted live")

    def say(self, text: str, message_id: str) -> None:
        self._alive()
        self._emit(message(text, source_id=self.source_id, platform=self.platform, message_id=message_id))


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``condition`` on the loop until it holds (a generous guard, not a timing assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def has_magenta(image: object) -> bool:
    """True when any pixel of the QImage is opaque magenta (the colour of the probe file hostile text points at)."""
    from PySide6.QtGui import QImage

    assert isinstance(image, QImage)
    # Keep the converted image alive while its bits are read.
    converted = image.convertToFormat(QImage.Format.Format_ARGB32)
    data = bytes(converted.constBits())
    needle = b"\xff\x00\xff\xff"  # B, G, R, A
    start = data.find(needle)
    while start >= 0:
        if start % 4 == 0:
            return True
        start = data.find(needle, start + 1)
    return False
