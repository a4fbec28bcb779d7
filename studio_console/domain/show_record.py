"""The show record as immutable models: a show, the events logged during it, and what resuming it needs."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from studio_console.domain.base import StrictFrozen as _Frozen
from studio_console.domain.show import AtZero

# Every time in the record is wall-clock seconds since the epoch (time.time()): a record outlives the
# process, so monotonic clocks (which restart with the machine) cannot be used.


class ShowInfo(_Frozen):
    """One show: from the producer's start to their end (``ended_at`` None while it is open)."""

    show_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    # The creator or preset the show was made with, when presets exist.
    creator: str | None = None
    started_at: float
    ended_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


# -- events ------------------------------------------------------------------------------------------


class _Event(_Frozen):
    at: float


class ShowStarted(_Event):
    kind: Literal["show_started"] = "show_started"


class ShowEnded(_Event):
    kind: Literal["show_ended"] = "show_ended"


class ShowResumed(_Event):
    """The app came back after a crash; nothing was recorded between ``last_seen_at`` and ``at``."""

    kind: Literal["show_resumed"] = "show_resumed"
    last_seen_at: float


class StockItem(_Frozen):
    sku: str
    product_sku: str
    title: str
    # None: the shop does not track this variant's stock.
    stock: int | None


class StockSnapshot(_Event):
    """Every variant's stock when the show starts or resumes (the report's "stock at start")."""

    kind: Literal["stock_snapshot"] = "stock_snapshot"
    items: tuple[StockItem, ...] = ()


class ProductPinned(_Event):
    kind: Literal["product_pinned"] = "product_pinned"
    sku: str
    product_sku: str
    title: str
    variant: str = ""
    price: Decimal
    currency: str


class ProductUnpinned(_Event):
    kind: Literal["product_unpinned"] = "product_unpinned"
    sku: str
    product_sku: str


class FlashSaleStarted(_Event):
    kind: Literal["flash_sale_started"] = "flash_sale_started"
    sku: str
    product_sku: str
    deal_price: Decimal
    currency: str
    duration_s: int
    ends_at: float
    at_zero: AtZero


class FlashSaleEnded(_Event):
    kind: Literal["flash_sale_ended"] = "flash_sale_ended"
    sku: str
    product_sku: str
    # "ran_out" (the countdown reached zero), "stopped" (ended early: stopped, unpinned, sold out).
    reason: Literal["ran_out", "stopped"]


class StockChanged(_Event):
    kind: Literal["stock_changed"] = "stock_changed"
    sku: str
    product_sku: str
    old: int | None
    new: int | None


class PriceChanged(_Event):
    kind: Literal["price_changed"] = "price_changed"
    sku: str
    product_sku: str
    old: Decimal
    new: Decimal
    currency: str


class CueStarted(_Event):
    kind: Literal["cue_started"] = "cue_started"
    cue_id: str
    title: str
    planned_s: float | None = None


class CueEnded(_Event):
    kind: Literal["cue_ended"] = "cue_ended"
    cue_id: str


class SceneChanged(_Event):
    kind: Literal["scene_changed"] = "scene_changed"
    scene: str


class CommentFeatured(_Event):
    """A viewer comment put on air. ``user`` and ``text`` are viewer-controlled: escape when shown."""

    kind: Literal["comment_featured"] = "comment_featured"
    platform: str
    user: str
    text: str
    product_sku: str | None = None


class ViewerSample(_Event):
    kind: Literal["viewer_sample"] = "viewer_sample"
    platform: str
    viewers: int
    # The chat source that reported it: two channels on one platform count separately.
    source: str = ""


class StreamStateChanged(_Event):
    kind: Literal["stream_state"] = "stream_state"
    # An OutputPhase value: stopped, starting, live, reconnecting, stopping.
    phase: str
    destination: str | None = None


class StreamHealthSample(_Event):
    kind: Literal["stream_health"] = "stream_health"
    bitrate_kbps: float | None
    dropped_frames: int
    total_frames: int
    congestion: float
    reconnects: int


class ObsDisconnected(_Event):
    kind: Literal["obs_disconnected"] = "obs_disconnected"
    message: str


class ObsResynced(_Event):
    kind: Literal["obs_resynced"] = "obs_resynced"


ShowEvent = Annotated[
    ShowStarted
    | ShowEnded
    | ShowResumed
    | StockSnapshot
    | ProductPinned
    | ProductUnpinned
    | FlashSaleStarted
    | FlashSaleEnded
    | StockChanged
    | PriceChanged
    | CueStarted
    | CueEnded
    | SceneChanged
    | CommentFeatured
    | ViewerSample
    | StreamStateChanged
    | StreamHealthSample
    | ObsDisconnected
    | ObsResynced,
    Field(discriminator="kind"),
]

SHOW_EVENT: TypeAdapter[ShowEvent] = TypeAdapter(ShowEvent)


# -- counters kept per minute (one row a minute however busy chat is) -------------------------------


class ChatMinute(_Frozen):
    """Chat messages seen in one minute (``minute`` is its start) from one platform."""

    minute: float
    platform: str
    messages: int = Field(ge=0)


class ProductChatMinute(_Frozen):
    """Questions and mentions naming one product (its product SKU) in one minute."""

    minute: float
    product_sku: str
    questions: int = Field(ge=0)
    mentions: int = Field(ge=0)


# -- what resuming needs --------------------------------------------------------------------------


class FlashSaleCheckpoint(_Frozen):
    sku: str
    deal_price: Decimal
    currency: str
    duration_s: int
    # Wall-clock time the countdown reaches zero: after a crash the sale has exactly this long left.
    ends_at: float
    at_zero: AtZero


class CueCheckpoint(_Frozen):
    cue_id: str
    title: str
    started_at: float
    planned_s: float | None = None


class ShowCheckpoint(_Frozen):
    """The state the producer built, rewritten as it changes: after a crash, the show resumes from it.

    ``at`` is the last time the app was known alive (the recorder refreshes it every second).
    """

    at: float
    queue: tuple[str, ...] = ()
    pinned_sku: str | None = None
    # Variant SKU -> stock, for every variant whose stock the show tracks.
    stock: dict[str, int | None] = Field(default_factory=dict)
    flash_sale: FlashSaleCheckpoint | None = None
    cue: CueCheckpoint | None = None


# -- what the UI and the remote API show -----------------------------------------------------------


class ShowLogStatus(_Frozen):
    # The show being recorded now.
    open_show: ShowInfo | None = None
    # A show left open by a crash, offered for resuming (None once resumed, ended or replaced).
    resumable: ShowInfo | None = None
    # The last write failure in one sentence (None when all is well).
    problem: str | None = None


class ProductLive(_Frozen):
    """Live numbers of one product during the open show."""

    product_sku: str
    title: str
    seconds_on_air: float = 0.0
    times_pinned: int = 0
    questions: int = 0
    mentions: int = 0
    stock_at_start: int | None = None
    stock_now: int | None = None

    @property
    def stock_moved(self) -> int | None:
        if self.stock_at_start is None or self.stock_now is None:
            return None
        return self.stock_at_start - self.stock_now


class LiveNumbers(_Frozen):
    show_id: str
    on_air: ProductLive | None = None
    products: tuple[ProductLive, ...] = ()
    # (wall-clock time, viewers summed over platforms), oldest first.
    viewers: tuple[tuple[float, int], ...] = ()
    chat_messages: int = 0
