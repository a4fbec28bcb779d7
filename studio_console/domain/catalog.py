"""The product catalog as immutable models: products, their variants, prices in exact Decimals, lookups."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from studio_console.domain.base import StrictFrozen as _Frozen
from studio_console.domain.money import check_price, discount_percent, format_money

SHORT_CODE = re.compile(r"^[A-Z0-9]{2,16}$")
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


# Control and invisible format characters (a stray tab or bell from a spreadsheet, bidi overrides)
# would draw as boxes on air or reorder text.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def _clean_text(value: str) -> str:
    return " ".join(_INVISIBLE.sub(" ", value).split())


def slugify(text: str) -> str:
    """A Shopify-style handle: lowercase ASCII letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _clean_sku(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("SKU is empty")
    return value


class Variant(_Frozen):
    """One buyable version of a product (a size, a colour) with its own SKU, price and stock."""

    sku: str = Field(min_length=1, max_length=100)
    # Option name -> value in the shop's order, e.g. {"Size": "M", "Colour": "Red"}.
    options: dict[str, str] = Field(default_factory=dict)
    price: Decimal
    compare_at_price: Decimal | None = None
    # None: the shop does not track stock for this variant (never "sold out").
    stock: int | None = Field(default=None, ge=0)
    image: str | None = None

    @field_validator("sku")
    @classmethod
    def _strip_sku(cls, value: str) -> str:
        return _clean_sku(value)

    @field_validator("options")
    @classmethod
    def _clean_options(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned = ((_clean_text(k), _clean_text(v)) for k, v in value.items())
        return {k: v for k, v in cleaned if k and v}

    @property
    def label(self) -> str:
        """``M / Red``; empty for a product without options."""
        return " / ".join(self.options.values())

    @property
    def sold_out(self) -> bool:
        return self.stock is not None and self.stock <= 0

    @property
    def discount_percent(self) -> int | None:
        return discount_percent(self.price, self.compare_at_price)


class Product(_Frozen):
    """A product the host can present; its card shows title, price, discount, stock and short code."""

    sku: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    handle: str = ""
    currency: str = "USD"
    variants: tuple[Variant, ...] = Field(min_length=1)
    # A local file path (absolute, or relative to the catalog file) or an http(s) URL.
    image: str | None = None
    # What viewers comment to buy ("comment TEE to buy"): upper-case letters and digits.
    short_code: str | None = None
    talking_points: tuple[str, ...] = ()

    @field_validator("sku")
    @classmethod
    def _strip_sku(cls, value: str) -> str:
        return _clean_sku(value)

    @field_validator("title")
    @classmethod
    def _clean_title(cls, value: str) -> str:
        cleaned = _clean_text(value)
        if not cleaned:
            raise ValueError("title is empty")
        return cleaned

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        code = value.strip().upper()
        if not CURRENCY_CODE.match(code):
            raise ValueError(f"{value!r} is not a three-letter ISO 4217 currency code")
        return code

    @field_validator("short_code", mode="before")
    @classmethod
    def _short_code(cls, value: Any) -> Any:
        if value is None:
            return None
        code = str(value).strip().upper()
        if not code:
            return None
        if not SHORT_CODE.match(code):
            raise ValueError(f"short code {value!r} must be 2-16 letters or digits")
        return code

    @field_validator("talking_points")
    @classmethod
    def _talking_points(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(p for p in (_clean_text(v) for v in value) if p)

    @model_validator(mode="before")
    @classmethod
    def _default_handle(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("handle"):
            data = {**data, "handle": slugify(str(data.get("title", ""))) or slugify(str(data.get("sku", "")))}
        return data

    # A field validator, not a model one: pydantic runs model validators again on every Product
    # instance placed in a Catalog, field validators only when the field is validated.
    @field_validator("variants")
    @classmethod
    def _consistent(cls, variants: tuple[Variant, ...], info: ValidationInfo) -> tuple[Variant, ...]:
        currency = info.data.get("currency")
        seen: set[str] = set()
        for variant in variants:
            if variant.sku in seen:
                raise ValueError(f"variant SKU {variant.sku!r} appears twice")
            seen.add(variant.sku)
            if currency is not None:  # an invalid currency is reported on its own
                check_price(variant.price, currency)
                if variant.compare_at_price is not None:
                    check_price(variant.compare_at_price, currency)
        return variants

    # -- derived values -----------------------------------------------------------------------

    def variant(self, sku: str) -> Variant | None:
        return next((v for v in self.variants if v.sku == sku), None)

    @property
    def has_options(self) -> bool:
        return len(self.variants) > 1 or bool(self.variants[0].options)

    @property
    def cheapest(self) -> Variant:
        """The variant a product-level card advertises ("from $19.99"); in-stock variants first."""
        in_stock = [v for v in self.variants if not v.sold_out] or list(self.variants)
        return min(in_stock, key=lambda v: v.price)

    @property
    def prices_differ(self) -> bool:
        return len({v.price for v in self.variants}) > 1

    @property
    def total_stock(self) -> int | None:
        """Stock summed over variants that track it; None when no variant does."""
        tracked = [v.stock for v in self.variants if v.stock is not None]
        return sum(tracked) if tracked else None

    @property
    def sold_out(self) -> bool:
        return all(v.sold_out for v in self.variants)

    def price_text(self) -> str:
        text = format_money(self.cheapest.price, self.currency)
        return f"from {text}" if self.prices_differ else text

    def search_text(self) -> str:
        """Lower-case text the Products panel's search matches against."""
        parts = [self.title, self.sku, self.handle, self.short_code or ""]
        parts += [v.sku for v in self.variants]
        return " ".join(parts).lower()


class CatalogError(ValueError):
    """The catalog would become inconsistent (a duplicate SKU, an unknown product)."""


class Catalog(_Frozen):
    """All products, in order. SKUs (product and variant) are unique across the catalog."""

    products: tuple[Product, ...] = ()
    _by_sku: dict[str, tuple[Product, Variant | None]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique_skus(self) -> Catalog:
        index: dict[str, tuple[Product, Variant | None]] = {}
        for product in self.products:
            if product.sku in index:
                raise ValueError(f"SKU {product.sku!r} is used by two products")
            index[product.sku] = (product, None)
        for product in self.products:
            for variant in product.variants:
                owner = index.get(variant.sku)
                if owner is None:
                    index[variant.sku] = (product, variant)
                elif not (owner[0] is product and owner[1] is None):
                    # A product may share its SKU with its own variant (single-variant products do).
                    raise ValueError(f"variant SKU {variant.sku!r} is also used by product {owner[0].sku!r}")
        self._by_sku = index
        return self

    def __len__(self) -> int:
        return len(self.products)

    def products_by_sku(self) -> dict[str, Product]:
        return {p.sku: p for p in self.products}

    def find(self, sku: str) -> tuple[Product, Variant | None] | None:
        """The product a SKU names, and the variant when it is a variant's SKU (or the only variant)."""
        hit = self._by_sku.get(sku.strip())
        if hit is None:
            return None
        product, variant = hit
        if variant is None and len(product.variants) == 1:
            variant = product.variants[0]
        return product, variant

    def product(self, sku: str) -> Product | None:
        hit = self.find(sku)
        return hit[0] if hit else None

    def search(self, text: str) -> tuple[Product, ...]:
        words = text.lower().split()
        return tuple(p for p in self.products if all(w in p.search_text() for w in words))

    def replaced(self, product: Product) -> Catalog:
        """A catalog with ``product`` replacing the one with the same SKU (or appended)."""
        products = list(self.products)
        for i, existing in enumerate(products):
            if existing.sku == product.sku:
                products[i] = product
                break
        else:
            products.append(product)
        try:
            return Catalog(products=tuple(products))
        except ValueError as exc:
            raise CatalogError(str(exc)) from exc

    def without(self, sku: str) -> Catalog:
        return Catalog(products=tuple(p for p in self.products if p.sku != sku))

    def with_variant_stock(self, variant_sku: str, stock: int | None) -> Catalog:
        """A catalog where one variant's stock is ``stock`` (clamped at zero)."""
        hit = self.find(variant_sku)
        target = hit[1] if hit else None
        if hit is None or target is None:
            raise CatalogError(f"{variant_sku!r} names no single variant")
        new_stock = None if stock is None else max(0, stock)
        variants = tuple(
            v.model_copy(update={"stock": new_stock}) if v.sku == target.sku else v for v in hit[0].variants
        )
        return self.replaced(hit[0].model_copy(update={"variants": variants}))
