"""The Products panel renders the catalog and show state and emits intents; product text stays plain."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from studio_console.domain.card import CardLayout
from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.domain.show import AtZero, FlashSaleState, ShowState
from studio_console.qt.models.product_model import SKU_ROLE
from studio_console.qt.views.products_panel import ProductsPanel

HTML_TITLE = '<b>Bold</b><img src="/etc/hostname">'


def catalog() -> Catalog:
    return Catalog(
        products=(
            Product(
                sku="TEE",
                title="Linen Tee",
                short_code="TEE",
                variants=(
                    Variant(sku="TEE-S", options={"Size": "S"}, price=Decimal("30.00"), stock=2),
                    Variant(sku="TEE-M", options={"Size": "M"}, price=Decimal("32.00"), stock=12),
                ),
            ),
            Product(
                sku="MUG",
                title="Stoneware Mug",
                short_code="CUP",
                variants=(Variant(sku="MUG", price=Decimal("12.00"), compare_at_price=Decimal("16.00"), stock=3),),
            ),
            Product(sku="HTML", title=HTML_TITLE, variants=(Variant(sku="HTML", price=Decimal("1.00")),)),
        )
    )


def make_panel(qtbot: QtBot) -> ProductsPanel:
    panel = ProductsPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    panel.set_catalog(catalog())
    return panel


def visible_skus(panel: ProductsPanel) -> list[str]:
    proxy = panel.proxy
    return [proxy.data(proxy.index(row, 0), SKU_ROLE) for row in range(proxy.rowCount())]


def test_catalog_list_and_search(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    assert visible_skus(panel) == ["TEE", "MUG", "HTML"]
    assert panel.count_label.text() == "3 products"
    index = panel.proxy.index(0, 0)
    assert panel.proxy.data(index) == "Linen Tee · from $30.00 · 14 in stock"
    assert not panel.proxy.data(index, Qt.ItemDataRole.DecorationRole).isNull()  # a thumbnail tile
    qtbot.keyClicks(panel.search_edit, "cup")
    assert visible_skus(panel) == ["MUG"]  # the short code matches too
    panel.search_edit.setText("tee m")
    assert visible_skus(panel) == ["TEE"]  # every word, anywhere (TEE-M)
    panel.search_edit.clear()
    assert len(visible_skus(panel)) == 3


def test_pin_product_or_variant_and_unpin(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.select("TEE")
    assert panel.variant_combo.currentText() == "Whole product"
    with qtbot.waitSignal(panel.pin_requested) as blocker:
        qtbot.mouseClick(panel.pin_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["TEE"]
    panel.variant_combo.setCurrentIndex(panel.variant_combo.findData("TEE-M"))
    assert panel.price_edit.text() == "32.00" and panel.stock_spin.value() == 12
    with qtbot.waitSignal(panel.pin_requested) as blocker:
        panel.pin_button.click()
    assert blocker.args == ["TEE-M"]
    panel.show_state(ShowState(pinned_sku="TEE-M", pinned_title="Linen Tee (M)", on_air=True))
    assert panel.on_air_label.text() == "On air: Linen Tee (M)"
    with qtbot.waitSignal(panel.unpin_requested):
        panel.unpin_button.click()
    panel.show_state(ShowState())
    assert panel.on_air_label.text() == "Nothing on air" and not panel.unpin_button.isEnabled()


def test_queue_add_reorder_by_drag_remove_and_next(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.select("MUG")
    with qtbot.waitSignal(panel.queue_requested) as blocker:
        panel.queue_add.click()
    assert blocker.args == [["MUG"]]
    with qtbot.assertNotEmitted(panel.queue_requested):
        panel.show_state(ShowState(queue=("MUG", "TEE", "HTML")))
    assert [panel.queue_list.item(i).text() for i in range(3)] == [
        "1. Stoneware Mug · $12.00",
        "2. Linen Tee · from $30.00",
        f"3. {HTML_TITLE} · $1.00",
    ]
    # A drag and drop moves the row in the list's model; the panel asks for the new order.
    with qtbot.waitSignal(panel.queue_requested) as blocker:
        assert panel.queue_list.model().moveRow(QModelIndex(), 2, QModelIndex(), 0)
    assert blocker.args == [["HTML", "MUG", "TEE"]]
    panel.show_state(ShowState(queue=("HTML", "MUG", "TEE")))
    panel.queue_list.setCurrentRow(1)
    with qtbot.waitSignal(panel.queue_requested) as blocker:
        panel.queue_down.click()
    assert blocker.args == [["HTML", "TEE", "MUG"]]
    with qtbot.waitSignal(panel.queue_requested) as blocker:
        panel.queue_remove.click()
    assert blocker.args == [["HTML", "TEE"]]
    with qtbot.waitSignal(panel.next_requested):
        panel.next_button.click()
    with qtbot.waitSignal(panel.pin_requested) as blocker:
        item = panel.queue_list.item(0)
        panel.queue_list.itemDoubleClicked.emit(item)
    assert blocker.args == ["HTML"]
    panel.show_state(ShowState(queue=("HTML", "MUG", "TEE"), pinned_sku="MUG"))
    assert panel.queue_list.item(1).font().bold() and not panel.queue_list.item(0).font().bold()


def test_flash_sale_controls(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.select("MUG")
    with qtbot.assertNotEmitted(panel.flash_sale_requested):
        panel.sale_start.click()  # no price typed yet
    assert panel.sale_label.text() == "Type the deal price first"
    qtbot.keyClicks(panel.sale_price_edit, "9.99")
    panel.sale_seconds.setValue(45)
    panel.sale_at_zero.setCurrentIndex(panel.sale_at_zero.findData(AtZero.HIDE.value))
    with qtbot.waitSignal(panel.flash_sale_requested) as blocker:
        panel.sale_start.click()
    assert blocker.args == ["MUG", "9.99", 45, "hide"]
    assert panel.sale_seconds.minimum() == 10 and panel.sale_seconds.maximum() == 300
    sale = FlashSaleState(
        sku="MUG", deal_price=Decimal("9.99"), currency="USD", duration_s=45, seconds_left=133, at_zero=AtZero.HIDE
    )
    panel.show_state(ShowState(pinned_sku="MUG", pinned_title="Stoneware Mug", on_air=True, flash_sale=sale))
    assert panel.sale_label.text() == "Flash sale: 02:13 left at $9.99"
    with qtbot.waitSignal(panel.flash_sale_stop_requested):
        panel.sale_stop.click()


def test_stock_buttons_act_on_one_variant(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.select("TEE")
    assert not panel.stock_down.isEnabled()  # the whole product: which variant?
    panel.select("TEE-S")
    assert panel.variant_combo.currentData() == "TEE-S"
    with qtbot.waitSignal(panel.stock_change_requested) as blocker:
        panel.stock_down.click()
    assert blocker.args == ["TEE-S", -1]
    panel.select("MUG")
    with qtbot.waitSignal(panel.stock_change_requested) as blocker:
        panel.stock_up.click()
    assert blocker.args == ["MUG", 1]


def test_editor_emits_the_edited_product_and_refuses_bad_prices(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.select("MUG")
    panel.title_edit.setText("Big Stoneware Mug")
    panel.code_edit.setText("bigcup")
    panel.points_edit.setPlainText("Holds 500 ml\n\nDishwasher safe")
    panel.price_edit.setText("14.50")
    panel.compare_edit.clear()
    panel.stock_spin.setValue(7)
    with qtbot.waitSignal(panel.product_edit_requested) as blocker:
        panel.save_button.click()
    edited = blocker.args[0]
    assert edited == Product(
        sku="MUG",
        title="Big Stoneware Mug",
        handle="stoneware-mug",
        short_code="BIGCUP",
        talking_points=("Holds 500 ml", "Dishwasher safe"),
        variants=(Variant(sku="MUG", price=Decimal("14.50"), stock=7),),
    )
    panel.price_edit.setText("cheap")
    with qtbot.assertNotEmitted(panel.product_edit_requested):
        panel.save_button.click()
    assert panel.editor_error.text() == "'cheap' is not a price"
    panel.price_edit.setText("12.00")
    panel.code_edit.setText("two words")
    with qtbot.assertNotEmitted(panel.product_edit_requested):
        panel.save_button.click()
    assert "short code" in panel.editor_error.text()


def test_state_updates_do_not_emit_and_layout_choice_does(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    with qtbot.assertNotEmitted(panel.layout_requested), qtbot.assertNotEmitted(panel.queue_requested):
        panel.show_state(ShowState(layout=CardLayout.SIDE_PANEL, queue=("MUG",)))
    assert panel.layout_combo.currentData() == "side_panel"
    with qtbot.waitSignal(panel.layout_requested) as blocker:
        panel.layout_combo.activated.emit(0)
    assert blocker.args == ["lower_third"]


def test_product_text_is_plain(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.show_state(ShowState(pinned_sku="HTML", pinned_title=HTML_TITLE, on_air=True, problem="<i>OBS</i> gone"))
    assert panel.on_air_label.textFormat() == Qt.TextFormat.PlainText
    assert panel.on_air_label.text() == f"On air: {HTML_TITLE}"
    assert panel.problem_label.textFormat() == Qt.TextFormat.PlainText and panel.problem_label.isVisibleTo(panel)
    tooltip = panel.proxy.data(panel.proxy.index(2, 0), Qt.ItemDataRole.ToolTipRole)
    assert "<b>" not in tooltip and "&lt;b&gt;Bold&lt;/b&gt;" in tooltip
    panel.select("HTML")
    assert panel.title_edit.text() == HTML_TITLE


def test_catalog_reload_keeps_the_selection(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.select("TEE-M")
    restocked = catalog().with_variant_stock("TEE-M", 1)
    panel.set_catalog(restocked)
    assert panel.selected_sku() == "TEE-M" and panel.stock_spin.value() == 1
    panel.set_catalog(Catalog())
    assert panel.selected_product() is None and not panel.pin_button.isEnabled()
    assert panel.count_label.text() == "0 products"
