"""Tonight's show: the product queue, the pinned card on air, flash sales with a countdown, live stock.

Qt-free: cards are drawn by an injected ``render(card_state, canvas_w, canvas_h) -> png_bytes`` (the card
alone, laid out for that canvas; it is placed at ``card_rect()``) and put on air through an overlay
(``OverlayService`` in the app, a recording fake in tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from studio_console.domain.card import CardLayout, CardState, Theme, card_for, card_rect
from studio_console.domain.catalog import Catalog, CatalogError, Product, Variant
from studio_console.domain.money import PriceError, check_price, format_money, parse_price
from studio_console.domain.show import FLASH_SALE_MAX_S, FLASH_SALE_MIN_S, AtZero, FlashSaleState, ShowState
from studio_console.kernel.listeners import Listeners
from studio_console.obs.errors import ObsError
from studio_console.services.overlay.scene import OverlayChange, OverlayError

log = logging.getLogger(__name__)

# Cards kept drawn (PNG bytes, tens of kB each): the queue, the pinned card and recent pins.
PNG_CACHE_SIZE = 48

# render(card, canvas_w, canvas_h) -> PNG of the card alone, sized and placed as card_rect(card.layout, w, h).
CardRenderer = Callable[[CardState, int, int], bytes]
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
PRODUCT_CARD_SLOT = "product_card"


class CardOverlay(Protocol):
    """What the show needs from the overlay (``OverlayService`` provides it)."""

    # ``program_scene``: switch the program scene in the same batch (a run-of-show cue); only passed when set.
    async def show(
        self, slot: str, png: bytes, position: tuple[int, int] = (0, 0), *, program_scene: str | None = None
    ) -> None: ...

    async def update(
        self, slot: str, png: bytes, position: tuple[int, int] = (0, 0), *, program_scene: str | None = None
    ) -> None: ...

    async def hide(self, slot: str, *, program_scene: str | None = None) -> None: ...

    async def prepare(self, slot: str, png: bytes) -> None: ...

    async def canvas_size(self) -> tuple[int, int]: ...

    def subscribe(self, listener: Callable[[OverlayChange], None]) -> Callable[[], None]: ...


class ProductShowError(ValueError):
    """A request the show cannot carry out; the message is one sentence for the producer."""


@dataclass(frozen=True)
class SaleToResume:
    """A flash sale to pick up again after a crash, with the time it has left."""

    sku: str
    deal_price: Decimal
    duration_s: int
    seconds_left: float
    at_zero: AtZero = AtZero.REGULAR_PRICE


@dataclass(frozen=True)
class _FlashSale:
    sku: str
    deal_price: Decimal
    currency: str
    duration_s: int
    ends_at: float
    at_zero: AtZero


class ProductShow:
    """Holds the show's state, pushes the pinned card to OBS and runs flash-sale countdowns.

    Every change updates the state at once and tells listeners; the card on air follows through one
    lock, always with the latest state, so quick clicks never put an older card back on air.
    """

    def __init__(
        self,
        overlay: CardOverlay,
        render: CardRenderer,
        catalog: Catalog | None = None,
        *,
        theme: Theme | None = None,
        layout: CardLayout = CardLayout.LOWER_THIRD,
        slot: str = PRODUCT_CARD_SLOT,
        low_stock_threshold: int = 10,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.overlay = overlay
        self.render = render
        self.slot = slot
        self.low_stock_threshold = low_stock_threshold
        self._clock = clock
        self._sleep = sleep
        self._catalog = catalog or Catalog()
        self._theme = theme or Theme()
        self._layout = layout
        self._queue: list[str] = []
        self._last_queue_index = -1
        self._pinned: str | None = None
        # A card the show did not derive from a pin (a run-of-show teaser); a pin or unpin replaces it.
        self._custom: CardState | None = None
        self._sale: _FlashSale | None = None
        self._ticker: asyncio.Task[None] | None = None
        # The countdown's background push: at most one runs; ticks during it ask for one more.
        self._pusher: asyncio.Task[None] | None = None
        self._push_wanted = False
        self._push_lock = asyncio.Lock()
        # (card, canvas_w, canvas_h) OBS shows, None when hidden; unknown after a reconnect or failure.
        self._on_air: tuple[CardState, int, int] | None = None
        self._on_air_known = False
        self._problem: str | None = None
        self._listeners: Listeners[[ShowState]] = Listeners("listeners")
        self._catalog_listeners: Listeners[[Catalog]] = Listeners("catalog")
        self._tasks: set[asyncio.Task[None]] = set()
        # Rendered PNGs by (card, canvas): queued products are drawn ahead, so a pin only sends.
        self._pngs: OrderedDict[tuple[CardState, int, int], bytes] = OrderedDict()
        self._prerender_task: asyncio.Task[None] | None = None
        self._state = ShowState()
        self._unsubscribe_overlay = overlay.subscribe(self._overlay_changed)

    # -- observers -------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[ShowState], None]) -> Callable[[], None]:
        """Call ``listener(state)`` on every change (on the loop); returns an unsubscribe function."""
        return self._listeners.add(listener)

    def subscribe_catalog(self, listener: Callable[[Catalog], None]) -> Callable[[], None]:
        """Call ``listener(catalog)`` when the show changed the catalog (stock, edits): save it there."""
        return self._catalog_listeners.add(listener)

    @property
    def state(self) -> ShowState:
        return self._state

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def theme(self) -> Theme:
        return self._theme

    def _publish(self) -> None:
        if tuple(self._queue) != self._state.queue or self._layout is not self._state.layout:
            self._schedule_prerender()
        sale = self._sale
        state = ShowState(
            queue=tuple(self._queue),
            pinned_sku=self._pinned,
            pinned_title=self._title(self._pinned),
            flash_sale=FlashSaleState(
                sku=sale.sku,
                deal_price=sale.deal_price,
                currency=sale.currency,
                duration_s=sale.duration_s,
                seconds_left=self._seconds_left(sale),
                at_zero=sale.at_zero,
            )
            if sale
            else None,
            layout=self._layout,
            on_air=self._on_air is not None and self._on_air_known,
            problem=self._problem,
        )
        if state == self._state:
            return
        self._state = state
        self._listeners.notify(state)

    def _catalog_changed(self) -> None:
        self._schedule_prerender()
        self._catalog_listeners.notify(self._catalog)

    def _title(self, sku: str | None) -> str | None:
        hit = self._catalog.find(sku) if sku else None
        if hit is None:
            return None
        product, variant = hit
        return f"{product.title} ({variant.label})" if variant is not None and variant.label else product.title

    def _seconds_left(self, sale: _FlashSale) -> int:
        return max(0, math.ceil(sale.ends_at - self._clock() - 1e-9))

    def _find(self, sku: str) -> tuple[Product, Variant | None, str]:
        """(product, variant or None for a product-level SKU, the SKU stripped); unknown SKUs refused."""
        hit = self._catalog.find(sku)
        if hit is None:
            raise ProductShowError(f"No product with SKU {sku!r} in the catalog")
        return hit[0], hit[1], sku.strip()

    # -- queue -----------------------------------------------------------------------------------

    def set_queue(self, skus: Iterable[str]) -> None:
        """Tonight's running order; unknown SKUs are refused, repeats kept once."""
        queue = [self._find(s)[2] for s in dict.fromkeys(s.strip() for s in skus)]
        self._queue = queue
        self._last_queue_index = min(self._last_queue_index, len(queue) - 1)
        self._publish()

    def add_to_queue(self, sku: str, index: int | None = None) -> None:
        sku = self._find(sku)[2]
        queue = [s for s in self._queue if s != sku]
        queue.insert(len(queue) if index is None else max(0, min(index, len(queue))), sku)
        self._queue = queue
        self._publish()

    def remove_from_queue(self, sku: str) -> None:
        self._queue = [s for s in self._queue if s != sku.strip()]
        self._publish()

    def move_in_queue(self, sku: str, index: int) -> None:
        sku = sku.strip()
        if sku not in self._queue:
            raise ProductShowError(f"{sku!r} is not in tonight's queue")
        self.add_to_queue(sku, index)

    async def next_product(self) -> str:
        """Pin the queue's next product (after the pinned one, else after the last one pinned from it)."""
        if not self._queue:
            raise ProductShowError("Tonight's queue is empty")
        index = self._queue.index(self._pinned) + 1 if self._pinned in self._queue else self._last_queue_index + 1
        if index >= len(self._queue):
            raise ProductShowError("That was the last product in tonight's queue")
        sku = self._queue[index]
        await self.pin(sku)
        return sku

    # -- pinning ---------------------------------------------------------------------------------

    async def pin(self, sku: str, *, program_scene: str | None = None) -> None:
        """Put the card of ``sku`` (a product or one variant) on air; ends a flash sale of another SKU.

        With ``program_scene`` the program scene switches in the same OBS batch (a run-of-show cue).
        """
        sku = self._find(sku)[2]
        if self._sale is not None and self._sale.sku != sku:
            self._end_sale()
        self._pinned = sku
        self._custom = None
        if sku in self._queue:
            self._last_queue_index = self._queue.index(sku)
        self._publish()
        await self._push(program_scene)

    async def unpin(self, *, program_scene: str | None = None) -> None:
        """Take the card off air (and end any flash sale)."""
        self._end_sale()
        self._pinned = None
        self._custom = None
        self._publish()
        await self._push(program_scene)

    # -- cards for the run of show ---------------------------------------------------------------

    def card_of(self, sku: str) -> CardState | None:
        """The card ``sku`` would have on air now (layout, theme, any flash sale), or None if unknown."""
        return self._card(sku.strip())

    async def show_card(self, card: CardState, *, program_scene: str | None = None) -> None:
        """Put a card the show did not derive from a pin (a teaser) on air; a pin or unpin replaces it."""
        self._end_sale()
        self._pinned = None
        self._custom = card
        self._publish()
        await self._push(program_scene)

    async def prepare(self, card: CardState) -> None:
        """Draw ``card`` ahead for OBS's canvas and write it for the overlay: putting it on air then only sends."""
        width, height = await self.overlay.canvas_size()
        await self.overlay.prepare(self.slot, self._png(card, width, height))

    async def set_layout(self, layout: CardLayout) -> None:
        self._layout = CardLayout(layout)
        self._publish()
        await self._push()

    async def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        await self._push()

    async def refresh(self) -> None:
        """Push the card again whatever OBS is believed to show (after a reconnect, or on request)."""
        self._on_air_known = False
        await self._push()

    # -- flash sales -----------------------------------------------------------------------------

    async def start_flash_sale(
        self,
        sku: str | None,
        deal_price: Decimal | str,
        seconds: int,
        at_zero: AtZero = AtZero.REGULAR_PRICE,
        *,
        program_scene: str | None = None,
    ) -> None:
        """Pin ``sku`` (default: the pinned one) at ``deal_price`` with a countdown of ``seconds`` (10-300)."""
        target = sku or self._pinned
        if not target:
            raise ProductShowError("Pin a product or name one for the flash sale")
        product, variant, target = self._find(target)
        if not FLASH_SALE_MIN_S <= seconds <= FLASH_SALE_MAX_S:
            raise ProductShowError(
                f"A flash sale lasts {FLASH_SALE_MIN_S} to {FLASH_SALE_MAX_S} seconds, not {seconds}"
            )
        try:
            price = (
                parse_price(deal_price, product.currency)
                if isinstance(deal_price, str)
                else check_price(deal_price, product.currency)
            )
        except PriceError as exc:
            raise ProductShowError(f"Flash-sale price: {exc}") from None
        card = card_for(product, variant)
        if price >= card.price:
            raise ProductShowError(
                f"The flash-sale price must be below the regular price {format_money(card.price, product.currency)}"
            )
        if card.sold_out:
            raise ProductShowError(f"{product.title} is sold out")
        self._end_sale()
        sale = _FlashSale(target, price, product.currency, seconds, self._clock() + seconds, AtZero(at_zero))
        self._sale = sale
        self._pinned = target
        self._custom = None
        self._publish()
        self._ticker = asyncio.get_running_loop().create_task(self._run_sale(sale), name=f"flash-sale-{target}")
        await self._push(program_scene)

    async def stop_flash_sale(self) -> None:
        """End the running flash sale now; the card goes back to the regular price."""
        if self._sale is None:
            return
        self._end_sale()
        self._publish()
        await self._push()

    def _end_sale(self) -> None:
        self._sale = None
        ticker, self._ticker = self._ticker, None
        if ticker is not None and ticker is not asyncio.current_task():
            ticker.cancel()

    async def _run_sale(self, sale: _FlashSale) -> None:
        while self._sale is sale:
            left = sale.ends_at - self._clock()
            if left <= 0:
                break
            # Wake when the whole seconds shown change, aligned to the sale's end (no drift).
            await self._sleep(left - (math.ceil(left) - 1))
            if self._sale is not sale:
                return
            if sale.ends_at - self._clock() <= 1e-9:
                break
            self._publish()
            # Not awaited: a slow OBS (reconnecting, resyncing) must not hold the count back.
            self._push_soon()
        if self._sale is not sale:
            return
        log.info("flash sale of %s ended (%s)", sale.sku, sale.at_zero.value)
        self._sale = None
        self._ticker = None
        if sale.at_zero is AtZero.HIDE:
            self._pinned = None
        self._publish()
        await self._push_quietly()

    # -- stock and edits -------------------------------------------------------------------------

    async def adjust_stock(self, sku: str, delta: int) -> int:
        """Add ``delta`` to one variant's stock (never below zero); returns the new stock."""
        product, variant, _ = self._find(sku)
        if variant is None:
            raise ProductShowError(f"{product.title} has several variants: choose one to change its stock")
        return await self.set_stock(variant.sku, (variant.stock or 0) + delta)

    async def set_stock(self, sku: str, stock: int) -> int:
        try:
            self._catalog = self._catalog.with_variant_stock(sku, stock)
        except CatalogError as exc:
            raise ProductShowError(str(exc)) from None
        product, variant, _ = self._find(sku)
        new_stock = variant.stock if variant is not None and variant.stock is not None else 0
        if self._sale is not None:
            sale_product, sale_variant, _ = self._find(self._sale.sku)
            if sale_product.sku == product.sku and card_for(sale_product, sale_variant).sold_out:
                log.info("%s sold out: the flash sale ends", self._sale.sku)
                self._end_sale()
        self._catalog_changed()
        self._publish()
        await self._push()
        return new_stock

    async def update_product(self, product: Product) -> None:
        """Replace a product (the editor's save); the card on air follows."""
        try:
            self._catalog = self._catalog.replaced(product)
        except CatalogError as exc:
            raise ProductShowError(str(exc)) from None
        self._catalog_changed()
        self._publish()
        await self._push()

    async def set_catalog(self, catalog: Catalog) -> tuple[str, ...]:
        """Work with a new catalog (after an import); returns queue SKUs dropped because they are gone."""
        self._catalog = catalog
        dropped = tuple(s for s in self._queue if catalog.find(s) is None)
        self._queue = [s for s in self._queue if s not in dropped]
        if self._pinned is not None and catalog.find(self._pinned) is None:
            self._end_sale()
            self._pinned = None
        self._catalog_changed()
        self._publish()
        await self._push()
        return dropped

    # -- resuming --------------------------------------------------------------------------------

    async def restore(
        self,
        *,
        queue: Iterable[str],
        pinned_sku: str | None,
        stock: Mapping[str, int | None] | None = None,
        flash_sale: SaleToResume | None = None,
    ) -> tuple[str, ...]:
        """Put the show back as it was before a crash; returns the SKUs skipped as no longer in the catalog.

        The card is pushed again whatever OBS shows now (OBS may have kept, lost or changed it); when
        OBS is away the state is restored all the same and the card follows once OBS is back.
        """
        skipped: list[str] = []
        catalog = self._catalog
        for sku, count in (stock or {}).items():
            try:
                catalog = catalog.with_variant_stock(sku, count)
            except CatalogError:
                skipped.append(sku)
        self._catalog = catalog
        known = [s for s in dict.fromkeys(s.strip() for s in queue) if catalog.find(s) is not None]
        skipped += [s for s in queue if catalog.find(s) is None]
        self._queue = known
        self._end_sale()
        self._pinned = None
        if pinned_sku is not None:
            if catalog.find(pinned_sku) is None:
                skipped.append(pinned_sku)
            else:
                self._pinned = pinned_sku.strip()
        self._last_queue_index = self._queue.index(self._pinned) if self._pinned in self._queue else -1
        hit = catalog.find(flash_sale.sku) if flash_sale is not None else None
        if flash_sale is not None and hit is not None and flash_sale.seconds_left > 0:
            self._sale = _FlashSale(
                flash_sale.sku.strip(),
                flash_sale.deal_price,
                hit[0].currency,
                flash_sale.duration_s,
                self._clock() + flash_sale.seconds_left,
                AtZero(flash_sale.at_zero),
            )
            self._pinned = self._sale.sku
            self._ticker = asyncio.get_running_loop().create_task(
                self._run_sale(self._sale), name=f"flash-sale-{self._sale.sku}"
            )
        self._on_air_known = False
        self._catalog_changed()
        self._publish()
        await self._push_quietly()
        return tuple(dict.fromkeys(skipped))

    # -- on air ----------------------------------------------------------------------------------

    def desired_card(self) -> CardState | None:
        """The card that should be on air now, or None."""
        if self._custom is not None:
            return self._custom
        if self._pinned is None:
            return None
        return self._card(self._pinned)

    def _card(self, sku: str) -> CardState | None:
        hit = self._catalog.find(sku)
        if hit is None:
            return None
        product, variant = hit
        sale = self._sale if self._sale is not None and self._sale.sku == sku else None
        return card_for(
            product,
            variant,
            layout=self._layout,
            theme=self._theme,
            deal_price=sale.deal_price if sale else None,
            flash_seconds_left=self._seconds_left(sale) if sale else None,
            low_stock_threshold=self.low_stock_threshold,
        )

    async def _push(self, program_scene: str | None = None) -> None:
        """Make OBS show the desired card (or nothing); raises ObsError/OverlayError when OBS fails.

        ``program_scene`` goes in the same OBS batch as the card, so both change in one frame.
        """
        # Passed only when set: overlays written before the run of show take no such argument.
        scene = {"program_scene": program_scene} if program_scene is not None else {}
        async with self._push_lock:
            desired = self.desired_card()
            try:
                if desired is None:
                    if self._on_air is None and self._on_air_known and not scene:
                        return
                    await self.overlay.hide(self.slot, **scene)
                    self._on_air = None
                else:
                    width, height = await self.overlay.canvas_size()
                    key = (desired, width, height)
                    if key == self._on_air and self._on_air_known and not scene:
                        return
                    png = self._png(desired, width, height)
                    rect = card_rect(desired.layout, width, height)
                    if self._on_air is not None and self._on_air_known:
                        await self.overlay.update(self.slot, png, (rect.x, rect.y), **scene)
                    else:
                        await self.overlay.show(self.slot, png, (rect.x, rect.y), **scene)
                    self._on_air = key
                self._on_air_known = True
                self._problem = None
            except (ObsError, OverlayError) as exc:
                self._on_air_known = False
                self._problem = f"The product card could not be updated in OBS: {exc}"
                raise
            finally:
                self._publish()

    def _png(self, card: CardState, width: int, height: int) -> bytes:
        key = (card, width, height)
        png = self._pngs.get(key)
        if png is None:
            png = self.render(card, width, height)
            self._pngs[key] = png
            while len(self._pngs) > PNG_CACHE_SIZE:
                self._pngs.popitem(last=False)
        else:
            self._pngs.move_to_end(key)
        return png

    def _schedule_prerender(self) -> None:
        """Draw the queued products' cards while nothing else happens (debounced)."""
        if self._prerender_task is not None and not self._prerender_task.done():
            self._prerender_task.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a test building the show synchronously): cards are drawn on demand
        self._prerender_task = loop.create_task(self._prerender(), name="card-prerender")

    async def _prerender(self) -> None:
        await asyncio.sleep(0.5)
        try:
            width, height = await self.overlay.canvas_size()
        except Exception:  # OBS not there yet: the cards are drawn when pinned
            return
        for sku in self._queue[: PNG_CACHE_SIZE // 2]:
            card = self._card(sku)
            if card is not None:
                self._png(card, width, height)
            await asyncio.sleep(0.01)  # one card per loop turn: the UI stays responsive

    def _push_soon(self) -> None:
        """Bring the card on air up to date in the background; pushes asked for meanwhile coalesce into one."""
        self._push_wanted = True
        if self._pusher is not None and not self._pusher.done():
            return
        task = asyncio.get_running_loop().create_task(self._push_while_wanted(), name="product-card-tick")
        self._pusher = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push_while_wanted(self) -> None:
        while self._push_wanted:
            self._push_wanted = False
            await self._push_quietly()

    async def _push_quietly(self) -> None:
        try:
            await self._push()
        except (ObsError, OverlayError) as exc:
            log.warning("product card update failed: %s", exc)

    def _overlay_changed(self, change: OverlayChange) -> None:
        if change is OverlayChange.RECONNECTED:
            self._on_air_known = False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # called outside the loop: the next push catches up
        task = loop.create_task(self._push_quietly(), name=f"product-card-{change.value}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop the countdown and background pushes; the card stays as OBS shows it."""
        self._unsubscribe_overlay()
        ticker = self._ticker
        self._end_sale()
        tasks = [*self._tasks, *([ticker] if ticker else []), *([self._prerender_task] if self._prerender_task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
