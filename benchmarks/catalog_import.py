"""Benchmark: importing a 5,000-product Shopify export (with variants) vs reading it with csv.DictReader alone.

Run: python benchmarks/catalog_import.py [--products 5000] [--repeat 5]
The naive peer only reads the rows into dicts: no grouping, no price parsing, no validation, no
error report. Also measured: importing the exported catalog JSON and saving it atomically. Ends with one
JSON line; times are the median of the repeats.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import emit

from studio_console.services.products.catalog_io import CatalogStore, export_json, import_catalog, import_json

COLUMNS = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
    "Variant SKU", "Variant Grams", "Variant Inventory Tracker", "Variant Inventory Qty",
    "Variant Inventory Policy", "Variant Fulfillment Service", "Variant Price", "Variant Compare At Price",
    "Variant Requires Shipping", "Variant Taxable", "Variant Barcode", "Image Src", "Image Position",
    "Image Alt Text", "Gift Card", "SEO Title", "SEO Description", "Variant Image", "Variant Weight Unit",
    "Variant Tax Code", "Cost per item", "Status",
]  # fmt: skip
SIZES = ("S", "M", "L")


def write_export(path: Path, products: int) -> int:
    """A Shopify-style export: three sizes per product, every third product in two colours; returns rows."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for i in range(products):
            colours = ("Red", "Blue") if i % 3 == 0 else ("Black",)
            first = True
            for colour in colours:
                for size in SIZES:
                    row = dict.fromkeys(COLUMNS, "")
                    row.update(
                        {
                            "Handle": f"product-{i}",
                            "Option1 Value": size,
                            "Option2 Value": colour,
                            "Variant SKU": f"P{i}-{size}-{colour[0]}",
                            "Variant Inventory Qty": str((i * 7 + len(size)) % 40),
                            "Variant Price": f"{10 + i % 90}.99",
                            "Variant Compare At Price": f"{20 + i % 90}.00" if i % 2 else "",
                            "Variant Grams": "250",
                            "Variant Inventory Tracker": "shopify",
                        }
                    )
                    if first:
                        row.update(
                            {
                                "Title": f"Product number {i}",
                                "Body (HTML)": f"<p>Description of product {i}, with <b>markup</b>.</p>",
                                "Vendor": "Bench Co",
                                "Tags": "bench, catalog",
                                "Published": "TRUE",
                                "Option1 Name": "Size",
                                "Option2 Name": "Colour",
                                "Image Src": f"https://cdn.example.invalid/p{i}.jpg",
                                "Image Position": "1",
                                "Status": "active",
                            }
                        )
                        first = False
                    writer.writerow(row)
                    rows += 1
    return rows


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def dict_reader_only(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return len(list(csv.DictReader(fh)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    export = folder / "products_export.csv"
    rows = write_export(export, args.products)

    result = import_catalog(export)
    assert result.imported == args.products and not result.failed, result.failed[:3]
    ours = timed(lambda: import_catalog(export), args.repeat)
    peer = timed(lambda: dict_reader_only(export), args.repeat)
    json_path = folder / "catalog.json"
    export_json(result.catalog, json_path)
    json_s = timed(lambda: import_json(json_path), args.repeat)
    store = CatalogStore(folder / "data")
    save_s = timed(lambda: store.save(result.catalog), args.repeat)
    load_s = timed(store.load, args.repeat)
    emit(
        {
            "benchmark": "catalog_import",
            "products": args.products,
            "variants": sum(len(p.variants) for p in result.catalog.products),
            "csv_rows": rows,
            "csv_mb": round(export.stat().st_size / 1e6, 2),
            "shopify_import_s": round(ours, 3),
            "peer_csv_dictreader_s": round(peer, 3),
            "ratio_vs_dictreader": round(ours / peer, 2),
            "json_import_s": round(json_s, 3),
            "store_save_s": round(save_s, 3),
            "store_load_s": round(load_s, 3),
            "target_s": 2.0,
            "within_target": ours < 2.0,
            "repeat": args.repeat,
        }
    )


if __name__ == "__main__":
    main()
