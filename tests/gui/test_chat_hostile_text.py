"""The chat row painter and the on-air chat cards take any viewer text without raising."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from studio_console.domain.chat import ChatKind
from studio_console.qt.models.chat_model import ChatModel
from studio_console.qt.views.chat_delegate import ChatMessageDelegate
from tests.helpers.chat import message

HOSTILE = [
    "lone \ud800 surrogate \udfff",
    "\u202eevil override",
    "z" + "\u0336\u0334" * 200,
    "W" * 10_000,
    "<b>rich</b> <img src=/etc/passwd>",
    "nul\x00 bell\x07",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_row_painter_never_raises(qtbot: QtBot, text: str) -> None:
    model = ChatModel(flush_interval_ms=0)
    model.append_many([message(text, display_name=text[:50]), message(text, kind=ChatKind.GIFT, gift_name=text)])
    model.flush()
    delegate = ChatMessageDelegate()
    image = QImage(600, 200, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        for row in range(model.rowCount()):
            option = QStyleOptionViewItem()
            option.rect = QRect(0, 0, 600, 80)
            delegate.paint(painter, option, model.index(row))
    finally:
        painter.end()
    assert not delegate._paint_failed  # painted through, not swallowed by the guard
