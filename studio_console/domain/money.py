"""Prices as exact Decimals: parsing, rounding to a currency's minor unit, discounts and display formats."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

# No price a live-shopping show sells reaches this; larger values are typos (a barcode in the price column).
MAX_PRICE = Decimal("1000000000")


@dataclass(frozen=True)
class CurrencyFormat:
    """How one currency is written for viewers: ``{prefix}{number}{suffix}``."""

    code: str
    decimals: int
    prefix: str = ""
    suffix: str = ""
    decimal_sep: str = "."
    group_sep: str = ","
    # "standard" groups by thousands; "indian" as 12,34,567 (lakh/crore).
    grouping: str = "standard"


_NBSP = "\u00a0"

# A small table of the currencies live-shopping shows sell in. Decimals follow ISO 4217 minor units;
# symbols and separators follow the most common way shops in that market print prices. Unknown codes
# fall back to "1,234.56 XYZ" with two decimals.
CURRENCIES: dict[str, CurrencyFormat] = {
    fmt.code: fmt
    for fmt in (
        CurrencyFormat("USD", 2, prefix="$"),
        CurrencyFormat("CAD", 2, prefix="CA$"),
        CurrencyFormat("AUD", 2, prefix="A$"),
        CurrencyFormat("NZD", 2, prefix="NZ$"),
        CurrencyFormat("HKD", 2, prefix="HK$"),
        CurrencyFormat("SGD", 2, prefix="S$"),
        CurrencyFormat("MXN", 2, prefix="MX$"),
        CurrencyFormat("GBP", 2, prefix="£"),
        CurrencyFormat("EUR", 2, suffix=_NBSP + "€", decimal_sep=",", group_sep="."),
        CurrencyFormat("CHF", 2, prefix="CHF" + _NBSP, group_sep="\u2019"),  # Swiss prices group with an apostrophe
        CurrencyFormat("SEK", 2, suffix=_NBSP + "kr", decimal_sep=",", group_sep=_NBSP),
        CurrencyFormat("NOK", 2, suffix=_NBSP + "kr", decimal_sep=",", group_sep=_NBSP),
        CurrencyFormat("DKK", 2, suffix=_NBSP + "kr.", decimal_sep=",", group_sep="."),
        CurrencyFormat("PLN", 2, suffix=_NBSP + "zł", decimal_sep=",", group_sep=_NBSP),
        CurrencyFormat("CZK", 2, suffix=_NBSP + "Kč", decimal_sep=",", group_sep=_NBSP),
        CurrencyFormat("BRL", 2, prefix="R$" + _NBSP, decimal_sep=",", group_sep="."),
        CurrencyFormat("TRY", 2, prefix="₺", decimal_sep=",", group_sep="."),
        CurrencyFormat("JPY", 0, prefix="¥"),
        CurrencyFormat("KRW", 0, prefix="₩"),
        CurrencyFormat("VND", 0, suffix=_NBSP + "₫", group_sep="."),
        CurrencyFormat("CNY", 2, prefix="CN¥"),
        CurrencyFormat("TWD", 2, prefix="NT$"),
        CurrencyFormat("THB", 2, prefix="฿"),
        CurrencyFormat("PHP", 2, prefix="₱"),
        CurrencyFormat("INR", 2, prefix="₹", grouping="indian"),
    )
}


class PriceError(ValueError):
    """A price that cannot be used; the message says why in one sentence."""


@functools.cache
def currency_format(code: str) -> CurrencyFormat:
    """The display format of ``code`` (case-insensitive); unknown codes get a generic one."""
    upper = code.upper()
    return CURRENCIES.get(upper) or CurrencyFormat(upper, 2, suffix=_NBSP + upper)


@functools.cache
def minor_unit(code: str) -> Decimal:
    """The smallest amount of the currency: 0.01 for USD, 1 for JPY."""
    return Decimal(1).scaleb(-currency_format(code).decimals)


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
        decimals = currency_format(code).decimals
        raise PriceError(f"{amount} has more decimals than {code.upper()} allows ({decimals})")
    return exact


_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$|^\.\d+$")


def parse_price(text: str, code: str) -> Decimal:
    """Read a price as spreadsheets and shops write it: ``29.99``, ``1,299.00``, ``$29.99``, ``29.99 USD``.

    A decimal comma is not accepted: ``1,299`` would be ambiguous between 1299 and 1.299.
    """
    raw = text.strip()
    if not raw:
        raise PriceError("the price is empty")
    fmt = currency_format(code)
    cleaned = raw
    for token in (fmt.prefix.strip(_NBSP + " "), fmt.suffix.strip(_NBSP + " "), fmt.code):
        if token and cleaned.startswith(token):
            cleaned = cleaned[len(token) :].strip()
        if token and cleaned.endswith(token):
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


def _group(digits: str, fmt: CurrencyFormat) -> str:
    if len(digits) <= 3 or not fmt.group_sep:
        return digits
    head, tail = digits[:-3], digits[-3:]
    size = 2 if fmt.grouping == "indian" else 3
    groups: list[str] = []
    while len(head) > size:
        groups.insert(0, head[-size:])
        head = head[:-size]
    groups.insert(0, head)
    return fmt.group_sep.join([*groups, tail])


def format_money(amount: Decimal, code: str) -> str:
    """``amount`` as viewers read it in ``code``: ``$1,299.00``, ``1.299,00 €``, ``¥1,299``."""
    fmt = currency_format(code)
    value = quantize(amount, code)
    sign = "-" if value < 0 else ""
    digits = f"{abs(value):.{fmt.decimals}f}"
    whole, _, fraction = digits.partition(".")
    number = _group(whole, fmt) + (fmt.decimal_sep + fraction if fmt.decimals else "")
    return f"{sign}{fmt.prefix}{number}{fmt.suffix}"
