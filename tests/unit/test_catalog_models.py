"""Catalog models, price math and currency formats; card texts derived from products."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from studio_console.domain.card import CardLayout, CardRect, Theme, card_for, card_rect
from studio_console.domain.catalog import Catalog, CatalogError, Product, Variant, slugify
from studio_console.domain.money import PriceError, discount_percent, format_money, parse_price, quantize


def shirt() -> Product:
    return Product(
        sku="SHIRT",
        title="Linen Shirt",
        short_code="shirt",
        variants=(
            Variant(
                sku="SHIRT-S", options={"Size": "S"}, price=Decimal("49.99"), compare_at_price=Decimal("69.99"), stock=4
            ),
            Variant(sku="SHIRT-M", options={"Size": "M"}, price=Decimal("39.99"), stock=0),
            Variant(sku="SHIRT-L", options={"Size": "L"}, price=Decimal("44.99"), stock=20),
        ),
    )


@pytest.mark.parametrize(
    ("amount", "code", "locale", "expected"),
    [
        ("1299.5", "USD", "en_US", "$1,299.50"),
        ("0.5", "USD", "en_US", "$0.50"),
        ("1234567.891", "USD", "en_US", "$1,234,567.89"),
        ("1299.5", "EUR", "de_DE", "1.299,50\u00a0€"),
        ("29.99", "GBP", "en_GB", "£29.99"),
        ("1299", "JPY", "ja_JP", "￥1,299"),
        ("1299.5", "JPY", "en_US", "¥1,300"),
        ("15000", "KRW", "ko_KR", "₩15,000"),
        ("1234567.5", "INR", "en_IN", "₹12,34,567.50"),
        ("1299.5", "CHF", "de_CH", "CHF\u00a01'299.50"),
        ("1299.5", "SEK", "sv_SE", "1\u00a0299,50\u00a0kr"),
        ("49.9", "BRL", "pt_BR", "R$\u00a049,90"),
        ("-5", "USD", "en_US", "-$5.00"),
        ("12.3", "XTS", "en_US", "XTS12.30"),
        ("999", "usd", "en_US", "$999.00"),
    ],
)
def test_format_money(amount: str, code: str, locale: str, expected: str) -> None:
    # The hand table these rows came from printed each currency in its home market's style; CLDR
    # does the same when given that market's locale.
    assert format_money(Decimal(amount), code, locale) == expected


def test_quantize_rounds_half_up_to_the_minor_unit() -> None:
    assert quantize(Decimal("0.125"), "USD") == Decimal("0.13")
    assert quantize(Decimal("2.5"), "JPY") == Decimal("3")


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("29.99", "USD", "29.99"),
        (" 1,299.00 ", "USD", "1299.00"),
        ("$29.99", "USD", "29.99"),
        ("29.99 USD", "USD", "29.99"),
        ("1299.00", "JPY", "1299"),
        ("£5", "GBP", "5"),
        ("0", "USD", "0"),
    ],
)
def test_parse_price(text: str, code: str, expected: str) -> None:
    assert parse_price(text, code) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "code", "reason"),
    [
        ("", "USD", "empty"),
        ("abc", "USD", "not a price"),
        ("-3.00", "USD", "negative"),
        ("12.345", "USD", "more decimals than USD allows (2)"),
        ("1299.5", "JPY", "more decimals than JPY allows (0)"),
        ("NaN", "USD", "not a price"),
        ("1e3", "USD", "not a price"),
        ("29,99", "EUR", "not a price"),
        ("1000000000", "USD", "too large"),
        ("1,29.00", "USD", "not a price"),
    ],
)
def test_parse_price_rejects(text: str, code: str, reason: str) -> None:
    with pytest.raises(PriceError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_price(text, code)


@pytest.mark.parametrize(
    ("price", "compare", "expected"),
    [
        ("29.99", "49.99", 40),
        ("66.67", "100", 33),
        ("19.99", "20.00", None),  # 0.05 % is no discount worth a badge
        ("50", "50", None),
        ("60", "50", None),
        ("10", None, None),
        ("0", "10", 100),
    ],
)
def test_discount_percent_never_overstates(price: str, compare: str | None, expected: int | None) -> None:
    assert discount_percent(Decimal(price), Decimal(compare) if compare else None) == expected


def test_product_derived_values() -> None:
    product = shirt()
    assert product.handle == "linen-shirt"
    assert product.short_code == "SHIRT"
    assert product.cheapest.sku == "SHIRT-L"  # M is cheaper but sold out
    assert product.prices_differ and product.price_text() == "from $44.99"
    assert product.total_stock == 24
    assert not product.sold_out
    assert product.variants[0].label == "S" and product.variants[0].discount_percent == 28
    assert product.variant("SHIRT-M") is not None and product.variant("SHIRT-M").sold_out  # type: ignore[union-attr]


def test_product_validation() -> None:
    one = (Variant(sku="A", price=Decimal("1")),)
    with pytest.raises(ValidationError, match="short code"):
        Product(sku="X", title="T", short_code="no spaces", variants=one)
    with pytest.raises(ValidationError, match="currency code"):
        Product(sku="X", title="T", currency="dollars", variants=one)
    with pytest.raises(ValidationError, match="more decimals than JPY"):
        Product(sku="X", title="T", currency="JPY", variants=(Variant(sku="A", price=Decimal("1.5")),))
    with pytest.raises(ValidationError, match="appears twice"):
        Product(sku="X", title="T", variants=(one[0], one[0]))
    with pytest.raises(ValidationError, match="title is empty"):
        Product(sku="X", title=" \t", variants=one)
    with pytest.raises(ValidationError):
        Product(sku="X", title="T", variants=())
    with pytest.raises(ValidationError):
        Variant(sku="A", price=Decimal("1"), stock=-1)
    cleaned = Product(sku=" X ", title="Two\tlines\nhere", variants=one, talking_points=("  ", " fits  all "))
    assert (cleaned.sku, cleaned.title, cleaned.talking_points) == ("X", "Two lines here", ("fits all",))
    assert slugify("Crème Brûlée Set!") == "creme-brulee-set"


def test_catalog_lookups_and_unique_skus() -> None:
    mug = Product(sku="MUG", title="Mug", variants=(Variant(sku="MUG", price=Decimal("9")),))
    catalog = Catalog(products=(shirt(), mug))
    found = catalog.find("SHIRT-M")
    assert found is not None and found[0].sku == "SHIRT" and found[1] is not None and found[1].sku == "SHIRT-M"
    product_level = catalog.find("SHIRT")
    assert product_level is not None and product_level[1] is None
    single = catalog.find("MUG")  # a product with one variant: its SKU names that variant
    assert single is not None and single[1] is not None and single[1].sku == "MUG"
    assert catalog.find("NOPE") is None
    assert [p.sku for p in catalog.search("linen")] == ["SHIRT"]
    assert [p.sku for p in catalog.search("shirt-l")] == ["SHIRT"]
    with pytest.raises(ValidationError, match="also used by product"):
        Catalog(products=(shirt(), Product(sku="X", title="X", variants=(Variant(sku="SHIRT-S", price=Decimal(1)),))))
    with pytest.raises(ValidationError, match="two products"):
        Catalog(products=(mug, mug))
    restocked = catalog.with_variant_stock("SHIRT-M", 7)
    assert restocked.find("SHIRT-M")[1].stock == 7  # type: ignore[index,union-attr]
    assert catalog.find("SHIRT-M")[1].stock == 0  # type: ignore[index,union-attr]  # immutable
    assert restocked.with_variant_stock("SHIRT-M", -3).find("SHIRT-M")[1].stock == 0  # type: ignore[index,union-attr]
    with pytest.raises(CatalogError):
        catalog.with_variant_stock("SHIRT", 3)  # three variants: which one?
    renamed = catalog.replaced(mug.model_copy(update={"title": "Big mug"}))
    assert [p.title for p in renamed.products] == ["Linen Shirt", "Big mug"]
    assert [p.sku for p in catalog.without("MUG").products] == ["SHIRT"]


def test_card_texts_for_product_variant_and_flash_sale() -> None:
    product = shirt()
    card = card_for(product)
    assert card.price_text == "from $44.99" and card.struck_text is None and card.discount_text is None
    assert card.stock_text is None  # 24 left is plenty
    assert card.code_text == "Comment SHIRT to buy"
    small = card_for(product, product.variants[0])
    assert (small.price_text, small.struck_text, small.discount_text) == ("$49.99", "$69.99", "-28%")
    assert small.stock_text == "Only 4 left" and small.variant_label == "S"
    sold = card_for(product, product.variants[1])
    assert sold.sold_out and sold.stock_text == "Sold out" and sold.code_text is None
    sale = card_for(product, product.variants[0], deal_price=Decimal("29.99"), flash_seconds_left=133)
    # The higher of regular and compare-at price is struck during a flash sale.
    assert (sale.price_text, sale.struck_text, sale.discount_text) == ("$29.99", "$69.99", "-57%")
    assert sale.countdown_text == "02:13 left"
    plain = card_for(product, product.variants[2], deal_price=Decimal("40"), flash_seconds_left=5)
    assert (plain.struck_text, plain.discount_text, plain.countdown_text) == ("$44.99", "-11%", "00:05 left")


def test_card_geometry_per_layout_and_orientation() -> None:
    for layout in CardLayout:
        for w, h in ((640, 360), (1920, 1080), (360, 640), (1080, 1920)):
            rect = card_rect(layout, w, h)
            assert rect.x >= 0 and rect.y >= 0 and rect.x + rect.width <= w and rect.y + rect.height <= h
    landscape = card_rect(CardLayout.LOWER_THIRD, 640, 360)
    vertical = card_rect(CardLayout.LOWER_THIRD, 360, 640)
    assert landscape.width / landscape.height > 3
    # On a vertical canvas the card spans the width and keeps clear of the platform's bottom UI.
    assert vertical.width > 0.9 * 360 and vertical.y + vertical.height < 0.8 * 640
    assert CardRect(10, 20, 30, 40).scaled(0.5, 0.5) == CardRect(5, 10, 15, 20)
    assert CardRect(10, 20, 30, 40).contains(10, 20) and not CardRect(10, 20, 30, 40).contains(40, 20)


def test_theme_rejects_bad_colours() -> None:
    assert Theme(panel="#80112233").panel == "#80112233"
    with pytest.raises(ValidationError, match="not a colour"):
        Theme(accent="red")


def test_catalog_core_runs_without_qt() -> None:
    program = (
        "import sys\n"
        "import studio_console.services.products.show, studio_console.services.overlay.scene\n"
        "import studio_console.services.products.catalog_io, studio_console.domain.card, studio_console.domain.show\n"
        "from studio_console.services.products.catalog_io import demo_catalog_path, import_json\n"
        "assert import_json(demo_catalog_path()).imported >= 12\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'shiboken6'))\n"
        "assert not leaked, leaked\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", program], cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
