"""At 1366x768 the products row shows what runs the show without scrolling: queue, Pin / Unpin / Next, flash sale."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from studio_console.qt.views.products_panel import ProductsPanel

# The products row of the default layout in a 1366x768 window: full width less the chat column, 340 px tall.
ROW_SIZE = (1000, 320)


def inside(child: QWidget, panel: QWidget) -> bool:
    top_left = child.mapTo(panel, QPoint(0, 0))
    return QRect(QPoint(0, 0), panel.size()).contains(QRect(top_left, child.size()))


def test_show_controls_fit_the_products_row_of_a_1366x768_screen(qtbot: QtBot) -> None:
    panel = ProductsPanel()
    qtbot.addWidget(panel)
    panel.resize(*ROW_SIZE)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.minimumSizeHint().height() <= ROW_SIZE[1], panel.minimumSizeHint()
    for widget in (
        panel.queue_list,
        panel.pin_button,
        panel.unpin_button,
        panel.next_button,
        panel.sale_price_edit,
        panel.sale_seconds,
        panel.sale_start,
        panel.sale_stop,
        panel.stock_down,
        panel.stock_up,
    ):
        assert widget.isVisible() and inside(widget, panel), widget.objectName() or type(widget).__name__
    assert panel.queue_list.iconSize().width() >= 32  # thumbnails, not just names
