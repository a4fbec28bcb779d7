"""Money formatted by CLDR: every ISO 4217 currency, the studio's locale, minor units, parsing symbols."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from babel.numbers import list_currencies

from studio_console.domain import money
from studio_console.domain.card import card_for
from studio_console.domain.catalog import Product, Variant
from studio_console.domain.money import (
    PriceError,
    check_price,
    currency_decimals,
    format_money,
    normalise_locale,
    parse_price,
    set_display_locale,
)
from studio_console.settings.model import ProductSettings

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.fixture
def studio_locale() -> Iterator[None]:
    before = money.display_locale()
    yield
    set_display_locale(before)


@pytest.mark.parametrize(
    ("amount", "code", "locale", "expected"),
    [
        ("150000", "IDR", "id_ID", "Rp150.000"),
        ("89.9", "MYR", "ms_MY", "RM89.90"),
        ("1299.5", "EUR", "de_DE", f"1.299,50{NBSP}€"),
        ("1299.5", "EUR", "fr_FR", f"1{NNBSP}299,50{NBSP}€"),
        ("1299.5", "EUR", "en_IE", "€1,299.50"),
        ("1299.5", "EUR", "nl_NL", f"€{NBSP}1.299,50"),
        ("1299", "JPY", "en_US", "¥1,299"),
        ("25000", "VND", "vi_VN", f"25.000{NBSP}₫"),
        ("9.99", "USD", "en_IE", "US$9.99"),
        ("1299.5", "THB", "th_TH", "฿1,299.50"),
        ("499", "PHP", "fil_PH", "₱499.00"),
    ],
)
def test_currencies_in_their_markets(amount: str, code: str, locale: str, expected: str) -> None:
    assert format_money(Decimal(amount), code, locale) == expected


def test_every_iso_4217_currency_formats_with_its_own_minor_unit() -> None:
    codes = sorted(list_currencies())
    assert {"IDR", "MYR", "VND", "PHP", "THB", "KWD", "CLP", "HUF"} <= set(codes)
    for code in codes:
        text = format_money(Decimal("1234.5"), code, "en_US")
        assert "1,23" in text, (code, text)
    assert currency_decimals("JPY") == 0 and currency_decimals("IDR") == 0
    assert currency_decimals("USD") == 2 and currency_decimals("BHD") == 3


def test_minor_units_decide_what_a_price_may_hold() -> None:
    assert check_price(Decimal("150000.00"), "IDR") == Decimal("150000")
    with pytest.raises(PriceError, match=r"more decimals than JPY allows \(0\)"):
        check_price(Decimal("10.5"), "JPY")
    assert check_price(Decimal("1.125"), "KWD") == Decimal("1.125")


def test_the_studio_locale_applies_to_every_price_shown(studio_locale: None) -> None:
    product = Product(sku="TEE", title="Tee", currency="EUR", variants=(Variant(sku="TEE", price=Decimal("19.9")),))
    set_display_locale("de-DE")
    assert card_for(product, None).price_text == f"19,90{NBSP}€"
    assert product.price_text() == f"19,90{NBSP}€"
    set_display_locale("fr_FR.UTF-8")
    assert card_for(product, None).price_text == f"19,90{NBSP}€"
    set_display_locale("en_IE")
    assert card_for(product, None).price_text == "€19.90"
    assert format_money(Decimal("19.9"), "EUR", "de_DE") == f"19,90{NBSP}€"  # an explicit locale wins


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("RM89.90", "MYR", "89.90"),
        ("Rp 150000", "IDR", "150000"),
        ("150000 IDR", "IDR", "150000"),
        ("€19.90", "EUR", "19.90"),
        ("¥1,299", "JPY", "1299"),
        ("CA$5", "CAD", "5"),
    ],
)
def test_prices_with_the_currency_symbols_of_their_market(text: str, code: str, expected: str) -> None:
    assert parse_price(text, code) == Decimal(expected)


def test_a_symbol_of_another_currency_is_not_a_price() -> None:
    with pytest.raises(PriceError, match="not a price"):
        parse_price("RM89.90", "USD")
    with pytest.raises(PriceError, match="not a price"):
        parse_price("EUR 19.90", "USD")


def test_the_locale_setting_is_checked_and_normalised() -> None:
    assert ProductSettings(locale="de-DE").locale == "de_DE"
    assert ProductSettings().locale == money.system_locale()
    with pytest.raises(ValueError, match="not a locale with CLDR data"):
        ProductSettings(locale="xx_QQ")
    with pytest.raises(ValueError, match="not a locale"):
        normalise_locale("C")


def test_a_machine_without_a_usable_locale_falls_back_to_en_us(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(money.system_locales, "getlocale", lambda category: (None, None))
    assert money.system_locale() == "en_US"
    monkeypatch.setattr(money.system_locales, "getlocale", lambda category: ("de_DE", "UTF-8"))
    assert money.system_locale() == "de_DE"
