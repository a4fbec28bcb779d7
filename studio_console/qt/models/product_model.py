"""The catalog as a Qt list model (title, price, stock, thumbnail) and a proxy that filters by search words."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRegularExpression,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QIcon, QImage, QImageReader, QPainter, QPixmap

from studio_console.domain.catalog import Catalog, Product

SKU_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2
PRODUCT_ROLE = Qt.ItemDataRole.UserRole + 3
THUMB_SIZE = QSize(40, 40)

_Index = QModelIndex | QPersistentModelIndex


def stock_summary(product: Product) -> str:
    stock = product.total_stock
    if product.sold_out:
        return "sold out"
    return "stock not tracked" if stock is None else f"{stock} in stock"


def product_line(product: Product) -> str:
    """One line about a product: ``Linen Shirt · from $44.99 · 24 in stock``."""
    return f"{product.title} · {product.price_text()} · {stock_summary(product)}"


class ProductListModel(QAbstractListModel):
    """One row per product. Thumbnails are decoded on first display and cached."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._products: tuple[Product, ...] = ()
        self._thumbs: dict[str, QIcon] = {}

    def set_catalog(self, catalog: Catalog) -> None:
        self.beginResetModel()
        self._products = catalog.products
        live = {p.image for p in self._products if p.image}
        self._thumbs = {k: v for k, v in self._thumbs.items() if k in live}
        self.endResetModel()

    def product_at(self, row: int) -> Product | None:
        return self._products[row] if 0 <= row < len(self._products) else None

    def row_of(self, sku: str) -> int:
        return next((i for i, p in enumerate(self._products) if p.sku == sku), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        return 0 if parent.isValid() else len(self._products)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        product = self.product_at(index.row()) if index.isValid() else None
        if product is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return product_line(product)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(product)
        if role == Qt.ItemDataRole.ToolTipRole:
            # Tooltips are rich text whenever the text looks like HTML: escape shop-supplied text.
            return html.escape(f"{product.title} ({product.sku})") + (
                "<br>" + html.escape(product.short_code) if product.short_code else ""
            )
        if role == SKU_ROLE:
            return product.sku
        if role == SEARCH_ROLE:
            return product.search_text()
        if role == PRODUCT_ROLE:
            return product
        return None

    def thumbnail(self, product: Product) -> QIcon:
        """The product's picture as a small icon (cached per picture), or its lettered tile."""
        return self._thumbnail(product)

    def _thumbnail(self, product: Product) -> QIcon:
        key = product.image or ""
        icon = self._thumbs.get(key)
        if icon is None:
            icon = QIcon(_thumbnail_pixmap(product))
            self._thumbs[key] = icon
        return icon


def _thumbnail_pixmap(product: Product) -> QPixmap:
    image = QImage()
    if product.image and not product.image.lower().startswith(("http://", "https://")):
        reader = QImageReader(product.image)
        reader.setAutoTransform(True)
        size = reader.size()
        if size.isValid():
            reader.setScaledSize(size.scaled(THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
    if image.isNull():
        # A lettered tile, so a product without a picture is still easy to find by eye.
        image = QImage(THUMB_SIZE, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor("#B8BDC7"))
        painter = QPainter(image)
        painter.setPen(QColor("#141821"))
        font = painter.font()
        font.setPixelSize(THUMB_SIZE.height() // 2)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(image.rect(), int(Qt.AlignmentFlag.AlignCenter), (product.title[:1] or "?").upper())
        painter.end()
    return QPixmap.fromImage(image)


class ProductFilterProxy(QSortFilterProxyModel):
    """Keeps the rows whose search text contains every word typed (any order, any case).

    The words become one regular expression of look-aheads, so Qt filters thousands of rows in C++.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setFilterRole(SEARCH_ROLE)

    def set_search(self, text: str) -> None:
        words = text.lower().split()
        pattern = "".join(f"(?=.*{QRegularExpression.escape(word)})" for word in words)
        self.setFilterRegularExpression(
            QRegularExpression(
                f"^{pattern}" if words else "", QRegularExpression.PatternOption.DotMatchesEverythingOption
            )
        )
