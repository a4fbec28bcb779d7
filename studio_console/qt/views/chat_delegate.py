"""Paints chat messages with QPainter as plain text: platform badge, name, tags, and the text wrapped and elided."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from studio_console.domain.chat import ChatKind, ChatMessage
from studio_console.domain.viewer_text import clean_message
from studio_console.qt.models.chat_model import ChatRole
from studio_console.qt.plain_text import platform_badge, wrap_plain

log = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

MAX_NAME_CHARS = 120
PAD = 4.0
ACCENT_WIDTH = 4.0

KIND_TINTS: dict[ChatKind, QColor] = {
    ChatKind.GIFT: QColor(255, 193, 7, 60),
    ChatKind.FOLLOW: QColor(76, 175, 80, 55),
    ChatKind.SHARE: QColor(3, 169, 244, 35),
    ChatKind.SYSTEM: QColor(120, 120, 160, 40),
}
DIM_KINDS = frozenset({ChatKind.JOIN, ChatKind.LIKE, ChatKind.SHARE, ChatKind.VIEWER_COUNT})
QUESTION_ACCENT = QColor("#fb8c00")
PURCHASE_ACCENT = QColor("#1e88e5")
FEATURED_BORDER = QColor("#d81b60")


def message_body(message: ChatMessage) -> str:
    """The second part of a row: the text, or what the event was."""
    if message.kind is ChatKind.GIFT:
        gift = f"★ {message.gift_name or 'Gift'} x{message.gift_count or 1}"
        return f"{gift}  {message.text}" if message.text and not message.text.startswith("sent ") else gift
    if message.bits:
        return f"◆ {message.bits} bits  {message.text}"
    if message.kind is ChatKind.FOLLOW:
        return "♥ followed"
    if message.kind is ChatKind.JOIN:
        return "joined"
    if message.kind is ChatKind.LIKE:
        return f"♥ liked x{message.like_count}" if message.like_count else "♥ liked"
    if message.kind is ChatKind.SHARE:
        return "↗ shared the live"
    if message.kind is ChatKind.VIEWER_COUNT:
        return f"{message.viewer_count} viewers"
    return message.text


def message_tags(message: ChatMessage) -> list[str]:
    tags = []
    if message.product_code:
        tags.append(f"→ {message.product_code}")
    if message.top_gifter:
        tags.append("top gifter")
    if message.returning_viewer:
        tags.append("returning")
    tags.extend(b for b in message.badges[:3] if b)
    return tags


class _Fonts:
    """Fonts and metrics derived from one base font, built once per font (paint runs per visible row)."""

    def __init__(self, font: QFont, text_lines: int) -> None:
        self.base = QFont(font)
        self.metrics = QFontMetricsF(self.base)
        self.small = QFont(font)
        self.small.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        self.small.setBold(True)
        self.small_metrics = QFontMetricsF(self.small)
        self.name = QFont(font)
        self.name.setBold(True)
        self.name_metrics = QFontMetricsF(self.name)
        self.italic = QFont(font)
        self.italic.setItalic(True)
        self.header_height = self.metrics.height()
        self.line_spacing = self.metrics.lineSpacing()
        self.ascent = self.metrics.ascent()
        self.row_height = int(PAD * 2 + self.header_height + 2 + self.line_spacing * text_lines + 1)


class ChatMessageDelegate(QStyledItemDelegate):
    """Draws a message in a fixed-height row (the list uses fixed row heights).

    Everything is drawn with QPainter.drawText from Python strings: Qt never parses them as markup,
    so ``<img src=...>`` is just characters. ``on_painted`` (tests, benchmarks) is called per painted row.
    """

    def __init__(self, parent: QWidget | None = None, *, text_lines: int = 2) -> None:
        super().__init__(parent)
        self.text_lines = text_lines
        self.on_painted: Callable[[ChatMessage], None] | None = None
        self._wrap_cache: OrderedDict[tuple[str, str, int, str, bool], tuple[str, ...]] = OrderedDict()
        self._fonts: dict[str, _Fonts] = {}
        self._paint_failed = False  # logged once: a failing row repaints many times a second

    def _fonts_for(self, font: QFont) -> _Fonts:
        key = font.key()
        fonts = self._fonts.get(key)
        if fonts is None:
            fonts = self._fonts[key] = _Fonts(font, self.text_lines)
        return fonts

    def row_height(self, font: QFont) -> int:
        return self._fonts_for(font).row_height

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(max(100, option.rect.width()), self.row_height(option.font))

    def _wrapped(self, message: ChatMessage, body: str, font: QFont, width: float, italic: bool) -> tuple[str, ...]:
        key = (message.source_id, message.message_id, int(width), font.key(), italic)
        lines = self._wrap_cache.get(key)
        if lines is None:
            lines = wrap_plain(body, font, width, self.text_lines)
            self._wrap_cache[key] = lines
            if len(self._wrap_cache) > 1024:
                self._wrap_cache.popitem(last=False)
        return lines

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        message = index.data(ChatRole.MESSAGE)
        if not isinstance(message, ChatMessage):
            return
        # Sources clean viewer text already; a message that reached the model another way must not
        # make every repaint raise (a lone surrogate cannot even be encoded for text layout).
        message = clean_message(message)
        featured = bool(index.data(ChatRole.FEATURED))
        painter.save()
        try:
            self._paint_message(painter, option, message, featured)
        except Exception:
            if not self._paint_failed:
                log.exception("a chat row could not be painted (%s)", message.message_id)
            self._paint_failed = True
        finally:
            painter.restore()
        if self.on_painted is not None:
            self.on_painted(message)

    def _paint_message(
        self, painter: QPainter, option: QStyleOptionViewItem, message: ChatMessage, featured: bool
    ) -> None:
        fonts = self._fonts_for(option.font)
        rect = QRectF(option.rect)
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        elif message.kind in KIND_TINTS:
            painter.fillRect(rect, KIND_TINTS[message.kind])
        accent = QUESTION_ACCENT if message.is_question else PURCHASE_ACCENT if message.has_purchase_intent else None
        if accent is not None:
            painter.fillRect(QRectF(rect.left(), rect.top(), ACCENT_WIDTH, rect.height()), accent)
        if featured:
            painter.setPen(FEATURED_BORDER)
            painter.drawRect(rect.adjusted(1, 1, -1, -1))

        dim = message.kind in DIM_KINDS
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text_colour = palette.color(text_role)
        dim_colour = QColor(text_colour)
        dim_colour.setAlpha(150)
        left = rect.left() + PAD + ACCENT_WIDTH + 2
        right = rect.right() - PAD
        top = rect.top() + PAD
        header = fonts.header_height

        # Header: platform badge, name, tags.
        badge_text, badge_colour = platform_badge(message.platform)
        badge_width = fonts.small_metrics.horizontalAdvance(badge_text) + 8
        badge_rect = QRectF(left, top + 1, badge_width, header - 2)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(badge_colour))
        painter.drawRoundedRect(badge_rect, 3, 3)
        painter.setFont(fonts.small)
        painter.setPen(QColor("white"))
        painter.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, badge_text)
        x = badge_rect.right() + 6

        tags = "  ".join(message_tags(message))
        tags_width = min(fonts.small_metrics.horizontalAdvance(tags), (right - x) / 2) if tags else 0.0
        name_width = max(10.0, right - x - tags_width - 8)
        name = fonts.name_metrics.elidedText(message.name[:MAX_NAME_CHARS], Qt.TextElideMode.ElideRight, name_width)
        painter.setFont(fonts.name)
        painter.setPen(dim_colour if dim else text_colour)
        name_rect = QRectF(x, top, name_width, header)
        painter.drawText(name_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), name)
        if tags:
            painter.setFont(fonts.small)
            painter.setPen(accent or dim_colour)
            tag_rect = QRectF(right - tags_width, top, tags_width, header)
            shown = fonts.small_metrics.elidedText(tags, Qt.TextElideMode.ElideRight, tags_width)
            painter.drawText(tag_rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), shown)

        # Body: wrapped, at most text_lines lines, the last elided.
        body_font = fonts.italic if dim else fonts.base
        painter.setFont(body_font)
        painter.setPen(dim_colour if dim else text_colour)
        y = top + header + 2 + fonts.ascent
        for line in self._wrapped(message, message_body(message), body_font, right - left, dim):
            painter.drawText(QPointF(left, y), line)
            y += fonts.line_spacing
