"""The Shows panel: start, end, the resume offer, live numbers, past shows, a report; outside text stays plain."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio_console.domain.show_record import LiveNumbers, ProductLive, ShowInfo, ShowLogStatus
from studio_console.kernel.tasks import TaskRunner
from studio_console.qt.bridges.show_log_bridge import ShowLogBridge
from studio_console.qt.views.show_log_panel import SHOW_ID_ROLE, ShowLogPanel
from tests.unit.test_show_log_recorder import Rig

HTML = '<b>Bold</b><img src="/etc/hostname">'
OPEN = ShowInfo(show_id="s1", title=f"Friday {HTML}", started_at=1_800_000_000.0)
PAST = ShowInfo(show_id="s0", title="Thursday", started_at=1_799_990_000.0, ended_at=1_799_993_600.0)


def make_panel(qtbot: QtBot) -> ShowLogPanel:
    panel = ShowLogPanel()
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_start_is_offered_only_while_no_show_runs(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    assert panel.start_button.isEnabled() and not panel.end_button.isEnabled()
    with qtbot.assertNotEmitted(panel.start_requested):
        panel.start_button.click()  # no title yet
    panel.title_edit.setText("  Friday drop ")
    with qtbot.waitSignal(panel.start_requested) as started:
        panel.start_button.click()
    assert started.args == ["Friday drop"]
    panel.set_status(ShowLogStatus(open_show=OPEN))
    assert not panel.start_button.isEnabled() and panel.end_button.isEnabled()
    assert panel.state_label.text() == f"Recording: Friday {HTML}"
    assert panel.state_label.textFormat() == Qt.TextFormat.PlainText
    with qtbot.waitSignal(panel.end_requested):
        panel.end_button.click()


def test_the_resume_offer_and_a_write_problem_are_shown(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    assert not panel.resume_box.isVisible() and not panel.problem_label.isVisible()
    panel.set_status(ShowLogStatus(resumable=OPEN, problem="The show log cannot be written (disk full)."))
    assert panel.resume_box.isVisible() and HTML in panel.resume_label.text()
    assert panel.resume_label.textFormat() == Qt.TextFormat.PlainText
    assert panel.problem_label.isVisible() and "disk full" in panel.problem_label.text()
    with qtbot.waitSignal(panel.resume_requested):
        panel.resume_button.click()
    with qtbot.waitSignal(panel.decline_resume_requested):
        panel.decline_button.click()
    panel.set_status(ShowLogStatus(open_show=OPEN))
    assert not panel.resume_box.isVisible()


def test_live_numbers_and_the_viewer_graph(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.set_status(ShowLogStatus(open_show=OPEN))
    tote = ProductLive(
        product_sku="TOTE",
        title=HTML,
        seconds_on_air=75.4,
        times_pinned=1,
        questions=3,
        mentions=5,
        stock_at_start=4,
        stock_now=1,
    )
    viewers = ((1.0, 10), (6.0, 25), (11.0, 40))
    panel.set_live(LiveNumbers(show_id="s1", on_air=tote, products=(tote,), viewers=viewers, chat_messages=9))
    assert panel.on_air_label.text() == f"On air: {HTML}"
    assert panel.air_time_label.text() == "On air for 0:01:15"
    assert panel.questions_label.text() == "3 questions, 5 mentions"
    assert panel.stock_label.text() == "Stock moved: 3"
    assert panel.viewers_label.text() == "Viewers: 40" and panel.graph.points == viewers
    panel.graph.repaint()  # painting a graph of three points must not fail
    panel.set_status(ShowLogStatus())
    assert panel.on_air_label.text() == "Nothing on air" and panel.graph.points == ()


def test_past_shows_and_a_report(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.set_shows((OPEN, PAST))
    assert panel.shows_list.count() == 2
    assert "(open)" in panel.shows_list.item(0).text() and "(1:00:00)" in panel.shows_list.item(1).text()
    panel.shows_list.setCurrentRow(1)
    with qtbot.waitSignal(panel.report_requested) as asked:
        panel.report_button.click()
    assert asked.args == ["s0"] and panel.shows_list.item(1).data(SHOW_ID_ROLE) == "s0"
    with qtbot.waitSignal(panel.export_requested) as exported:
        panel.csv_button.click()
    assert exported.args == ["s0"]
    with qtbot.waitSignal(panel.open_report_requested):
        panel.html_button.click()
    panel.set_report("Report: Thursday", [(HTML, "0:01:15", "1", "3", "5", "1", "4", "1")])
    assert panel.report_table.rowCount() == 1 and panel.report_table.item(0, 0).text() == HTML


class CoreStandIn:
    """The part of StudioCore the bridge uses: the show log, the task runner, errors, the reports folder."""

    def __init__(self, show_log: object, reports: Path) -> None:
        self.show_log = show_log
        self.tasks = TaskRunner(on_error=self.report_error)
        self.errors: list[str] = []
        self._reports = reports

    def report_error(self, exc: Exception) -> None:
        self.errors.append(str(exc))

    def reports_dir(self) -> Path:
        return self._reports


def test_the_bridge_drives_the_panel_from_the_real_show_log(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    rig = Rig(tmp_path / "shows.sqlite3")
    core = CoreStandIn(rig.log, tmp_path / "reports")
    panel = make_panel(qtbot)
    bridge = ShowLogBridge(core, panel)  # type: ignore[arg-type]  # the stand-in has what the bridge uses

    async def scenario() -> None:
        panel.title_edit.setText("Bridge show")
        panel.start_button.click()
        assert panel.state_label.text() == "Recording: Bridge show"
        await rig.show.pin("MUG")
        rig.say("MUG price?")
        await rig.clock.advance(90)
        bridge._live_timer.timeout.emit()  # the once-a-second refresh
        assert panel.on_air_label.text() == "On air: Mug" and panel.air_time_label.text() == "On air for 0:01:30"
        panel.start_button.click()  # disabled while a show runs: nothing happens
        panel.end_button.click()
        for _ in range(200):
            if panel.report_table.rowCount() and panel.shows_list.count():
                break
            await asyncio.sleep(0.02)
        assert panel.report_title.text() == "Report: Bridge show"
        rows = {panel.report_table.item(r, 0).text(): r for r in range(panel.report_table.rowCount())}
        assert panel.report_table.item(rows["Mug"], 1).text() == "0:01:30"
        assert panel.report_table.item(rows["Mug"], 3).text() == "1"  # one question
        assert panel.shows_list.count() == 1 and core.errors == []
        bridge.close()
        await core.tasks.shutdown()
        await rig.close()

    qloop.run_until_complete(scenario())
