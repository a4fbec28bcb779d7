"""Catalog files far beyond any real catalog are refused quickly; floods of bad rows are reported capped."""

from __future__ import annotations

from pathlib import Path

from studio_console.services.products.catalog_io import (
    MAX_IMPORT_ROWS,
    MAX_REPORTED_ERRORS,
    ImportFormat,
    import_catalog,
)


def ten_million_rows(path: Path) -> Path:
    """A 60 MB plain CSV with ten million (bad) rows, written in one go."""
    with path.open("wb") as fh:
        fh.write(b"sku,title,price\n")
        chunk = b"a,b,x\n" * 1_000_000
        for _ in range(10):
            fh.write(chunk)
    return path


def test_a_ten_million_row_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = ten_million_rows(tmp_path / "huge.csv")
    seen: list[float] = []
    result = import_catalog(path, progress=seen.append)
    assert result.imported == 0
    assert len(result.errors) == 1
    message = str(result.errors[0])
    assert "huge.csv" in message and f"{MAX_IMPORT_ROWS:,}" in message and "nothing imported" in message
    assert seen and seen[-1] == 1.0


def test_a_file_beyond_the_row_cap_with_multiline_fields_is_refused_while_parsing(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    rows = "".join(f'SKU-{n},"Title {n}",1.00\n' for n in range(MAX_IMPORT_ROWS + 10))
    path.write_text("sku,title,price\n" + rows, encoding="utf-8")
    result = import_catalog(path, fmt=ImportFormat.PLAIN_CSV)
    assert result.imported == 0
    assert any(f"{MAX_IMPORT_ROWS:,}" in e.reason for e in result.errors)


def test_reported_errors_are_capped_with_a_count_of_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    bad = "".join(f"SKU-{n},Title {n},not-a-price\n" for n in range(20_000))
    path.write_text("sku,title,price\nGOOD-1,Good,2.50\n" + bad, encoding="utf-8")
    seen: list[float] = []
    result = import_catalog(path, progress=seen.append)
    assert result.imported == 1
    assert len(result.failed) == MAX_REPORTED_ERRORS
    assert result.failed_not_listed == 20_000 - MAX_REPORTED_ERRORS
    assert result.failed_count == 20_000
    assert result.errors_not_listed >= result.failed_not_listed
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 2
