"""The report of one show from its record: per product, per cue, viewers, stream health; as JSON, CSV and HTML."""

from __future__ import annotations

import csv
import html
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import Field

from studio_console.domain.base import StrictFrozen as _Frozen
from studio_console.domain.show_record import (
    ChatMinute,
    CommentFeatured,
    CueEnded,
    CueStarted,
    FlashSaleEnded,
    FlashSaleStarted,
    ObsDisconnected,
    ObsResynced,
    PriceChanged,
    ProductChatMinute,
    ProductPinned,
    ProductUnpinned,
    SceneChanged,
    ShowEnded,
    ShowEvent,
    ShowInfo,
    ShowResumed,
    StockChanged,
    StockSnapshot,
    StreamHealthSample,
    StreamStateChanged,
    ViewerSample,
)
from studio_console.settings.atomic import write_text_atomic


class ProductReport(_Frozen):
    product_sku: str
    title: str
    seconds_on_air: float = 0.0
    times_pinned: int = 0
    questions: int = 0
    mentions: int = 0
    flash_sales: int = 0
    stock_at_start: int | None = None
    stock_at_end: int | None = None
    price_changes: int = 0

    @property
    def stock_moved(self) -> int | None:
        if self.stock_at_start is None or self.stock_at_end is None:
            return None
        return self.stock_at_start - self.stock_at_end


class FlashSaleReport(_Frozen):
    sku: str
    product_sku: str
    started_at: float
    ended_at: float | None
    duration_s: int
    deal_price: Decimal
    currency: str
    # "ran_out", "stopped", or "running" (the show ended or crashed first).
    outcome: str


class StockMove(_Frozen):
    at: float
    sku: str
    product_sku: str
    old: int | None
    new: int | None


class PriceChange(_Frozen):
    at: float
    sku: str
    product_sku: str
    old: Decimal
    new: Decimal
    currency: str


class CueReport(_Frozen):
    cue_id: str
    title: str
    started_at: float
    ended_at: float | None
    planned_s: float | None
    actual_s: float
    # Actual minus planned (positive: the cue overran); None without a plan.
    over_s: float | None


class ViewerPoint(_Frozen):
    at: float
    # Summed over platforms (each platform's latest count).
    viewers: int


class HealthPoint(_Frozen):
    at: float
    bitrate_kbps: float | None
    dropped_frames: int
    total_frames: int
    congestion: float
    reconnects: int


class StreamChange(_Frozen):
    at: float
    phase: str
    destination: str | None


class Disconnect(_Frozen):
    at: float
    resynced_at: float | None
    seconds: float | None


class Gap(_Frozen):
    """Time the app was not running (a crash): nothing was recorded from ``start`` to ``end``."""

    start: float
    end: float
    seconds: float


class FeaturedComment(_Frozen):
    """Viewer-controlled text: escape it wherever it is shown."""

    at: float
    platform: str
    user: str
    text: str


class SceneSwitch(_Frozen):
    at: float
    scene: str


class ShowReport(_Frozen):
    show: ShowInfo
    # The end used for the figures: the show's end, now for an open show, else its last record.
    until: float
    duration_s: float
    products: tuple[ProductReport, ...] = ()
    flash_sales: tuple[FlashSaleReport, ...] = ()
    stock_moves: tuple[StockMove, ...] = ()
    price_changes: tuple[PriceChange, ...] = ()
    cues: tuple[CueReport, ...] = ()
    viewers: tuple[ViewerPoint, ...] = ()
    stream_health: tuple[HealthPoint, ...] = ()
    stream_changes: tuple[StreamChange, ...] = ()
    disconnects: tuple[Disconnect, ...] = ()
    gaps: tuple[Gap, ...] = ()
    chat_minutes: tuple[ChatMinute, ...] = ()
    featured_comments: tuple[FeaturedComment, ...] = ()
    scenes: tuple[SceneSwitch, ...] = ()
    chat_messages: int = Field(default=0, ge=0)
    peak_viewers: int | None = None

    def product(self, product_sku: str) -> ProductReport | None:
        return next((p for p in self.products if p.product_sku == product_sku), None)


class _Product:
    def __init__(self, product_sku: str, title: str) -> None:
        self.product_sku = product_sku
        self.title = title
        self.seconds = 0.0
        self.pins = 0
        self.sales = 0
        self.price_changes = 0
        self.questions = 0
        self.mentions = 0


def build_report(
    show: ShowInfo,
    events: Sequence[ShowEvent],
    chat: Iterable[ChatMinute] = (),
    product_chat: Iterable[ProductChatMinute] = (),
    *,
    now: float | None = None,
) -> ShowReport:
    """Compute the report; ``now`` closes what is still running in an open show."""
    ordered = sorted(events, key=lambda e: e.at)
    last_at = max((e.at for e in ordered), default=show.started_at)
    until = show.ended_at if show.ended_at is not None else (now if now is not None else last_at)
    products: dict[str, _Product] = {}

    def product(product_sku: str, title: str | None = None) -> _Product:
        entry = products.get(product_sku)
        if entry is None:
            entry = products[product_sku] = _Product(product_sku, title or product_sku)
        elif title and entry.title == entry.product_sku:
            entry.title = title
        return entry

    stock_start: dict[str, int | None] = {}
    stock_now: dict[str, int | None] = {}
    variant_owner: dict[str, str] = {}
    pinned: tuple[str, float] | None = None  # (product SKU, since)
    pinned_at_crash: str | None = None
    sales: dict[str, FlashSaleStarted] = {}
    sale_rows: list[FlashSaleReport] = []
    cues: dict[str, CueStarted] = {}
    cue_rows: list[CueReport] = []
    latest_viewers: dict[tuple[str, str], int] = {}
    viewer_points: list[ViewerPoint] = []
    disconnect_at: float | None = None
    disconnects: list[Disconnect] = []
    gaps: list[Gap] = []
    result: dict[str, list[Any]] = defaultdict(list)

    def close_air(at: float) -> None:
        nonlocal pinned
        if pinned is not None:
            product(pinned[0]).seconds += max(0.0, at - pinned[1])
        pinned = None

    for event in ordered:
        if isinstance(event, StockSnapshot):
            for item in event.items:
                variant_owner[item.sku] = item.product_sku
                product(item.product_sku, item.title)
                stock_start.setdefault(item.sku, item.stock)
                stock_now[item.sku] = item.stock
        elif isinstance(event, ProductPinned):
            close_air(event.at)
            entry = product(event.product_sku, event.title)
            if pinned_at_crash == event.product_sku:
                pinned_at_crash = None  # the same card, back after the crash: not a new pin
            else:
                entry.pins += 1
                pinned_at_crash = None
            pinned = (event.product_sku, event.at)
        elif isinstance(event, ProductUnpinned):
            close_air(event.at)
        elif isinstance(event, ShowResumed):
            pinned_at_crash = pinned[0] if pinned is not None else None
            close_air(event.last_seen_at)
            gaps.append(Gap(start=event.last_seen_at, end=event.at, seconds=max(0.0, event.at - event.last_seen_at)))
        elif isinstance(event, ShowEnded):
            close_air(event.at)
        elif isinstance(event, FlashSaleStarted):
            product(event.product_sku).sales += 1
            sales[event.sku] = event
        elif isinstance(event, FlashSaleEnded):
            started = sales.pop(event.sku, None)
            if started is not None:
                sale_rows.append(_sale_row(started, event.at, event.reason))
        elif isinstance(event, StockChanged):
            variant_owner[event.sku] = event.product_sku
            stock_start.setdefault(event.sku, event.old)
            stock_now[event.sku] = event.new
            result["stock_moves"].append(
                StockMove(at=event.at, sku=event.sku, product_sku=event.product_sku, old=event.old, new=event.new)
            )
        elif isinstance(event, PriceChanged):
            product(event.product_sku).price_changes += 1
            result["price_changes"].append(
                PriceChange(
                    at=event.at,
                    sku=event.sku,
                    product_sku=event.product_sku,
                    old=event.old,
                    new=event.new,
                    currency=event.currency,
                )
            )
        elif isinstance(event, CueStarted):
            cues[event.cue_id] = event
        elif isinstance(event, CueEnded):
            cue = cues.pop(event.cue_id, None)
            if cue is not None:
                cue_rows.append(_cue_row(cue, event.at))
        elif isinstance(event, ViewerSample):
            latest_viewers[(event.platform, event.source)] = event.viewers
            viewer_points.append(ViewerPoint(at=event.at, viewers=sum(latest_viewers.values())))
        elif isinstance(event, StreamHealthSample):
            result["stream_health"].append(
                HealthPoint(
                    at=event.at,
                    bitrate_kbps=event.bitrate_kbps,
                    dropped_frames=event.dropped_frames,
                    total_frames=event.total_frames,
                    congestion=event.congestion,
                    reconnects=event.reconnects,
                )
            )
        elif isinstance(event, StreamStateChanged):
            result["stream_changes"].append(StreamChange(at=event.at, phase=event.phase, destination=event.destination))
        elif isinstance(event, ObsDisconnected):
            if disconnect_at is None:
                disconnect_at = event.at
        elif isinstance(event, ObsResynced):
            if disconnect_at is not None:
                disconnects.append(Disconnect(at=disconnect_at, resynced_at=event.at, seconds=event.at - disconnect_at))
                disconnect_at = None
        elif isinstance(event, CommentFeatured):
            result["featured"].append(
                FeaturedComment(at=event.at, platform=event.platform, user=event.user, text=event.text)
            )
        elif isinstance(event, SceneChanged):
            result["scenes"].append(SceneSwitch(at=event.at, scene=event.scene))

    close_air(until)
    for started in sales.values():
        sale_rows.append(_sale_row(started, None, "running"))
    for cue in cues.values():
        cue_rows.append(_cue_row(cue, None, until))
    if disconnect_at is not None:
        disconnects.append(Disconnect(at=disconnect_at, resynced_at=None, seconds=None))

    for row in product_chat:
        entry = product(row.product_sku)
        entry.questions += row.questions
        entry.mentions += row.mentions

    def stock_sum(values: dict[str, int | None], product_sku: str) -> int | None:
        tracked = [v for sku, v in values.items() if variant_owner.get(sku) == product_sku and v is not None]
        return sum(tracked) if tracked else None

    chat_rows = tuple(chat)
    return ShowReport(
        show=show,
        until=until,
        duration_s=max(0.0, until - show.started_at),
        products=tuple(
            ProductReport(
                product_sku=p.product_sku,
                title=p.title,
                seconds_on_air=round(p.seconds, 3),
                times_pinned=p.pins,
                questions=p.questions,
                mentions=p.mentions,
                flash_sales=p.sales,
                stock_at_start=stock_sum(stock_start, p.product_sku),
                stock_at_end=stock_sum(stock_now, p.product_sku),
                price_changes=p.price_changes,
            )
            for p in products.values()
        ),
        flash_sales=tuple(sorted(sale_rows, key=lambda s: s.started_at)),
        stock_moves=tuple(result["stock_moves"]),
        price_changes=tuple(result["price_changes"]),
        cues=tuple(sorted(cue_rows, key=lambda c: c.started_at)),
        viewers=tuple(viewer_points),
        stream_health=tuple(result["stream_health"]),
        stream_changes=tuple(result["stream_changes"]),
        disconnects=tuple(disconnects),
        gaps=tuple(gaps),
        chat_minutes=chat_rows,
        featured_comments=tuple(result["featured"]),
        scenes=tuple(result["scenes"]),
        chat_messages=sum(r.messages for r in chat_rows),
        peak_viewers=max((v.viewers for v in viewer_points), default=None),
    )


def _sale_row(started: FlashSaleStarted, ended_at: float | None, outcome: str) -> FlashSaleReport:
    return FlashSaleReport(
        sku=started.sku,
        product_sku=started.product_sku,
        started_at=started.at,
        ended_at=ended_at,
        duration_s=started.duration_s,
        deal_price=started.deal_price,
        currency=started.currency,
        outcome=outcome,
    )


def _cue_row(cue: CueStarted, ended_at: float | None, until: float | None = None) -> CueReport:
    end = ended_at if ended_at is not None else (until if until is not None else cue.at)
    actual = max(0.0, end - cue.at)
    return CueReport(
        cue_id=cue.cue_id,
        title=cue.title,
        started_at=cue.at,
        ended_at=ended_at,
        planned_s=cue.planned_s,
        actual_s=round(actual, 3),
        over_s=None if cue.planned_s is None else round(actual - cue.planned_s, 3),
    )


# -- CSV ------------------------------------------------------------------------------------------------

# File name -> column names. Stable: tools read these files; add columns at the end, never rename.
CSV_TABLES: dict[str, tuple[str, ...]] = {
    "products.csv": (
        "product_sku",
        "title",
        "seconds_on_air",
        "times_pinned",
        "questions",
        "mentions",
        "flash_sales",
        "stock_at_start",
        "stock_at_end",
        "stock_moved",
        "price_changes",
    ),
    "flash_sales.csv": (
        "sku",
        "product_sku",
        "started_utc",
        "started_offset_s",
        "ended_utc",
        "ended_offset_s",
        "duration_s",
        "deal_price",
        "currency",
        "outcome",
    ),
    "stock_moves.csv": ("at_utc", "offset_s", "sku", "product_sku", "old", "new"),
    "price_changes.csv": ("at_utc", "offset_s", "sku", "product_sku", "old", "new", "currency"),
    "cues.csv": ("cue_id", "title", "started_utc", "started_offset_s", "planned_s", "actual_s", "over_s"),
    "viewers.csv": ("at_utc", "offset_s", "viewers"),
    "stream_health.csv": (
        "at_utc",
        "offset_s",
        "bitrate_kbps",
        "dropped_frames",
        "total_frames",
        "congestion",
        "reconnects",
    ),
    "disconnects.csv": ("at_utc", "offset_s", "resynced_utc", "seconds"),
    "gaps.csv": ("start_utc", "start_offset_s", "end_utc", "seconds"),
    "chat_minutes.csv": ("minute_utc", "offset_s", "platform", "messages"),
    "featured_comments.csv": ("at_utc", "offset_s", "platform", "user", "text"),
}


def _utc(at: float | None) -> str:
    if at is None:
        return ""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else ""
    text = str(value)
    # A cell starting with = + - @ runs as a formula in spreadsheets: viewer text must not.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_rows(report: ShowReport) -> dict[str, list[tuple[object, ...]]]:
    """Every CSV table's rows (without the header), keyed by file name."""
    t0 = report.show.started_at

    def off(at: float | None) -> float | None:
        return None if at is None else at - t0

    return {
        "products.csv": [
            (
                p.product_sku,
                p.title,
                p.seconds_on_air,
                p.times_pinned,
                p.questions,
                p.mentions,
                p.flash_sales,
                p.stock_at_start,
                p.stock_at_end,
                p.stock_moved,
                p.price_changes,
            )
            for p in report.products
        ],
        "flash_sales.csv": [
            (
                s.sku,
                s.product_sku,
                _utc(s.started_at),
                off(s.started_at),
                _utc(s.ended_at),
                off(s.ended_at),
                s.duration_s,
                s.deal_price,
                s.currency,
                s.outcome,
            )
            for s in report.flash_sales
        ],
        "stock_moves.csv": [(_utc(m.at), off(m.at), m.sku, m.product_sku, m.old, m.new) for m in report.stock_moves],
        "price_changes.csv": [
            (_utc(c.at), off(c.at), c.sku, c.product_sku, c.old, c.new, c.currency) for c in report.price_changes
        ],
        "cues.csv": [
            (c.cue_id, c.title, _utc(c.started_at), off(c.started_at), c.planned_s, c.actual_s, c.over_s)
            for c in report.cues
        ],
        "viewers.csv": [(_utc(v.at), off(v.at), v.viewers) for v in report.viewers],
        "stream_health.csv": [
            (_utc(h.at), off(h.at), h.bitrate_kbps, h.dropped_frames, h.total_frames, h.congestion, h.reconnects)
            for h in report.stream_health
        ],
        "disconnects.csv": [(_utc(d.at), off(d.at), _utc(d.resynced_at), d.seconds) for d in report.disconnects],
        "gaps.csv": [(_utc(g.start), off(g.start), _utc(g.end), g.seconds) for g in report.gaps],
        "chat_minutes.csv": [(_utc(c.minute), off(c.minute), c.platform, c.messages) for c in report.chat_minutes],
        "featured_comments.csv": [
            (_utc(c.at), off(c.at), c.platform, c.user, c.text) for c in report.featured_comments
        ],
    }


def write_csv(report: ShowReport, folder: Path) -> tuple[Path, ...]:
    """One CSV file per table in ``folder`` (UTF-8, header row first); returns the files written."""
    written = []
    for name, rows in csv_rows(report).items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_TABLES[name])
        for row in rows:
            writer.writerow([_cell(v) for v in row])
        path = folder / name
        write_text_atomic(path, buffer.getvalue())
        written.append(path)
    return tuple(written)


# -- HTML -------------------------------------------------------------------------------------------------


_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    # Inline in HTML: drop the XML prolog, the DOCTYPE and the RDF metadata; keep the drawing.
    return _METADATA.sub("", text[text.index("<svg") :])


def render_plots(report: ShowReport) -> dict[str, str]:
    """SVG documents of the report's plots, keyed by name; empty plots are left out.

    matplotlib is imported here, not at module level: only making a report pays for it. No pyplot:
    a Figure renders through its SVG canvas without touching any GUI backend or global state.
    """
    import matplotlib
    from matplotlib.figure import Figure

    t0 = report.show.started_at
    plots: dict[str, str] = {}
    # Text stays text (no glyph paths): smaller pages, searchable; ids are stable between runs.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "studio-console", "font.size": 9}):
        if report.viewers:
            fig = Figure(figsize=(7, 2.4))
            ax = fig.subplots()
            ax.step([(v.at - t0) / 60 for v in report.viewers], [v.viewers for v in report.viewers], where="post")
            ax.set_xlabel("minutes into the show")
            ax.set_ylabel("viewers")
            ax.grid(alpha=0.3)
            plots["viewers"] = _svg(fig)
        if report.stream_health:
            fig = Figure(figsize=(7, 2.4))
            ax = fig.subplots()
            minutes = [(h.at - t0) / 60 for h in report.stream_health]
            ax.plot(minutes, [h.bitrate_kbps or 0 for h in report.stream_health], label="bitrate (kbps)")
            ax.set_xlabel("minutes into the show")
            ax.set_ylabel("kbps")
            ax.grid(alpha=0.3)
            dropped = ax.twinx()
            dropped.plot(
                minutes, [h.dropped_frames for h in report.stream_health], color="tab:red", label="dropped frames"
            )
            dropped.set_ylabel("dropped frames")
            fig.legend(loc="upper right", fontsize=8)
            plots["stream_health"] = _svg(fig)
        on_air = [p for p in report.products if p.seconds_on_air > 0]
        if on_air:
            fig = Figure(figsize=(7, 0.5 + 0.3 * len(on_air)))
            ax = fig.subplots()
            ax.barh([_plot_label(p.title) for p in on_air], [p.seconds_on_air / 60 for p in on_air])
            ax.invert_yaxis()
            ax.set_xlabel("minutes on air")
            plots["time_on_air"] = _svg(fig)
        if report.chat_minutes:
            per_minute: dict[float, int] = defaultdict(int)
            for row in report.chat_minutes:
                per_minute[row.minute] += row.messages
            fig = Figure(figsize=(7, 2.0))
            ax = fig.subplots()
            ax.bar([(m - t0) / 60 for m in per_minute], list(per_minute.values()), width=0.9)
            ax.set_xlabel("minutes into the show")
            ax.set_ylabel("chat messages / min")
            plots["chat"] = _svg(fig)
    return plots


def _plot_label(text: str, limit: int = 40) -> str:
    """Text for a matplotlib label, shown as written: ``$`` would start mathtext ("$5 tee" must not)."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return short.replace("$", r"\$")


_STYLE = """
body { font-family: sans-serif; margin: 2em auto; padding: 0 1.5em; max-width: 60em; color: #222; }
h1 { margin-bottom: 0.1em; } .sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; gap: 2em; } .figures div { font-size: 1.4em; } .figures small { display: block; color: #666; }
svg { max-width: 100%; height: auto; }
"""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[bool]) -> str:
    parts = ["<table><tr>", *(f"<th>{html.escape(h)}</th>" for h in headers), "</tr>"]
    for row in rows:
        parts.append("<tr>")
        for value, is_number in zip(row, numeric, strict=True):
            text = html.escape("" if value is None else str(value))
            parts.append(f'<td class="n">{text}</td>' if is_number else f"<td>{text}</td>")
        parts.append("</tr>")
    parts.append("</table>")
    return "".join(parts)


def render_html(report: ShowReport) -> str:
    """One self-contained page: figures, tables and the plots inline as SVG. Every string is escaped."""
    show = report.show
    t0 = show.started_at
    plots = render_plots(report)

    def clock(at: float | None) -> str:
        return "" if at is None else datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S UTC")

    def plot(name: str, title: str) -> str:
        svg = plots.get(name)
        return f"<h2>{html.escape(title)}</h2><figure>{svg}</figure>" if svg else ""

    started = datetime.fromtimestamp(show.started_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{html.escape(show.title)} - show report</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(show.title)}</h1>",
        f"<p class='sub'>{html.escape(started)} · {html.escape(_duration(report.duration_s))}"
        + (f" · {html.escape(show.creator)}" if show.creator else "")
        + ("" if show.ended_at is not None else " · still open")
        + "</p>",
        "<div class='figures'>",
        f"<div>{len([p for p in report.products if p.times_pinned])}<small>products pinned</small></div>",
        f"<div>{len(report.flash_sales)}<small>flash sales</small></div>",
        f"<div>{report.chat_messages}<small>chat messages</small></div>",
        f"<div>{'' if report.peak_viewers is None else report.peak_viewers}<small>peak viewers</small></div>",
        f"<div>{len(report.disconnects)}<small>OBS disconnects</small></div>",
        "</div>",
        "<h2>Products</h2>",
        _table(
            ("Product", "SKU", "On air", "Pinned", "Questions", "Mentions", "Flash sales", "Stock start", "Stock end"),
            (
                (
                    p.title,
                    p.product_sku,
                    _duration(p.seconds_on_air),
                    p.times_pinned,
                    p.questions,
                    p.mentions,
                    p.flash_sales,
                    p.stock_at_start,
                    p.stock_at_end,
                )
                for p in report.products
                if p.times_pinned or p.mentions or p.flash_sales or p.stock_moved
            ),
            (False, False, True, True, True, True, True, True, True),
        ),
        plot("time_on_air", "Time on air"),
    ]
    if report.flash_sales:
        sections += [
            "<h2>Flash sales</h2>",
            _table(
                ("SKU", "Started", "Ended", "Length", "Price", "Outcome"),
                (
                    (
                        s.sku,
                        clock(s.started_at),
                        clock(s.ended_at),
                        f"{s.duration_s} s",
                        f"{s.deal_price} {s.currency}",
                        s.outcome.replace("_", " "),
                    )
                    for s in report.flash_sales
                ),
                (False, False, False, True, True, False),
            ),
        ]
    if report.cues:
        sections += [
            "<h2>Run of show</h2>",
            _table(
                ("Cue", "Started", "Planned", "Actual", "Over"),
                (
                    (c.title, clock(c.started_at), _duration(c.planned_s), _duration(c.actual_s), _signed(c.over_s))
                    for c in report.cues
                ),
                (False, False, True, True, True),
            ),
        ]
    sections += [plot("viewers", "Viewers"), plot("chat", "Chat"), plot("stream_health", "Stream health")]
    if report.disconnects or report.gaps:
        rows = [("OBS disconnected", clock(d.at), _duration(d.seconds) or "not back") for d in report.disconnects]
        rows += [("App not running (nothing recorded)", clock(g.start), _duration(g.seconds)) for g in report.gaps]
        sections += ["<h2>Interruptions</h2>", _table(("What", "At", "For"), rows, (False, False, True))]
    if report.stock_moves:
        sections += [
            "<h2>Stock moves</h2>",
            _table(
                ("At", "SKU", "From", "To"),
                ((_duration(m.at - t0), m.sku, m.old, m.new) for m in report.stock_moves),
                (True, False, True, True),
            ),
        ]
    if report.featured_comments:
        sections += [
            "<h2>Featured comments</h2>",
            _table(
                ("At", "Platform", "Viewer", "Comment"),
                ((_duration(c.at - t0), c.platform, c.user, c.text) for c in report.featured_comments),
                (True, False, False, False),
            ),
        ]
    sections.append("</body></html>")
    return "\n".join(s for s in sections if s)


def _signed(value: float | None) -> str:
    if value is None:
        return ""
    return ("+" if value >= 0 else "-") + _duration(abs(value))


def write_html(report: ShowReport, path: Path) -> Path:
    write_text_atomic(path, render_html(report))
    return path
