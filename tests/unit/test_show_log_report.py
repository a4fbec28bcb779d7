"""The report's arithmetic from hand-made records, the escaping of viewer text, and the HTML page in a real browser."""

from __future__ import annotations

import csv
import shutil
import subprocess
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from studio_console.domain.show import AtZero
from studio_console.domain.show_record import (
    ChatMinute,
    CommentFeatured,
    FlashSaleStarted,
    ObsDisconnected,
    ProductChatMinute,
    ProductPinned,
    ProductUnpinned,
    ShowEnded,
    ShowEvent,
    ShowInfo,
    ShowResumed,
    ShowStarted,
    StockChanged,
    StockItem,
    StockSnapshot,
    StreamHealthSample,
    ViewerSample,
)
from studio_console.services.show_log.report import build_report, render_html, write_csv, write_html

T0 = 1_800_000_000.0
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def pinned(at: float, sku: str, product: str | None = None, title: str = "Linen Tee") -> ProductPinned:
    return ProductPinned(
        at=T0 + at,
        sku=sku,
        product_sku=product or sku,
        title=title,
        price=Decimal("30.00"),
        currency="USD",
    )


def unpinned(at: float, sku: str, product: str | None = None) -> ProductUnpinned:
    return ProductUnpinned(at=T0 + at, sku=sku, product_sku=product or sku)


def test_time_on_air_adds_up_across_pins_unpins_a_crash_and_an_open_show() -> None:
    show = ShowInfo(show_id="s", title="T", started_at=T0)
    events: list[ShowEvent] = [
        ShowStarted(at=T0),
        pinned(5, "TEE-S", "TEE"),
        unpinned(65.4, "TEE-S", "TEE"),
        pinned(70, "MUG", title="Mug"),
        # Crash: last seen alive at +100, back at +130; MUG is pinned again by the resume.
        ShowResumed(at=T0 + 130, last_seen_at=T0 + 100),
        pinned(130, "MUG", title="Mug"),
        unpinned(150, "MUG"),
        pinned(160, "TEE-M", "TEE"),
    ]
    report = build_report(show, events, now=T0 + 200)  # open: figures run to "now"
    tee, mug = report.product("TEE"), report.product("MUG")
    assert tee is not None and mug is not None
    assert tee.seconds_on_air == pytest.approx(60.4 + 40)
    assert tee.times_pinned == 2
    assert mug.seconds_on_air == pytest.approx(30 + 20)
    assert mug.times_pinned == 1  # back after the crash is not a second pin
    assert [(g.start - T0, g.seconds) for g in report.gaps] == [(100, 30)]
    assert report.until == T0 + 200 and report.duration_s == 200
    ended = build_report(show.model_copy(update={"ended_at": T0 + 170}), [*events, ShowEnded(at=T0 + 170)])
    assert ended.product("TEE").seconds_on_air == pytest.approx(60.4 + 10)  # type: ignore[union-attr]


def test_stock_questions_viewers_health_and_a_disconnect_without_resync() -> None:
    show = ShowInfo(show_id="s", title="T", started_at=T0, ended_at=T0 + 120)
    events: list[ShowEvent] = [
        StockSnapshot(
            at=T0,
            items=(
                StockItem(sku="TEE-S", product_sku="TEE", title="Linen Tee", stock=2),
                StockItem(sku="TEE-M", product_sku="TEE", title="Linen Tee", stock=12),
                StockItem(sku="CAP", product_sku="CAP", title="Cap", stock=None),
            ),
        ),
        StockChanged(at=T0 + 10, sku="TEE-S", product_sku="TEE", old=2, new=0),
        StockChanged(at=T0 + 20, sku="TEE-M", product_sku="TEE", old=12, new=9),
        ViewerSample(at=T0 + 5, platform="twitch", viewers=10),
        ViewerSample(at=T0 + 6, platform="tiktok", viewers=30),
        ViewerSample(at=T0 + 30, platform="twitch", viewers=25),
        StreamHealthSample(
            at=T0 + 30, bitrate_kbps=2500.0, dropped_frames=3, total_frames=900, congestion=0.1, reconnects=0
        ),
        ObsDisconnected(at=T0 + 100, message="OBS went away"),
    ]
    chat = [ChatMinute(minute=T0, platform="twitch", messages=40), ChatMinute(minute=T0 + 60, platform="x", messages=2)]
    product_chat = [ProductChatMinute(minute=T0, product_sku="TEE", questions=3, mentions=5)]
    report = build_report(show, events, chat, product_chat)
    tee, cap = report.product("TEE"), report.product("CAP")
    assert tee is not None and cap is not None
    assert (tee.stock_at_start, tee.stock_at_end, tee.stock_moved) == (14, 9, 5)
    assert (cap.stock_at_start, cap.stock_moved) == (None, None)
    assert (tee.questions, tee.mentions) == (3, 5)
    assert [v.viewers for v in report.viewers] == [10, 40, 55] and report.peak_viewers == 55
    assert report.stream_health[0].dropped_frames == 3
    assert report.chat_messages == 42
    (gone,) = report.disconnects
    assert gone.at == T0 + 100 and gone.resynced_at is None


def hostile_report() -> tuple[ShowInfo, list[ShowEvent]]:
    show = ShowInfo(show_id="s", title=f"Show {HOSTILE}", started_at=T0, ended_at=T0 + 600)
    events: list[ShowEvent] = [
        StockSnapshot(at=T0, items=(StockItem(sku="TEE", product_sku="TEE", title=f"Tee {HOSTILE}", stock=5),)),
        pinned(10, "TEE", title=f"Tee {HOSTILE}"),
        FlashSaleStarted(
            at=T0 + 20,
            sku="TEE",
            product_sku="TEE",
            deal_price=Decimal("19.00"),
            currency="USD",
            duration_s=60,
            ends_at=T0 + 80,
            at_zero=AtZero.REGULAR_PRICE,
        ),
        unpinned(300, "TEE"),
        CommentFeatured(at=T0 + 40, platform="twitch", user=HOSTILE, text='=HYPERLINK("http://evil.example")'),
        *(ViewerSample(at=T0 + 10 * i, platform="twitch", viewers=100 + (i * 37) % 90) for i in range(60)),
        *(
            StreamHealthSample(
                at=T0 + 5 * i,
                bitrate_kbps=2400.0 + (i % 7) * 30,
                dropped_frames=i // 10,
                total_frames=i * 150,
                congestion=0.0,
                reconnects=0,
            )
            for i in range(120)
        ),
    ]
    return show, events


class Tags(HTMLParser):
    """Every element and attribute name the browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: set[str] = set()
        self.references: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.references += [v or "" for name, v in attrs if name in ("src", "href", "xlink:href", "data")]


def test_html_escapes_viewer_text_and_embeds_everything() -> None:
    show, events = hostile_report()
    page = render_html(build_report(show, events, [ChatMinute(minute=T0, platform="twitch", messages=12)]))
    tags = Tags()
    tags.feed(page)
    assert not tags.names & {"script", "img", "iframe", "object", "link", "a"}
    assert not [a for a in tags.attributes if a.startswith("on")]  # no event handler on any element
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert page.count("<svg") == 4  # viewers, chat, stream health, time on air
    # Self-contained: every reference points inside the page (the page's policy also forbids fetching).
    assert tags.references and all(ref.startswith("#") for ref in tags.references)
    assert "default-src 'none'" in page


def test_csv_cells_never_start_a_spreadsheet_formula(tmp_path: Path) -> None:
    show, events = hostile_report()
    write_csv(build_report(show, events), tmp_path)
    with open(tmp_path / "featured_comments.csv", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["text"] == '\'=HYPERLINK("http://evil.example")' and row["user"] == HOSTILE
    with open(tmp_path / "flash_sales.csv", newline="") as fh:
        (sale,) = list(csv.DictReader(fh))
    assert sale["outcome"] == "running" and sale["deal_price"] == "19.00" and sale["started_offset_s"] == "20"


def test_the_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    show, events = hostile_report()
    page = write_html(build_report(show, events), tmp_path / "report.html")
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1000,1400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1000, 1400)
        rgb = image.convert("RGB")
        # The plots drew: matplotlib's default blue line is on the page (a blank or error page has none).
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 50
        assert any(abs(r - 31) < 12 and abs(g - 119) < 12 and abs(b - 180) < 12 for _, (r, g, b) in colours)


def test_dollar_signs_in_product_titles_are_drawn_as_written() -> None:
    show = ShowInfo(show_id="s", title="T", started_at=T0, ended_at=T0 + 60)
    title = "Tee, now $5 (was $8)"  # two dollar signs: matplotlib would draw "5 (was " as a formula
    report = build_report(show, [pinned(0, "TEE", title=title), unpinned(30, "TEE")])
    page = render_html(report)
    assert "<td>Tee, now $5 (was $8)</td>" in page  # the products table
    assert ">Tee, now $5 (was $8)</text>" in page  # the plot's label: plain text, not a formula
