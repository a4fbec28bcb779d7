"""The Products panel: searchable catalog, product editor, tonight's queue, pin, flash sale and stock controls.

It renders the catalog and the show state it is given and emits ``..._requested`` intents; it does no
IO and holds no show logic. All product text is shown as plain text.
"""

from __future__ import annotations

import html

from pydantic import ValidationError
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio_console.domain.card import CardLayout
from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.domain.money import PriceError, format_money, parse_price
from studio_console.domain.show import FLASH_SALE_MAX_S, FLASH_SALE_MIN_S, AtZero, ShowState
from studio_console.qt.models.product_model import THUMB_SIZE, ProductFilterProxy, ProductListModel, product_line
from studio_console.qt.plain_text import plain_label

WHOLE_PRODUCT = ""  # the variant box's "whole product" entry
UNTRACKED = -1  # the stock box's "not tracked" value

LAYOUT_NAMES = {CardLayout.LOWER_THIRD: "Lower third", CardLayout.SIDE_PANEL: "Side panel"}
AT_ZERO_NAMES = {AtZero.REGULAR_PRICE: "Back to regular price", AtZero.HIDE: "Hide the card"}


class ProductsPanel(QWidget):
    """Catalog, editor and show controls.

    Signals:
        pin_requested(str): put the card of this SKU (product or variant) on air.
        unpin_requested(): take the card off air.
        next_requested(): pin the next product of tonight's queue.
        queue_requested(list): tonight's queue should become this list of SKUs (add, remove, reorder).
        flash_sale_requested(str, str, int, str): SKU, deal price as typed, seconds, AtZero value.
        flash_sale_stop_requested(): end the running flash sale now.
        stock_change_requested(str, int): change this variant's stock by the delta.
        product_edit_requested(object): save this edited Product.
        layout_requested(str): use this CardLayout value for the card.
        import_requested(str): import the catalog file at this path.
        export_requested(str): export the catalog as JSON to this path.
    """

    pin_requested = Signal(str)
    unpin_requested = Signal()
    next_requested = Signal()
    queue_requested = Signal(list)
    flash_sale_requested = Signal(str, str, int, str)
    flash_sale_stop_requested = Signal()
    stock_change_requested = Signal(str, int)
    product_edit_requested = Signal(object)
    layout_requested = Signal(str)
    import_requested = Signal(str)
    export_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("productsPanel")
        self.catalog = Catalog()
        self.state = ShowState()
        self._updating = False

        # -- catalog list ------------------------------------------------------------------------
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search title, SKU or code")
        self.search_edit.setClearButtonEnabled(True)
        self.model = ProductListModel(self)
        self.proxy = ProductFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.list_view = QListView()
        self.list_view.setModel(self.proxy)
        self.list_view.setIconSize(THUMB_SIZE)
        self.list_view.setUniformItemSizes(True)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.count_label = plain_label("No products")
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Import a Shopify product export, a CSV or a catalog JSON")
        self.export_button = QPushButton("Export…")
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.count_label, 1)
        list_buttons.addWidget(self.import_button)
        list_buttons.addWidget(self.export_button)
        catalog_box = QWidget()
        catalog_layout = QVBoxLayout(catalog_box)
        catalog_layout.setContentsMargins(0, 0, 0, 0)
        catalog_layout.addWidget(self.search_edit)
        catalog_layout.addWidget(self.list_view, 1)
        catalog_layout.addLayout(list_buttons)

        # -- editor ------------------------------------------------------------------------------
        self.variant_combo = QComboBox()
        self.title_edit = QLineEdit()
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText("e.g. LINEN")
        self.points_edit = QPlainTextEdit()
        self.points_edit.setPlaceholderText("One talking point per line")
        self.points_edit.setMaximumHeight(70)
        self.price_edit = QLineEdit()
        self.compare_edit = QLineEdit()
        self.compare_edit.setPlaceholderText("none")
        self.stock_spin = QSpinBox()
        self.stock_spin.setRange(UNTRACKED, 1_000_000)
        self.stock_spin.setSpecialValueText("not tracked")
        self.save_button = QPushButton("Save product")
        self.editor_error = plain_label()
        self.editor_error.setStyleSheet("color: #c62828;")
        self.editor_error.setWordWrap(True)
        editor = QGroupBox("Product")
        form = QFormLayout(editor)
        form.addRow("Variant", self.variant_combo)
        form.addRow("Title", self.title_edit)
        form.addRow("Short code", self.code_edit)
        form.addRow("Talking points", self.points_edit)
        form.addRow("Price", self.price_edit)
        form.addRow("Compare-at price", self.compare_edit)
        form.addRow("Stock", self.stock_spin)
        form.addRow(self.editor_error)
        form.addRow(self.save_button)

        # -- on air, stock, flash sale -----------------------------------------------------------
        self.on_air_label = plain_label("Nothing on air")
        self.on_air_label.setObjectName("onAirLabel")
        self.on_air_label.setWordWrap(True)
        self.problem_label = plain_label()
        self.problem_label.setStyleSheet("color: #c62828;")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        self.pin_button = QPushButton("Pin")
        self.pin_button.setObjectName("pinButton")
        self.pin_button.setToolTip("Put the selected product's card on air")
        self.unpin_button = QPushButton("Unpin")
        self.layout_combo = QComboBox()
        for card_layout, name in LAYOUT_NAMES.items():
            self.layout_combo.addItem(name, card_layout.value)
        self.stock_down = QPushButton("-1")
        self.stock_down.setToolTip("One sold: stock of the selected variant minus one")
        self.stock_up = QPushButton("+1")
        self.stock_up.setToolTip("Stock of the selected variant plus one")
        self.stock_label = plain_label()
        self.next_button = QPushButton("Next product")
        self.next_button.setObjectName("nextButton")
        self.next_button.setToolTip("Pin the next product of tonight's queue")
        pin_row = QHBoxLayout()
        pin_row.addWidget(self.pin_button)
        pin_row.addWidget(self.unpin_button)
        pin_row.addWidget(self.next_button)
        stock_row = QHBoxLayout()
        stock_row.addWidget(plain_label("Stock:"))
        stock_row.addWidget(self.stock_down)
        stock_row.addWidget(self.stock_up)
        stock_row.addWidget(self.stock_label, 1)
        stock_row.addWidget(self.layout_combo)

        self.sale_price_edit = QLineEdit()
        self.sale_price_edit.setPlaceholderText("deal price")
        self.sale_seconds = QSpinBox()
        self.sale_seconds.setRange(FLASH_SALE_MIN_S, FLASH_SALE_MAX_S)
        self.sale_seconds.setValue(60)
        self.sale_seconds.setSuffix(" s")
        self.sale_at_zero = QComboBox()
        for value, name in AT_ZERO_NAMES.items():
            self.sale_at_zero.addItem(name, value.value)
        self.sale_start = QPushButton("Start flash sale")
        self.sale_stop = QPushButton("Stop")
        self.sale_label = plain_label("No flash sale")
        # Compact: a producer starts a sale in one glance, without scrolling on a 1366x768 screen.
        sale_box = QGroupBox("Flash sale")
        sale_grid = QGridLayout(sale_box)
        sale_grid.addWidget(plain_label("Deal price"), 0, 0)
        sale_grid.addWidget(self.sale_price_edit, 0, 1)
        sale_grid.addWidget(plain_label("Countdown"), 0, 2)
        sale_grid.addWidget(self.sale_seconds, 0, 3)
        sale_grid.addWidget(plain_label("At zero"), 1, 0)
        sale_grid.addWidget(self.sale_at_zero, 1, 1)
        sale_grid.addWidget(self.sale_start, 1, 2)
        sale_grid.addWidget(self.sale_stop, 1, 3)
        sale_grid.addWidget(self.sale_label, 2, 0, 1, 4)

        air_box = QGroupBox("On air")
        air_layout = QVBoxLayout(air_box)
        air_layout.addWidget(self.on_air_label)
        air_layout.addWidget(self.problem_label)
        air_layout.addLayout(pin_row)
        air_layout.addLayout(stock_row)

        # -- tonight's queue ---------------------------------------------------------------------
        self.queue_list = QListWidget()
        self.queue_list.setObjectName("showQueue")
        self.queue_list.setIconSize(THUMB_SIZE)
        self.queue_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.queue_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.queue_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.queue_add = QPushButton("Add to queue")
        self.queue_remove = QPushButton("Remove")
        self.queue_up = QPushButton("Up")
        self.queue_down = QPushButton("Down")
        queue_buttons = QHBoxLayout()
        for button in (self.queue_add, self.queue_remove, self.queue_up, self.queue_down):
            queue_buttons.addWidget(button)
        queue_box = QGroupBox("Tonight's queue (drag to reorder)")
        queue_layout = QVBoxLayout(queue_box)
        queue_layout.addWidget(self.queue_list, 1)
        queue_layout.addLayout(queue_buttons)

        # What runs the show stays in view; the catalog and the editor share the third column as tabs.
        controls = QWidget()
        controls_layout = QVBoxLayout(controls)
        controls_layout.setContentsMargins(0, 0, 0, 0)
        controls_layout.addWidget(air_box)
        controls_layout.addWidget(sale_box)
        controls_layout.addStretch(1)
        for wide in (self.queue_list, self.list_view):
            wide.setMinimumWidth(160)  # the row may be narrow on a 1366x768 screen: text elides, nothing hides
        self.catalog_tabs = QTabWidget()
        self.catalog_tabs.addTab(catalog_box, "Catalog")
        # The editor is the tallest part; scrolled inside its tab it never makes the whole row scroll.
        editor_scroll = QScrollArea()
        editor_scroll.setWidgetResizable(True)
        editor_scroll.setFrameShape(QFrame.Shape.NoFrame)
        editor_scroll.setWidget(editor)
        self.catalog_tabs.addTab(editor_scroll, "Edit product")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(queue_box)
        splitter.addWidget(controls)
        splitter.addWidget(self.catalog_tabs)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 2)
        splitter.setStretchFactor(2, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        # -- wiring ------------------------------------------------------------------------------
        self.search_edit.textChanged.connect(self.proxy.set_search)
        self.list_view.selectionModel().currentChanged.connect(self._current_changed)
        self.list_view.doubleClicked.connect(lambda _index: self._pin_selected())
        self.variant_combo.currentIndexChanged.connect(self._variant_changed)
        self.save_button.clicked.connect(self._save)
        self.pin_button.clicked.connect(self._pin_selected)
        self.unpin_button.clicked.connect(self.unpin_requested)
        self.layout_combo.activated.connect(lambda i: self.layout_requested.emit(self.layout_combo.itemData(i)))
        self.stock_down.clicked.connect(lambda: self._stock(-1))
        self.stock_up.clicked.connect(lambda: self._stock(+1))
        self.sale_start.clicked.connect(self._start_sale)
        self.sale_stop.clicked.connect(self.flash_sale_stop_requested)
        self.queue_add.clicked.connect(self._queue_add)
        self.queue_remove.clicked.connect(self._queue_remove)
        self.queue_up.clicked.connect(lambda: self._queue_move(-1))
        self.queue_down.clicked.connect(lambda: self._queue_move(+1))
        self.queue_list.model().rowsMoved.connect(lambda *_: self._queue_reordered())
        self.queue_list.itemDoubleClicked.connect(
            lambda item: self.pin_requested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.next_button.clicked.connect(self.next_requested)
        self.import_button.clicked.connect(self._choose_import)
        self.export_button.clicked.connect(self._choose_export)
        self._show_product(None)

    # -- state in ----------------------------------------------------------------------------------

    def set_catalog(self, catalog: Catalog) -> None:
        """Show a new catalog; the selected product stays selected when it still exists."""
        selected = self.selected_product()
        variant = self.selected_sku()
        self.catalog = catalog
        self.model.set_catalog(catalog)
        self.count_label.setText(f"{len(catalog)} products" if len(catalog) != 1 else "1 product")
        if selected is not None and catalog.find(selected.sku) is not None:
            self.select(variant or selected.sku)
        else:
            self._show_product(None)
        self._show_queue(self.state.queue)
        self.show_state(self.state)

    def show_state(self, state: ShowState) -> None:
        """Reflect the show: what is on air, the running flash sale, the queue, the layout."""
        self.state = state
        self._updating = True
        try:
            if state.pinned_sku:
                title = state.pinned_title or state.pinned_sku
                if state.on_air:
                    self.on_air_label.setText(f"On air: {title}")
                else:
                    self.on_air_label.setText(f"Pinned (not on air yet): {title}")
            else:
                self.on_air_label.setText("Nothing on air")
            self.problem_label.setText(state.problem or "")
            self.problem_label.setVisible(bool(state.problem))
            self.unpin_button.setEnabled(state.pinned_sku is not None)
            sale = state.flash_sale
            if sale is not None:
                minutes, seconds = divmod(sale.seconds_left, 60)
                price = format_money(sale.deal_price, sale.currency)
                self.sale_label.setText(f"Flash sale: {minutes:02d}:{seconds:02d} left at {price}")
            else:
                self.sale_label.setText("No flash sale")
            self.sale_stop.setEnabled(sale is not None)
            index = self.layout_combo.findData(state.layout.value)
            if index >= 0:
                self.layout_combo.setCurrentIndex(index)
            if state.queue != self.queue_skus():
                self._show_queue(state.queue)
            self._mark_pinned_in_queue(state.pinned_sku)
            self.next_button.setEnabled(bool(state.queue))
        finally:
            self._updating = False

    # -- selection ---------------------------------------------------------------------------------

    def selected_product(self) -> Product | None:
        index = self.list_view.currentIndex()
        if not index.isValid():
            return None
        return self.model.product_at(self.proxy.mapToSource(index).row())

    def selected_sku(self) -> str | None:
        """The SKU the controls act on: the chosen variant, or the product when "whole product" is chosen."""
        product = self.selected_product()
        if product is None:
            return None
        variant = self.variant_combo.currentData()
        return str(variant) if variant else product.sku

    def selected_variant(self) -> Variant | None:
        product = self.selected_product()
        if product is None:
            return None
        sku = self.variant_combo.currentData()
        if sku:
            return product.variant(str(sku))
        return product.variants[0] if len(product.variants) == 1 else None

    def select(self, sku: str) -> None:
        """Select the product of ``sku`` (clearing the search if it hides it) and its variant."""
        hit = self.catalog.find(sku)
        if hit is None:
            return
        row = self.model.row_of(hit[0].sku)
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.search_edit.clear()
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.list_view.setCurrentIndex(index)
        if hit[1] is not None and len(hit[0].variants) > 1 and sku != hit[0].sku:
            self.variant_combo.setCurrentIndex(max(0, self.variant_combo.findData(hit[1].sku)))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_product(self.model.product_at(self.proxy.mapToSource(current).row()) if current.isValid() else None)

    def _show_product(self, product: Product | None) -> None:
        self._updating = True
        try:
            self.variant_combo.clear()
            self.editor_error.clear()
            enabled = product is not None
            for widget in (
                self.variant_combo,
                self.title_edit,
                self.code_edit,
                self.points_edit,
                self.save_button,
                self.pin_button,
                self.queue_add,
                self.sale_start,
            ):
                widget.setEnabled(enabled)
            if product is None:
                for edit in (self.title_edit, self.code_edit, self.price_edit, self.compare_edit):
                    edit.clear()
                self.points_edit.clear()
                self._variant_changed()
                return
            if len(product.variants) > 1:
                self.variant_combo.addItem("Whole product", WHOLE_PRODUCT)
            for variant in product.variants:
                self.variant_combo.addItem(f"{variant.label or 'Only variant'} ({variant.sku})", variant.sku)
            self.title_edit.setText(product.title)
            self.code_edit.setText(product.short_code or "")
            self.points_edit.setPlainText("\n".join(product.talking_points))
        finally:
            self._updating = False
        self._variant_changed()

    def _variant_changed(self) -> None:
        variant = self.selected_variant()
        for widget in (self.price_edit, self.compare_edit, self.stock_spin, self.stock_down, self.stock_up):
            widget.setEnabled(variant is not None)
        product = self.selected_product()
        if variant is None or product is None:
            self.price_edit.setText(product.price_text() if product else "")
            self.compare_edit.clear()
            self.stock_spin.setValue(UNTRACKED)
            self.stock_label.setText("choose a variant" if product else "")
            return
        self.price_edit.setText(str(variant.price))
        self.compare_edit.setText(str(variant.compare_at_price) if variant.compare_at_price is not None else "")
        self.stock_spin.setValue(UNTRACKED if variant.stock is None else variant.stock)
        self.stock_label.setText(self._stock_text(variant))

    @staticmethod
    def _stock_text(variant: Variant) -> str:
        if variant.stock is None:
            return f"{variant.sku}: not tracked"
        return f"{variant.sku}: {variant.stock} left" if variant.stock else f"{variant.sku}: sold out"

    # -- intents -----------------------------------------------------------------------------------

    def _pin_selected(self) -> None:
        sku = self.selected_sku()
        if sku:
            self.pin_requested.emit(sku)

    def _stock(self, delta: int) -> None:
        variant = self.selected_variant()
        if variant is not None:
            self.stock_change_requested.emit(variant.sku, delta)

    def _start_sale(self) -> None:
        sku = self.selected_sku()
        price = self.sale_price_edit.text().strip()
        if not sku:
            return
        if not price:
            self.sale_label.setText("Type the deal price first")
            return
        at_zero = str(self.sale_at_zero.currentData())
        self.flash_sale_requested.emit(sku, price, self.sale_seconds.value(), at_zero)

    def _save(self) -> None:
        product = self.selected_product()
        if product is None:
            return
        try:
            edited = self._edited(product)
        except (PriceError, ValidationError, ValueError) as exc:
            self.editor_error.setText(_first_line(exc))
            return
        self.editor_error.clear()
        if edited != product:
            self.product_edit_requested.emit(edited)

    def _edited(self, product: Product) -> Product:
        variant = self.selected_variant()
        variants = list(product.variants)
        if variant is not None:
            compare_text = self.compare_edit.text().strip()
            stock = self.stock_spin.value()
            changed = Variant(
                sku=variant.sku,
                options=variant.options,
                image=variant.image,
                price=parse_price(self.price_edit.text(), product.currency),
                compare_at_price=parse_price(compare_text, product.currency) if compare_text else None,
                stock=None if stock == UNTRACKED else stock,
            )
            variants = [changed if v.sku == variant.sku else v for v in variants]
        points = tuple(line for line in self.points_edit.toPlainText().splitlines() if line.strip())
        return Product.model_validate(
            {
                **product.model_dump(exclude={"variants", "title", "short_code", "talking_points"}),
                "variants": variants,
                "title": self.title_edit.text(),
                "short_code": self.code_edit.text() or None,
                "talking_points": points,
            }
        )

    # -- queue -------------------------------------------------------------------------------------

    def queue_skus(self) -> tuple[str, ...]:
        return tuple(
            str(self.queue_list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.queue_list.count())
        )

    def _show_queue(self, skus: tuple[str, ...]) -> None:
        blocked = self.queue_list.blockSignals(True)
        try:
            self.queue_list.clear()
            for position, sku in enumerate(skus, start=1):
                hit = self.catalog.find(sku)
                if hit is None:
                    text = f"{position}. {sku} (not in the catalog)"
                else:
                    product, variant = hit
                    label = f" ({variant.label})" if variant is not None and variant.label else ""
                    text = f"{position}. {product.title}{label} · {product.price_text()}"
                item = QListWidgetItem(text)
                if hit is not None:
                    item.setIcon(self.model.thumbnail(hit[0]))
                item.setData(Qt.ItemDataRole.UserRole, sku)
                item.setToolTip(html.escape(product_line(hit[0])) if hit else html.escape(sku))
                self.queue_list.addItem(item)
        finally:
            self.queue_list.blockSignals(blocked)

    def _mark_pinned_in_queue(self, pinned: str | None) -> None:
        for i in range(self.queue_list.count()):
            item = self.queue_list.item(i)
            font = item.font()
            font.setBold(item.data(Qt.ItemDataRole.UserRole) == pinned)
            item.setFont(font)

    def _queue_add(self) -> None:
        sku = self.selected_sku()
        if sku and sku not in self.state.queue:
            self.queue_requested.emit([*self.state.queue, sku])

    def _queue_remove(self) -> None:
        item = self.queue_list.currentItem()
        if item is not None:
            sku = item.data(Qt.ItemDataRole.UserRole)
            self.queue_requested.emit([s for s in self.state.queue if s != sku])

    def _queue_move(self, step: int) -> None:
        row = self.queue_list.currentRow()
        queue = list(self.state.queue)
        target = row + step
        if not (0 <= row < len(queue) and 0 <= target < len(queue)):
            return
        queue[row], queue[target] = queue[target], queue[row]
        self.queue_requested.emit(queue)

    def _queue_reordered(self) -> None:
        """A drag and drop moved a row: ask for the order the list now shows."""
        if not self._updating:
            self.queue_requested.emit(list(self.queue_skus()))

    # -- files -------------------------------------------------------------------------------------

    def _choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import products", "", "Product files (*.csv *.json);;All files (*)"
        )
        if path:
            self.import_requested.emit(path)

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export catalog", "catalog.json", "Catalog JSON (*.json)")
        if path:
            self.export_requested.emit(path)


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {str(first['msg']).removeprefix('Value error, ')}"
    return str(exc).splitlines()[0]
