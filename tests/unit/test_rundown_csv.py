"""Rundown CSV: import with errors naming file, line and column (good rows kept), export round trip, records, queue."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest

from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.domain.rundown import CueKind, EndAction, FlashSale, PriceReveal
from studio_console.domain.show import AtZero
from studio_console.services.products.catalog_io import Severity
from studio_console.services.rundown.csv_io import (
    check_against_catalog,
    export_rundown_csv,
    format_duration,
    import_rundown_csv,
    parse_duration,
    records_csv,
    rundown_from_queue,
)
from studio_console.services.rundown.timer import ShowProgress, records
from tests.helpers.rundown import FakeClock

GOOD = (
    "title,kind,duration,scene,sku,deal_price,countdown_s,end_action,talking_points,target_time,teaser_skus\n"
    "Doors open,preheat,10:00,Host,,,,hold,,20:00,MUG|TEE\n"
    "Mug,product,90,Product close-up,MUG,9.99,60,next,Dishwasher safe | Holds 350 ml,,\n"
    "Chat,segment,1:02:03,Host,,,,hold,,,\n"
)


def write(tmp_path: Path, text: str, name: str = "show.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("1:30", 90), ("01:30", 90), ("1:02:03", 3723)])
def test_durations_read_as_seconds_mm_ss_or_h_mm_ss(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1:75", "1:60:00", "ninety", "-5", "1.5"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_a_good_file_imports_every_cue(tmp_path: Path) -> None:
    result = import_rundown_csv(write(tmp_path, GOOD))
    assert result.errors == ()
    preheat, mug, chat = result.rundown.cues
    assert preheat.kind is CueKind.PREHEAT and preheat.target_time == time(20, 0)
    assert preheat.teaser_skus == ("MUG", "TEE") and preheat.duration_s == 600
    assert mug.sku == "MUG" and mug.end_action is EndAction.NEXT
    assert mug.price_action == FlashSale(deal_price=Decimal("9.99"), countdown_s=60, at_zero=AtZero.REGULAR_PRICE)
    assert mug.talking_points == ("Dishwasher safe", "Holds 350 ml")
    assert chat.duration_s == 3723 and chat.scene == "Host"
    assert result.rundown.title == "show"


def test_bad_rows_are_named_by_line_and_column_and_good_rows_kept(tmp_path: Path) -> None:
    text = (
        "Title,Kind,Duration,SKU,deal_price,countdown_s,end_action\n"
        "Fine,segment,60,,,,\n"
        "Bad duration,segment,1:75,,,,\n"
        "Bad kind,show,60,,,,\n"
        "No deal countdown,product,60,MUG,9.99,,\n"
        "Deal too long,product,60,MUG,9.99,900,\n"
        "Deal without product,segment,60,,9.99,30,\n"
        ",segment,60,,,,\n"
        "Bad end,segment,60,,,,later\n"
        "Also fine,break,5:00,,,,\n"
    )
    result = import_rundown_csv(write(tmp_path, text))
    assert [c.title for c in result.rundown.cues] == ["Fine", "Also fine"]
    where = [(e.line, e.field) for e in result.failed]
    assert where == [
        (3, "duration"),
        (4, "kind"),
        (5, "countdown_s"),
        (6, "countdown_s"),
        (7, "sku"),
        (8, "title"),
        (9, "end_action"),
    ]
    assert all(e.file == str(tmp_path / "show.csv") for e in result.errors)
    assert "row not imported" in result.failed[0].reason
    assert str(result.failed[0]).startswith(f"{tmp_path / 'show.csv'}:3 [duration]: error:")


def test_a_preheat_that_would_start_the_show_by_itself_is_refused(tmp_path: Path) -> None:
    text = "title,kind,duration,end_action\nPre,preheat,600,next\n"
    result = import_rundown_csv(write(tmp_path, text))
    assert result.imported == 0
    assert result.failed[0].line == 2 and result.failed[0].field == "end_action"


def test_missing_required_columns_and_unknown_columns(tmp_path: Path) -> None:
    result = import_rundown_csv(write(tmp_path, "title,kind\nA,segment\n"))
    assert result.imported == 0 and result.failed[0].line == 1 and "duration" in result.failed[0].reason
    result = import_rundown_csv(write(tmp_path, "title,duration,mood\nA,60,happy\n"))
    assert result.imported == 1
    assert result.errors[0].severity is Severity.WARNING and "mood" in result.errors[0].reason


def test_short_and_truncated_rows_and_unreadable_files(tmp_path: Path) -> None:
    result = import_rundown_csv(write(tmp_path, 'title,duration,scene\nA,60,Host\nB,60\n"C,60,Host\n'))
    assert [c.title for c in result.rundown.cues] == ["A"]
    assert [e.line for e in result.failed] == [3, 4]
    missing = import_rundown_csv(tmp_path / "nope.csv")
    assert missing.imported == 0 and "cannot be read" in missing.failed[0].reason


def test_duplicate_ids_keep_the_first_row(tmp_path: Path) -> None:
    result = import_rundown_csv(write(tmp_path, "title,duration,id\nA,60,x1\nB,60,x1\n"))
    assert [c.title for c in result.rundown.cues] == ["A"]
    assert result.failed[0].line == 3 and result.failed[0].field == "id"


def test_price_reveal_and_variants(tmp_path: Path) -> None:
    text = "title,duration,sku,variant,price_action,reveal_s,colour\nTee,120,TEE,TEE-M,price reveal,15,#ff8800\n"
    cue = import_rundown_csv(write(tmp_path, text)).rundown.cues[0]
    assert cue.price_action == PriceReveal(after_s=15)
    assert cue.card_sku == "TEE-M" and cue.colour == "#FF8800" and cue.kind is CueKind.PRODUCT


def test_export_then_import_gives_the_same_rundown(tmp_path: Path) -> None:
    original = import_rundown_csv(write(tmp_path, GOOD)).rundown
    out = tmp_path / "out" / "copy.csv"
    out.parent.mkdir()
    export_rundown_csv(original, out)
    again = import_rundown_csv(out, title=original.title)
    assert again.errors == ()
    assert again.rundown == original
    assert format_duration(3723) == "1:02:03" and format_duration(90) == "1:30"


def catalog() -> Catalog:
    return Catalog(
        products=(
            Product(
                sku="MUG",
                title="Mug",
                variants=(Variant(sku="MUG", price=Decimal("12.00")),),
                talking_points=("Holds 350 ml",),
            ),
            Product(
                sku="TEE",
                title="Tee",
                variants=(
                    Variant(sku="TEE-S", options={"Size": "S"}, price=Decimal("20")),
                    Variant(sku="TEE-M", options={"Size": "M"}, price=Decimal("20")),
                ),
            ),
        )
    )


def test_rundown_from_tonights_queue() -> None:
    rundown = rundown_from_queue(["TEE-M", "MUG", "GONE"], catalog(), duration_s=240, scene="Product close-up")
    tee, mug = rundown.cues
    assert (tee.sku, tee.variant, tee.title) == ("TEE", "TEE-M", "Tee (M)")
    assert (mug.sku, mug.variant, mug.talking_points) == ("MUG", None, ("Holds 350 ml",))
    assert all(c.duration_s == 240 and c.scene == "Product close-up" for c in rundown.cues)


def test_cues_naming_unknown_products_get_warnings(tmp_path: Path) -> None:
    text = "title,duration,sku,variant\nA,60,MUG,\nB,60,NOPE,\nC,60,MUG,TEE-S\n"
    rundown = import_rundown_csv(write(tmp_path, text)).rundown
    warnings = check_against_catalog(rundown, catalog(), "show.csv")
    assert [(w.line, w.field) for w in warnings] == [(3, "sku"), (4, "variant")]
    assert all(w.severity is Severity.WARNING for w in warnings)


def test_planned_vs_actual_record_as_csv(tmp_path: Path) -> None:
    rundown = import_rundown_csv(write(tmp_path, GOOD)).rundown
    clock = FakeClock()
    progress = ShowProgress().start(rundown.cues[0].id, clock.clock.now())
    clock.advance(630)
    progress = progress.start(rundown.cues[1].id, clock.clock.now())
    clock.advance(80)
    progress = progress.end(clock.clock.now())
    lines = records_csv(records(rundown, progress, clock.clock.now())).splitlines()
    assert lines[0].startswith("index,title,kind,status,planned_start,actual_start")
    assert lines[1].endswith("10:00,10:30,+30")
    assert lines[2].endswith("1:30,1:20,-10")
    assert ",pending," in lines[3]
