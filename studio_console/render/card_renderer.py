"""Draws on-air product cards with Pillow, laid out for the canvas: PNG of the card for OBS, canvas images for checks.

Qt-free, so the core renders cards headless. Product text is drawn as plain text only (Pillow draws
glyphs, never markup), with control and bidi-override characters removed first. May run on any
thread: drawing takes the process-wide ``fonts.DRAWING`` lock (the cached FreeType faces are shared).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageOps

from studio_console.domain.card import CardLayout, CardRect, CardState, Theme, card_rect
from studio_console.render.draw import (
    PNG_COMPRESS_LEVEL,
    elide,
    pill,
    png,
    rgba,
    rounded_mask,
    text_in_box,
)
from studio_console.render.fonts import DRAWING, Face, face, paste_over
from studio_console.render.text import drawable_text

log = logging.getLogger(__name__)

_CACHE_SIZE = 32
_TRANSPARENT = (0, 0, 0, 0)


@dataclass(frozen=True)
class RenderedCard:
    """A rendered card: the canvas-sized RGBA image and the rectangle the card occupies in it."""

    image: Image.Image
    rect: CardRect


@dataclass(frozen=True)
class _Box:
    """A fractional rectangle in the card's own pixels (Qt's QRectF, the little of it the layouts use)."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def centre_x(self) -> float:
        return self.left + self.width / 2

    @property
    def centre_y(self) -> float:
        return self.top + self.height / 2


def _face(family: str, pixels: float, bold: bool = False) -> Face:
    return face(family, max(6, round(pixels)), bold)


def _fit(family: str, pixels: float, bold: bool, text: str, width: float, smallest: int = 7) -> Face:
    """The font shrunk until ``text`` fits ``width`` (or the smallest readable size)."""
    fitted = _face(family, pixels, bold)
    while fitted.pixels > smallest and fitted.length(text) > width:
        fitted = face(family, max(smallest, int(fitted.pixels * 0.9)), bold)
    return fitted


def _scaled(base: Face, family: str, bold: bool, scale: float) -> Face:
    return face(family, max(6, round(base.pixels * scale)), bold)


def _wrap_two_lines(font: Face, text: str, width: float) -> list[str]:
    """Greedy word wrap into at most two lines; the second is elided."""
    words = text.split()
    first: list[str] = []
    while words and font.length(" ".join([*first, words[0]])) <= width:
        first.append(words.pop(0))
    if not first:  # one very long word
        return [elide(font, text, width)]
    if not words:
        return [" ".join(first)]
    return [" ".join(first), elide(font, " ".join(words), width)]


class CardRenderer:
    """Renders CardStates; product pictures and logos are decoded once and cached."""

    def __init__(self, compress_level: int = PNG_COMPRESS_LEVEL) -> None:
        self.compress_level = compress_level
        self._images: OrderedDict[tuple[str, int, int, float], Image.Image | None] = OrderedDict()
        self._lock = threading.Lock()

    # -- public ----------------------------------------------------------------------------------

    def render(self, state: CardState, canvas_w: int, canvas_h: int) -> RenderedCard:
        """The card on a transparent ``canvas_w`` x ``canvas_h`` image, and where it sits."""
        card, rect = self.render_card(state, canvas_w, canvas_h)
        image = Image.new("RGBA", (canvas_w, canvas_h), _TRANSPARENT)
        image.paste(card, (rect.x, rect.y))
        return RenderedCard(image, rect)

    def render_card(self, state: CardState, canvas_w: int, canvas_h: int) -> tuple[Image.Image, CardRect]:
        """Only the card, as laid out for the canvas: an RGBA image of ``card_rect()``'s size, and that rect."""
        with DRAWING:
            return self._render_card(state, canvas_w, canvas_h)

    def _render_card(self, state: CardState, canvas_w: int, canvas_h: int) -> tuple[Image.Image, CardRect]:
        rect = card_rect(state.layout, canvas_w, canvas_h)
        theme = state.theme
        # The panel colour everywhere, the content over it, then the rounded corners cut out: the
        # content never reaches the corners, and one mask is cheaper than clipping every piece.
        card = Image.new("RGBA", (rect.width, rect.height), rgba(theme.panel))
        box = _Box(0.0, 0.0, float(rect.width), float(rect.height))
        if state.layout is CardLayout.SIDE_PANEL:
            self._draw_stacked(card, state, box)
        else:
            self._draw_row(card, state, box)
        radius = theme.corner_radius * min(rect.width, rect.height)
        card.putalpha(ImageChops.multiply(card.getchannel("A"), rounded_mask(rect.width, rect.height, radius)))
        return card, rect

    def render_png(self, state: CardState, canvas_w: int, canvas_h: int) -> bytes:
        """The card alone as PNG (to be placed at ``card_rect()``): the ``render`` callable ProductShow takes."""
        return png(self.render_card(state, canvas_w, canvas_h)[0], self.compress_level)

    __call__ = render_png

    # -- layouts ---------------------------------------------------------------------------------

    def _draw_row(self, card: Image.Image, state: CardState, box: _Box) -> None:
        """Lower third: the picture on the left, the texts beside it.

        A wide card (16:9) sets the texts in three rows; a narrower, taller one (9:16) stacks them
        and puts the countdown on the picture, so nothing shrinks below reading size on a phone.
        """
        theme = state.theme
        family = theme.font_family
        pad = max(3.0, 0.08 * box.height)
        inner_h = box.height - 2 * pad
        picture = _Box(box.left + pad, box.top + pad, inner_h, inner_h)
        self._draw_picture(card, state, picture, 0.08 * inner_h)
        left = picture.right + pad
        width = box.right - pad - left
        countdown = state.countdown_text
        if width < inner_h * 2.6:
            if countdown:
                font = _fit(family, inner_h * 0.13, True, countdown, picture.width * 0.9)
                centre_y = picture.bottom - font.height * 0.9
                pill(
                    card,
                    font,
                    countdown,
                    picture.centre_x,
                    centre_y,
                    rgba(theme.accent),
                    rgba(theme.accent_text),
                    centred=True,
                )
            column = _Box(left, box.top + pad, width, inner_h)
            self._text_block(card, state, column, min(inner_h / 8.6, width / 8.0), code_at_bottom=True)
            return
        rows = (inner_h * 0.30, inner_h * 0.40, inner_h * 0.30)
        top = box.top + pad

        # Row 1: title (and variant), logo at the right.
        row = _Box(left, top, width, rows[0])
        logo_w = self._draw_logo(card, theme, _Box(row.right - row.height * 3, row.top, row.height * 3, row.height))
        title_font = _face(family, rows[0] * 0.72, bold=True)
        text_in_box(
            card, title_font, self._title(state), row.left, row.top, row.width - logo_w, row.height, rgba(theme.text)
        )

        # Row 2: price, struck price, discount badge; countdown badge at the right.
        row = _Box(left, top + rows[0], width, rows[1])
        countdown_w = 0.0
        if countdown:
            countdown_font = _face(family, rows[1] * 0.42, bold=True)
            countdown_w = pill(
                card,
                countdown_font,
                countdown,
                row.right,
                row.centre_y,
                rgba(theme.accent),
                rgba(theme.accent_text),
                align_right=True,
            )
        self._price_line(card, state, _Box(row.left, row.top, row.width - countdown_w - pad, row.height), rows[1])

        # Row 3: stock note, and the buy code at the right.
        row = _Box(left, top + rows[0] + rows[1], width, rows[2])
        code_w = 0.0
        code = drawable_text(state.code_text or "")
        if code:
            code_font = _fit(family, rows[2] * 0.55, True, code, row.width * 0.62)
            code_w = pill(
                card,
                code_font,
                code,
                row.right,
                row.centre_y,
                rgba(theme.code_background),
                rgba(theme.code_text),
                align_right=True,
            )
        stock = state.stock_text
        if stock:
            colour = theme.sold_out if state.sold_out else theme.accent
            stock_font = _face(family, rows[2] * 0.55, bold=True)
            text_in_box(card, stock_font, stock, row.left, row.top, row.width - code_w - pad, row.height, rgba(colour))

    def _draw_stacked(self, card: Image.Image, state: CardState, box: _Box) -> None:
        """Side panel: logo and countdown, picture, then title, prices, stock and buy code below it."""
        theme = state.theme
        pad = max(4.0, 0.06 * box.width)
        inner = _Box(box.left + pad, box.top + pad, box.width - 2 * pad, box.height - 2 * pad)
        unit = min(inner.height / 16.0, inner.width / 7.5)
        y = inner.top
        countdown = state.countdown_text
        if countdown or theme.logo_path:
            header = _Box(inner.left, y, inner.width, unit * 1.3)
            self._draw_logo(
                card, theme, _Box(header.left, header.top, header.height * 3, header.height), align_left=True
            )
            if countdown:
                font = _face(theme.font_family, header.height * 0.6, bold=True)
                pill(
                    card,
                    font,
                    countdown,
                    header.right,
                    header.centre_y,
                    rgba(theme.accent),
                    rgba(theme.accent_text),
                    align_right=True,
                )
            y = header.bottom + unit * 0.3
        side = min(inner.width, inner.height * 0.42)
        picture = _Box(inner.centre_x - side / 2, y, side, side)
        self._draw_picture(card, state, picture, 0.06 * side)
        column = _Box(inner.left, picture.bottom + unit * 0.4, inner.width, inner.bottom - picture.bottom - unit * 0.4)
        self._text_block(card, state, column, min(unit, column.height / 8.6, column.width / 7.0), code_at_bottom=True)

    def _text_block(self, card: Image.Image, state: CardState, rect: _Box, unit: float, code_at_bottom: bool) -> None:
        """Title (two lines at most), price, struck price and discount, stock, buy code: stacked in ``rect``."""
        theme = state.theme
        family = theme.font_family
        y = rect.top
        title_font = _face(family, unit * 0.95, bold=True)
        line_h = title_font.height
        for line in _wrap_two_lines(title_font, self._title(state), rect.width):
            text_in_box(card, title_font, line, rect.left, y, rect.width, line_h, rgba(theme.text))
            y += line_h
        y += unit * 0.15
        price_font = _fit(family, unit * 1.55, True, state.price_text, rect.width)
        line_h = price_font.height
        price_colour = theme.sold_out if state.sold_out else theme.price
        text_in_box(card, price_font, state.price_text, rect.left, y, rect.width, line_h, rgba(price_colour))
        y += line_h
        struck = state.struck_text
        if struck:
            struck_font = _face(family, unit * 0.8)
            line_h = struck_font.height * 1.25
            x = rect.left
            x += text_in_box(card, struck_font, struck, x, y, rect.width, line_h, rgba(theme.muted_text), strike=True)
            discount = state.discount_text
            if discount:
                badge_font = _face(family, unit * 0.72, bold=True)
                pill(
                    card,
                    badge_font,
                    discount,
                    x + unit * 0.4,
                    y + line_h / 2,
                    rgba(theme.accent),
                    rgba(theme.accent_text),
                )
            y += line_h
        stock = state.stock_text
        if stock:
            stock_font = _face(family, unit * 0.85, bold=True)
            line_h = stock_font.height
            colour = theme.sold_out if state.sold_out else theme.accent
            text_in_box(card, stock_font, stock, rect.left, y, rect.width, line_h, rgba(colour))
            y += line_h
        code = drawable_text(state.code_text or "")
        if code:
            code_font = _fit(family, unit * 0.8, True, code, rect.width - unit)
            half = code_font.height * 0.65
            centre_y = max(y + unit * 0.2 + half, rect.bottom - half) if code_at_bottom else y + unit * 0.2 + half
            pill(card, code_font, code, rect.left, centre_y, rgba(theme.code_background), rgba(theme.code_text))

    # -- pieces ----------------------------------------------------------------------------------

    @staticmethod
    def _title(state: CardState) -> str:
        title = f"{state.title} · {state.variant_label}" if state.variant_label else state.title
        return drawable_text(title)

    def _price_line(self, card: Image.Image, state: CardState, rect: _Box, height: float) -> None:
        """Price, then the struck price and the discount badge, shrunk together until they fit."""
        theme = state.theme
        family = theme.font_family
        price_font = _face(family, height * 0.72, bold=True)
        struck_font = _face(family, height * 0.42)
        badge_font = _face(family, height * 0.38, bold=True)
        gap = height * 0.18
        price, struck, discount = state.price_text, state.struck_text, state.discount_text

        def needed(scale: float) -> float:
            total = _scaled(price_font, family, True, scale).length(price)
            if struck:
                total += gap + _scaled(struck_font, family, False, scale).length(struck)
            if discount:
                badge = _scaled(badge_font, family, True, scale)
                total += gap + badge.length(discount) + badge.height * 1.04
            return total

        scale = 1.0
        while scale > 0.4 and needed(scale) > rect.width:
            scale *= 0.92
        x = rect.left
        price_colour = theme.sold_out if state.sold_out else theme.price
        x += text_in_box(
            card,
            _scaled(price_font, family, True, scale),
            price,
            x,
            rect.top,
            rect.right - x,
            rect.height,
            rgba(price_colour),
        )
        if struck and x + gap < rect.right:
            x += gap
            x += text_in_box(
                card,
                _scaled(struck_font, family, False, scale),
                struck,
                x,
                rect.top,
                rect.right - x,
                rect.height,
                rgba(theme.muted_text),
                strike=True,
            )
        if discount and x + gap < rect.right:
            x += gap
            pill(
                card,
                _scaled(badge_font, family, True, scale),
                discount,
                x,
                rect.centre_y,
                rgba(theme.accent),
                rgba(theme.accent_text),
            )

    def _draw_picture(self, card: Image.Image, state: CardState, rect: _Box, radius: float) -> None:
        """The product picture cropped to a rounded square; a lettered tile when there is none."""
        theme = state.theme
        x0, y0 = round(rect.left), round(rect.top)
        w, h = round(rect.right) - x0, round(rect.bottom) - y0
        if w < 1 or h < 1:
            return
        picture = self._load(state.image_path, w, h, cover=True)
        if picture is not None:
            tile = Image.new("RGBA", (w, h), (255, 255, 255, 255))
            paste_over(tile, picture, (w - picture.width) // 2, (h - picture.height) // 2)
        else:
            tile = Image.new("RGBA", (w, h), rgba(theme.muted_text))
            letter = (drawable_text(state.title)[:1] or "?").upper()
            font = _face(theme.font_family, h * 0.5, bold=True)
            text_in_box(tile, font, letter, 0, 0, w, h, rgba(theme.panel), centred=True)
        if state.sold_out:
            tile = Image.alpha_composite(tile, Image.new("RGBA", (w, h), (0, 0, 0, 150)))
        card.paste(tile, (x0, y0), rounded_mask(w, h, radius))

    def _draw_logo(self, card: Image.Image, theme: Theme, rect: _Box, align_left: bool = False) -> float:
        """The brand logo fitted into ``rect`` (right-aligned unless ``align_left``); returns its width."""
        logo = self._load(theme.logo_path, int(rect.width), int(rect.height), cover=False)
        if logo is None:
            return 0.0
        x = rect.left if align_left else rect.right - logo.width
        paste_over(card, logo, round(x), round(rect.centre_y - logo.height / 2))
        return float(logo.width)

    def _load(self, path: str | None, width: int, height: int, *, cover: bool) -> Image.Image | None:
        """``path`` decoded and scaled (cover: fill the box and crop; else fit inside), as RGBA; cached."""
        if not path or path.lower().startswith(("http://", "https://")) or width < 1 or height < 1:
            return None  # remote pictures are not fetched by the renderer
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return None
        key = (path, width if cover else -width, height, mtime)
        with self._lock:
            if key in self._images:
                self._images.move_to_end(key)
                return self._images[key]
        scaled = _decode(path, width, height, cover)
        with self._lock:
            self._images[key] = scaled
            while len(self._images) > _CACHE_SIZE:
                self._images.popitem(last=False)
        return scaled


def _decode(path: str, width: int, height: int, cover: bool) -> Image.Image | None:
    try:
        with Image.open(path) as opened:
            opened.draft("RGB", (width, height))  # JPEG decodes at a reduced size when that is enough
            image = ImageOps.exif_transpose(opened).convert("RGBA")
    except Exception as exc:  # any unreadable picture gets the lettered tile, never a failed card
        log.warning("cannot read picture %s: %s", path, exc)
        return None
    if cover:
        return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)
    return ImageOps.contain(image, (width, height), Image.Resampling.LANCZOS)
