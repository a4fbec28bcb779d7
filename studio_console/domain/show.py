"""Tonight's show as the UI and the remote API see it: queue, pinned product, running flash sale."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from studio_console.domain.base import StrictFrozen as _Frozen
from studio_console.domain.card import CardLayout

FLASH_SALE_MIN_S = 10
FLASH_SALE_MAX_S = 300


class AtZero(StrEnum):
    """What the card does when a flash sale's countdown reaches zero."""

    REGULAR_PRICE = "regular_price"
    HIDE = "hide"


class FlashSaleState(_Frozen):
    sku: str
    deal_price: Decimal
    currency: str
    duration_s: int
    seconds_left: int
    at_zero: AtZero


class ShowState(_Frozen):
    """A snapshot of the show; a new one replaces the old on every change."""

    queue: tuple[str, ...] = ()
    # The product (or variant) SKU on air, or None when no card is pinned.
    pinned_sku: str | None = None
    pinned_title: str | None = None
    flash_sale: FlashSaleState | None = None
    layout: CardLayout = CardLayout.LOWER_THIRD
    # True while OBS shows a product card: it follows OBS, so it may still be True for a moment after
    # an unpin, until OBS has hidden the card; False while OBS is unreachable.
    on_air: bool = False
    # The last failure to put the card on air, in one sentence (None when all is well).
    problem: str | None = None
