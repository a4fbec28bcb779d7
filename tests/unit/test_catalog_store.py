"""The app's catalog file: atomic saves, round trip, unusable files kept aside, the demo catalog loads."""

from __future__ import annotations

import errno
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.services.products.catalog_io import CatalogSaveError, CatalogStore, demo_catalog_path, import_json
from studio_console.settings import atomic


def catalog() -> Catalog:
    return Catalog(
        products=(
            Product(
                sku="MUG",
                title="Mug",
                short_code="MUG",
                image="/somewhere/mug.png",
                variants=(Variant(sku="MUG", price=Decimal("9.99"), compare_at_price=Decimal("14.00"), stock=3),),
            ),
        )
    )


def test_missing_file_is_an_empty_catalog(tmp_path: Path) -> None:
    result = CatalogStore(tmp_path).load()
    assert result.catalog == Catalog() and result.notice is None


def test_round_trip_keeps_exact_prices_and_paths(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path / "data")
    store.save(catalog())
    assert store.path == tmp_path / "data" / "catalog.json"
    assert store.load().catalog == catalog()
    assert [p.name for p in store.path.parent.iterdir()] == ["catalog.json"]  # no temp files left


def test_failed_save_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = CatalogStore(tmp_path)
    store.save(catalog())
    before = store.path.read_bytes()

    def disk_full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", disk_full)
    with pytest.raises(CatalogSaveError, match="No space left"):
        store.save(Catalog())
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.json"]


def test_corrupt_file_is_moved_aside(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path)
    store.path.write_text('{"format": "studio-console-catalog", "products": [')
    result = store.load()
    assert result.catalog == Catalog()
    assert result.notice is not None and "moved to catalog.json.corrupt-" in result.notice
    assert not store.path.exists()
    assert len(list(tmp_path.glob("catalog.json.corrupt-*"))) == 1


def test_partly_invalid_file_loads_the_good_products_and_keeps_a_copy(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path)
    store.save(catalog())
    document = json.loads(store.path.read_text())
    document["products"].append({"sku": "BAD", "title": "Bad", "variants": [{"sku": "B", "price": "-1"}]})
    store.path.write_text(json.dumps(document))
    result = store.load()
    assert result.catalog == catalog()
    assert result.notice is not None and "1 products" in result.notice and "products[1]" in result.notice
    (copy,) = tmp_path.glob("catalog.json.corrupt-*")
    assert json.loads(copy.read_text()) == document  # the bad product is not lost
    assert store.path.exists()


def test_demo_catalog_is_complete() -> None:
    path = demo_catalog_path()
    result = import_json(path)
    assert result.errors == (), [str(e) for e in result.errors]
    assert result.imported >= 12
    codes = [p.short_code for p in result.catalog.products]
    assert all(codes) and len(set(codes)) == len(codes)
    for product in result.catalog.products:
        assert product.image is not None and os.path.isfile(product.image)
        assert product.talking_points
    assert any(len(p.variants) > 1 for p in result.catalog.products)
    assert any(v.compare_at_price for p in result.catalog.products for v in p.variants)
