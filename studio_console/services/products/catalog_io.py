"""Catalog import (Shopify product CSV, plain CSV, JSON), JSON export, and the app's atomic catalog store.

Every import reads its source file once and never writes to it. A row that cannot be imported gets a
``RowError`` with the file, line and field at fault; rows that are fine are imported; a problem that
does not stop a row (a missing image, a generated SKU) is reported as a warning. Nothing is dropped
without a RowError saying so.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from studio_console.assets import demo_catalog_file
from studio_console.domain.catalog import Catalog, Product
from studio_console.domain.money import PriceError, parse_price
from studio_console.settings.atomic import corrupt_aside_path, write_text_atomic

log = logging.getLogger(__name__)

CATALOG_FORMAT = "studio-console-catalog"
CATALOG_VERSION = 1

# Far beyond any real catalog (a big Shopify shop exports some ten thousand variants): a file over
# these is refused before it is parsed, with a message, instead of tying the app up for minutes.
MAX_IMPORT_ROWS = 200_000
# Quoted CSV fields may span lines (Shopify's HTML descriptions): lines are allowed ten per row.
MAX_IMPORT_LINES = 10 * MAX_IMPORT_ROWS
MAX_IMPORT_BYTES = 128 * 1024 * 1024
# json.loads holds the GIL for the whole parse (about 1 s per 64 MB here): keep it short.
MAX_JSON_BYTES = 32 * 1024 * 1024
# An import lists this many errors and this many warnings; the rest are counted (a dialog of ten
# million lines helps no one).
MAX_REPORTED_ERRORS = 300
# Progress is reported every this many rows.
PROGRESS_EVERY_ROWS = 2_000
# The importing thread hands the GIL to the UI loop every this many rows.
YIELD_EVERY_ROWS = 64

# Called from the importing thread with the share of the file done (0.0 to 1.0).
Progress = Callable[[float], None]


class Severity(StrEnum):
    ERROR = "error"  # the row (or product) was not imported
    WARNING = "warning"  # imported, with something the producer should know


@dataclass(frozen=True)
class RowError:
    """One problem in an import file. ``line`` is 1-based (the header is line 1); None for JSON items."""

    file: str
    line: int | None
    field: str | None
    reason: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        column = f" [{self.field}]" if self.field else ""
        return f"{where}{column}: {self.severity.value}: {self.reason}"


@dataclass(frozen=True)
class ImportResult:
    """The products a file yielded and the problems found on the way.

    ``errors`` lists the first MAX_REPORTED_ERRORS problems; ``errors_not_listed`` counts the rest
    (``failed_not_listed`` those of them that kept a row out).
    """

    source: Path
    format: str
    catalog: Catalog
    errors: tuple[RowError, ...] = ()
    errors_not_listed: int = 0
    failed_not_listed: int = 0

    @property
    def failed_count(self) -> int:
        """Every row or product not imported, listed or not."""
        return len(self.failed) + self.failed_not_listed

    @property
    def imported(self) -> int:
        return len(self.catalog.products)

    @property
    def failed(self) -> tuple[RowError, ...]:
        return tuple(e for e in self.errors if e.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[RowError, ...]:
        return tuple(e for e in self.errors if e.severity is Severity.WARNING)


class _ErrorList(list[RowError]):
    """Keeps the first ``cap`` errors and the first ``cap`` warnings, and counts the others.

    Separate caps: a flood of warnings (no image on any product) must not push out the errors.
    """

    def __init__(self, cap: int = MAX_REPORTED_ERRORS) -> None:
        super().__init__()
        self.cap = cap
        self.kept = {Severity.ERROR: 0, Severity.WARNING: 0}
        self.not_listed = 0
        self.failed_not_listed = 0

    def append(self, error: RowError) -> None:
        if self.kept[error.severity] < self.cap:
            self.kept[error.severity] += 1
            super().append(error)
            return
        self.not_listed += 1
        if error.severity is Severity.ERROR:
            self.failed_not_listed += 1


class _TooManyRows(Exception):
    """Parsing met more rows than MAX_IMPORT_ROWS."""


def _result(path: Path, fmt: str, catalog: Catalog, errors: list[RowError]) -> ImportResult:
    not_listed = errors.not_listed if isinstance(errors, _ErrorList) else 0
    failed_not_listed = errors.failed_not_listed if isinstance(errors, _ErrorList) else 0
    return ImportResult(path, fmt, catalog, tuple(errors), not_listed, failed_not_listed)


def _too_large(path: Path, what: str) -> RowError:
    return RowError(
        str(path),
        None,
        None,
        f"{what}; a catalog import takes at most {MAX_IMPORT_ROWS:,} rows (products and variants), so nothing "
        "imported. Check that this is the product export, or split it into smaller files.",
    )


class ImportFormat(StrEnum):
    SHOPIFY_CSV = "shopify_csv"
    PLAIN_CSV = "plain_csv"
    JSON = "json"


# -- reading files --------------------------------------------------------------------------------


def _read_text(path: Path, errors: list[RowError]) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(RowError(str(path), None, None, f"cannot be read: {exc.strerror or exc}"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        errors.append(
            RowError(
                str(path),
                line,
                None,
                "the file is not UTF-8; it was read as Windows-1252 (check accented letters)",
                Severity.WARNING,
            )
        )
        return raw.decode("cp1252", errors="replace")


@dataclass
class _CsvRow:
    line: int
    values: dict[str, str]


def _csv_rows(
    path: Path, text: str, errors: list[RowError], progress: Progress | None = None
) -> tuple[list[str], Iterator[_CsvRow]]:
    """Header (lower-cased, stripped) and the data rows with the line each starts on.

    Raises _TooManyRows (while iterating) past MAX_IMPORT_ROWS rows.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return [], iter(())
    except csv.Error as exc:
        errors.append(RowError(str(path), 1, None, f"the header row is not valid CSV ({exc})"))
        return [], iter(())
    columns = [h.strip().lower() for h in header]
    ends_with_newline = text.endswith(("\n", "\r"))
    total_lines = text.count("\n") + (0 if ends_with_newline else 1)

    def rows() -> Iterator[_CsvRow]:
        previous_end = reader.line_num
        count = 0
        while True:
            count += 1
            if count > MAX_IMPORT_ROWS:
                raise _TooManyRows
            if count % YIELD_EVERY_ROWS == 0:
                # Imports run in a thread; without an explicit hand-over the UI loop waits for the
                # GIL's switch interval several times per tick (p99 lag 118 ms on a 5,000-product file).
                time.sleep(0)
            if progress is not None and count % PROGRESS_EVERY_ROWS == 0:
                progress(min(0.99, previous_end / max(1, total_lines)))
            start = previous_end + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                at_end = reader.line_num >= total_lines
                reason = (
                    "the file ends inside a quoted field (truncated?); row not imported"
                    if at_end and "end of data" in str(exc)
                    else f"malformed CSV ({exc}); row not imported"
                )
                errors.append(RowError(str(path), start, None, reason))
                previous_end = reader.line_num
                continue
            previous_end = reader.line_num
            if not values or all(not v.strip() for v in values):
                continue  # blank lines separate nothing in CSV; spreadsheets add them at the end
            if len(values) < len(columns):
                last = previous_end >= total_lines and not ends_with_newline
                hint = " (the file ends mid-line: truncated?)" if last else ""
                errors.append(
                    RowError(
                        str(path),
                        start,
                        None,
                        f"row has {len(values)} of {len(columns)} columns{hint}; row not imported",
                    )
                )
                continue
            if len(values) > len(columns) and any(v.strip() for v in values[len(columns) :]):
                errors.append(
                    RowError(
                        str(path),
                        start,
                        None,
                        f"row has {len(values)} columns but the header has {len(columns)}; row not imported",
                    )
                )
                continue
            yield _CsvRow(start, dict(zip(columns, values, strict=False)))

    return columns, rows()


def _first_column(columns: Sequence[str], *names: str) -> str | None:
    for name in names:
        if name in columns:
            return name
    return None


def _resolve_image(
    value: str, base: Path, path: Path, line: int | None, column: str, errors: list[RowError]
) -> str | None:
    """A usable image reference: URLs as given, local files resolved against the import file's folder."""
    value = value.strip()
    if not value:
        return None
    if value.lower().startswith(("http://", "https://")):
        return value
    local = Path(value.removeprefix("file://")).expanduser()
    if not local.is_absolute():
        local = base / local
    if not local.is_file():
        errors.append(
            RowError(
                str(path), line, column, f"image file not found: {value}; the card shows no picture", Severity.WARNING
            )
        )
        return None
    return str(local.resolve())


def _parse_stock(value: str, path: Path, line: int, column: str, errors: list[RowError]) -> tuple[bool, int | None]:
    """(ok, stock); negative stock (oversold) is imported as 0 with a warning."""
    text = value.strip()
    if not text:
        return True, None
    try:
        number = int(text)
    except ValueError:
        try:
            as_float = float(text)
        except ValueError:
            as_float = float("nan")
        if not as_float.is_integer():
            errors.append(RowError(str(path), line, column, f"{text!r} is not a whole number; row not imported"))
            return False, None
        number = int(as_float)
    if number < 0:
        errors.append(
            RowError(str(path), line, column, f"negative stock {number} (oversold) imported as 0", Severity.WARNING)
        )
        number = 0
    return True, number


def _validation_reason(exc: ValidationError) -> tuple[str | None, str]:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or None
    return where, str(first["msg"]).removeprefix("Value error, ")


# -- Shopify product CSV --------------------------------------------------------------------------

# Shopify's classic export headers first, then the names of its 2024 export ("URL handle", "SKU", ...).
_SHOPIFY_COLUMNS: dict[str, tuple[str, ...]] = {
    "handle": ("handle", "url handle"),
    "title": ("title",),
    "sku": ("variant sku", "sku"),
    "price": ("variant price", "price"),
    "compare_at": ("variant compare at price", "compare-at price", "compare at price"),
    "stock": ("variant inventory qty", "inventory quantity"),
    "image": ("image src", "product image url"),
    "image_position": ("image position",),
    "variant_image": ("variant image", "variant image url"),
}


def _option_columns(columns: Sequence[str], n: int) -> tuple[str | None, str | None]:
    return (
        _first_column(columns, f"option{n} name", f"option {n} name"),
        _first_column(columns, f"option{n} value", f"option {n} value"),
    )


def _metafield_column(columns: Sequence[str], key: str) -> str | None:
    """Product metafield columns look like ``Short code (product.metafields.custom.short_code)``."""
    spaced = key.replace("_", " ")
    return next((c for c in columns if c.endswith(f".{key})") or c in (spaced, key)), None)


@dataclass
class _ShopifyProduct:
    handle: str
    first_line: int
    title: str = ""
    option_names: list[str] = field(default_factory=list)
    variants: list[dict[str, Any]] = field(default_factory=list)
    images: list[tuple[int, int, str]] = field(default_factory=list)  # (position, line, reference)
    short_code: str = ""
    short_code_line: int = 0
    talking_points: list[str] = field(default_factory=list)
    failed: bool = False


def import_shopify_csv(path: Path, currency: str = "USD", progress: Progress | None = None) -> ImportResult:
    """Import a Shopify product export: one row per variant, extra rows (same Handle) for variants and images.

    Shopify exports carry no product SKU and no currency: a product's SKU is its Handle (each variant
    SKU also finds it), and every price is in ``currency`` (the shop's currency).
    """
    path = Path(path)
    errors: list[RowError] = _ErrorList()
    text = _read_text(path, errors)
    if text is None:
        return _result(path, ImportFormat.SHOPIFY_CSV, Catalog(), errors)
    columns, rows = _csv_rows(path, text, errors, progress)
    col = {key: _first_column(columns, *names) for key, names in _SHOPIFY_COLUMNS.items()}
    missing = [
        names[0].title() for key, names in _SHOPIFY_COLUMNS.items() if key in ("handle", "price") and not col[key]
    ]
    if missing:
        errors.append(RowError(str(path), 1, None, f"not a Shopify product export: no {', '.join(missing)} column"))
        return _result(path, ImportFormat.SHOPIFY_CSV, Catalog(), errors)
    options = [_option_columns(columns, n) for n in (1, 2, 3)]
    short_code_col = _metafield_column(columns, "short_code")
    talking_col = _metafield_column(columns, "talking_points")
    base = path.parent

    products: dict[str, _ShopifyProduct] = {}
    sku_lines: dict[str, int] = {}

    def get(row: _CsvRow, key: str | None) -> str:
        return row.values.get(key, "").strip() if key else ""

    for row in rows:
        handle = get(row, col["handle"])
        if not handle:
            errors.append(RowError(str(path), row.line, "Handle", "empty Handle; row not imported"))
            continue
        product = products.get(handle)
        if product is None:
            product = products[handle] = _ShopifyProduct(handle, row.line)
        title = get(row, col["title"])
        if title and not product.title:
            product.title = title
        if not any(product.option_names):
            product.option_names = [get(row, name_col) for name_col, _ in options]
        code = get(row, short_code_col)
        if code and not product.short_code:
            product.short_code, product.short_code_line = code, row.line
        points = get(row, talking_col)
        if points and not product.talking_points:
            product.talking_points = [p for p in points.replace("\r", "").split("\n") if p.strip()]
        image = get(row, col["image"])
        if image:
            position_text = get(row, col["image_position"])
            position = int(position_text) if position_text.isdigit() else 1_000_000 + row.line
            product.images.append((position, row.line, image))
        values = [get(row, value_col) for _, value_col in options]
        sku, price_text = get(row, col["sku"]), get(row, col["price"])
        if not (any(values) or sku or price_text):
            if not image:
                errors.append(
                    RowError(str(path), row.line, None, "row has neither variant nor image data; nothing imported")
                )
            continue  # an image row: the product's extra pictures
        variant = _shopify_variant(path, row, product, values, sku, price_text, currency, col, base, errors)
        if variant is None:
            continue
        previous = sku_lines.get(variant["sku"])
        if previous is not None:
            errors.append(
                RowError(
                    str(path),
                    row.line,
                    "Variant SKU",
                    f"duplicate SKU {variant['sku']!r} (first on line {previous}); row not imported",
                )
            )
            continue
        sku_lines[variant["sku"]] = row.line
        product.variants.append(variant)

    built: list[Product] = []
    taken: dict[str, int] = dict(sku_lines)
    for product in products.values():
        made = _build_shopify_product(path, product, currency, base, taken, errors)
        if made is not None:
            built.append(made)
    _warn_shared_short_codes(path, built, {p.handle: p.short_code_line for p in products.values()}, errors)
    errors.sort(key=lambda e: e.line or 0)
    return _result(path, ImportFormat.SHOPIFY_CSV, Catalog(products=tuple(built)), errors)


def _shopify_variant(
    path: Path,
    row: _CsvRow,
    product: _ShopifyProduct,
    values: list[str],
    sku: str,
    price_text: str,
    currency: str,
    col: dict[str, str | None],
    base: Path,
    errors: list[RowError],
) -> dict[str, Any] | None:
    try:
        price = parse_price(price_text, currency)
    except PriceError as exc:
        errors.append(RowError(str(path), row.line, "Variant Price", f"{exc}; row not imported"))
        return None
    compare_text = row.values.get(col["compare_at"] or "", "").strip()
    compare = None
    if compare_text:
        try:
            compare = parse_price(compare_text, currency)
        except PriceError as exc:
            errors.append(RowError(str(path), row.line, "Variant Compare At Price", f"{exc}; row not imported"))
            return None
    ok, stock = _parse_stock(row.values.get(col["stock"] or "", ""), path, row.line, "Variant Inventory Qty", errors)
    if not ok:
        return None
    opts: dict[str, str] = {}
    for name, value in zip(product.option_names, values, strict=True):
        # Shopify writes a product without options as Option1 Name "Title", value "Default Title".
        if name and value and not (name == "Title" and value == "Default Title"):
            opts[name] = value
    if not sku:
        sku = f"{product.handle}-{len(product.variants) + 1}"
        errors.append(
            RowError(str(path), row.line, "Variant SKU", f"no SKU; the variant is known as {sku!r}", Severity.WARNING)
        )
    variant_image = row.values.get(col["variant_image"] or "", "").strip()
    image = _resolve_image(variant_image, base, path, row.line, "Variant Image", errors) if variant_image else None
    return {
        "sku": sku,
        "options": opts,
        "price": price,
        "compare_at_price": compare,
        "stock": stock,
        "image": image,
        "_line": row.line,
    }


def _build_shopify_product(
    path: Path,
    product: _ShopifyProduct,
    currency: str,
    base: Path,
    taken: dict[str, int],
    errors: list[RowError],
) -> Product | None:
    line = product.first_line
    if not product.title:
        errors.append(
            RowError(str(path), line, "Title", f"product {product.handle!r} has no Title; product not imported")
        )
        return None
    if not product.variants:
        errors.append(
            RowError(
                str(path), line, None, f"product {product.handle!r} has no importable variant; product not imported"
            )
        )
        return None
    owner = taken.get(product.handle)
    if owner is not None and not any(v["sku"] == product.handle for v in product.variants):
        errors.append(
            RowError(
                str(path),
                line,
                "Handle",
                f"handle {product.handle!r} is also a variant SKU (line {owner}); product not imported",
            )
        )
        return None
    image = None
    if product.images:
        _, image_line, reference = min(product.images)
        image = _resolve_image(reference, base, path, image_line, "Image Src", errors)
    else:
        errors.append(
            RowError(str(path), line, "Image Src", "no product image; the card shows no picture", Severity.WARNING)
        )
    data = {
        "sku": product.handle,
        "title": product.title,
        "handle": product.handle,
        "currency": currency,
        "variants": [{k: v for k, v in variant.items() if k != "_line"} for variant in product.variants],
        "image": image,
        "short_code": product.short_code or None,
        "talking_points": product.talking_points,
    }
    try:
        return Product.model_validate(data)
    except ValidationError as exc:
        where, reason = _validation_reason(exc)
        if where == "short_code":
            errors.append(
                RowError(
                    str(path),
                    product.short_code_line or line,
                    "short_code",
                    f"{reason}; imported without a code",
                    Severity.WARNING,
                )
            )
            data["short_code"] = None
            try:
                return Product.model_validate(data)
            except ValidationError as again:
                where, reason = _validation_reason(again)
        errors.append(RowError(str(path), line, where, f"{reason}; product not imported"))
        return None


def _warn_shared_short_codes(
    path: Path, products: list[Product], lines: dict[str, int], errors: list[RowError]
) -> None:
    owners: dict[str, Product] = {}
    for product in products:
        if not product.short_code:
            continue
        first = owners.setdefault(product.short_code, product)
        if first is not product:
            errors.append(
                RowError(
                    str(path),
                    lines.get(product.handle) or None,
                    "short_code",
                    f"short code {product.short_code} is also used by {first.sku!r}: orders would be ambiguous",
                    Severity.WARNING,
                )
            )


# -- plain CSV ------------------------------------------------------------------------------------

PLAIN_COLUMNS = (
    "sku",
    "title",
    "price",
    "compare_at_price",
    "currency",
    "stock",
    "image",
    "short_code",
    "talking_points",
    "product_sku",
    "options",
)


def import_plain_csv(path: Path, currency: str = "USD", progress: Progress | None = None) -> ImportResult:
    """Import the simple CSV a producer can type in a spreadsheet: one row per product (or variant).

    Columns (header names, any order, case-insensitive): ``sku``, ``title``, ``price`` are required;
    ``compare_at_price``, ``currency`` (default ``currency``), ``stock``, ``image``, ``short_code``,
    ``talking_points`` (separated by ``|``) are optional. Rows sharing a ``product_sku`` are variants of
    one product; their ``options`` read ``Size=M; Colour=Red``.
    """
    path = Path(path)
    errors: list[RowError] = _ErrorList()
    text = _read_text(path, errors)
    if text is None:
        return _result(path, ImportFormat.PLAIN_CSV, Catalog(), errors)
    columns, rows = _csv_rows(path, text, errors, progress)
    missing = [c for c in ("sku", "title", "price") if c not in columns]
    if missing:
        errors.append(RowError(str(path), 1, None, f"required column missing: {', '.join(missing)}"))
        return _result(path, ImportFormat.PLAIN_CSV, Catalog(), errors)
    base = path.parent
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    titles: dict[str, tuple[str, str, str | None, str | None, list[str]]] = {}
    sku_lines: dict[str, int] = {}
    for row in rows:
        v = {k: row.values.get(k, "").strip() for k in PLAIN_COLUMNS}
        if not v["sku"]:
            errors.append(RowError(str(path), row.line, "sku", "empty SKU; row not imported"))
            continue
        row_currency = (v["currency"] or currency).upper()
        try:
            price = parse_price(v["price"], row_currency)
        except PriceError as exc:
            errors.append(RowError(str(path), row.line, "price", f"{exc}; row not imported"))
            continue
        compare = None
        if v["compare_at_price"]:
            try:
                compare = parse_price(v["compare_at_price"], row_currency)
            except PriceError as exc:
                errors.append(RowError(str(path), row.line, "compare_at_price", f"{exc}; row not imported"))
                continue
        ok, stock = _parse_stock(v["stock"], path, row.line, "stock", errors)
        if not ok:
            continue
        if v["sku"] in sku_lines:
            errors.append(
                RowError(
                    str(path),
                    row.line,
                    "sku",
                    f"duplicate SKU {v['sku']!r} (first on line {sku_lines[v['sku']]}); row not imported",
                )
            )
            continue
        options: dict[str, str] = {}
        for part in v["options"].split(";"):
            name, sep, value = part.partition("=")
            if sep and name.strip() and value.strip():
                options[name.strip()] = value.strip()
        product_sku = v["product_sku"] or v["sku"]
        if product_sku not in titles:
            if not v["title"]:
                errors.append(RowError(str(path), row.line, "title", "empty title; row not imported"))
                continue
            image = _resolve_image(v["image"], base, path, row.line, "image", errors)
            if not v["image"]:
                errors.append(
                    RowError(str(path), row.line, "image", "no image; the card shows no picture", Severity.WARNING)
                )
            points = [p.strip() for p in v["talking_points"].split("|") if p.strip()]
            titles[product_sku] = (v["title"], row_currency, image, v["short_code"] or None, points)
        elif titles[product_sku][1] != row_currency:
            errors.append(
                RowError(str(path), row.line, "currency", "variants of one product must share a currency; not imported")
            )
            continue
        sku_lines[v["sku"]] = row.line
        variant = {"sku": v["sku"], "options": options, "price": price, "compare_at_price": compare, "stock": stock}
        groups.setdefault(product_sku, []).append((row.line, variant))

    built: list[Product] = []
    for product_sku, variants in groups.items():
        title, row_currency, image, code, points = titles[product_sku]
        line = variants[0][0]
        if product_sku in sku_lines and all(var["sku"] != product_sku for _, var in variants):
            errors.append(
                RowError(
                    str(path), line, "product_sku", f"product SKU {product_sku!r} is another row's SKU; not imported"
                )
            )
            continue
        try:
            built.append(
                Product.model_validate(
                    {
                        "sku": product_sku,
                        "title": title,
                        "currency": row_currency,
                        "variants": [var for _, var in variants],
                        "image": image,
                        "short_code": code,
                        "talking_points": points,
                    }
                )
            )
        except ValidationError as exc:
            where, reason = _validation_reason(exc)
            errors.append(RowError(str(path), line, where, f"{reason}; product not imported"))
    _warn_shared_short_codes(path, built, {}, errors)
    errors.sort(key=lambda e: e.line or 0)
    return _result(path, ImportFormat.PLAIN_CSV, Catalog(products=tuple(built)), errors)


# -- JSON -----------------------------------------------------------------------------------------


def catalog_json(catalog: Catalog, relative_to: Path | None = None) -> str:
    """The catalog as this app's JSON document; image paths under ``relative_to`` are written relative."""
    products = []
    for product in catalog.products:
        data = product.model_dump(mode="json")
        if relative_to is not None:
            data["image"] = _relative(data.get("image"), relative_to)
            for variant in data["variants"]:
                variant["image"] = _relative(variant.get("image"), relative_to)
        products.append(data)
    document = {"format": CATALOG_FORMAT, "version": CATALOG_VERSION, "products": products}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def _relative(image: str | None, base: Path) -> str | None:
    if not image or image.lower().startswith(("http://", "https://")):
        return image
    try:
        return Path(image).resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return image


def export_json(catalog: Catalog, path: Path) -> None:
    """Write the catalog as JSON, atomically; images beside the file are referenced relatively."""
    path = Path(path)
    write_text_atomic(path, catalog_json(catalog, relative_to=path.parent))


def _products_from_document(document: Any, path: Path, errors: list[RowError], check_images: bool) -> list[Product]:
    if isinstance(document, dict):
        fmt = document.get("format", CATALOG_FORMAT)
        if fmt != CATALOG_FORMAT:
            errors.append(RowError(str(path), None, "format", f"not a Studio Console catalog (format {fmt!r})"))
            return []
        version = document.get("version", CATALOG_VERSION)
        if not isinstance(version, int) or version > CATALOG_VERSION:
            errors.append(
                RowError(str(path), None, "version", f"catalog version {version!r} is newer than this app reads")
            )
            return []
        items = document.get("products")
    else:
        items = document
    if not isinstance(items, list):
        errors.append(RowError(str(path), None, "products", "expected a list of products"))
        return []
    base = path.parent
    products: list[Product] = []
    skus: dict[str, str] = {}
    for index, item in enumerate(items):
        where = f"products[{index}]"
        if not isinstance(item, dict):
            errors.append(RowError(str(path), None, where, "not a JSON object; not imported"))
            continue
        if check_images:
            item = dict(item)
            image = item.get("image")
            item["image"] = _resolve_image(image, base, path, None, f"{where}.image", errors) if image else None
            if not image:
                errors.append(
                    RowError(str(path), None, f"{where}.image", "no image; the card shows no picture", Severity.WARNING)
                )
            variants = item.get("variants")
            if isinstance(variants, list):
                fixed = []
                for vi, variant in enumerate(variants):
                    if isinstance(variant, dict) and variant.get("image"):
                        variant = {
                            **variant,
                            "image": _resolve_image(
                                str(variant["image"]), base, path, None, f"{where}.variants[{vi}].image", errors
                            ),
                        }
                    fixed.append(variant)
                item["variants"] = fixed
        try:
            product = Product.model_validate(item)
        except ValidationError as exc:
            loc, reason = _validation_reason(exc)
            errors.append(RowError(str(path), None, f"{where}.{loc}" if loc else where, f"{reason}; not imported"))
            continue
        clash = next(
            (s for s in (product.sku, *(v.sku for v in product.variants)) if s in skus and skus[s] != product.sku),
            None,
        )
        if clash is not None or product.sku in skus:
            dup = clash or product.sku
            errors.append(
                RowError(
                    str(path), None, f"{where}.sku", f"duplicate SKU {dup!r} (also in {skus[dup]!r}); not imported"
                )
            )
            continue
        for s in (product.sku, *(v.sku for v in product.variants)):
            skus[s] = product.sku
        products.append(product)
    return products


def import_json(path: Path) -> ImportResult:
    """Import this app's catalog JSON (or a bare list of products); bad products are reported by index."""
    path = Path(path)
    errors: list[RowError] = _ErrorList()
    text = _read_text(path, errors)
    if text is None:
        return _result(path, ImportFormat.JSON, Catalog(), errors)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        # An unterminated string runs to the end of the file, so it is a truncation too.
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        hint = " (the file ends early: truncated?)" if truncated else ""
        errors.append(RowError(str(path), exc.lineno, None, f"not valid JSON: {exc.msg}{hint}; nothing imported"))
        return _result(path, ImportFormat.JSON, Catalog(), errors)
    products = _products_from_document(document, path, errors, check_images=True)
    _warn_shared_short_codes(path, products, {}, errors)
    return _result(path, ImportFormat.JSON, Catalog(products=tuple(products)), errors)


def detect_format(path: Path) -> ImportFormat:
    """JSON by extension or first character; Shopify when the CSV header has Handle/URL handle."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return ImportFormat.JSON
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8-sig", errors="replace")
    except OSError:
        return ImportFormat.PLAIN_CSV
    if head.lstrip().startswith(("{", "[")):
        return ImportFormat.JSON
    first_line = head.splitlines()[0].lower() if head else ""
    header = next(csv.reader([first_line]), [])
    names = {h.strip() for h in header}
    if names & {"handle", "url handle"}:
        return ImportFormat.SHOPIFY_CSV
    return ImportFormat.PLAIN_CSV


def _size_refusal(path: Path, fmt: ImportFormat) -> RowError | None:
    """A refusal for a file far beyond any real catalog, found without parsing it, or None."""
    try:
        size = path.stat().st_size
    except OSError:
        return None  # the import itself reports the unreadable file
    limit = MAX_JSON_BYTES if fmt is ImportFormat.JSON else MAX_IMPORT_BYTES
    if size > limit:
        return _too_large(path, f"the file is {size / 1e6:,.0f} MB (at most {limit / 1e6:,.0f} MB)")
    if fmt is ImportFormat.JSON:
        return None
    lines = 0
    try:
        with path.open("rb") as fh:
            # 1 MB at a time: each count is short, so the UI loop keeps getting the GIL.
            while chunk := fh.read(1 << 20):
                lines += chunk.count(b"\n")
                if lines > MAX_IMPORT_LINES:
                    return _too_large(path, f"the file has more than {MAX_IMPORT_LINES:,} lines")
    except OSError:
        return None
    return None


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = True


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while an import builds its objects; their survivors frozen after.

    A full collection over an import's hundred thousand new objects stops every thread for 140 ms
    (measured, 5,000 products): the UI loop with it. The import makes no reference cycles worth
    collecting, and what it keeps (the catalog) lives for the show, so it joins the frozen heap, as
    the start-up heap does (app.py). Nested or concurrent imports share one pause.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        _gc_pauses += 1
        if _gc_pauses == 1:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0:
                gc.freeze()
                if _gc_was_enabled:
                    gc.enable()


def import_catalog(
    path: Path, currency: str = "USD", fmt: ImportFormat | None = None, progress: Progress | None = None
) -> ImportResult:
    """Import any supported file; ``currency`` applies where the file names none (Shopify, plain CSV).

    Blocking: run it in a thread. ``progress(fraction)`` is called from that thread now and then, and
    with 1.0 at the end. A file far beyond any real catalog is refused with one clear error.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    refusal = _size_refusal(path, fmt)
    try:
        if refusal is not None:
            result = ImportResult(path, fmt, Catalog(), (refusal,))
        else:
            with _collector_paused():
                if fmt is ImportFormat.JSON:
                    result = import_json(path)
                elif fmt is ImportFormat.SHOPIFY_CSV:
                    result = import_shopify_csv(path, currency, progress)
                else:
                    result = import_plain_csv(path, currency, progress)
    except _TooManyRows:
        too_many = _too_large(path, f"the file has more than {MAX_IMPORT_ROWS:,} rows")
        result = ImportResult(path, fmt, Catalog(), (too_many,))
    if progress is not None:
        progress(1.0)
    log.info(
        "imported %d products from %s (%s): %d errors, %d warnings",
        result.imported,
        path,
        fmt.value,
        len(result.failed),
        len(result.warnings),
    )
    return result


def merge_catalogs(current: Catalog, imported: Catalog) -> tuple[Catalog, tuple[str, ...]]:
    """``current`` updated with ``imported``: same SKU replaced in place, new ones appended.

    The producer's own additions in the app (short code, talking points) survive an import that has none.
    Returns the merged catalog and the SKUs of older products dropped because an imported product now
    uses one of their SKUs (a variant moved between products).
    """
    by_sku = {p.sku: p for p in imported.products}
    merged: list[Product] = []
    for product in current.products:
        new = by_sku.pop(product.sku, None)
        if new is None:
            merged.append(product)
            continue
        keep: dict[str, Any] = {}
        if new.short_code is None and product.short_code is not None:
            keep["short_code"] = product.short_code
        if not new.talking_points and product.talking_points:
            keep["talking_points"] = product.talking_points
        merged.append(new.model_copy(update=keep) if keep else new)
    merged.extend(by_sku.values())
    imported_skus = {s for p in imported.products for s in (p.sku, *(v.sku for v in p.variants))}
    imported_products = imported.products_by_sku()  # once: building it per product made 10,000 take 13 s
    kept: list[Product] = []
    dropped: list[str] = []
    for product in merged:
        own = {product.sku, *(v.sku for v in product.variants)}
        if product.sku not in imported_products and own & imported_skus:
            dropped.append(product.sku)
            continue
        kept.append(product)
    return Catalog(products=tuple(kept)), tuple(dropped)


# -- the app's own catalog file -------------------------------------------------------------------


class CatalogSaveError(OSError):
    """Saving failed; the previous catalog file is intact."""


@dataclass(frozen=True)
class CatalogLoadResult:
    catalog: Catalog
    # A sentence for the producer when the file could not be used as it was (None when all is well).
    notice: str | None = None
    errors: tuple[RowError, ...] = ()


class CatalogStore:
    """The catalog the app works with, saved as ``catalog.json`` in its data folder (atomic writes)."""

    def __init__(self, data_dir: Path, filename: str = "catalog.json") -> None:
        self.path = Path(data_dir) / filename

    def load(self) -> CatalogLoadResult:
        """The saved catalog; an empty one when there is none. Unusable files are kept aside, never lost."""
        if not self.path.exists():
            return CatalogLoadResult(Catalog())
        errors: list[RowError] = []
        try:
            text = self.path.read_text(encoding="utf-8")
            document = json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            aside = self._keep_aside(move=True)
            notice = f"The product catalog {self.path} could not be read ({exc}); it was moved to {aside}."
            log.warning("%s", notice)
            return CatalogLoadResult(Catalog(), notice)
        products = _products_from_document(document, self.path, errors, check_images=False)
        failed = [e for e in errors if e.severity is Severity.ERROR]
        if failed:
            aside = self._keep_aside(move=False)
            notice = (
                f"{len(failed)} products in {self.path} could not be loaded; a copy of the file is kept as {aside}.\n"
                + "\n".join(str(e) for e in failed[:20])
            )
            log.warning("%s", notice)
            return CatalogLoadResult(Catalog(products=tuple(products)), notice, tuple(errors))
        return CatalogLoadResult(Catalog(products=tuple(products)))

    def save(self, catalog: Catalog) -> None:
        try:
            write_text_atomic(self.path, catalog_json(catalog))
        except OSError as exc:
            raise CatalogSaveError(
                exc.errno or 0, f"Could not save the catalog to {self.path}: {exc.strerror or exc}"
            ) from exc

    def _keep_aside(self, move: bool) -> str:
        target = corrupt_aside_path(self.path)
        try:
            if move:
                os.replace(self.path, target)
            else:
                shutil.copy2(self.path, target)
        except OSError as exc:
            log.error("could not keep the unusable catalog file aside: %s", exc)
            return "(nowhere: keeping it aside failed)"
        return target.name


def demo_catalog_path() -> Path:
    """The demo catalog shipped in the repository's ``resources/`` folder."""
    return demo_catalog_file()
