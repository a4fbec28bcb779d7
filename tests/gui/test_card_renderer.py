"""Product cards drawn with QPainter: inside their rectangle, per layout and orientation, plain text only."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from studio_console.domain.card import CardLayout, CardRect, CardState, Theme, card_for, card_rect
from studio_console.domain.catalog import Product, Variant
from studio_console.qt.render.card_renderer import CardRenderer

CANVASES = [(640, 360), (1280, 720), (360, 640), (720, 1280)]


def solid_png(path: Path, colour: str, size: int = 64) -> str:
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    assert image.save(str(path))
    return str(path)


def product(image: str | None = None, title: str = "Linen Summer Shirt") -> Product:
    return Product(
        sku="TEE",
        title=title,
        short_code="LINEN",
        image=image,
        variants=(
            Variant(
                sku="TEE-S", options={"Size": "S"}, price=Decimal("49.99"), compare_at_price=Decimal("69.99"), stock=3
            ),
            Variant(sku="TEE-M", options={"Size": "M"}, price=Decimal("49.99"), stock=0),
        ),
    )


def outside_is_transparent(image: QImage, rect: CardRect) -> bool:
    cleared = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(cleared)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
    painter.fillRect(QRect(rect.x, rect.y, rect.width, rect.height), Qt.GlobalColor.transparent)
    painter.end()
    blank = QImage(image.size(), QImage.Format.Format_ARGB32_Premultiplied)
    blank.fill(Qt.GlobalColor.transparent)
    return cleared == blank


def region(image: QImage, rect: CardRect) -> QImage:
    return image.copy(QRect(rect.x, rect.y, rect.width, rect.height))


def colours_in(image: QImage) -> set[tuple[int, int, int]]:
    found = set()
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            if colour.alpha() == 255:
                found.add((colour.red(), colour.green(), colour.blue()))
    return found


@pytest.mark.parametrize("layout", list(CardLayout))
@pytest.mark.parametrize(("width", "height"), CANVASES)
def test_card_fills_its_rectangle_and_nothing_else(
    qapp: object, tmp_path: Path, layout: CardLayout, width: int, height: int
) -> None:
    picture = solid_png(tmp_path / "p.png", "#2E7D5B")
    state = card_for(product(picture), product(picture).variants[0], layout=layout)
    rendered = CardRenderer().render(state, width, height)
    assert rendered.image.size().toTuple() == (width, height)
    assert rendered.rect == card_rect(layout, width, height)
    assert outside_is_transparent(rendered.image, rendered.rect)
    inside = region(rendered.image, rendered.rect)
    assert inside.pixelColor(inside.width() // 2, inside.height() // 2).alpha() > 0
    # The product picture is on the card.
    assert (0x2E, 0x7D, 0x5B) in colours_in(inside)


def test_vertical_canvas_gets_the_vertical_layout(qapp: object) -> None:
    state = card_for(product(), layout=CardLayout.LOWER_THIRD)
    renderer = CardRenderer()
    landscape = renderer.render(state, 640, 360).rect
    vertical = renderer.render(state, 360, 640).rect
    assert landscape.width / landscape.height > 3.5  # a strip along the bottom
    assert vertical.width / vertical.height < 3  # taller: texts stacked beside the picture
    assert vertical.width > 0.9 * 360 and vertical.y + vertical.height < 0.8 * 640


def test_flash_sale_sold_out_and_regular_cards_differ(qapp: object) -> None:
    p = product()
    renderer = CardRenderer()
    regular = card_for(p, p.variants[0])
    sale = card_for(p, p.variants[0], deal_price=Decimal("29.99"), flash_seconds_left=133)
    later = sale.model_copy(update={"flash_seconds_left": 132})
    sold = card_for(p, p.variants[1])
    images = [renderer.render(s, 640, 360) for s in (regular, sale, later, sold)]
    rect = images[0].rect
    regions = [region(r.image, rect) for r in images]
    assert len({bytes(r.constBits()) for r in regions}) == 4  # each second of a countdown is a new picture
    assert renderer.render(sale, 640, 360).image == images[1].image  # equal states, equal pictures


def test_product_text_is_drawn_as_plain_text(qapp: object, tmp_path: Path) -> None:
    magenta = solid_png(tmp_path / "m.png", "#FF00FF", 200)
    title = f'<img src="{magenta}" width=200 height=200><b>Shirt</b>'
    p = product(title=title)
    rendered = CardRenderer().render(card_for(p, p.variants[0]), 640, 360)
    assert (255, 0, 255) not in colours_in(region(rendered.image, rendered.rect))


def test_missing_remote_and_broken_pictures_get_a_lettered_tile(qapp: object, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    renderer = CardRenderer()
    for image in (None, str(tmp_path / "gone.png"), "https://example.invalid/x.png", str(broken)):
        p = product(image)
        rendered = renderer.render(card_for(p), 640, 360)
        assert outside_is_transparent(rendered.image, rendered.rect)


def test_theme_colours_font_and_logo(qapp: object, tmp_path: Path) -> None:
    p = product()
    logo = solid_png(tmp_path / "logo.png", "#0000FF", 40)
    plain = CardRenderer().render(card_for(p, p.variants[0]), 1280, 720)
    branded_state = card_for(p, p.variants[0], theme=Theme(panel="#FF102030", price="#00FF00", logo_path=logo))
    branded = CardRenderer().render(branded_state, 1280, 720)
    colours = colours_in(region(branded.image, branded.rect))
    assert (0x10, 0x20, 0x30) in colours and (0, 0, 255) in colours
    assert (0, 0, 255) not in colours_in(region(plain.image, plain.rect))


def test_png_is_the_card_alone_as_placed_on_the_canvas(qapp: object) -> None:
    state: CardState = card_for(product(), layout=CardLayout.SIDE_PANEL)
    renderer = CardRenderer()
    png = renderer(state, 360, 640)
    assert png.startswith(b"\x89PNG")
    decoded = QImage.fromData(png)
    rect = card_rect(CardLayout.SIDE_PANEL, 360, 640)
    assert decoded.size().toTuple() == (rect.width, rect.height) and decoded.hasAlphaChannel()
    on_canvas = renderer.render(state, 360, 640)
    expected = region(on_canvas.image, rect).convertToFormat(QImage.Format.Format_ARGB32)
    assert decoded.convertToFormat(QImage.Format.Format_ARGB32) == expected
