"""A rehearsal audience: believable shopping chat at a chosen rate, the same every run for one seed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

from studio_console.adapters.chat.base import ChatSourceBase, ChatSourceOptions, SecretLookup
from studio_console.domain.chat import ChatKind, ChatMessage, ChatPlatform, SourceStatus

log = logging.getLogger(__name__)

_FIRST = ("anna", "ben", "chloe", "dev", "emma", "finn", "gia", "hugo", "ines", "jay", "kim", "leo", "mia", "noah",
          "olga", "priya", "quinn", "rosa", "sam", "tara", "uma", "vic", "wen", "xavi", "yara", "zoe")  # fmt: skip
_SECOND = ("_shops", "lovesdeals", "22", "_x", ".styles", "bee", "_live", "1990", "k", "_home", "mama", "fan")
_GIFTS = (("Rose", 1), ("Heart", 5), ("Finger Heart", 5), ("Perfume", 20), ("Doughnut", 30), ("Galaxy", 1000))
_COLOURS = ("black", "white", "red", "blue", "green", "pink", "beige")
_SIZES = ("XS", "S", "M", "L", "XL", "38", "40", "42")

# {code} is a product short code, {colour} and {size} fill themselves; weights favour the questions that sell.
_TEMPLATES: tuple[tuple[int, str], ...] = (
    (8, "how much is {code}?"),
    (6, "price?"),
    (6, "link?"),
    (5, "link for {code} pls"),
    (6, "does {code} come in {colour}?"),
    (5, "what sizes for {code}?"),
    (4, "is {size} true to size?"),
    (4, "sold {code} {size}"),
    (3, "SOLD {code}"),
    (3, "mine! {code} in {colour}"),
    (3, "can I get {code} in {size}?"),
    (3, "any discount today?"),
    (2, "is {code} still available?"),
    (6, "love it 😍"),
    (5, "hi from Berlin 👋"),
    (4, "so pretty"),
    (4, "🔥🔥🔥"),
    (3, "first time here"),
    (3, "the {colour} one is gorgeous"),
    (2, "can you show the back?"),
    (2, "what fabric is it?"),
    (2, "shipping to Canada?"),
)
# Kind of each event: mostly comments, with the room noise a real show has.
_KINDS: tuple[tuple[int, ChatKind], ...] = (
    (70, ChatKind.COMMENT),
    (10, ChatKind.JOIN),
    (6, ChatKind.LIKE),
    (5, ChatKind.GIFT),
    (4, ChatKind.FOLLOW),
    (2, ChatKind.SHARE),
    (3, ChatKind.VIEWER_COUNT),
)


class RehearsalOptions(ChatSourceOptions):
    source_id: str = "rehearsal"
    rate_per_s: float = Field(default=2.0, gt=0, le=100_000)
    seed: int = 1
    short_codes: tuple[str, ...] = ("A1", "A2", "B7", "C12")
    audience_size: int = Field(default=300, ge=1, le=1_000_000)
    # Stop after this many messages (None: until stopped).
    limit: int | None = Field(default=None, ge=0)


class RehearsalAudience(ChatSourceBase):
    """Generates chat on the loop; ``generate()`` gives the same sequence without a loop (tests, benchmarks)."""

    platform: ClassVar[str] = ChatPlatform.REHEARSAL.value
    title: ClassVar[str] = "Rehearsal audience"
    options_model: ClassVar[type[ChatSourceOptions]] = RehearsalOptions

    def __init__(self, options: RehearsalOptions | None = None, *, secrets: SecretLookup | None = None) -> None:
        opts = options or RehearsalOptions()
        super().__init__(opts)
        self.rehearsal_options = opts
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"chat-{self.source_id}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_state(SourceStatus.IDLE, "Stopped")

    async def _run(self) -> None:
        opts = self.rehearsal_options
        self._set_state(SourceStatus.LIVE, f"Rehearsal audience: {opts.rate_per_s:g} messages/s (seed {opts.seed})")
        interval = 1.0 / opts.rate_per_s
        started = time.monotonic()
        for sent, message in enumerate(self.generate(), start=1):
            self._emit(message)
            if opts.limit is not None and sent >= opts.limit:
                break
            # Paced against the start time so the average rate holds even when one wake-up is late.
            delay = started + sent * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif sent % 64 == 0:
                await asyncio.sleep(0)  # behind schedule: still let the UI breathe
        self._set_state(SourceStatus.IDLE, f"Rehearsal finished after {opts.limit} messages")

    def generate(self) -> Iterator[ChatMessage]:
        """The endless, seed-determined message sequence (timestamps are wall-clock)."""
        opts = self.rehearsal_options
        rng = random.Random(opts.seed)
        codes = opts.short_codes or ("A1",)
        viewers = [f"{rng.choice(_FIRST)}{rng.choice(_SECOND)}" for _ in range(opts.audience_size)]
        template_weights = [w for w, _ in _TEMPLATES]
        kind_weights = [w for w, _ in _KINDS]
        viewer_count = max(10, opts.audience_size // 2)
        serial = 0
        while True:
            serial += 1
            kind = rng.choices(_KINDS, kind_weights)[0][1]
            # A few regulars talk a lot, as in real rooms.
            index = min(int(rng.paretovariate(1.2)) - 1, len(viewers) - 1)
            user = viewers[index] if rng.random() < 0.6 else rng.choice(viewers)
            fields: dict[str, object] = {}
            text = ""
            if kind is ChatKind.COMMENT:
                template = rng.choices(_TEMPLATES, template_weights)[0][1]
                text = template.format(code=rng.choice(codes), colour=rng.choice(_COLOURS), size=rng.choice(_SIZES))
            elif kind is ChatKind.GIFT:
                name, value = rng.choice(_GIFTS)
                count = rng.choice((1, 1, 1, 2, 3, 5, 10))
                fields = {
                    "gift_name": name,
                    "gift_count": count,
                    "gift_streak": count if count > 1 else 0,
                    "gift_value": float(value * count),
                    "gift_unit": "diamonds",
                }
                text = f"sent {name} x{count}"
            elif kind is ChatKind.LIKE:
                fields = {"like_count": rng.randint(1, 30)}
                text = "liked the LIVE"
            elif kind is ChatKind.FOLLOW:
                text = "followed the host"
            elif kind is ChatKind.JOIN:
                text = "joined"
            elif kind is ChatKind.SHARE:
                text = "shared the LIVE"
            else:
                viewer_count = max(1, viewer_count + rng.randint(-5, 8))
                fields = {"viewer_count": viewer_count}
                user = ""
            yield ChatMessage(
                source_id=self.source_id,
                platform=self.platform,
                message_id=f"reh-{opts.seed}-{serial}",
                kind=kind,
                user_id=user,
                user_name=user,
                display_name=user,
                text=text,
                timestamp=time.time(),
                **fields,  # type: ignore[arg-type]
            )
