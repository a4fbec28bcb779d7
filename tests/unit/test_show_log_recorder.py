"""The show recorder and lifecycle over the real services (ProductShow, ChatHub, GoLiveService) with fakes under them.

One manual clock drives the show's countdown and the record's wall clock, so times on air are exact.
"""

from __future__ import annotations

import asyncio
import csv
import threading
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import pytest

from studio_console.domain.chat import ChatKind
from studio_console.domain.obs_state import ConnectionState, ConnectionStatus, OutputPhase
from studio_console.domain.show import AtZero
from studio_console.domain.show_record import ShowStarted
from studio_console.domain.stream import OutputStatus
from studio_console.obs.errors import ObsNotConnected
from studio_console.services.chat.hub import ChatHub
from studio_console.services.golive.service import GoLiveService
from studio_console.services.overlay.scene import OverlayChange
from studio_console.services.products.keeper import short_code_lookup
from studio_console.services.products.show import ProductShow, SaleToResume
from studio_console.services.show_log.recorder import ShowRecorder
from studio_console.services.show_log.report import CSV_TABLES, write_csv
from studio_console.services.show_log.service import ShowLog, ShowLogError
from studio_console.services.show_log.store import SqliteShowStore
from studio_console.settings.model import OutputSettings
from tests.helpers.chat import message
from tests.helpers.fake_obs_session import FakeObsSession
from tests.helpers.fake_sinks import DictSecrets, FakeRehearsalSink
from tests.unit.test_catalog_product_show import ManualClock, RecordingOverlay, catalog, render_as_json, settle

START = 1_800_000_000.0  # wall-clock seconds


class Rig:
    """One app run: the real services over fakes, recording into the SQLite store at ``path``."""

    def __init__(self, path: Path, now: float = START) -> None:
        self.clock = ManualClock()
        self.clock.now = now
        self.overlay = RecordingOverlay()
        self.show = ProductShow(self.overlay, render_as_json, catalog(), clock=self.clock, sleep=self.clock.sleep)
        self.hub = ChatHub(product_lookup=short_code_lookup(lambda: self.show.catalog), publish_interval_s=0)
        self.obs = FakeObsSession()
        self.golive = GoLiveService(
            self.obs,
            DictSecrets(),
            {"local_test_server": FakeRehearsalSink()},
            OutputSettings(),
            clock=self.clock,
        )
        self.problems: list[str | None] = []
        self.store = SqliteShowStore(path)
        self.recorder = ShowRecorder(
            self.store, show=self.show, chat=self.hub, obs=self.obs, output=self.golive, clock=self.clock
        )
        self.log = ShowLog(self.store, self.recorder, self.show, clock=self.clock, new_id=lambda: "show1")

    def say(self, text: str, platform: str = "twitch") -> None:
        self.hub.ingest(message(text, platform=platform))

    def viewers(self, count: int, platform: str = "twitch") -> None:
        self.hub.ingest(message("", platform=platform, kind=ChatKind.VIEWER_COUNT, viewer_count=count))

    async def close(self) -> None:
        await self.show.close()
        await self.golive.shutdown()
        self.store.close()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def test_pins_sales_stock_chat_and_the_stream_make_the_report(tmp_path: Path) -> None:
    async def scenario() -> None:
        rig = Rig(tmp_path / "shows.sqlite3")
        rig.show.set_queue(["TEE-S", "MUG", "CAP"])
        show = rig.log.start("Friday <drop>")
        assert rig.log.open_show == show
        with pytest.raises(ShowLogError, match="still running"):
            rig.log.start("Another")
        await rig.show.pin("TEE-S")
        rig.say("how much is TEE?")
        rig.say("TEE looks great")
        await rig.clock.advance(30)
        await rig.show.pin("MUG")
        await rig.show.start_flash_sale(None, "9.00", 20)
        await settle()  # the countdown task starts sleeping on the manual clock
        rig.say("is MUG dishwasher safe?", platform="youtube")
        await rig.show.adjust_stock("MUG", -2)
        await rig.clock.advance(25)  # the sale runs out at +20 s
        assert rig.show.state.flash_sale is None
        await rig.show.unpin()
        await rig.clock.advance(25)
        await rig.show.pin("TEE-M")
        rig.viewers(40)
        await rig.clock.advance(10)
        rig.viewers(55)
        await rig.clock.advance(20)
        rig.recorder.tick()
        rig.obs.disconnect()
        await rig.clock.advance(3)
        rig.obs.publish(
            rig.obs.snapshot.model_copy(update={"connection": ConnectionState(status=ConnectionStatus.CONNECTED)})
        )
        ended = rig.log.end()
        assert ended.ended_at == START + 113
        report = rig.log.report("show1")
        tee, mug, cap = (report.product(s) for s in ("TEE", "MUG", "CAP"))
        assert tee is not None and mug is not None and cap is not None
        # TEE-S for 30 s, TEE-M from +80 to the end at +113 (33 s); MUG from +30 to +55; the cap never.
        assert (tee.seconds_on_air, tee.times_pinned) == (63.0, 2)
        assert (mug.seconds_on_air, mug.times_pinned, mug.flash_sales) == (25.0, 1, 1)
        assert cap.seconds_on_air == 0 and cap.times_pinned == 0
        assert (tee.questions, tee.mentions, mug.questions, mug.mentions) == (1, 2, 1, 1)
        assert (mug.stock_at_start, mug.stock_at_end, mug.stock_moved) == (3, 1, 2)
        assert (tee.stock_at_start, tee.stock_at_end) == (14, 14)
        (sale,) = report.flash_sales
        assert (sale.sku, sale.deal_price, sale.outcome) == ("MUG", Decimal("9.00"), "ran_out")
        assert sale.ended_at is not None and sale.ended_at - sale.started_at == pytest.approx(20, abs=1)
        assert [(m.sku, m.old, m.new) for m in report.stock_moves] == [("MUG", 3, 1)]
        assert {(c.platform, c.messages) for c in report.chat_minutes} == {("twitch", 2), ("youtube", 1)}
        assert [v.viewers for v in report.viewers] == [40, 55]
        assert len(report.disconnects) == 1 and report.disconnects[0].seconds == 3
        assert report.show.title == "Friday <drop>"
        # The CSV export: one file per table, stable header, the same figures.
        files = write_csv(report, tmp_path)
        assert sorted(p.name for p in files) == sorted(CSV_TABLES)
        rows = list(csv.DictReader((tmp_path / "products.csv").read_text().splitlines()))
        assert list(rows[0]) == list(CSV_TABLES["products.csv"])
        by_sku = {r["product_sku"]: r for r in rows}
        assert by_sku["TEE"]["seconds_on_air"] == "63" and by_sku["MUG"]["stock_moved"] == "2"
        await rig.close()

    run(scenario)


def test_the_stream_state_and_health_are_sampled(tmp_path: Path) -> None:
    async def scenario() -> None:
        rig = Rig(tmp_path / "shows.sqlite3")
        rig.log.start("Stream")
        await rig.golive.start()
        rig.obs.stream_event("OBS_WEBSOCKET_OUTPUT_STARTING")
        rig.obs.stream_event("OBS_WEBSOCKET_OUTPUT_STARTED")
        assert rig.golive.status.phase is OutputPhase.LIVE
        for second in range(1, 12):
            await rig.clock.advance(1)
            rig.obs.stream_stats(second * 100_000, stream_total_frames=second * 15, stream_skipped_frames=second // 5)
        rig.obs.stream_event("OBS_WEBSOCKET_OUTPUT_STOPPED")
        rig.log.end()
        report = rig.log.report("show1")
        assert [c.phase for c in report.stream_changes][-3:] == ["starting", "live", "stopped"]
        # One sample every 5 s while live, not one per stats update.
        assert 2 <= len(report.stream_health) <= 4
        assert report.stream_health[-1].total_frames > report.stream_health[0].total_frames
        await rig.close()

    run(scenario)


def test_crash_and_resume_restore_the_show_and_the_report_spans_both_runs(tmp_path: Path) -> None:
    path = tmp_path / "shows.sqlite3"
    crash_at = START + 40

    async def before_crash() -> None:
        rig = Rig(path)
        rig.show.set_queue(["TEE-S", "MUG", "CAP"])
        rig.log.start("Crashy")
        await rig.show.pin("TEE-S")
        await rig.clock.advance(10)
        await rig.show.pin("MUG")
        await rig.show.adjust_stock("MUG", -1)
        await rig.show.start_flash_sale("MUG", "9.00", 60, AtZero.HIDE)
        await settle()
        rig.say("how much MUG?")
        await rig.clock.advance(30)
        rig.recorder.tick()  # the once-a-second tick: the resume point says "alive at +40"
        assert rig.clock.now == crash_at
        # kill -9: nothing is ended or detached; only what the writer committed survives.
        assert rig.store.flush()
        await rig.show.close()
        await rig.golive.shutdown()
        rig.store.close()

    async def after_crash() -> None:
        rig = Rig(path, now=crash_at + 12)  # back 12 s later
        found = rig.log.find_resumable()
        assert found is not None and found.title == "Crashy" and rig.log.status.resumable == found
        await rig.log.resume()
        await settle()
        state = rig.show.state
        assert state.queue == ("TEE-S", "MUG", "CAP") and state.pinned_sku == "MUG"
        assert state.flash_sale is not None and state.flash_sale.seconds_left == 60 - 30 - 12
        mug = rig.show.catalog.find("MUG")
        assert mug is not None and mug[1] is not None and mug[1].stock == 2
        assert rig.overlay.last["countdown"] is not None and rig.overlay.last["sku"] == "MUG"
        rig.say("MUG still on sale?")
        await rig.clock.advance(20)  # the sale runs out at +60: the card hides (AtZero.HIDE)
        assert rig.show.state.pinned_sku is None
        await rig.clock.advance(5)
        rig.log.end()
        report = rig.log.report("show1")
        mug_report = report.product("MUG")
        tee_report = report.product("TEE")
        assert mug_report is not None and tee_report is not None
        # MUG: 30 s before the crash, 18 s after it until the sale hid it; the 12 s gap is not counted.
        assert mug_report.seconds_on_air == pytest.approx(48, abs=1)
        assert mug_report.times_pinned == 1 and mug_report.flash_sales == 1
        assert (mug_report.questions, mug_report.mentions) == (2, 2)
        assert tee_report.seconds_on_air == 10
        assert [(g.start, g.seconds) for g in report.gaps] == [(crash_at, 12.0)]
        (sale,) = report.flash_sales
        assert sale.outcome == "ran_out"
        assert (mug_report.stock_at_start, mug_report.stock_at_end) == (3, 2)
        assert report.duration_s == pytest.approx(40 + 12 + 25)
        await rig.close()

    run(before_crash)
    run(after_crash)


def test_a_sale_that_ran_out_while_the_app_was_down_is_over_on_resume(tmp_path: Path) -> None:
    path = tmp_path / "shows.sqlite3"

    async def before() -> None:
        rig = Rig(path)
        rig.log.start("Short sale")
        await rig.show.start_flash_sale("MUG", "9.00", 10)
        await settle()
        await rig.clock.advance(2)
        rig.recorder.tick()
        assert rig.store.flush()
        await rig.close()

    async def after() -> None:
        rig = Rig(path, now=START + 30)
        rig.log.find_resumable()
        await rig.log.resume()
        # REGULAR_PRICE at zero: the card stays, at its regular price.
        assert rig.show.state.pinned_sku == "MUG" and rig.show.state.flash_sale is None
        rig.log.end()
        (sale,) = rig.log.report("show1").flash_sales
        assert sale.outcome == "ran_out" and sale.ended_at == START + 10
        await rig.close()

    run(before)
    run(after)


def test_starting_a_new_show_closes_the_crashed_one_at_its_last_record(tmp_path: Path) -> None:
    path = tmp_path / "shows.sqlite3"

    async def before() -> None:
        rig = Rig(path)
        rig.log.start("Left open")
        await rig.clock.advance(7)
        rig.recorder.tick()
        assert rig.store.flush()
        await rig.close()

    async def after() -> None:
        rig = Rig(path, now=START + 100)
        assert rig.log.find_resumable() is not None
        rig.log._new_id = lambda: "show2"
        rig.log.start("Fresh")
        assert rig.store.flush()
        old = rig.store.show("show1")
        assert old is not None and old.ended_at == START + 7
        assert rig.log.status.resumable is None
        with pytest.raises(ShowLogError, match="already running"):
            await rig.log.resume("show1")
        await rig.close()

    run(before)
    run(after)


def test_nothing_is_recorded_without_an_open_show_and_a_flood_writes_one_row_a_minute(tmp_path: Path) -> None:
    async def scenario() -> None:
        rig = Rig(tmp_path / "shows.sqlite3")
        for i in range(100):
            rig.say(f"before the show {i}")
        await rig.show.pin("CAP")
        assert rig.store.flush() and rig.store.stats.rows_written == 0
        rig.log.start("Flood")
        assert rig.store.flush()
        before = rig.store.stats.rows_written
        for i in range(5_000):
            rig.say(f"TEE {i}", platform="tiktok" if i % 2 else "twitch")
        rig.recorder.tick()
        assert rig.store.flush()
        # 5,000 messages: two chat rows (one per platform), one product row, one resume point.
        assert rig.store.stats.rows_written - before <= 4
        live = rig.recorder.live()
        assert live is not None and live.chat_messages == 5_000
        tee = next(p for p in live.products if p.product_sku == "TEE")
        assert tee.mentions == 5_000
        assert live.on_air is not None and live.on_air.product_sku == "CAP"
        await rig.clock.advance(12)
        live = rig.recorder.live()
        assert live is not None and live.on_air is not None and live.on_air.seconds_on_air == 12
        rig.log.end()
        report = rig.log.report("show1")
        assert report.chat_messages == 5_000 and report.product("CAP").seconds_on_air == 12  # type: ignore[union-attr]
        await rig.close()

    run(scenario)


def test_cues_from_a_rundown_are_planned_against_actual(tmp_path: Path) -> None:
    async def scenario() -> None:
        rig = Rig(tmp_path / "shows.sqlite3")
        rig.log.start("Rundown")
        rig.recorder.cue_started("c1", "Welcome", planned_s=60)
        await rig.clock.advance(75)
        rig.recorder.cue_started("c2", "Linen tee", planned_s=120)  # ends c1
        await rig.clock.advance(100)
        rig.recorder.cue_ended("c2")
        rig.log.end()
        cues = rig.log.report("show1").cues
        assert [(c.cue_id, c.actual_s, c.over_s) for c in cues] == [("c1", 75, 15), ("c2", 100, -20)]
        await rig.close()

    run(scenario)


def test_the_first_event_is_the_start(tmp_path: Path) -> None:
    async def scenario() -> None:
        rig = Rig(tmp_path / "shows.sqlite3")
        rig.log.start("Order")
        rig.log.end()
        assert rig.store.flush()
        events = rig.store.events("show1")
        assert isinstance(events[0], ShowStarted) and events[-1].kind == "show_ended"
        await rig.close()

    run(scenario)


def test_restore_skips_what_the_catalog_no_longer_has_and_pushes_the_card_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        rig = Rig(tmp_path / "shows.sqlite3")
        skipped = await rig.show.restore(
            queue=["GONE", "MUG", "CAP"],
            pinned_sku="MUG",
            stock={"MUG": 1, "GONE-1": 4},
            flash_sale=SaleToResume("MUG", Decimal("9.00"), 60, 12.5),
        )
        assert skipped == ("GONE-1", "GONE")
        state = rig.show.state
        assert state.queue == ("MUG", "CAP") and state.pinned_sku == "MUG"
        assert state.flash_sale is not None and state.flash_sale.seconds_left == 13
        assert rig.overlay.calls[-1][0] == "show" and rig.overlay.last["stock"] == "Only 1 left"
        await rig.close()

    run(scenario)


def test_a_write_failure_reported_from_the_writer_thread_reaches_the_status_on_the_loop(tmp_path: Path) -> None:
    async def scenario() -> None:
        rig = Rig(tmp_path / "shows.sqlite3")
        seen: list[str | None] = []
        rig.log.subscribe(lambda status: seen.append(status.problem))
        worker = threading.Thread(target=rig.log.store_problem, args=("The show log cannot be written (disk full)",))
        worker.start()
        worker.join()
        assert rig.log.status.problem is None  # posted to the loop, not applied on the writer thread
        await settle()
        assert seen == ["The show log cannot be written (disk full)"]
        rig.log.store_problem(None)
        assert rig.log.status.problem is None
        await rig.close()

    run(scenario)


def test_going_live_to_a_real_audience_starts_a_show_and_a_rehearsal_does_not(tmp_path: Path) -> None:
    async def scenario() -> None:
        rig = Rig(tmp_path / "shows.sqlite3")
        rehearsal = OutputStatus(phase=OutputPhase.LIVE, active_destination="Local test server")
        rig.log.on_output(OutputStatus(phase=OutputPhase.STARTING))
        rig.log.on_output(rehearsal)
        assert rig.log.open_show is None
        rig.log.on_output(OutputStatus(phase=OutputPhase.STOPPED))
        live = OutputStatus(phase=OutputPhase.LIVE, active_destination="YouTube", active_is_real_audience=True)
        rig.log.on_output(live)
        show = rig.log.open_show
        assert show is not None and show.title.startswith("Live on YouTube, ")
        rig.log.on_output(live)  # still live: no second show
        rig.log.end()
        rig.log.on_output(live)  # ended while live: the producer's choice holds until the next go-live
        assert rig.log.open_show is None
        await rig.close()

    run(scenario)


def test_resuming_while_obs_is_away_restores_the_show_and_the_card_follows_obs_back(tmp_path: Path) -> None:
    path = tmp_path / "shows.sqlite3"

    async def before() -> None:
        rig = Rig(path)
        rig.log.start("OBS away")
        await rig.show.pin("CAP")
        rig.recorder.tick()
        assert rig.store.flush()
        await rig.close()

    async def after() -> None:
        rig = Rig(path, now=START + 20)
        rig.overlay.fail = ObsNotConnected("OBS is not connected")
        rig.log.find_resumable()
        await rig.log.resume()  # does not fail: the state is back, OBS is not
        assert rig.show.state.pinned_sku == "CAP" and not rig.show.state.on_air
        assert rig.log.open_show is not None
        rig.overlay.fail = None
        rig.overlay.announce(OverlayChange.RECONNECTED)
        await settle()
        assert rig.show.state.on_air and rig.overlay.last["sku"] == "CAP"
        rig.log.end()
        await rig.close()

    run(before)
    run(after)
