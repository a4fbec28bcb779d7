"""Draws on-air product cards with QPainter, laid out for the canvas: PNG of the card for OBS, canvas images for checks.

Product text is drawn as plain text only (``QPainter.drawText``), never as rich text. Needs a
QGuiApplication for fonts; painting a QImage is also allowed off the GUI thread.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QImageReader, QPainter, QPainterPath

from studio_console.domain.card import CardLayout, CardRect, CardState, Theme, card_rect

log = logging.getLogger(__name__)

# Qt's PNG writer maps quality 0-100 onto zlib levels; 80 is the fastest that still compresses (the
# file is read once from a local disk, so encoding time matters more than size).
PNG_QUALITY = 80
_CACHE_SIZE = 32


@dataclass(frozen=True)
class RenderedCard:
    """A rendered card: the canvas-sized image and the rectangle the card occupies in it."""

    image: QImage
    rect: CardRect


def _font(family: str, pixels: float, bold: bool = False, strike: bool = False) -> QFont:
    font = QFont(family)
    font.setPixelSize(max(6, round(pixels)))
    font.setBold(bold)
    font.setStrikeOut(strike)
    return font


def _fit(font: QFont, text: str, width: float, smallest: int = 7) -> QFont:
    """``font`` shrunk until ``text`` fits ``width`` (or the smallest readable size)."""
    fitted = QFont(font)
    while fitted.pixelSize() > smallest and QFontMetricsF(fitted).horizontalAdvance(text) > width:
        fitted.setPixelSize(max(smallest, int(fitted.pixelSize() * 0.9)))
    return fitted


def _elide(font: QFont, text: str, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, max(0.0, width))


def _wrap_two_lines(font: QFont, text: str, width: float) -> list[str]:
    """Greedy word wrap into at most two lines; the second is elided."""
    metrics = QFontMetricsF(font)
    words = text.split()
    first: list[str] = []
    while words and metrics.horizontalAdvance(" ".join([*first, words[0]])) <= width:
        first.append(words.pop(0))
    if not first:  # one very long word
        return [_elide(font, text, width)]
    if not words:
        return [" ".join(first)]
    return [" ".join(first), _elide(font, " ".join(words), width)]


class CardRenderer:
    """Renders CardStates; product pictures and logos are decoded once and cached."""

    def __init__(self, png_quality: int = PNG_QUALITY) -> None:
        self.png_quality = png_quality
        self._images: OrderedDict[tuple[str, int, int, float], QImage | None] = OrderedDict()

    # -- public ----------------------------------------------------------------------------------

    def render(self, state: CardState, canvas_w: int, canvas_h: int) -> RenderedCard:
        """The card on a transparent ``canvas_w`` x ``canvas_h`` image, and where it sits."""
        card, rect = self.render_card(state, canvas_w, canvas_h)
        image = QImage(QSize(canvas_w, canvas_h), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.drawImage(rect.x, rect.y, card)
        painter.end()
        return RenderedCard(image, rect)

    def render_card(self, state: CardState, canvas_w: int, canvas_h: int) -> tuple[QImage, CardRect]:
        """Only the card, as laid out for the canvas: an image of ``card_rect()``'s size, and that rect."""
        rect = card_rect(state.layout, canvas_w, canvas_h)
        image = QImage(QSize(rect.width, rect.height), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            # Lay out in canvas coordinates (sizes follow the canvas), paint into the card's own image.
            painter.translate(-rect.x, -rect.y)
            box = QRectF(rect.x, rect.y, rect.width, rect.height)
            painter.setClipRect(box)
            radius = state.theme.corner_radius * min(rect.width, rect.height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(state.theme.panel))
            painter.drawRoundedRect(box, radius, radius)
            if state.layout is CardLayout.SIDE_PANEL:
                self._draw_stacked(painter, state, box)
            else:
                self._draw_row(painter, state, box)
        finally:
            painter.end()
        return image, rect

    def render_png(self, state: CardState, canvas_w: int, canvas_h: int) -> bytes:
        """The card alone as PNG (to be placed at ``card_rect()``): the ``render`` callable ProductShow takes.

        Only the card's rectangle is encoded, not the canvas: at 1080p that is ~5 ms instead of ~50 ms
        to encode, and OBS decodes a small file on its video thread instead of a canvas-sized one.
        """
        return png_bytes(self.render_card(state, canvas_w, canvas_h)[0], self.png_quality)

    __call__ = render_png

    # -- layouts ---------------------------------------------------------------------------------

    def _draw_row(self, painter: QPainter, state: CardState, box: QRectF) -> None:
        """Lower third: the picture on the left, the texts beside it.

        A wide card (16:9) sets the texts in three rows; a narrower, taller one (9:16) stacks them
        and puts the countdown on the picture, so nothing shrinks below reading size on a phone.
        """
        theme = state.theme
        pad = max(3.0, 0.08 * box.height())
        inner_h = box.height() - 2 * pad
        picture = QRectF(box.left() + pad, box.top() + pad, inner_h, inner_h)
        self._draw_picture(painter, state, picture, 0.08 * inner_h)
        left = picture.right() + pad
        width = box.right() - pad - left
        if width < inner_h * 2.6:
            if state.countdown_text:
                font = _font(theme.font_family, inner_h * 0.13, bold=True)
                font = _fit(font, state.countdown_text, picture.width() * 0.9)
                centre_y = picture.bottom() - QFontMetricsF(font).height() * 0.9
                self._badge(
                    painter,
                    font,
                    state.countdown_text,
                    picture.center().x(),
                    centre_y,
                    theme.accent,
                    theme.accent_text,
                    centred=True,
                )
            column = QRectF(left, box.top() + pad, width, inner_h)
            self._text_block(painter, state, column, min(inner_h / 8.6, width / 8.0), code_at_bottom=True)
            return
        rows = (inner_h * 0.30, inner_h * 0.40, inner_h * 0.30)
        top = box.top() + pad

        # Row 1: title (and variant), logo at the right.
        row = QRectF(left, top, width, rows[0])
        logo_w = self._draw_logo(
            painter, theme, QRectF(row.right() - row.height() * 3, row.top(), row.height() * 3, row.height())
        )
        title_font = _font(theme.font_family, rows[0] * 0.72, bold=True)
        self._text(
            painter,
            title_font,
            theme.text,
            QRectF(row.left(), row.top(), row.width() - logo_w, row.height()),
            self._title(state),
        )

        # Row 2: price, struck price, discount badge; countdown badge at the right.
        row = QRectF(left, top + rows[0], width, rows[1])
        countdown_w = 0.0
        if state.countdown_text:
            countdown_font = _font(theme.font_family, rows[1] * 0.42, bold=True)
            countdown_w = self._badge(
                painter,
                countdown_font,
                state.countdown_text,
                row.right(),
                row.center().y(),
                theme.accent,
                theme.accent_text,
                align_right=True,
            )
        self._price_line(
            painter, state, QRectF(row.left(), row.top(), row.width() - countdown_w - pad, row.height()), rows[1]
        )

        # Row 3: stock note, and the buy code at the right.
        row = QRectF(left, top + rows[0] + rows[1], width, rows[2])
        code_w = 0.0
        if state.code_text:
            code_font = _font(theme.font_family, rows[2] * 0.55, bold=True)
            code_font = _fit(code_font, state.code_text, row.width() * 0.62)
            code_w = self._badge(
                painter,
                code_font,
                state.code_text,
                row.right(),
                row.center().y(),
                theme.code_background,
                theme.code_text,
                align_right=True,
            )
        if state.stock_text:
            colour = theme.sold_out if state.sold_out else theme.accent
            stock_font = _font(theme.font_family, rows[2] * 0.55, bold=True)
            self._text(
                painter,
                stock_font,
                colour,
                QRectF(row.left(), row.top(), row.width() - code_w - pad, row.height()),
                state.stock_text,
            )

    def _draw_stacked(self, painter: QPainter, state: CardState, box: QRectF) -> None:
        """Side panel: logo and countdown, picture, then title, prices, stock and buy code below it."""
        theme = state.theme
        pad = max(4.0, 0.06 * box.width())
        inner = box.adjusted(pad, pad, -pad, -pad)
        unit = min(inner.height() / 16.0, inner.width() / 7.5)
        y = inner.top()
        if state.countdown_text or theme.logo_path:
            header = QRectF(inner.left(), y, inner.width(), unit * 1.3)
            self._draw_logo(
                painter,
                theme,
                QRectF(header.left(), header.top(), header.height() * 3, header.height()),
                align_left=True,
            )
            if state.countdown_text:
                font = _font(theme.font_family, header.height() * 0.6, bold=True)
                self._badge(
                    painter,
                    font,
                    state.countdown_text,
                    header.right(),
                    header.center().y(),
                    theme.accent,
                    theme.accent_text,
                    align_right=True,
                )
            y = header.bottom() + unit * 0.3
        side = min(inner.width(), inner.height() * 0.42)
        picture = QRectF(inner.center().x() - side / 2, y, side, side)
        self._draw_picture(painter, state, picture, 0.06 * side)
        column = QRectF(
            inner.left(), picture.bottom() + unit * 0.4, inner.width(), inner.bottom() - picture.bottom() - unit * 0.4
        )
        self._text_block(
            painter, state, column, min(unit, column.height() / 8.6, column.width() / 7.0), code_at_bottom=True
        )

    def _text_block(self, painter: QPainter, state: CardState, rect: QRectF, unit: float, code_at_bottom: bool) -> None:
        """Title (two lines at most), price, struck price and discount, stock, buy code: stacked in ``rect``."""
        theme = state.theme
        y = rect.top()
        title_font = _font(theme.font_family, unit * 0.95, bold=True)
        line_h = QFontMetricsF(title_font).height()
        for line in _wrap_two_lines(title_font, self._title(state), rect.width()):
            self._text(painter, title_font, theme.text, QRectF(rect.left(), y, rect.width(), line_h), line)
            y += line_h
        y += unit * 0.15
        price_font = _fit(_font(theme.font_family, unit * 1.55, bold=True), state.price_text, rect.width())
        line_h = QFontMetricsF(price_font).height()
        price_colour = theme.sold_out if state.sold_out else theme.price
        self._text(painter, price_font, price_colour, QRectF(rect.left(), y, rect.width(), line_h), state.price_text)
        y += line_h
        if state.struck_text:
            struck_font = _font(theme.font_family, unit * 0.8, strike=True)
            line_h = QFontMetricsF(struck_font).height() * 1.25
            x = rect.left()
            x += self._text(
                painter, struck_font, theme.muted_text, QRectF(x, y, rect.width(), line_h), state.struck_text
            )
            if state.discount_text:
                badge_font = _font(theme.font_family, unit * 0.72, bold=True)
                self._badge(
                    painter,
                    badge_font,
                    state.discount_text,
                    x + unit * 0.4,
                    y + line_h / 2,
                    theme.accent,
                    theme.accent_text,
                )
            y += line_h
        if state.stock_text:
            stock_font = _font(theme.font_family, unit * 0.85, bold=True)
            line_h = QFontMetricsF(stock_font).height()
            colour = theme.sold_out if state.sold_out else theme.accent
            self._text(painter, stock_font, colour, QRectF(rect.left(), y, rect.width(), line_h), state.stock_text)
            y += line_h
        if state.code_text:
            code_font = _fit(_font(theme.font_family, unit * 0.8, bold=True), state.code_text, rect.width() - unit)
            half = QFontMetricsF(code_font).height() * 0.65
            centre_y = max(y + unit * 0.2 + half, rect.bottom() - half) if code_at_bottom else y + unit * 0.2 + half
            self._badge(
                painter, code_font, state.code_text, rect.left(), centre_y, theme.code_background, theme.code_text
            )

    # -- pieces ----------------------------------------------------------------------------------

    @staticmethod
    def _title(state: CardState) -> str:
        return f"{state.title} · {state.variant_label}" if state.variant_label else state.title

    @staticmethod
    def _text(
        painter: QPainter,
        font: QFont,
        colour: str,
        rect: QRectF,
        text: str,
        align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
    ) -> float:
        """Plain text, elided to ``rect``; returns the width drawn."""
        shown = _elide(font, text, rect.width())
        painter.setFont(font)
        painter.setPen(QColor(colour))
        painter.drawText(rect, int(align | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine), shown)
        return QFontMetricsF(font).horizontalAdvance(shown)

    @staticmethod
    def _badge(
        painter: QPainter,
        font: QFont,
        text: str,
        x: float,
        centre_y: float,
        background: str,
        foreground: str,
        *,
        align_right: bool = False,
        centred: bool = False,
    ) -> float:
        """A pill with ``text``, anchored at ``x`` (left edge, right edge or centre); returns its width."""
        metrics = QFontMetricsF(font)
        height = metrics.height() * 1.3
        width = metrics.horizontalAdvance(text) + height * 0.8
        left = x - width if align_right else (x - width / 2 if centred else x)
        pill = QRectF(left, centre_y - height / 2, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setFont(font)
        painter.setPen(QColor(foreground))
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextSingleLine), text)
        return width

    def _price_line(self, painter: QPainter, state: CardState, rect: QRectF, height: float) -> None:
        """Price, then the struck price and the discount badge, shrunk together until they fit."""
        theme = state.theme
        price_font = _font(theme.font_family, height * 0.72, bold=True)
        struck_font = _font(theme.font_family, height * 0.42, strike=True)
        badge_font = _font(theme.font_family, height * 0.38, bold=True)
        gap = height * 0.18

        def needed(scale: float) -> float:
            total = QFontMetricsF(_scaled(price_font, scale)).horizontalAdvance(state.price_text)
            if state.struck_text:
                total += gap + QFontMetricsF(_scaled(struck_font, scale)).horizontalAdvance(state.struck_text)
            if state.discount_text:
                metrics = QFontMetricsF(_scaled(badge_font, scale))
                total += gap + metrics.horizontalAdvance(state.discount_text) + metrics.height() * 1.04
            return total

        scale = 1.0
        while scale > 0.4 and needed(scale) > rect.width():
            scale *= 0.92
        x = rect.left()
        price_colour = theme.sold_out if state.sold_out else theme.price
        x += self._text(
            painter,
            _scaled(price_font, scale),
            price_colour,
            QRectF(x, rect.top(), rect.right() - x, rect.height()),
            state.price_text,
        )
        if state.struck_text and x + gap < rect.right():
            x += gap
            x += self._text(
                painter,
                _scaled(struck_font, scale),
                theme.muted_text,
                QRectF(x, rect.top(), rect.right() - x, rect.height()),
                state.struck_text,
            )
        if state.discount_text and x + gap < rect.right():
            x += gap
            self._badge(
                painter,
                _scaled(badge_font, scale),
                state.discount_text,
                x,
                rect.center().y(),
                theme.accent,
                theme.accent_text,
            )

    def _draw_picture(self, painter: QPainter, state: CardState, rect: QRectF, radius: float) -> None:
        """The product picture cropped to a rounded square; a lettered tile when there is none."""
        theme = state.theme
        clip = QPainterPath()
        clip.addRoundedRect(rect, radius, radius)
        painter.save()
        painter.setClipPath(clip, Qt.ClipOperation.IntersectClip)
        picture = self._load(state.image_path, int(rect.width()), int(rect.height()), cover=True)
        if picture is not None:
            painter.fillRect(rect, QColor("#FFFFFF"))
            source = QRectF(
                (picture.width() - rect.width()) / 2,
                (picture.height() - rect.height()) / 2,
                rect.width(),
                rect.height(),
            )
            painter.drawImage(rect, picture, source)
        else:
            painter.fillRect(rect, QColor(theme.muted_text))
            font = _font(theme.font_family, rect.height() * 0.5, bold=True)
            painter.setFont(font)
            painter.setPen(QColor(theme.panel))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), (state.title[:1] or "?").upper())
        if state.sold_out:
            painter.fillRect(rect, QColor(0, 0, 0, 150))
        painter.restore()

    def _draw_logo(self, painter: QPainter, theme: Theme, rect: QRectF, align_left: bool = False) -> float:
        """The brand logo fitted into ``rect`` (right-aligned unless ``align_left``); returns its width."""
        logo = self._load(theme.logo_path, int(rect.width()), int(rect.height()), cover=False)
        if logo is None:
            return 0.0
        x = rect.left() if align_left else rect.right() - logo.width()
        target = QRectF(x, rect.center().y() - logo.height() / 2, logo.width(), logo.height())
        painter.drawImage(target, logo)
        return float(logo.width())

    def _load(self, path: str | None, width: int, height: int, *, cover: bool) -> QImage | None:
        """``path`` decoded and scaled (cover: fill the box and crop; else fit inside); cached."""
        if not path or path.lower().startswith(("http://", "https://")) or width < 1 or height < 1:
            return None  # remote pictures are not fetched by the renderer
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return None
        key = (path, width if cover else -width, height, mtime)
        if key in self._images:
            self._images.move_to_end(key)
            return self._images[key]
        reader = QImageReader(path)
        reader.setAutoTransform(True)
        image = reader.read()
        scaled: QImage | None = None
        if image.isNull():
            log.warning("cannot read picture %s: %s", path, reader.errorString())
        else:
            mode = Qt.AspectRatioMode.KeepAspectRatioByExpanding if cover else Qt.AspectRatioMode.KeepAspectRatio
            scaled = image.scaled(QSize(width, height), mode, Qt.TransformationMode.SmoothTransformation)
        self._images[key] = scaled
        while len(self._images) > _CACHE_SIZE:
            self._images.popitem(last=False)
        return scaled


def _scaled(font: QFont, scale: float) -> QFont:
    scaled = QFont(font)
    scaled.setPixelSize(max(6, round(font.pixelSize() * scale)))
    return scaled


def png_bytes(image: QImage, quality: int = PNG_QUALITY) -> bytes:
    """``image`` encoded as PNG."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stub types the format as bytes, but only a str is accepted at run time.
    if not image.save(buffer, "PNG", quality):  # type: ignore[call-overload]
        raise RuntimeError("Qt could not encode the card as PNG")
    buffer.close()
    return bytes(data.data())
