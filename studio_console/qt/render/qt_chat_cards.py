"""The chat-card renderer port (services/overlay/ports.py) served by the Qt painters of comment_card.py."""

from __future__ import annotations

from PySide6.QtCore import QSize

from studio_console.domain.chat import ChatMessage
from studio_console.qt.render.card_renderer import png_bytes
from studio_console.qt.render.comment_card import render_alert_card, render_comment_card
from studio_console.services.overlay.ports import PlacedPicture


class QtChatCards:
    """Featured comment and alert cards cropped to their rectangles."""

    def comment(self, message: ChatMessage, canvas_w: int, canvas_h: int) -> PlacedPicture:
        image, rect = render_comment_card(message, QSize(canvas_w, canvas_h))
        box = rect.toAlignedRect()
        return PlacedPicture(png_bytes(image.copy(box)), box.x(), box.y(), box.width(), box.height())

    def alert(self, message: ChatMessage, canvas_w: int, canvas_h: int) -> PlacedPicture:
        image, rect = render_alert_card(message, QSize(canvas_w, canvas_h))
        box = rect.toAlignedRect()
        return PlacedPicture(png_bytes(image.copy(box)), box.x(), box.y(), box.width(), box.height())
