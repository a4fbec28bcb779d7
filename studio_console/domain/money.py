"""Prices as exact Decimals: parsing, rounding to a currency's minor unit, discounts and CLDR display formats."""

from __future__ import annotations

import functools
import locale as system_locales
import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import format_currency, get_currency_precision, get_currency_symbol

# No price a live-shopping show sells reaches this; larger values are typos (a barcode in the price column).
MAX_PRICE = Decimal("1000000000")

FALLBACK_LOCALE = "en_US"

# The studio's display locale. Prices are drawn deep inside domain models (card texts, "from $9.99"),
# so the composition root sets this once from settings (``products.locale``) rather than threading
# a locale through every model; an explicit ``locale=`` argument always wins.
_display_locale = FALLBACK_LOCALE


class PriceError(ValueError):
    """A price that cannot be used; the message says why in one sentence."""


@functools.cache
def _parse_locale(name: str) -> Locale:
    cleaned = name.strip().split(".")[0].split("@")[0].replace("-", "_")
    if not cleaned or cleaned in ("C", "POSIX"):
        raise ValueError(f"{name!r} is not a locale")
    try:
        return Locale.parse(cleaned)
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"{name!r} is not a locale with CLDR data (e.g. en_US, de_DE, id_ID)") from None


def normalise_locale(name: str) -> str:
    """``name`` as a CLDR locale id (``de-DE``, ``de_DE.UTF-8`` -> ``de_DE``); ValueError when unknown."""
    return str(_parse_locale(name))


def system_locale() -> str:
    """The machine's locale for formats (LC_ALL/LC_MONETARY/LANG), or en_US when it has none usable."""
    for category in (system_locales.LC_MONETARY, system_locales.LC_CTYPE):
        try:
            name = system_locales.getlocale(category)[0]
        except (ValueError, AttributeError):
            name = None
        if name:
            try:
                return normalise_locale(name)
            except ValueError:
                continue
    return FALLBACK_LOCALE


def set_display_locale(name: str) -> str:
    """Use ``name`` for every price shown from now on (the studio's ``products.locale``); returns its CLDR id."""
    global _display_locale
    _display_locale = normalise_locale(name)
    return _display_locale


def display_locale() -> str:
    return _display_locale


@functools.cache
def currency_decimals(code: str) -> int:
    """Digits after the decimal point as CLDR writes the currency: 2 for USD and MYR, 0 for JPY and IDR.

    Unknown codes get 2 (CLDR's default).
    """
    return int(get_currency_precision(code.upper()))


@functools.cache
def minor_unit(code: str) -> Decimal:
    """The smallest amount of the currency: 0.01 for USD, 1 for JPY."""
    return Decimal(1).scaleb(-currency_decimals(code))


def quantize(amount: Decimal, code: str) -> Decimal:
    """``amount`` rounded half-up to the currency's minor unit."""
    return amount.quantize(minor_unit(code), rounding=ROUND_HALF_UP)


def check_price(amount: Decimal, code: str) -> Decimal:
    """``amount`` as a valid price of ``code`` (same value, normalised exponent), or PriceError."""
    if not amount.is_finite():
        raise PriceError(f"{amount} is not a number")
    if amount < 0:
        raise PriceError(f"{amount} is negative")
    if amount >= MAX_PRICE:
        raise PriceError(f"{amount} is too large for a price")
    exact = quantize(amount, code)
    if exact != amount:
        raise PriceError(f"{amount} has more decimals than {code.upper()} allows ({currency_decimals(code)})")
    return exact


@functools.cache
def _home_locale(code: str) -> Locale | None:
    """The main locale of the currency's country (ISO 4217 codes start with it): MYR -> ms_MY."""
    territory = code[:2]
    languages = get_global("territory_languages").get(territory, {})
    official = [lang for lang, info in languages.items() if info.get("official_status")]
    for language in sorted(official or languages, key=lambda lang: -languages[lang].get("population_percent", 0)):
        try:
            return Locale.parse(f"{language}_{territory}")
        except (UnknownLocaleError, ValueError):
            continue
    return None


@functools.cache
def _price_tokens(code: str, locale_name: str) -> tuple[str, ...]:
    """Symbols a spreadsheet may write around a price of ``code``: the code and its symbols, longest first."""
    tokens = {code}
    for where in (_parse_locale(locale_name), _parse_locale(FALLBACK_LOCALE), _home_locale(code)):
        if where is not None:
            tokens.add(get_currency_symbol(code, where).strip())
    return tuple(sorted((t for t in tokens if t), key=len, reverse=True))


_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$|^\.\d+$")


def parse_price(text: str, code: str) -> Decimal:
    """Read a price as spreadsheets and shops write it: ``29.99``, ``1,299.00``, ``$29.99``, ``29.99 USD``.

    A decimal comma is not accepted: ``1,299`` would be ambiguous between 1299 and 1.299.
    """
    raw = text.strip()
    if not raw:
        raise PriceError("the price is empty")
    upper = code.upper()
    cleaned = raw
    for token in _price_tokens(upper, _display_locale):
        if cleaned.startswith(token):
            cleaned = cleaned[len(token) :].strip()
        if cleaned.endswith(token):
            cleaned = cleaned[: -len(token)].strip()
    if cleaned.startswith("-"):
        raise PriceError(f"{raw!r} is negative")
    if _GROUPED.match(cleaned):
        cleaned = cleaned.replace(",", "")
    elif not _PLAIN.match(cleaned):
        raise PriceError(f"{raw!r} is not a price")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regexes only let numbers through
        raise PriceError(f"{raw!r} is not a price") from exc
    return check_price(amount, code)


def discount_percent(price: Decimal, compare_at: Decimal | None) -> int | None:
    """Whole percent off ``compare_at``, rounded down so a card never overstates a discount.

    None when there is no discount to show (no compare-at price, or it is not higher than the price).
    """
    if compare_at is None or compare_at <= 0 or compare_at <= price:
        return None
    percent = ((compare_at - price) * 100 / compare_at).to_integral_value(rounding=ROUND_FLOOR)
    return int(percent) or None


@functools.lru_cache(maxsize=4096)
def _format(amount: Decimal, code: str, locale_name: str) -> str:
    return str(format_currency(amount, code, locale=_parse_locale(locale_name), currency_digits=True))


def format_money(amount: Decimal, code: str, locale: str | None = None) -> str:
    """``amount`` as viewers read it in ``code`` and the studio's locale (CLDR).

    ``$1,299.50`` (en_US), ``1.299,50 €`` (de_DE), ``1 299,50 €`` (fr_FR), ``€1,299.50`` (en_IE),
    ``Rp1.300`` (id_ID), ``RM1,299.50`` (ms_MY), ``¥1,300`` (JPY has no decimals).
    """
    upper = code.upper()
    return _format(quantize(amount, upper), upper, locale or _display_locale)
