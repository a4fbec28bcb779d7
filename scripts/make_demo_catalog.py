"""Builds the demo catalog: a dozen shop products with pictures drawn here with QPainter (no stock photos).

Run ``python scripts/make_demo_catalog.py``; it rewrites ``resources/demo_catalog/catalog.json`` and
``resources/demo_catalog/images/*.png`` (256x256, a few KB each). The output is deterministic.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QRadialGradient,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio_console.domain.catalog import Catalog, Product, Variant  # noqa: E402
from studio_console.services.products.catalog_io import export_json  # noqa: E402

OUT = ROOT / "resources" / "demo_catalog"
SIZE = 256
Draw = Callable[[QPainter], None]


def _pen(colour: str, width: float) -> QPen:
    pen = QPen(QColor(colour), width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _fill(p: QPainter, colour: str, outline: str | None = None, width: float = 3) -> None:
    p.setBrush(QColor(colour))
    p.setPen(_pen(outline, width) if outline else Qt.PenStyle.NoPen)


def _poly(*points: tuple[float, float]) -> QPolygonF:
    return QPolygonF([QPointF(x, y) for x, y in points])


def shirt(p: QPainter) -> None:
    _fill(p, "#F4EFE6", "#B9AE9A")
    p.drawPolygon(
        _poly(
            (96, 52),
            (160, 52),
            (210, 80),
            (196, 122),
            (176, 112),
            (176, 212),
            (80, 212),
            (80, 112),
            (60, 122),
            (46, 80),
        )
    )
    p.setPen(_pen("#B9AE9A", 3))
    p.drawArc(QRectF(108, 36, 40, 36), 200 * 16, 140 * 16)
    for y in (104, 132, 160):
        p.setBrush(QColor("#B9AE9A"))
        p.drawEllipse(QPointF(128, y), 3.5, 3.5)


def pour_over(p: QPainter) -> None:
    _fill(p, "#FFFFFF", "#8A9BA8")
    p.drawPolygon(_poly((70, 70), (186, 70), (150, 130), (106, 130)))
    p.drawRoundedRect(QRectF(96, 128, 64, 12), 4, 4)
    _fill(p, "#E8DDD0", "#8A9BA8")
    p.drawRoundedRect(QRectF(78, 142, 100, 76), 14, 14)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(166, 158, 34, 40), -90 * 16, 180 * 16)
    _fill(p, "#6B4423")
    p.drawEllipse(QRectF(90, 146, 76, 12))


def cutting_board(p: QPainter) -> None:
    gradient = QLinearGradient(0, 60, 0, 220)
    gradient.setColorAt(0, QColor("#D9A066"))
    gradient.setColorAt(1, QColor("#B97A40"))
    p.setBrush(QBrush(gradient))
    p.setPen(_pen("#8C5A2B", 3))
    p.drawRoundedRect(QRectF(46, 70, 164, 140), 22, 22)
    p.setPen(_pen("#C48A50", 2))
    for y in (100, 128, 156, 184):
        p.drawLine(QPointF(64, y), QPointF(192, y + 4))
    _fill(p, "#F6F1EA", "#8C5A2B")
    p.drawEllipse(QRectF(116, 80, 24, 14))


def earbuds(p: QPainter) -> None:
    _fill(p, "#FFFFFF", "#9AA3AD")
    p.drawRoundedRect(QRectF(70, 132, 116, 76), 30, 30)
    p.drawLine(QPointF(74, 160), QPointF(182, 160))
    _fill(p, "#2B2F36")
    for x, tilt in ((86, -12), (150, 12)):
        p.save()
        p.translate(x + 12, 80)
        p.rotate(tilt)
        p.drawEllipse(QRectF(-18, -26, 36, 36))
        p.drawRoundedRect(QRectF(-7, 0, 14, 50), 7, 7)
        p.restore()


def hoops(p: QPainter) -> None:
    for x in (92, 164):
        gradient = QLinearGradient(x - 40, 80, x + 40, 200)
        gradient.setColorAt(0, QColor("#F6D37A"))
        gradient.setColorAt(1, QColor("#C8962E"))
        p.setPen(QPen(QBrush(gradient), 12))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(x, 140), 40, 52)
        _fill(p, "#C8962E")
        p.drawRect(QRectF(x - 3, 78, 6, 14))


def serum(p: QPainter) -> None:
    _fill(p, "#F39C3D", "#B86A14")
    p.drawRoundedRect(QRectF(88, 110, 80, 108), 16, 16)
    _fill(p, "#FFF4E0")
    p.drawRoundedRect(QRectF(100, 142, 56, 44), 6, 6)
    _fill(p, "#2B2F36")
    p.drawRoundedRect(QRectF(104, 84, 48, 30), 6, 6)
    _fill(p, "#E9E9E9", "#9AA3AD", 2)
    p.drawRoundedRect(QRectF(112, 40, 32, 48), 14, 14)


def tote(p: QPainter) -> None:
    p.setPen(_pen("#C9B79C", 8))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(86, 46, 36, 80), 0, 180 * 16)
    p.drawArc(QRectF(134, 46, 36, 80), 0, 180 * 16)
    _fill(p, "#EFE6D2", "#C9B79C")
    p.drawPolygon(_poly((62, 90), (194, 90), (206, 214), (50, 214)))
    _fill(p, "#2E7D5B")
    p.drawEllipse(QPointF(128, 152), 22, 22)


def bottle(p: QPainter) -> None:
    gradient = QLinearGradient(96, 0, 160, 0)
    gradient.setColorAt(0, QColor("#7FA38A"))
    gradient.setColorAt(0.5, QColor("#A9C8B1"))
    gradient.setColorAt(1, QColor("#6E927A"))
    p.setBrush(QBrush(gradient))
    p.setPen(_pen("#567561", 3))
    p.drawRoundedRect(QRectF(94, 70, 68, 150), 24, 24)
    _fill(p, "#3C4148")
    p.drawRoundedRect(QRectF(104, 40, 48, 36), 8, 8)
    p.setPen(_pen("#3C4148", 6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(116, 24, 24, 28), 0, 180 * 16)


def candle(p: QPainter) -> None:
    flame = QRadialGradient(QPointF(128, 70), 30)
    flame.setColorAt(0, QColor("#FFF3B0"))
    flame.setColorAt(1, QColor(255, 180, 60, 0))
    p.setBrush(QBrush(flame))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(QPointF(128, 70), 30, 30)
    _fill(p, "#FFB347")
    path = QPainterPath(QPointF(128, 50))
    path.cubicTo(QPointF(142, 70), QPointF(138, 92), QPointF(128, 94))
    path.cubicTo(QPointF(118, 92), QPointF(114, 70), QPointF(128, 50))
    p.drawPath(path)
    _fill(p, "#D8C8F0", "#8E7CB8")
    p.drawRoundedRect(QRectF(78, 100, 100, 118), 14, 14)
    _fill(p, "#FFFFFF")
    p.drawRoundedRect(QRectF(96, 140, 64, 40), 6, 6)


def yoga_mat(p: QPainter) -> None:
    _fill(p, "#C69C6D", "#8C6A44")
    p.drawRoundedRect(QRectF(40, 104, 150, 80), 10, 10)
    _fill(p, "#D8B384", "#8C6A44")
    p.drawEllipse(QRectF(168, 98, 52, 92))
    p.setPen(_pen("#8C6A44", 2))
    p.setBrush(Qt.BrushStyle.NoBrush)
    for r in (16, 26, 36):
        p.drawEllipse(QPointF(194, 144), r * 0.55, r)


def wallet(p: QPainter) -> None:
    _fill(p, "#A8643A", "#6E3D1F")
    p.drawRoundedRect(QRectF(52, 80, 152, 108), 14, 14)
    _fill(p, "#8E5230")
    p.drawRoundedRect(QRectF(52, 122, 152, 66), 14, 14)
    p.setPen(QPen(QColor("#E9C9A8"), 2, Qt.PenStyle.DashLine))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(60, 88, 136, 92), 10, 10)
    _fill(p, "#2F6FB2")
    p.drawRoundedRect(QRectF(76, 96, 80, 30), 4, 4)


def scrunchies(p: QPainter) -> None:
    for x, y, colour in ((86, 150, "#E8A0B4"), (170, 150, "#B7A4E0"), (128, 96, "#F2D1A0")):
        _fill(p, colour, "#FFFFFF", 2)
        p.drawEllipse(QPointF(x, y), 42, 36)
        _fill(p, "#FAF6F2")
        p.drawEllipse(QPointF(x, y), 15, 12)


def picture(draw: Draw, background: str) -> QImage:
    image = QImage(SIZE, SIZE, QImage.Format.Format_RGB32)
    gradient = QLinearGradient(0, 0, 0, SIZE)
    base = QColor(background)
    gradient.setColorAt(0, base.lighter(112))
    gradient.setColorAt(1, base.darker(104))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.fillRect(image.rect(), QBrush(gradient))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 28))
    painter.drawEllipse(QRectF(48, 214, 160, 20))  # a soft floor shadow
    draw(painter)
    painter.end()
    return image


def v(sku: str, price: str, stock: int | None, compare: str | None = None, **options: str) -> Variant:
    return Variant(
        sku=sku,
        options=options,
        price=Decimal(price),
        compare_at_price=Decimal(compare) if compare else None,
        stock=stock,
    )


# (handle, title, short code, picture, background, variants, talking points)
PRODUCTS: list[tuple[str, str, str, Draw, str, tuple[Variant, ...], tuple[str, ...]]] = [
    (
        "linen-summer-shirt",
        "Linen Summer Shirt",
        "LINEN",
        shirt,
        "#DCE8F0",
        (
            v("LIN-S-WHT", "49.99", 6, "69.99", Size="S", Colour="White"),
            v("LIN-M-WHT", "49.99", 14, "69.99", Size="M", Colour="White"),
            v("LIN-L-WHT", "49.99", 3, "69.99", Size="L", Colour="White"),
            v("LIN-M-SND", "49.99", 9, "69.99", Size="M", Colour="Sand"),
        ),
        ("100 % European flax, washed soft", "Relaxed fit: take your usual size", "Breathes on hot days"),
    ),
    (
        "ceramic-pour-over-set",
        "Ceramic Pour-Over Set",
        "POUR",
        pour_over,
        "#F3E9DD",
        (v("POUR-SET", "34.00", 22),),
        ("Dripper, cup and 40 filters", "Hand-glazed, each one slightly different"),
    ),
    (
        "bamboo-cutting-board",
        "Bamboo Cutting Board",
        "BOARD",
        cutting_board,
        "#E9F1E4",
        (
            v("BOARD-M", "24.99", 18, "29.99", Size="Medium"),
            v("BOARD-L", "32.99", 7, "39.99", Size="Large"),
        ),
        ("Juice groove on the back side", "Kinder to knives than glass or stone"),
    ),
    (
        "wireless-earbuds-pro",
        "Wireless Earbuds Pro",
        "BUDS",
        earbuds,
        "#E6E9F2",
        (
            v("BUDS-BLK", "79.00", 11, "119.00", Colour="Black"),
            v("BUDS-WHT", "79.00", 5, "119.00", Colour="White"),
        ),
        ("Noise cancelling, 30 h with the case", "Sweat-proof for workouts", "USB-C fast charge"),
    ),
    (
        "gold-hoop-earrings",
        "Gold Hoop Earrings",
        "HOOPS",
        hoops,
        "#F4ECEF",
        (v("HOOP-GLD", "29.00", 8, "45.00"),),
        ("18k gold plated, hypoallergenic", "Light enough for all-day wear"),
    ),
    (
        "vitamin-c-glow-serum",
        "Vitamin C Glow Serum",
        "GLOW",
        serum,
        "#FFF1E2",
        (
            v("SERUM-30", "22.00", 25, Size="30 ml"),
            v("SERUM-50", "32.00", 12, Size="50 ml"),
        ),
        ("15 % vitamin C with hyaluronic acid", "Use in the morning under sunscreen"),
    ),
    (
        "canvas-market-tote",
        "Canvas Market Tote",
        "TOTE",
        tote,
        "#EAF2EE",
        (v("TOTE-NAT", "19.99", 4, "24.99"),),
        ("Heavy 12 oz organic canvas", "Inside pocket for keys and phone"),
    ),
    (
        "insulated-steel-bottle",
        "Insulated Steel Bottle",
        "SIP",
        bottle,
        "#E4EFEA",
        (
            v("SIP-SAGE", "27.50", 16, "35.00", Colour="Sage"),
            v("SIP-NAVY", "27.50", 10, "35.00", Colour="Navy"),
            v("SIP-CORAL", "27.50", 2, "35.00", Colour="Coral"),
        ),
        ("Cold for 24 h, hot for 12 h", "Leak-proof lid, fits car cup holders"),
    ),
    (
        "soy-wax-candle",
        "Soy Wax Candle",
        "CANDLE",
        candle,
        "#EFEAF7",
        (
            v("CANDLE-FIG", "18.00", 13, Scent="Fig"),
            v("CANDLE-CEDAR", "18.00", 8, Scent="Cedar"),
            v("CANDLE-VAN", "18.00", 20, Scent="Vanilla"),
        ),
        ("45 hours of burn time", "Cotton wick, no soot"),
    ),
    (
        "cork-yoga-mat",
        "Cork Yoga Mat",
        "MAT",
        yoga_mat,
        "#F2EDE4",
        (v("MAT-CORK", "64.00", 9, "89.00"),),
        ("Grips better the more you sweat", "Natural rubber base, 4 mm"),
    ),
    (
        "leather-card-wallet",
        "Leather Card Wallet",
        "WALLET",
        wallet,
        "#F1EAE4",
        (
            v("WALLET-TAN", "39.00", 12, Colour="Tan"),
            v("WALLET-BLK", "39.00", 0, Colour="Black"),
        ),
        ("Full-grain leather, ages beautifully", "Holds 6 cards and folded notes"),
    ),
    (
        "silk-scrunchie-set",
        "Silk Scrunchie Set",
        "SILK",
        scrunchies,
        "#FBEFF2",
        (v("SILK-SET3", "16.00", 0, "24.00"),),
        ("Set of three, mulberry silk", "No creases, no breakage"),
    ),
]


def build() -> Catalog:
    images = OUT / "images"
    images.mkdir(parents=True, exist_ok=True)
    products = []
    for handle, title, code, draw, background, variants, points in PRODUCTS:
        path = images / f"{handle}.png"
        if not picture(draw, background).save(str(path), "PNG", 0):  # 0: smallest file
            raise RuntimeError(f"could not write {path}")
        products.append(
            Product(
                sku=handle,
                title=title,
                handle=handle,
                currency="USD",
                variants=variants,
                image=str(path),
                short_code=code,
                talking_points=points,
            )
        )
    return Catalog(products=tuple(products))


def main() -> None:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    catalog = build()
    export_json(catalog, OUT / "catalog.json")
    total = sum(p.stat().st_size for p in (OUT / "images").glob("*.png"))
    print(f"wrote {len(catalog)} products and {total // 1024} KB of pictures to {OUT}")
    del app


if __name__ == "__main__":
    main()
