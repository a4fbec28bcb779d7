"""The run of show as immutable models: cues with products and price actions, the rundown, records, timer state."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from studio_console.domain.base import StrictFrozen as _Frozen
from studio_console.domain.chat import ChatMessage
from studio_console.domain.show import FLASH_SALE_MAX_S, FLASH_SALE_MIN_S, AtZero

# Ontime's defaults, which operators know: amber two minutes before a cue's planned end, red one minute before.
DEFAULT_WARNING_S = 120
DEFAULT_DANGER_S = 60
MAX_CUE_S = 12 * 3600
MAX_TALKING_POINTS = 12
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class CueKind(StrEnum):
    PREHEAT = "preheat"  # before the show: "Live in mm:ss" and teaser cards of what is coming
    PRODUCT = "product"
    SEGMENT = "segment"
    BREAK = "break"


class EndAction(StrEnum):
    """What happens when a cue's planned time is up."""

    HOLD = "hold"  # the cue stays live and counts overtime until the producer moves on
    NEXT = "next"  # the next cue starts by itself


class TimerPhase(StrEnum):
    DEFAULT = "default"
    WARNING = "warning"
    DANGER = "danger"
    OVERTIME = "overtime"


class CueStatus(StrEnum):
    PENDING = "pending"
    LIVE = "live"
    DONE = "done"
    SKIPPED = "skipped"


class FlashSale(_Frozen):
    """At the cue's start the product goes on air at ``deal_price`` with a countdown."""

    kind: Literal["flash_sale"] = "flash_sale"
    deal_price: Decimal = Field(gt=0)
    countdown_s: int = Field(ge=FLASH_SALE_MIN_S, le=FLASH_SALE_MAX_S)
    at_zero: AtZero = AtZero.REGULAR_PRICE


class PriceReveal(_Frozen):
    """The card goes on air without its price; the price appears ``after_s`` seconds into the cue."""

    kind: Literal["price_reveal"] = "price_reveal"
    after_s: int = Field(default=10, ge=1, le=MAX_CUE_S)


PriceAction = Annotated[FlashSale | PriceReveal, Field(discriminator="kind")]


def new_cue_id() -> str:
    return uuid.uuid4().hex[:12]


def _clean(text: str) -> str:
    return " ".join(text.split())


class Cue(_Frozen):
    """One step of the show: what goes on air, for how long, and what the host says."""

    # Stable identity: edits and reorders keep it, so planned-vs-actual records follow the cue.
    id: str = Field(default_factory=new_cue_id, min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    kind: CueKind = CueKind.SEGMENT
    duration_s: int = Field(ge=1, le=MAX_CUE_S)
    scene: str | None = None
    # The product (or variant) SKU whose card goes on air; ``variant`` narrows a product to one variant.
    sku: str | None = None
    variant: str | None = None
    price_action: PriceAction | None = None
    talking_points: tuple[str, ...] = ()
    colour: str | None = None
    end_action: EndAction = EndAction.HOLD
    # Per-cue thresholds; None uses the rundown's (Ontime lets each event override them too).
    warning_s: int | None = Field(default=None, ge=0, le=MAX_CUE_S)
    danger_s: int | None = Field(default=None, ge=0, le=MAX_CUE_S)
    # Preheat only: the time of day the show goes live, and the products teased meanwhile.
    target_time: time | None = None
    teaser_skus: tuple[str, ...] = ()
    teaser_prices: bool = False

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        cleaned = _clean(value)
        if not cleaned:
            raise ValueError("title is empty")
        return cleaned

    @field_validator("scene", "sku", "variant")
    @classmethod
    def _optional_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value or None

    @field_validator("talking_points")
    @classmethod
    def _points(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        points = tuple(p for p in (_clean(v) for v in value) if p)
        if len(points) > MAX_TALKING_POINTS:
            raise ValueError(f"at most {MAX_TALKING_POINTS} talking points, not {len(points)}")
        return points

    @field_validator("teaser_skus")
    @classmethod
    def _teasers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.strip() for s in value if s.strip()))

    @field_validator("colour")
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not _COLOUR.match(value.strip()):
            raise ValueError(f"{value!r} is not a colour like #RRGGBB")
        return value.strip().upper()

    @model_validator(mode="after")
    def _consistent(self) -> Cue:
        if self.variant is not None and self.sku is None:
            raise ValueError("a variant needs the product's sku")
        if self.price_action is not None and self.sku is None:
            raise ValueError("a flash sale or price reveal needs a product (sku)")
        if self.kind is CueKind.PREHEAT:
            if self.end_action is EndAction.NEXT:
                # The show starts when the producer says go, never by a timer.
                raise ValueError("a preheat waits for the producer: its end_action must be hold")
            if self.price_action is not None:
                raise ValueError("a preheat has no flash sale or price reveal")
        elif self.target_time is not None or self.teaser_skus:
            raise ValueError("target_time and teaser_skus belong to preheat cues")
        if self.warning_s is not None and self.danger_s is not None and self.danger_s > self.warning_s:
            raise ValueError("danger_s must not be larger than warning_s")
        return self

    @property
    def card_sku(self) -> str | None:
        """The SKU whose card goes on air (the variant when one is named)."""
        return self.variant or self.sku


class Rundown(_Frozen):
    """The ordered cues of one show, with the thresholds its timers use."""

    title: str = "Tonight's show"
    cues: tuple[Cue, ...] = ()
    warning_s: int = Field(default=DEFAULT_WARNING_S, ge=0, le=MAX_CUE_S)
    danger_s: int = Field(default=DEFAULT_DANGER_S, ge=0, le=MAX_CUE_S)
    # The time of day the first cue is planned to start; None: planned times follow the actual start.
    planned_start: time | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Rundown:
        seen: set[str] = set()
        for cue in self.cues:
            if cue.id in seen:
                raise ValueError(f"two cues share the id {cue.id!r}")
            seen.add(cue.id)
        if self.danger_s > self.warning_s:
            raise ValueError("danger_s must not be larger than warning_s")
        return self

    @property
    def planned_total_s(self) -> int:
        return sum(c.duration_s for c in self.cues)

    def index_of(self, cue_id: str) -> int:
        for index, cue in enumerate(self.cues):
            if cue.id == cue_id:
                return index
        raise KeyError(cue_id)

    def thresholds(self, cue: Cue) -> tuple[int, int]:
        """(warning_s, danger_s) for ``cue``: its own where set, else the rundown's."""
        warning = cue.warning_s if cue.warning_s is not None else self.warning_s
        danger = cue.danger_s if cue.danger_s is not None else self.danger_s
        return warning, min(danger, warning)

    def with_cues(self, cues: tuple[Cue, ...]) -> Rundown:
        return Rundown.model_validate({**self.model_dump(exclude={"cues"}), "cues": cues})

    def moved(self, index: int, to: int) -> Rundown:
        cues = list(self.cues)
        cue = cues.pop(index)
        cues.insert(max(0, min(to, len(cues))), cue)
        return self.with_cues(tuple(cues))

    def replaced(self, cue: Cue) -> Rundown:
        index = self.index_of(cue.id)
        return self.with_cues((*self.cues[:index], cue, *self.cues[index + 1 :]))

    def inserted(self, cue: Cue, index: int | None = None) -> Rundown:
        at = len(self.cues) if index is None else max(0, min(index, len(self.cues)))
        return self.with_cues((*self.cues[:at], cue, *self.cues[at:]))

    def removed(self, index: int) -> Rundown:
        return self.with_cues((*self.cues[:index], *self.cues[index + 1 :]))


class CueRecord(_Frozen):
    """Planned vs actual for one cue: the post-show record, one CSV row each."""

    cue_id: str
    index: int
    title: str
    kind: CueKind
    status: CueStatus = CueStatus.PENDING
    planned_duration_s: int
    planned_start: datetime | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    # Measured on the monotonic clock (a wall clock that jumps does not change it); all runs of the cue.
    actual_duration_s: float | None = None

    @property
    def over_under_s(self) -> float | None:
        """Positive: the cue ran longer than planned. A skipped cue saved its planned time."""
        if self.status is CueStatus.SKIPPED and not self.actual_duration_s:
            return -float(self.planned_duration_s)
        if self.status is not CueStatus.DONE or self.actual_duration_s is None:
            return None
        return self.actual_duration_s - self.planned_duration_s


class CueRef(_Frozen):
    index: int
    title: str
    kind: CueKind


class TimerState(_Frozen):
    """The show's timers as operators read them, computed from one instant."""

    running: bool = False
    current: CueRef | None = None
    next: CueRef | None = None
    elapsed_s: float = 0.0
    # Negative in overtime (Ontime's convention), so one number tells both.
    remaining_s: float = 0.0
    planned_s: int = 0
    phase: TimerPhase = TimerPhase.DEFAULT
    # Positive: the show runs behind its plan (Shoflo: only the live cue's overage, plus finished cues).
    over_under_s: float = 0.0
    show_elapsed_s: float = 0.0
    planned_end: datetime | None = None
    projected_end: datetime | None = None
    ended: bool = False

    @property
    def overtime_s(self) -> float:
        return max(0.0, -self.remaining_s)


class PreheatState(_Frozen):
    """What a live preheat cue shows: the countdown to going live and the teaser card cycling now."""

    target: datetime | None = None
    live_in_s: int | None = None
    teaser_sku: str | None = None
    teaser_index: int = 0
    teaser_count: int = 0


class RundownState(_Frozen):
    """A snapshot of the run of show for the UI and the remote API; a new one replaces the old on change."""

    rundown: Rundown = Rundown()
    # True while a cue is live: the running order cannot be edited then.
    locked: bool = False
    timer: TimerState = TimerState()
    records: tuple[CueRecord, ...] = ()
    preheat: PreheatState | None = None
    # True while a price-reveal cue is live and its price is not shown yet.
    price_hidden: bool = False
    # The last failure to put a cue on air, in one sentence (None when all is well).
    problem: str | None = None


MAX_HOST_QUESTIONS = 3


class HostNotes(_Frozen):
    """What the producer sends to the host view: up to three viewer questions and one message line."""

    questions: tuple[ChatMessage, ...] = ()
    message: str = ""
