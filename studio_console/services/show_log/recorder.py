"""Turns what the running services report into show-log events, per-minute chat counts and resume points.

The recorder listens only while a show is open. Chat is counted in memory and written once a
second as per-minute increments, so a flood of thousands of messages a second costs a few
dictionary updates each; everything the producer changes is written as it happens.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from studio_console.domain.catalog import Catalog
from studio_console.domain.chat import ChatHubSnapshot, ChatKind, ChatMessage
from studio_console.domain.obs_state import ConnectionStatus, ObsSnapshot, OutputPhase
from studio_console.domain.show import AtZero, FlashSaleState, ShowState
from studio_console.domain.show_record import (
    ChatMinute,
    CommentFeatured,
    CueCheckpoint,
    CueEnded,
    CueStarted,
    FlashSaleCheckpoint,
    FlashSaleEnded,
    FlashSaleStarted,
    LiveNumbers,
    ObsDisconnected,
    ObsResynced,
    PriceChanged,
    ProductChatMinute,
    ProductLive,
    ProductPinned,
    ProductUnpinned,
    SceneChanged,
    ShowCheckpoint,
    ShowEvent,
    StockChanged,
    StockItem,
    StockSnapshot,
    StreamHealthSample,
    StreamStateChanged,
    ViewerSample,
)
from studio_console.domain.stream import OutputStatus
from studio_console.services.show_log.store import ShowStore

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Unsubscribe = Callable[[], None]
# Viewer samples kept in memory for the live graph (one per platform every few seconds).
LIVE_VIEWER_POINTS = 2_000


class ProductShowFeed(Protocol):
    """What the recorder reads from ``ProductShow``."""

    @property
    def state(self) -> ShowState: ...

    @property
    def catalog(self) -> Catalog: ...

    def subscribe(self, listener: Callable[[ShowState], None]) -> Unsubscribe: ...

    def subscribe_catalog(self, listener: Callable[[Catalog], None]) -> Unsubscribe: ...


class ChatFeed(Protocol):
    """What the recorder reads from ``ChatHub``."""

    def subscribe(self, listener: Callable[[ChatMessage], None]) -> Unsubscribe: ...

    def subscribe_snapshot(self, listener: Callable[[ChatHubSnapshot], None]) -> Unsubscribe: ...


class ObsFeed(Protocol):
    """What the recorder reads from ``ObsSession``."""

    @property
    def snapshot(self) -> ObsSnapshot: ...

    def subscribe(self, listener: Callable[[ObsSnapshot], None]) -> Unsubscribe: ...


class OutputFeed(Protocol):
    """What the recorder reads from the go-live service."""

    @property
    def status(self) -> OutputStatus: ...

    def subscribe(self, listener: Callable[[OutputStatus], None]) -> Unsubscribe: ...


@dataclass(frozen=True)
class _Sale:
    sku: str
    deal_price: Decimal
    currency: str
    duration_s: int
    ends_at: float
    at_zero: AtZero


@dataclass
class _Tally:
    """What the recorder counts per product while the show is open."""

    product_sku: str
    title: str
    seconds_on_air: float = 0.0
    times_pinned: int = 0
    questions: int = 0
    mentions: int = 0
    stock_at_start: int | None = None
    stock_now: int | None = None


class ShowRecorder:
    """Records one open show at a time into a ``ShowStore``; every service is optional."""

    def __init__(
        self,
        store: ShowStore,
        *,
        show: ProductShowFeed | None = None,
        chat: ChatFeed | None = None,
        obs: ObsFeed | None = None,
        output: OutputFeed | None = None,
        clock: Clock = time.time,
        tick_s: float = 1.0,
        viewer_sample_s: float = 5.0,
        health_sample_s: float = 5.0,
    ) -> None:
        self.store = store
        self.show = show
        self.chat = chat
        self.obs = obs
        self.output = output
        self._clock = clock
        self.tick_s = tick_s
        self.viewer_sample_s = viewer_sample_s
        self.health_sample_s = health_sample_s
        self._show_id: str | None = None
        self._unsubscribers: list[Unsubscribe] = []
        self._tick_handle: asyncio.TimerHandle | None = None
        self._reset()

    def _reset(self) -> None:
        self._pinned: str | None = None
        self._pinned_product: str | None = None
        self._pinned_since: float | None = None
        self._sale: _Sale | None = None
        self._sale_logged = True
        self._last_seconds_left = 0
        self._stock: dict[str, int | None] = {}
        self._prices: dict[str, Decimal] = {}
        self._owner: dict[str, str] = {}
        self._queue: tuple[str, ...] = ()
        self._cue: CueCheckpoint | None = None
        self._chat_counts: Counter[tuple[float, str]] = Counter()
        self._questions: Counter[tuple[float, str]] = Counter()
        self._mentions: Counter[tuple[float, str]] = Counter()
        self._products: dict[str, _Tally] = {}
        self._chat_total = 0
        self._featured_id: str | None = None
        # Latest viewer count per (platform, chat source), and the last one written of each.
        self._viewers: dict[tuple[str, str], int] = {}
        self._viewer_written: dict[tuple[str, str], tuple[float, int]] = {}
        self._viewer_curve: deque[tuple[float, int]] = deque(maxlen=LIVE_VIEWER_POINTS)
        self._scene: str | None = None
        self._obs_connected: bool | None = None
        self._phase: OutputPhase | None = None
        self._last_health_at = -math.inf
        self._reconnects = 0
        self._dirty = False

    # -- lifecycle ----------------------------------------------------------------------------------

    @property
    def show_id(self) -> str | None:
        return self._show_id

    def attach(self, show_id: str, resume_from: ShowCheckpoint | None = None) -> None:
        """Start recording ``show_id``; ``resume_from`` is the resume point of a show picked up again."""
        if self._show_id is not None:
            self.detach()
        self._reset()
        self._show_id = show_id
        now = self._clock()
        if self.show is not None:
            self._baseline_catalog(self.show.catalog, now)
            if resume_from is not None and resume_from.flash_sale is not None:
                sale = resume_from.flash_sale
                # The sale continues: it is the one already logged, not a new one.
                self._sale = _Sale(
                    sale.sku, sale.deal_price, sale.currency, sale.duration_s, sale.ends_at, sale.at_zero
                )
                self._last_seconds_left = sale.duration_s
            if resume_from is not None:
                self._cue = resume_from.cue
            self._on_state(self.show.state)
            self._unsubscribers.append(self.show.subscribe(self._on_state))
            self._unsubscribers.append(self.show.subscribe_catalog(self._on_catalog))
        if self.chat is not None:
            self._unsubscribers.append(self.chat.subscribe(self._on_message))
            self._unsubscribers.append(self.chat.subscribe_snapshot(self._on_chat_snapshot))
        if self.obs is not None:
            snap = self.obs.snapshot
            self._scene = snap.program_scene
            self._obs_connected = snap.connection.connected
            if snap.program_scene:
                self._append(SceneChanged(at=now, scene=snap.program_scene))
            self._unsubscribers.append(self.obs.subscribe(self._on_obs))
        if self.output is not None:
            self._on_output(self.output.status)
            self._unsubscribers.append(self.output.subscribe(self._on_output))
        self.checkpoint()
        self._schedule_tick()

    def detach(self) -> None:
        """Stop recording: the pinned product's time on air and the counts so far are written."""
        if self._show_id is None:
            return
        now = self._clock()
        self.tick()
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None
        self._close_air_time(now)
        self._show_id = None

    def _append(self, event: ShowEvent) -> None:
        if self._show_id is not None:
            self.store.append(self._show_id, event)

    # -- the product show ---------------------------------------------------------------------------

    def _baseline_catalog(self, catalog: Catalog, now: float) -> None:
        items = []
        for product in catalog.products:
            for variant in product.variants:
                self._stock[variant.sku] = variant.stock
                self._prices[variant.sku] = variant.price
                self._owner[variant.sku] = product.sku
                items.append(
                    StockItem(sku=variant.sku, product_sku=product.sku, title=product.title, stock=variant.stock)
                )
            live = self._live(product.sku, product.title)
            live.stock_at_start = product.total_stock
            live.stock_now = product.total_stock
        self._append(StockSnapshot(at=now, items=tuple(items)))

    def _live(self, product_sku: str, title: str | None = None) -> _Tally:
        live = self._products.get(product_sku)
        if live is None:
            live = self._products[product_sku] = _Tally(product_sku, title or product_sku)
        elif title:
            live.title = title
        return live

    def product_of(self, sku: str) -> str:
        """The product SKU a product or variant SKU belongs to (itself when unknown)."""
        owner = self._owner.get(sku)
        if owner is not None:
            return owner
        hit = self.show.catalog.find(sku) if self.show is not None else None
        return hit[0].sku if hit is not None else sku

    def _on_state(self, state: ShowState) -> None:
        if self._show_id is None:
            return
        now = self._clock()
        changed = state.queue != self._queue
        self._queue = state.queue
        sale_changed = self._diff_sale(state.flash_sale, now)
        if state.pinned_sku != self._pinned:
            self._unpin(now)
            if state.pinned_sku is not None:
                self._pin(state.pinned_sku, now)
            changed = True
        if state.flash_sale is not None and state.flash_sale.sku == self._pinned:
            self._log_sale_start(now)
        if changed or sale_changed:
            self.checkpoint()

    def _pin(self, sku: str, now: float) -> None:
        hit = self.show.catalog.find(sku) if self.show is not None else None
        if hit is None:
            return
        product, variant = hit
        self._pinned, self._pinned_product, self._pinned_since = sku, product.sku, now
        price = variant.price if variant is not None else product.cheapest.price
        self._append(
            ProductPinned(
                at=now,
                sku=sku,
                product_sku=product.sku,
                title=product.title,
                variant=variant.label if variant is not None else "",
                price=price,
                currency=product.currency,
            )
        )
        self._live(product.sku, product.title).times_pinned += 1

    def _unpin(self, now: float) -> None:
        if self._pinned is None or self._pinned_product is None:
            self._pinned = None
            return
        self._append(ProductUnpinned(at=now, sku=self._pinned, product_sku=self._pinned_product))
        self._close_air_time(now)
        self._pinned = self._pinned_product = None

    def _close_air_time(self, now: float) -> None:
        if self._pinned_product is not None and self._pinned_since is not None:
            self._live(self._pinned_product).seconds_on_air += max(0.0, now - self._pinned_since)
        self._pinned_since = None

    def _diff_sale(self, state: FlashSaleState | None, now: float) -> bool:
        """Log the end of a sale that is gone or replaced; True when the sale changed."""
        old = self._sale
        is_same = (
            old is not None
            and state is not None
            and (state.sku, state.deal_price, state.duration_s) == (old.sku, old.deal_price, old.duration_s)
            and state.seconds_left <= self._last_seconds_left
        )
        if state is not None:
            self._last_seconds_left = state.seconds_left
        if is_same:
            return False
        if old is not None:
            ran_out = now >= old.ends_at - 0.5
            self._append(
                FlashSaleEnded(
                    at=now,
                    sku=old.sku,
                    product_sku=self.product_of(old.sku),
                    reason="ran_out" if ran_out else "stopped",
                )
            )
            self._sale = None
        if state is not None:
            self._sale = _Sale(
                state.sku,
                state.deal_price,
                state.currency,
                state.duration_s,
                now + state.seconds_left,
                state.at_zero,
            )
            self._sale_logged = False
        return True

    def _log_sale_start(self, now: float) -> None:
        # After the pin it belongs to, so a report reads "pinned, then the sale started".
        sale = self._sale
        if sale is None or self._sale_logged:
            return
        self._sale_logged = True
        self._append(
            FlashSaleStarted(
                at=now,
                sku=sale.sku,
                product_sku=self.product_of(sale.sku),
                deal_price=sale.deal_price,
                currency=sale.currency,
                duration_s=sale.duration_s,
                ends_at=sale.ends_at,
                at_zero=sale.at_zero,
            )
        )

    def _on_catalog(self, catalog: Catalog) -> None:
        if self._show_id is None:
            return
        now = self._clock()
        added = []
        for product in catalog.products:
            for variant in product.variants:
                sku = variant.sku
                if sku not in self._stock:
                    self._stock[sku] = variant.stock
                    self._prices[sku] = variant.price
                    self._owner[sku] = product.sku
                    added.append(StockItem(sku=sku, product_sku=product.sku, title=product.title, stock=variant.stock))
                    continue
                if variant.stock != self._stock[sku]:
                    self._append(
                        StockChanged(at=now, sku=sku, product_sku=product.sku, old=self._stock[sku], new=variant.stock)
                    )
                    self._stock[sku] = variant.stock
                if variant.price != self._prices[sku]:
                    self._append(
                        PriceChanged(
                            at=now,
                            sku=sku,
                            product_sku=product.sku,
                            old=self._prices[sku],
                            new=variant.price,
                            currency=product.currency,
                        )
                    )
                    self._prices[sku] = variant.price
            live = self._live(product.sku, product.title)
            live.stock_now = product.total_stock
            if live.stock_at_start is None:
                live.stock_at_start = product.total_stock
        if added:
            self._append(StockSnapshot(at=now, items=tuple(added)))
        self.checkpoint()

    # -- the rundown (another service calls these when a rundown runs) ------------------------------

    def cue_started(self, cue_id: str, title: str, planned_s: float | None = None) -> None:
        now = self._clock()
        if self._cue is not None:
            self.cue_ended(self._cue.cue_id)
        self._cue = CueCheckpoint(cue_id=cue_id, title=title, started_at=now, planned_s=planned_s)
        self._append(CueStarted(at=now, cue_id=cue_id, title=title, planned_s=planned_s))
        self.checkpoint()

    def cue_ended(self, cue_id: str) -> None:
        if self._cue is None or self._cue.cue_id != cue_id:
            return
        self._cue = None
        self._append(CueEnded(at=self._clock(), cue_id=cue_id))
        self.checkpoint()

    # -- chat -----------------------------------------------------------------------------------------

    def _on_message(self, message: ChatMessage) -> None:
        # Runs for every chat message: a few dictionary updates, nothing written here.
        if self._show_id is None:
            return
        kind = message.kind
        if kind is ChatKind.COMMENT:
            minute = self._clock() // 60 * 60
            self._chat_counts[(minute, message.platform)] += 1
            self._chat_total += 1
            sku = message.product_sku
            if sku is not None:
                product_sku = self.product_of(sku)
                live = self._live(product_sku)
                self._mentions[(minute, product_sku)] += 1
                live.mentions += 1
                if message.is_question:
                    self._questions[(minute, product_sku)] += 1
                    live.questions += 1
        elif kind is ChatKind.VIEWER_COUNT and message.viewer_count is not None:
            key = (message.platform, message.source_id)
            self._viewers[key] = message.viewer_count
            self._sample_viewers(self._clock(), key)

    def _sample_viewers(self, now: float, key: tuple[str, str]) -> None:
        count = self._viewers[key]
        last = self._viewer_written.get(key)
        if last is not None and (last[1] == count or now - last[0] < self.viewer_sample_s):
            return  # the tick writes the latest count once the interval has passed
        self._viewer_written[key] = (now, count)
        self._append(ViewerSample(at=now, platform=key[0], source=key[1], viewers=count))
        self._viewer_curve.append((now, sum(self._viewers.values())))

    def _on_chat_snapshot(self, snapshot: ChatHubSnapshot) -> None:
        if self._show_id is None:
            return
        featured = snapshot.featured
        featured_id = featured.message_id if featured is not None else None
        if featured_id == self._featured_id:
            return
        self._featured_id = featured_id
        if featured is not None:
            self._append(
                CommentFeatured(
                    at=self._clock(),
                    platform=featured.platform,
                    user=featured.name,
                    text=featured.text,
                    product_sku=featured.product_sku,
                )
            )

    # -- OBS and the stream -----------------------------------------------------------------------------

    def _on_obs(self, snap: ObsSnapshot) -> None:
        if self._show_id is None:
            return
        now = self._clock()
        connected = snap.connection.connected
        if connected != self._obs_connected:
            if self._obs_connected and not connected:
                self._append(ObsDisconnected(at=now, message=snap.connection.message))
            elif connected and self._obs_connected is False:
                self._append(ObsResynced(at=now))
            self._obs_connected = connected
        if connected and snap.program_scene and snap.program_scene != self._scene:
            self._scene = snap.program_scene
            self._append(SceneChanged(at=now, scene=snap.program_scene))
        elif snap.connection.status is ConnectionStatus.STOPPED:
            self._scene = None

    def _on_output(self, status: OutputStatus) -> None:
        if self._show_id is None:
            return
        now = self._clock()
        if status.phase is not self._phase:
            self._phase = status.phase
            self._append(StreamStateChanged(at=now, phase=status.phase.value, destination=status.active_destination))
        if status.phase in (OutputPhase.LIVE, OutputPhase.RECONNECTING) and (
            now - self._last_health_at >= self.health_sample_s or status.reconnects != self._reconnects
        ):
            self._last_health_at = now
            self._reconnects = status.reconnects
            self._append(
                StreamHealthSample(
                    at=now,
                    bitrate_kbps=status.bitrate_kbps,
                    dropped_frames=status.dropped_frames,
                    total_frames=status.total_frames,
                    congestion=status.congestion,
                    reconnects=status.reconnects,
                )
            )

    # -- writing counts and the resume point -----------------------------------------------------------

    def checkpoint(self) -> None:
        """Write the resume point now (the store keeps only the newest one)."""
        if self._show_id is None:
            return
        state = self.show.state if self.show is not None else None
        sale = self._sale
        self.store.put_checkpoint(
            self._show_id,
            ShowCheckpoint(
                at=self._clock(),
                queue=state.queue if state is not None else (),
                pinned_sku=state.pinned_sku if state is not None else None,
                stock={sku: count for sku, count in self._stock.items() if count is not None},
                flash_sale=FlashSaleCheckpoint(
                    sku=sale.sku,
                    deal_price=sale.deal_price,
                    currency=sale.currency,
                    duration_s=sale.duration_s,
                    ends_at=sale.ends_at,
                    at_zero=sale.at_zero,
                )
                if sale is not None
                else None,
                cue=self._cue,
            ),
        )

    def tick(self) -> None:
        """Write the chat counts gathered since the last tick, due viewer samples, and a fresh resume point."""
        show_id = self._show_id
        if show_id is None:
            return
        if self._chat_counts:
            counts, self._chat_counts = self._chat_counts, Counter()
            self.store.add_chat(show_id, (ChatMinute(minute=m, platform=p, messages=n) for (m, p), n in counts.items()))
        if self._mentions:
            mentions, self._mentions = self._mentions, Counter()
            questions, self._questions = self._questions, Counter()
            self.store.add_product_chat(
                show_id,
                (
                    ProductChatMinute(minute=m, product_sku=s, questions=questions.get((m, s), 0), mentions=n)
                    for (m, s), n in mentions.items()
                ),
            )
        now = self._clock()
        for key in self._viewers:
            self._sample_viewers(now, key)
        # Every change rewrote the resume point when it happened; the tick only says "still alive".
        self.store.touch_checkpoint(show_id, now)

    def _schedule_tick(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous test): the test calls tick()
        self._tick_handle = loop.call_later(self.tick_s, self._tick_and_reschedule)

    def _tick_and_reschedule(self) -> None:
        self._tick_handle = None
        try:
            self.tick()
        except Exception:
            log.exception("show log tick failed")
        if self._show_id is not None:
            self._schedule_tick()

    # -- live numbers --------------------------------------------------------------------------------

    def live(self) -> LiveNumbers | None:
        """The open show's numbers now: the product on air, those pinned, named or sold, viewers over time."""
        if self._show_id is None:
            return None
        now = self._clock()
        on_air = None
        products = []
        for product_sku, tally in self._products.items():
            is_on_air = product_sku == self._pinned_product and self._pinned_since is not None
            if not (is_on_air or tally.times_pinned or tally.mentions or tally.stock_now != tally.stock_at_start):
                continue  # a big catalog's untouched products cost nothing here
            seconds = tally.seconds_on_air
            if is_on_air and self._pinned_since is not None:
                seconds += max(0.0, now - self._pinned_since)
            live = ProductLive(**{**vars(tally), "seconds_on_air": seconds})
            if is_on_air:
                on_air = live
            products.append(live)
        return LiveNumbers(
            show_id=self._show_id,
            on_air=on_air,
            products=tuple(products),
            viewers=tuple(self._viewer_curve),
            chat_messages=self._chat_total,
        )
