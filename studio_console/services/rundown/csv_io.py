"""Rundown CSV import and export (one row a cue), the planned-vs-actual record, and a rundown from tonight's queue.

Errors are the catalog import's ``RowError`` (file, line, column, reason): a row at fault is left
out and named, every good row is kept, and the source file is never written to.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from studio_console.domain.catalog import Catalog
from studio_console.domain.money import PriceError, parse_price
from studio_console.domain.rundown import (
    Cue,
    CueKind,
    CueRecord,
    EndAction,
    FlashSale,
    PriceReveal,
    Rundown,
)
from studio_console.domain.show import AtZero
from studio_console.services.products.catalog_io import RowError, Severity, _csv_rows, _read_text
from studio_console.services.rundown.timer import shift
from studio_console.settings.atomic import write_text_atomic

# The columns written on export, in this order; import accepts them in any order, case-insensitive.
COLUMNS = (
    "title",
    "kind",
    "duration",
    "scene",
    "sku",
    "variant",
    "price_action",
    "deal_price",
    "countdown_s",
    "at_zero",
    "reveal_s",
    "end_action",
    "talking_points",
    "colour",
    "warning_s",
    "danger_s",
    "target_time",
    "teaser_skus",
    "teaser_prices",
    "id",
)
REQUIRED = ("title", "duration")
# Lists inside one cell (talking points, teaser SKUs): a bar, as the catalog CSV separates talking points.
LIST_SEPARATOR = "|"
_ALIASES = {"color": "colour", "duration_s": "duration", "points": "talking_points", "notes": "talking_points"}
_DURATION = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2})$")
_TRUE = {"1", "true", "yes", "y", "x"}
_FALSE = {"", "0", "false", "no", "n"}


@dataclass(frozen=True)
class RundownImport:
    """The cues a file yielded and every problem found on the way."""

    source: Path
    rundown: Rundown
    errors: tuple[RowError, ...] = ()
    # The file line each imported cue came from (for later warnings about its products).
    lines: tuple[int, ...] = ()

    @property
    def imported(self) -> int:
        return len(self.rundown.cues)

    @property
    def failed(self) -> tuple[RowError, ...]:
        return tuple(e for e in self.errors if e.severity is Severity.ERROR)


class _RowProblem(ValueError):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def parse_duration(text: str) -> int:
    """Seconds from ``90``, ``1:30`` (mm:ss) or ``1:02:03`` (h:mm:ss)."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(f"{text!r} is not seconds, mm:ss or h:mm:ss")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    if seconds >= 60 or (match.group(1) is not None and minutes >= 60):
        raise ValueError(f"{text!r} is not seconds, mm:ss or h:mm:ss (minutes and seconds go up to 59)")
    return hours * 3600 + minutes * 60 + seconds


def format_duration(seconds: int) -> str:
    """``mm:ss``, or ``h:mm:ss`` from an hour on: what the import reads back."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _parse_time(text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day like 19:55 or 19:55:00") from None


def _parse_bool(text: str, column: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _RowProblem(column, f"{text!r} is not yes or no")


def _parse_int(text: str, column: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not value.isdigit():
        raise _RowProblem(column, f"{text!r} is not a whole number of seconds")
    return int(value)


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(LIST_SEPARATOR) if p.strip())


def _enum(cls: type[Any], text: str, column: str, default: Any) -> Any:
    value = text.strip().lower()
    if not value:
        return default
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise _RowProblem(column, f"{text!r} is not one of {allowed}") from None


def _price_action(v: dict[str, str], currency: str) -> FlashSale | PriceReveal | None:
    action = v["price_action"].strip().lower().replace("-", "_").replace(" ", "_")
    if not action:
        action = "flash_sale" if v["deal_price"].strip() or v["countdown_s"].strip() else ""
    if not action:
        return None
    if action == "price_reveal":
        after = _parse_int(v["reveal_s"], "reveal_s")
        return PriceReveal() if after is None else PriceReveal(after_s=after)
    if action != "flash_sale":
        raise _RowProblem("price_action", f"{v['price_action']!r} is not flash_sale or price_reveal")
    if not v["deal_price"].strip():
        raise _RowProblem("deal_price", "a flash sale needs a deal_price")
    try:
        deal = parse_price(v["deal_price"], currency)
    except PriceError as exc:
        raise _RowProblem("deal_price", str(exc)) from None
    countdown = _parse_int(v["countdown_s"], "countdown_s")
    if countdown is None:
        raise _RowProblem("countdown_s", "a flash sale needs countdown_s (10 to 300 seconds)")
    at_zero = _enum(AtZero, v["at_zero"], "at_zero", AtZero.REGULAR_PRICE)
    try:
        return FlashSale(deal_price=deal, countdown_s=countdown, at_zero=at_zero)
    except ValidationError as exc:
        column, reason = _first_problem(exc)
        raise _RowProblem({"deal_price": "deal_price"}.get(column or "", "countdown_s"), reason) from None


def _first_problem(exc: ValidationError) -> tuple[str | None, str]:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or None
    return where, str(first["msg"]).removeprefix("Value error, ")


# Cue field names as the CSV calls them, for errors the model finds.
_FIELD_COLUMNS = {
    "duration_s": "duration",
    "price_action": "price_action",
    "teaser_skus": "teaser_skus",
    "target_time": "target_time",
}


def _cue_from_row(v: dict[str, str], currency: str) -> Cue:
    try:
        duration = parse_duration(v["duration"])
    except ValueError as exc:
        raise _RowProblem("duration", str(exc)) from None
    sku = v["sku"].strip() or None
    kind = _enum(CueKind, v["kind"], "kind", CueKind.PRODUCT if sku else CueKind.SEGMENT)
    target = None
    if v["target_time"].strip():
        try:
            target = _parse_time(v["target_time"])
        except ValueError as exc:
            raise _RowProblem("target_time", str(exc)) from None
    data: dict[str, Any] = {
        "title": v["title"],
        "kind": kind,
        "duration_s": duration,
        "scene": v["scene"] or None,
        "sku": sku,
        "variant": v["variant"] or None,
        "price_action": _price_action(v, currency),
        "talking_points": _split(v["talking_points"]),
        "colour": v["colour"] or None,
        "end_action": _enum(EndAction, v["end_action"], "end_action", EndAction.HOLD),
        "warning_s": _parse_int(v["warning_s"], "warning_s"),
        "danger_s": _parse_int(v["danger_s"], "danger_s"),
        "target_time": target,
        "teaser_skus": _split(v["teaser_skus"]),
        "teaser_prices": _parse_bool(v["teaser_prices"], "teaser_prices"),
    }
    if v["id"].strip():
        data["id"] = v["id"].strip()
    try:
        return Cue.model_validate(data)
    except ValidationError as exc:
        where, reason = _first_problem(exc)
        field = (where or "").split(".")[0]
        column = _FIELD_COLUMNS.get(field, field if field in COLUMNS else "")
        if not column:
            # A rule across fields ("a preheat waits for the producer: its end_action must be hold").
            column = next((c for c in COLUMNS if c in reason), "")
        raise _RowProblem(column, reason) from None


def import_rundown_csv(path: Path, currency: str = "USD", title: str | None = None) -> RundownImport:
    """Read a rundown from a spreadsheet CSV: one row a cue; bad rows are named and left out."""
    path = Path(path)
    errors: list[RowError] = []
    name = title or path.stem.replace("_", " ").strip() or "Rundown"
    text = _read_text(path, errors)
    if text is None:
        return RundownImport(path, Rundown(title=name), tuple(errors))
    columns, rows = _csv_rows(path, text, errors)
    columns = [_ALIASES.get(c, c) for c in columns]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        errors.append(RowError(str(path), 1, None, f"required column missing: {', '.join(missing)}"))
        return RundownImport(path, Rundown(title=name), tuple(errors))
    unknown = [c for c in columns if c and c not in COLUMNS]
    if unknown:
        errors.append(RowError(str(path), 1, None, f"column(s) ignored: {', '.join(unknown)}", Severity.WARNING))
    cues: list[Cue] = []
    ids: dict[str, int] = {}
    for row in rows:
        values = {_ALIASES.get(k, k): value for k, value in row.values.items()}
        v = {c: values.get(c, "").strip() for c in COLUMNS}
        try:
            cue = _cue_from_row(v, currency)
        except _RowProblem as problem:
            errors.append(RowError(str(path), row.line, problem.column or None, f"{problem.reason}; row not imported"))
            continue
        if cue.id in ids:
            errors.append(
                RowError(
                    str(path), row.line, "id", f"id {cue.id!r} is used on line {ids[cue.id]} too; row not imported"
                )
            )
            continue
        ids[cue.id] = row.line
        cues.append(cue)
    errors.sort(key=lambda e: e.line or 0)
    return RundownImport(path, Rundown(title=name, cues=tuple(cues)), tuple(errors), tuple(ids.values()))


def check_against_catalog(
    rundown: Rundown, catalog: Catalog, source: str = "rundown", lines: Sequence[int] = ()
) -> tuple[RowError, ...]:
    """Warnings for cues naming products the catalog lacks (the cue still imports; its card stays off).

    ``lines``: the file line of each cue (from the import); else cue N is taken to be on line N + 2.
    """
    warnings = []
    for index, cue in enumerate(rundown.cues):
        line = lines[index] if index < len(lines) else index + 2
        for column, sku in (("sku", cue.sku), ("variant", cue.variant), *(("teaser_skus", s) for s in cue.teaser_skus)):
            if sku and catalog.find(sku) is None:
                warnings.append(
                    RowError(
                        source,
                        line,
                        column,
                        f"no product or variant with SKU {sku!r} in the catalog",
                        Severity.WARNING,
                    )
                )
        if cue.variant and cue.sku:
            hit = catalog.find(cue.variant)
            if hit is not None and hit[0].sku != cue.sku:
                warnings.append(
                    RowError(
                        source,
                        line,
                        "variant",
                        f"{cue.variant!r} is not a variant of {cue.sku!r}",
                        Severity.WARNING,
                    )
                )
    return tuple(warnings)


def _price_text(amount: Decimal) -> str:
    return format(amount, "f")


def _row(cue: Cue) -> dict[str, str]:
    action = cue.price_action
    return {
        "title": cue.title,
        "kind": cue.kind.value,
        "duration": format_duration(cue.duration_s),
        "scene": cue.scene or "",
        "sku": cue.sku or "",
        "variant": cue.variant or "",
        "price_action": action.kind if action else "",
        "deal_price": _price_text(action.deal_price) if isinstance(action, FlashSale) else "",
        "countdown_s": str(action.countdown_s) if isinstance(action, FlashSale) else "",
        "at_zero": action.at_zero.value if isinstance(action, FlashSale) else "",
        "reveal_s": str(action.after_s) if isinstance(action, PriceReveal) else "",
        "end_action": cue.end_action.value,
        "talking_points": f" {LIST_SEPARATOR} ".join(cue.talking_points),
        "colour": cue.colour or "",
        "warning_s": "" if cue.warning_s is None else str(cue.warning_s),
        "danger_s": "" if cue.danger_s is None else str(cue.danger_s),
        "target_time": cue.target_time.isoformat("minutes") if cue.target_time else "",
        "teaser_skus": LIST_SEPARATOR.join(cue.teaser_skus),
        "teaser_prices": "yes" if cue.teaser_prices else "",
        "id": cue.id,
    }


def _csv_text(header: Sequence[str], rows: Iterable[dict[str, str]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(header), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def rundown_csv(rundown: Rundown) -> str:
    return _csv_text(COLUMNS, (_row(c) for c in rundown.cues))


def export_rundown_csv(rundown: Rundown, path: Path) -> None:
    """Write the rundown as CSV (atomically: a crash never leaves half a file)."""
    write_text_atomic(Path(path), rundown_csv(rundown))


RECORD_COLUMNS = (
    "index",
    "title",
    "kind",
    "status",
    "planned_start",
    "actual_start",
    "planned_end",
    "actual_end",
    "planned_duration",
    "actual_duration",
    "over_under_s",
)


def _clock(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else ""


def records_csv(records: Sequence[CueRecord]) -> str:
    """The post-show record: planned vs actual start, end and duration of each cue."""

    def row(record: CueRecord) -> dict[str, str]:
        planned_end = None
        if record.planned_start is not None:
            planned_end = shift(record.planned_start, record.planned_duration_s)
        over = record.over_under_s
        return {
            "index": str(record.index + 1),
            "title": record.title,
            "kind": record.kind.value,
            "status": record.status.value,
            "planned_start": _clock(record.planned_start),
            "actual_start": _clock(record.actual_start),
            "planned_end": _clock(planned_end),
            "actual_end": _clock(record.actual_end),
            "planned_duration": format_duration(record.planned_duration_s),
            "actual_duration": format_duration(round(record.actual_duration_s))
            if record.actual_duration_s is not None
            else "",
            "over_under_s": "" if over is None else f"{over:+.0f}",
        }

    return _csv_text(RECORD_COLUMNS, (row(r) for r in records))


def export_records_csv(records: Sequence[CueRecord], path: Path) -> None:
    write_text_atomic(Path(path), records_csv(records))


def rundown_from_queue(
    queue: Sequence[str],
    catalog: Catalog,
    *,
    duration_s: int = 300,
    scene: str | None = None,
    title: str = "Tonight's show",
) -> Rundown:
    """One product cue per queued SKU, in queue order, with the product's talking points (one click)."""
    cues = []
    for sku in queue:
        hit = catalog.find(sku)
        if hit is None:
            continue
        product, variant = hit
        label = f"{product.title} ({variant.label})" if variant is not None and variant.label else product.title
        cues.append(
            Cue(
                title=label,
                kind=CueKind.PRODUCT,
                duration_s=duration_s,
                scene=scene,
                sku=product.sku,
                variant=variant.sku if variant is not None and variant.sku != product.sku else None,
                talking_points=product.talking_points,
            )
        )
    return Rundown(title=title, cues=tuple(cues))
