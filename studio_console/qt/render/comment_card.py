"""On-air chat graphics drawn with QPainter: the featured-comment card and gift/follow alerts, as canvas-sized images.

Viewer names and text are drawn as plain text only. Needs a QGuiApplication (fonts); QImage painting
is also allowed off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath

from studio_console.domain.chat import ChatKind, ChatMessage
from studio_console.qt.plain_text import platform_badge, wrap_plain


@dataclass(frozen=True)
class CommentCardStyle:
    background: QColor = field(default_factory=lambda: QColor(18, 18, 28, 225))
    accent: QColor = field(default_factory=lambda: QColor("#d81b60"))
    name_colour: QColor = field(default_factory=lambda: QColor("#ffd54f"))
    text_colour: QColor = field(default_factory=lambda: QColor("white"))
    font_family: str = "DejaVu Sans"
    max_text_lines: int = 4
    # Card width as a share of the canvas width (landscape / vertical canvases).
    width_share: float = 0.62
    vertical_width_share: float = 0.9


def _pixel_font(family: str, pixels: float, bold: bool = False) -> QFont:
    font = QFont(family)
    font.setPixelSize(max(6, round(pixels)))
    font.setBold(bold)
    return font


def _blank(canvas: QSize) -> QImage:
    image = QImage(canvas, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    return image


def _unit(canvas: QSize) -> float:
    """One text size unit: scales with the shorter canvas side, so 9:16 and 16:9 read alike."""
    return min(canvas.width(), canvas.height()) / 22.0


def comment_card_rect(canvas: QSize, lines: int, style: CommentCardStyle = CommentCardStyle()) -> QRectF:
    """Where the featured comment sits: lower left, above the bottom margin, sized to its text."""
    unit = _unit(canvas)
    vertical = canvas.height() > canvas.width()
    share = style.vertical_width_share if vertical else style.width_share
    width = canvas.width() * share
    margin = canvas.width() * 0.04 if not vertical else canvas.width() * 0.05
    height = unit * 0.6 * 2 + unit * 1.25 + max(1, lines) * unit * 1.3
    bottom = canvas.height() * (0.78 if vertical else 0.93)
    return QRectF(margin, bottom - height, width, height)


def render_comment_card(
    message: ChatMessage, canvas: QSize, style: CommentCardStyle = CommentCardStyle()
) -> tuple[QImage, QRectF]:
    """The featured comment on a transparent canvas-sized image, and the card's rectangle in it."""
    unit = _unit(canvas)
    pad = unit * 0.6
    name_font = _pixel_font(style.font_family, unit * 0.95, bold=True)
    text_font = _pixel_font(style.font_family, unit * 1.0)
    badge_font = _pixel_font(style.font_family, unit * 0.6, bold=True)
    probe = comment_card_rect(canvas, style.max_text_lines, style)
    text_width = probe.width() - pad * 2 - unit * 0.3
    lines = wrap_plain(message.text or " ", text_font, text_width, style.max_text_lines)
    rect = comment_card_rect(canvas, len(lines), style)

    image = _blank(canvas)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        card = QPainterPath()
        card.addRoundedRect(rect, unit * 0.5, unit * 0.5)
        painter.fillPath(card, style.background)
        # The accent strip follows the card's rounded corners.
        painter.save()
        painter.setClipPath(card)
        painter.fillRect(QRectF(rect.left(), rect.top(), unit * 0.3, rect.height()), style.accent)
        painter.restore()

        left = rect.left() + pad + unit * 0.3
        top = rect.top() + pad
        badge_text, badge_colour = platform_badge(message.platform)
        badge_metrics = QFontMetricsF(badge_font)
        badge_rect = QRectF(left, top + unit * 0.15, badge_metrics.horizontalAdvance(badge_text) + unit * 0.5, unit)
        painter.setBrush(QColor(badge_colour))
        painter.drawRoundedRect(badge_rect, unit * 0.2, unit * 0.2)
        painter.setFont(badge_font)
        painter.setPen(QColor("white"))
        painter.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, badge_text)

        name_left = badge_rect.right() + unit * 0.4
        name_metrics = QFontMetricsF(name_font)
        name_width = rect.right() - pad - name_left
        name = name_metrics.elidedText(message.name[:200], Qt.TextElideMode.ElideRight, name_width)
        painter.setFont(name_font)
        painter.setPen(style.name_colour)
        painter.drawText(
            QRectF(name_left, top, name_width, unit * 1.25),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            name,
        )

        painter.setFont(text_font)
        painter.setPen(style.text_colour)
        text_metrics = QFontMetricsF(text_font)
        y = top + unit * 1.25
        for line in lines:
            painter.drawText(QPointF(left, y + text_metrics.ascent()), line)
            y += unit * 1.3
    finally:
        painter.end()
    return image, rect


def alert_text(message: ChatMessage) -> tuple[str, str]:
    """Headline and detail of an on-air alert for a gift, cheer or follow."""
    if message.kind is ChatKind.GIFT:
        count = message.gift_count or 1
        return "THANK YOU!", f"{message.name} sent {message.gift_name or 'a gift'}" + (
            f" x{count}" if count > 1 else ""
        )
    if message.bits:
        return "THANK YOU!", f"{message.name} cheered {message.bits} bits"
    if message.kind is ChatKind.FOLLOW:
        return "NEW FOLLOWER", f"{message.name} followed"
    return "HELLO", message.name


def render_alert_card(
    message: ChatMessage, canvas: QSize, style: CommentCardStyle = CommentCardStyle()
) -> tuple[QImage, QRectF]:
    """A short alert banner (top centre) for gifts, cheers and follows; the image is canvas-sized."""
    unit = _unit(canvas)
    headline, detail = alert_text(message)
    vertical = canvas.height() > canvas.width()
    width = canvas.width() * (0.8 if vertical else 0.5)
    height = unit * 3.4
    rect = QRectF((canvas.width() - width) / 2, canvas.height() * (0.12 if vertical else 0.06), width, height)
    head_font = _pixel_font(style.font_family, unit * 0.8, bold=True)
    detail_font = _pixel_font(style.font_family, unit * 1.05, bold=True)
    accent = QColor("#ffb300") if message.kind is ChatKind.GIFT or message.bits else QColor("#43a047")

    image = _blank(canvas)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.background)
        painter.drawRoundedRect(rect, unit * 0.6, unit * 0.6)
        painter.setBrush(accent)
        painter.drawRoundedRect(QRectF(rect.left(), rect.top(), rect.width(), unit * 0.3), unit * 0.15, unit * 0.15)
        inner = rect.adjusted(unit * 0.6, unit * 0.5, -unit * 0.6, -unit * 0.4)
        painter.setFont(head_font)
        painter.setPen(accent)
        painter.drawText(
            QRectF(inner.left(), inner.top(), inner.width(), unit * 1.1),
            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter),
            headline,
        )
        painter.setFont(detail_font)
        painter.setPen(style.text_colour)
        shown = QFontMetricsF(detail_font).elidedText(detail[:300], Qt.TextElideMode.ElideRight, inner.width())
        painter.drawText(
            QRectF(inner.left(), inner.top() + unit * 1.2, inner.width(), unit * 1.5),
            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter),
            shown,
        )
    finally:
        painter.end()
    return image, rect
