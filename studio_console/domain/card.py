"""What an on-air product card says and where it sits: brand theme, layouts, card state and its texts."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from pydantic import Field, field_validator

from studio_console.domain.base import StrictFrozen as _Frozen
from studio_console.domain.catalog import Product, Variant
from studio_console.domain.money import discount_percent, format_money

_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


class Theme(_Frozen):
    """A brand's look: colours as ``#RRGGBB`` or ``#AARRGGBB`` (alpha first, as Qt reads them)."""

    panel: str = "#E6141821"
    text: str = "#FFFFFF"
    muted_text: str = "#B8BDC7"
    price: str = "#FFD54F"
    accent: str = "#E53935"
    accent_text: str = "#FFFFFF"
    code_background: str = "#FFFFFF"
    code_text: str = "#141821"
    sold_out: str = "#9E9E9E"
    font_family: str = "DejaVu Sans"
    logo_path: str | None = None
    # Corner radius as a fraction of the card's shorter side.
    corner_radius: float = Field(default=0.08, ge=0.0, le=0.5)

    @field_validator(
        "panel", "text", "muted_text", "price", "accent", "accent_text", "code_background", "code_text", "sold_out"
    )
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError(f"{value!r} is not a colour like #RRGGBB or #AARRGGBB")
        return value


class CardLayout(StrEnum):
    LOWER_THIRD = "lower_third"
    SIDE_PANEL = "side_panel"


class CardRect(NamedTuple):
    """A rectangle in canvas pixels."""

    x: int
    y: int
    width: int
    height: int

    def contains(self, px: int, py: int) -> bool:
        return self.x <= px < self.x + self.width and self.y <= py < self.y + self.height

    def scaled(self, factor_x: float, factor_y: float) -> CardRect:
        """The same region in a screenshot of another size (rounded outwards)."""
        x0, y0 = math.floor(self.x * factor_x), math.floor(self.y * factor_y)
        x1 = math.ceil((self.x + self.width) * factor_x)
        y1 = math.ceil((self.y + self.height) * factor_y)
        return CardRect(x0, y0, x1 - x0, y1 - y0)


# Fractions of the canvas: (x, y, width, height). Vertical canvases (TikTok, Reels) keep the lowest
# fifth free because the platform's own comment list and buttons cover it.
_GEOMETRY: dict[tuple[CardLayout, bool], tuple[float, float, float, float]] = {
    (CardLayout.LOWER_THIRD, False): (0.03, 0.69, 0.64, 0.27),
    (CardLayout.SIDE_PANEL, False): (0.69, 0.05, 0.28, 0.90),
    (CardLayout.LOWER_THIRD, True): (0.04, 0.55, 0.92, 0.21),
    (CardLayout.SIDE_PANEL, True): (0.52, 0.12, 0.44, 0.42),
}


def is_vertical(canvas_w: int, canvas_h: int) -> bool:
    return canvas_h > canvas_w


def card_rect(layout: CardLayout, canvas_w: int, canvas_h: int) -> CardRect:
    """Where the card of ``layout`` sits on a canvas; every pixel the card paints lies inside."""
    fx, fy, fw, fh = _GEOMETRY[(layout, is_vertical(canvas_w, canvas_h))]
    x, y = round(fx * canvas_w), round(fy * canvas_h)
    return CardRect(x, y, max(1, round(fw * canvas_w)), max(1, round(fh * canvas_h)))


class CardState(_Frozen):
    """Everything one rendering of a product card shows; equal states render identical images."""

    sku: str
    title: str
    variant_label: str = ""
    currency: str = "USD"
    # What a viewer pays now: the deal price during a flash sale.
    price: Decimal
    # Shown struck through: the compare-at price, or the regular price during a flash sale.
    struck_price: Decimal | None = None
    # A multi-variant product whose variants cost different amounts ("from $19.99").
    from_price: bool = False
    stock: int | None = None
    sold_out: bool = False
    short_code: str | None = None
    image_path: str | None = None
    flash_seconds_left: int | None = None
    layout: CardLayout = CardLayout.LOWER_THIRD
    theme: Theme = Theme()
    low_stock_threshold: int = 10
    # A teaser (run of show: preheat, a price still to be revealed) is drawn like the card but says
    # ``teaser_text`` where the price goes, and shows no struck price, discount, stock or buy code.
    teaser: bool = False
    teaser_text: str = "Coming up"
    # Preheat: seconds until the show goes live ("Live in mm:ss" where a flash sale's countdown goes).
    live_in_s: int | None = None

    @property
    def price_text(self) -> str:
        if self.teaser:
            return self.teaser_text
        text = format_money(self.price, self.currency)
        return f"from {text}" if self.from_price else text

    @property
    def struck_text(self) -> str | None:
        if self.teaser:
            return None
        if self.discount_percent is None or self.struck_price is None:
            return None
        return format_money(self.struck_price, self.currency)

    @property
    def discount_percent(self) -> int | None:
        return discount_percent(self.price, self.struck_price)

    @property
    def discount_text(self) -> str | None:
        if self.teaser:
            return None
        percent = self.discount_percent
        return f"-{percent}%" if percent else None

    @property
    def stock_text(self) -> str | None:
        if self.teaser:
            return None
        if self.sold_out:
            return "Sold out"
        if self.stock is not None and 0 < self.stock <= self.low_stock_threshold:
            return f"Only {self.stock} left"
        return None

    @property
    def code_text(self) -> str | None:
        if self.teaser or not self.short_code or self.sold_out:
            return None
        return f"Comment {self.short_code} to buy"

    @property
    def countdown_text(self) -> str | None:
        if self.live_in_s is not None:
            minutes, seconds = divmod(max(0, self.live_in_s), 60)
            return f"Live in {minutes:02d}:{seconds:02d}"
        if self.flash_seconds_left is None:
            return None
        minutes, seconds = divmod(max(0, self.flash_seconds_left), 60)
        return f"{minutes:02d}:{seconds:02d} left"


def card_for(
    product: Product,
    variant: Variant | None = None,
    *,
    layout: CardLayout = CardLayout.LOWER_THIRD,
    theme: Theme | None = None,
    deal_price: Decimal | None = None,
    flash_seconds_left: int | None = None,
    low_stock_threshold: int = 10,
) -> CardState:
    """The card of ``product``; of one ``variant`` when given, else of the whole product.

    A product-level card advertises the cheapest in-stock variant and the stock of all variants.
    During a flash sale (``deal_price``) the regular price (or a higher compare-at price) is struck.
    """
    shown = variant or product.cheapest
    if variant is not None:
        stock, sold_out = variant.stock, variant.sold_out
    else:
        stock, sold_out = product.total_stock, product.sold_out
    struck = shown.compare_at_price
    price = shown.price
    from_price = variant is None and product.prices_differ
    if deal_price is not None:
        struck = max(price, struck) if struck is not None else price
        price = deal_price
        from_price = False
    return CardState(
        sku=shown.sku if variant is not None else product.sku,
        title=product.title,
        variant_label=shown.label if variant is not None else "",
        currency=product.currency,
        price=price,
        struck_price=struck,
        from_price=from_price,
        stock=stock,
        sold_out=sold_out,
        short_code=product.short_code,
        image_path=(shown.image or product.image) if variant is not None else product.image,
        flash_seconds_left=flash_seconds_left,
        layout=layout,
        theme=theme or Theme(),
        low_stock_threshold=low_stock_threshold,
    )
