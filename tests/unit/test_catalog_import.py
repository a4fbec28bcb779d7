"""Catalog import: a Shopify export written here from Shopify's documented columns, plain CSV, JSON.

Each test asserts the exact products and the exact row errors: nothing may be dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.services.products.catalog_io import (
    ImportFormat,
    RowError,
    Severity,
    detect_format,
    export_json,
    import_catalog,
    import_json,
    import_plain_csv,
    import_shopify_csv,
    merge_catalogs,
)

# The product CSV columns of Shopify's documentation ("Using CSV files to import and export products"),
# in the order of its export, plus one product metafield column.
SHOPIFY_COLUMNS = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Product Category",
    "Type",
    "Tags",
    "Published",
    "Option1 Name",
    "Option1 Value",
    "Option2 Name",
    "Option2 Value",
    "Option3 Name",
    "Option3 Value",
    "Variant SKU",
    "Variant Grams",
    "Variant Inventory Tracker",
    "Variant Inventory Qty",
    "Variant Inventory Policy",
    "Variant Fulfillment Service",
    "Variant Price",
    "Variant Compare At Price",
    "Variant Requires Shipping",
    "Variant Taxable",
    "Variant Barcode",
    "Image Src",
    "Image Position",
    "Image Alt Text",
    "Gift Card",
    "SEO Title",
    "SEO Description",
    "Variant Image",
    "Variant Weight Unit",
    "Variant Tax Code",
    "Cost per item",
    "Status",
    "Short code (product.metafields.custom.short_code)",
]

CDN = "https://cdn.shopify.com/s/files/1/0000/0001/products/pour-over.jpg"


def shopify_row(**values: str) -> dict[str, str]:
    names = {
        "handle": "Handle",
        "title": "Title",
        "body": "Body (HTML)",
        "o1": "Option1 Name",
        "v1": "Option1 Value",
        "o2": "Option2 Name",
        "v2": "Option2 Value",
        "sku": "Variant SKU",
        "qty": "Variant Inventory Qty",
        "price": "Variant Price",
        "compare": "Variant Compare At Price",
        "image": "Image Src",
        "position": "Image Position",
        "code": "Short code (product.metafields.custom.short_code)",
    }
    row = {column: "" for column in SHOPIFY_COLUMNS}
    for key, value in values.items():
        row[names[key]] = value
    return row


def product_fields(title: str, **values: str) -> dict[str, str]:
    """What Shopify writes on a product's first row besides the variant."""
    return {"title": title, "body": f"<p>{title}, described.</p>", **values}


def write_shopify_export(folder: Path) -> Path:
    (folder / "images").mkdir()
    (folder / "images" / "linen.png").write_bytes(b"\x89PNG fake")
    rows = [
        # Line 2-6: two options, four variants, one extra image row; the last variant has no SKU.
        shopify_row(
            handle="linen-shirt",
            **product_fields("Linen Summer Shirt", code="linen"),
            o1="Size",
            v1="S",
            o2="Colour",
            v2="White",
            sku="LIN-S-W",
            qty="5",
            price="49.99",
            compare="69.99",
            image="images/linen.png",
            position="1",
        ),
        shopify_row(handle="linen-shirt", v1="M", v2="White", sku="LIN-M-W", qty="12", price="49.99", compare="69.99"),
        shopify_row(handle="linen-shirt", v1="L", v2="White", sku="LIN-L-W", qty="0", price="52.00"),
        shopify_row(handle="linen-shirt", image="https://cdn.shopify.com/linen-back.jpg", position="2"),
        shopify_row(handle="linen-shirt", v1="M", v2="Sand", sku="", qty="3", price="49.99"),
        # Line 7: no options (Title / Default Title), an image URL.
        shopify_row(
            handle="pour-over-set",
            **product_fields("Pour-Over Coffee Set"),
            o1="Title",
            v1="Default Title",
            sku="POUR-1",
            qty="20",
            price="34.00",
            image=CDN,
            position="1",
        ),
        # Line 8: no image at all; oversold stock.
        shopify_row(
            handle="canvas-tote",
            **product_fields("Canvas Tote", code="TOTE"),
            o1="Title",
            v1="Default Title",
            sku="TOTE-1",
            qty="-2",
            price="19.99",
            compare="24.99",
        ),
        # Line 9-11: an image file that does not exist, a bad price, a bad compare-at price.
        shopify_row(
            handle="scented-candle",
            **product_fields("Scented Candle"),
            o1="Scent",
            v1="Vanilla",
            sku="CANDLE-V",
            qty="8",
            price="abc",
            image="images/missing.png",
            position="1",
        ),
        shopify_row(handle="scented-candle", v1="Cedar", sku="CANDLE-C", qty="6", price="22.00"),
        shopify_row(handle="scented-candle", v1="Fig", sku="CANDLE-F", qty="2", price="22.00", compare="n/a"),
        # Line 12-13: a SKU that line 7 already uses.
        shopify_row(
            handle="water-bottle",
            **product_fields("Steel Water Bottle", code="BOTTLE"),
            o1="Colour",
            v1="Sage",
            sku="POUR-1",
            qty="4",
            price="27.50",
            image="images/linen.png",
        ),
        shopify_row(handle="water-bottle", v1="Blue", sku="BOTTLE-BLUE", qty="9", price="27.50", compare="32.00"),
        # Line 14: the only variant has no price.
        shopify_row(handle="ghost", **product_fields("Ghost Product"), o1="Title", v1="Default Title", sku="GHOST"),
    ]
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=SHOPIFY_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    # Line 15: the file was cut off in the middle of a row (no line ending, 3 of 37 columns).
    text = buffer.getvalue() + "yoga-mat,Yoga Mat,<p>Non-slip"
    path = folder / "products_export_1.csv"
    path.write_bytes(text.encode("utf-8-sig"))  # Shopify's export starts with a byte-order mark
    return path


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_shopify_export_imports_good_rows_and_reports_every_bad_one(tmp_path: Path) -> None:
    path = write_shopify_export(tmp_path)
    before = fingerprint(path)
    result = import_shopify_csv(path, currency="USD")
    assert fingerprint(path) == before  # the source file is never modified
    assert detect_format(path) is ImportFormat.SHOPIFY_CSV

    f = str(path)
    assert list(result.errors) == [
        RowError(f, 6, "Variant SKU", "no SKU; the variant is known as 'linen-shirt-4'", Severity.WARNING),
        RowError(f, 8, "Variant Inventory Qty", "negative stock -2 (oversold) imported as 0", Severity.WARNING),
        RowError(f, 8, "Image Src", "no product image; the card shows no picture", Severity.WARNING),
        RowError(f, 9, "Variant Price", "'abc' is not a price; row not imported"),
        RowError(
            f, 9, "Image Src", "image file not found: images/missing.png; the card shows no picture", Severity.WARNING
        ),
        RowError(f, 11, "Variant Compare At Price", "'n/a' is not a price; row not imported"),
        RowError(f, 12, "Variant SKU", "duplicate SKU 'POUR-1' (first on line 7); row not imported"),
        RowError(f, 14, "Variant Price", "the price is empty; row not imported"),
        RowError(f, 14, None, "product 'ghost' has no importable variant; product not imported"),
        RowError(f, 15, None, "row has 3 of 37 columns (the file ends mid-line: truncated?); row not imported"),
    ]
    linen_png = str((tmp_path / "images" / "linen.png").resolve())
    assert list(result.catalog.products) == [
        Product(
            sku="linen-shirt",
            title="Linen Summer Shirt",
            handle="linen-shirt",
            currency="USD",
            image=linen_png,
            short_code="LINEN",
            variants=(
                Variant(
                    sku="LIN-S-W",
                    options={"Size": "S", "Colour": "White"},
                    price=Decimal("49.99"),
                    compare_at_price=Decimal("69.99"),
                    stock=5,
                ),
                Variant(
                    sku="LIN-M-W",
                    options={"Size": "M", "Colour": "White"},
                    price=Decimal("49.99"),
                    compare_at_price=Decimal("69.99"),
                    stock=12,
                ),
                Variant(sku="LIN-L-W", options={"Size": "L", "Colour": "White"}, price=Decimal("52.00"), stock=0),
                Variant(sku="linen-shirt-4", options={"Size": "M", "Colour": "Sand"}, price=Decimal("49.99"), stock=3),
            ),
        ),
        Product(
            sku="pour-over-set",
            title="Pour-Over Coffee Set",
            handle="pour-over-set",
            image=CDN,
            variants=(Variant(sku="POUR-1", price=Decimal("34.00"), stock=20),),
        ),
        Product(
            sku="canvas-tote",
            title="Canvas Tote",
            handle="canvas-tote",
            short_code="TOTE",
            variants=(Variant(sku="TOTE-1", price=Decimal("19.99"), compare_at_price=Decimal("24.99"), stock=0),),
        ),
        Product(
            sku="scented-candle",
            title="Scented Candle",
            handle="scented-candle",
            variants=(Variant(sku="CANDLE-C", options={"Scent": "Cedar"}, price=Decimal("22.00"), stock=6),),
        ),
        Product(
            sku="water-bottle",
            title="Steel Water Bottle",
            handle="water-bottle",
            image=linen_png,
            short_code="BOTTLE",
            variants=(
                Variant(
                    sku="BOTTLE-BLUE",
                    options={"Colour": "Blue"},
                    price=Decimal("27.50"),
                    compare_at_price=Decimal("32.00"),
                    stock=9,
                ),
            ),
        ),
    ]
    assert result.imported == 5 and len(result.failed) == 6 and len(result.warnings) == 4
    # Every variant SKU finds its product; the handle finds the whole product.
    assert result.catalog.find("LIN-M-W")[0].sku == "linen-shirt"  # type: ignore[index]
    assert str(result.errors[3]) == f"{f}:9 [Variant Price]: error: 'abc' is not a price; row not imported"


def test_shopify_truncated_inside_a_quoted_field(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    header = ",".join(SHOPIFY_COLUMNS)
    good = "mug,Mug,,,,,,,Title,Default Title,,,,,MUG-1,,,3,,,12.00" + "," * 16
    path.write_text(f'{header}\n{good}\nbowl,Bowl,"<p>Stoneware bo')
    result = import_shopify_csv(path)
    assert [p.sku for p in result.catalog.products] == ["mug"]
    assert list(result.failed) == [
        RowError(str(path), 3, None, "the file ends inside a quoted field (truncated?); row not imported")
    ]


def test_shopify_newer_export_headers_and_missing_columns(tmp_path: Path) -> None:
    # Shopify's 2024 export renamed columns: "URL handle", "SKU", "Price", "Compare-at price", ...
    path = tmp_path / "new.csv"
    path.write_text(
        "Title,URL handle,Option1 name,Option1 value,SKU,Price,Compare-at price,Inventory quantity,Product image URL\n"
        "Cap,cap,Colour,Red,CAP-R,15.00,20.00,7,https://example.invalid/cap.jpg\n"
        ",cap,,Navy,CAP-N,15.00,,,\n"
    )
    result = import_catalog(path)
    assert result.format is ImportFormat.SHOPIFY_CSV and result.errors == ()
    (cap,) = result.catalog.products
    assert [(v.sku, v.label, v.stock) for v in cap.variants] == [("CAP-R", "Red", 7), ("CAP-N", "Navy", None)]
    bad = tmp_path / "bad.csv"
    bad.write_text("Handle,Title,Vendor\nx,X,Me\n")
    assert list(import_shopify_csv(bad).errors) == [
        RowError(str(bad), 1, None, "not a Shopify product export: no Variant Price column")
    ]


def test_non_utf8_file_is_read_as_windows_1252_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("sku,title,price\nCR-1,Crème,4.00\n".encode("cp1252"))
    result = import_plain_csv(path)
    assert result.catalog.products[0].title == "Crème"
    assert [(e.line, e.severity) for e in result.errors] == [(2, Severity.WARNING), (2, Severity.WARNING)]
    assert "not UTF-8" in result.errors[0].reason


def test_plain_csv(tmp_path: Path) -> None:
    (tmp_path / "mug.png").write_bytes(b"png")
    path = tmp_path / "tonight.csv"
    path.write_text(
        "sku,title,price,compare_at_price,currency,stock,image,short_code,talking_points,product_sku,options\n"
        "MUG,Stoneware Mug,12.50,15.00,EUR,9,mug.png,MUG,Dishwasher safe|Handmade,,\n"
        "TEE-S,Tee,20,,,3,,TEE,,TEE,Size=S\n"
        "TEE-M,Tee,20,,,,,,,TEE,Size=M\n"
        "MUG,Duplicate,1,,,,,,,,\n"
        "BAD,Bad price,12.999,,,,,,,,\n"
        "YEN,Yen thing,1299,,JPY,1,mug.png,,,,\n"
        "HALF,Half stock,5,,,2.5,,,,,\n"
        ",No sku,5,,,,,,,,\n"
    )
    result = import_plain_csv(path)
    f = str(path)
    assert list(result.errors) == [
        RowError(f, 3, "image", "no image; the card shows no picture", Severity.WARNING),
        RowError(f, 5, "sku", "duplicate SKU 'MUG' (first on line 2); row not imported"),
        RowError(f, 6, "price", "12.999 has more decimals than USD allows (2); row not imported"),
        RowError(f, 8, "stock", "'2.5' is not a whole number; row not imported"),
        RowError(f, 9, "sku", "empty SKU; row not imported"),
    ]
    mug, tee, yen = result.catalog.products
    assert mug == Product(
        sku="MUG",
        title="Stoneware Mug",
        currency="EUR",
        image=str((tmp_path / "mug.png").resolve()),
        short_code="MUG",
        talking_points=("Dishwasher safe", "Handmade"),
        variants=(Variant(sku="MUG", price=Decimal("12.50"), compare_at_price=Decimal("15.00"), stock=9),),
    )
    assert tee.sku == "TEE" and [v.sku for v in tee.variants] == ["TEE-S", "TEE-M"]
    assert tee.variants[0].options == {"Size": "S"} and tee.variants[1].stock is None
    assert yen.currency == "JPY" and yen.variants[0].price == Decimal("1299")
    assert detect_format(path) is ImportFormat.PLAIN_CSV


def test_json_round_trip_and_relative_images(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "mug.png").write_bytes(b"png")
    mug = Product(
        sku="MUG",
        title="Mug",
        currency="GBP",
        image=str(tmp_path / "images" / "mug.png"),
        short_code="MUG",
        talking_points=("Holds 350 ml",),
        variants=(
            Variant(sku="MUG-W", options={"Colour": "White"}, price=Decimal("9.50"), stock=3),
            Variant(sku="MUG-B", options={"Colour": "Black"}, price=Decimal("9.50"), compare_at_price=Decimal("12")),
        ),
    )
    catalog = Catalog(products=(mug,))
    out = tmp_path / "export.json"
    export_json(catalog, out)
    document = json.loads(out.read_text())
    assert document["format"] == "studio-console-catalog" and document["version"] == 1
    assert document["products"][0]["image"] == "images/mug.png"  # portable with its folder
    assert document["products"][0]["variants"][0]["price"] == "9.50"  # exact, never a float
    result = import_json(out)
    assert result.errors == ()
    assert result.catalog == catalog
    assert detect_format(out) is ImportFormat.JSON


def test_json_bad_products_are_reported_by_index(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    good = {
        "sku": "A",
        "title": "A",
        "image": "https://example.invalid/a.png",
        "variants": [{"sku": "A", "price": "1"}],
    }
    items = [
        good,
        {"sku": "B", "title": "B", "image": "nope.png", "variants": [{"sku": "B1", "price": "x"}]},
        {"sku": "A", "title": "again", "variants": [{"sku": "A2", "price": "1"}]},
        {"sku": "C", "title": "C", "variants": [{"sku": "A", "price": "2"}]},
        "not an object",
    ]
    path.write_text(json.dumps(items))
    result = import_json(path)
    f = str(path)
    assert [p.sku for p in result.catalog.products] == ["A"]
    assert list(result.errors) == [
        RowError(
            f, None, "products[1].image", "image file not found: nope.png; the card shows no picture", Severity.WARNING
        ),
        RowError(f, None, "products[1].variants.0.price", "Input should be a valid decimal; not imported"),
        RowError(f, None, "products[2].image", "no image; the card shows no picture", Severity.WARNING),
        RowError(f, None, "products[2].sku", "duplicate SKU 'A' (also in 'A'); not imported"),
        RowError(f, None, "products[3].image", "no image; the card shows no picture", Severity.WARNING),
        RowError(f, None, "products[3].sku", "duplicate SKU 'A' (also in 'A'); not imported"),
        RowError(f, None, "products[4]", "not a JSON object; not imported"),
    ]


def test_truncated_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"format": "studio-console-catalog", "version": 1,\n "products": [\n  {"sku": "A", "ti')
    result = import_json(path)
    assert result.imported == 0
    (error,) = result.errors
    assert error.line == 3 and "truncated?" in error.reason and error.severity is Severity.ERROR


def test_merge_keeps_the_producers_additions(tmp_path: Path) -> None:
    one = (Variant(sku="A1", price=Decimal("1")),)
    current = Catalog(
        products=(
            Product(sku="A", title="A", short_code="AAA", talking_points=("say this",), variants=one),
            Product(sku="OLD", title="Old", variants=(Variant(sku="MOVED", price=Decimal("1")),)),
            Product(sku="KEEP", title="Keep", variants=(Variant(sku="K", price=Decimal("1")),)),
        )
    )
    imported = Catalog(
        products=(
            Product(sku="A", title="A new title", variants=one),
            Product(sku="NEW", title="New", variants=(Variant(sku="MOVED", price=Decimal("2")),)),
        )
    )
    merged, dropped = merge_catalogs(current, imported)
    assert [p.sku for p in merged.products] == ["A", "KEEP", "NEW"]
    assert merged.products[0].title == "A new title" and merged.products[0].short_code == "AAA"
    assert merged.products[0].talking_points == ("say this",)
    assert dropped == ("OLD",)


def test_five_thousand_products_import(tmp_path: Path) -> None:
    """Functional check at benchmark scale (timing lives in benchmarks/catalog_import.py)."""
    path = tmp_path / "big.csv"
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=SHOPIFY_COLUMNS)
    writer.writeheader()
    for i in range(5000):
        writer.writerow(
            shopify_row(handle=f"p{i}", title=f"Product {i}", o1="Size", v1="S", sku=f"P{i}-S", price="10.00")
        )
        writer.writerow(shopify_row(handle=f"p{i}", v1="M", sku=f"P{i}-M", price="11.00", qty="4"))
    path.write_text(buffer.getvalue())
    result = import_catalog(path)
    assert result.imported == 5000 and len(result.failed) == 0
    # No images: one warning each, none silent (the first few hundred listed, the rest counted).
    assert len(result.warnings) + result.errors_not_listed == 5000
    assert result.catalog.find("P4999-M") is not None


@pytest.mark.parametrize("name", ["missing.csv", "missing.json"])
def test_unreadable_file_is_one_error(tmp_path: Path, name: str) -> None:
    result = import_catalog(tmp_path / name)
    assert result.imported == 0 and len(result.errors) == 1 and "cannot be read" in result.errors[0].reason
