"""The show log on screen: its status, live numbers and reports to the Shows panel; the panel's intents back."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from studio_console.core import StudioCore
from studio_console.domain.show_record import ShowLogStatus
from studio_console.qt.plain_text import format_duration
from studio_console.qt.views.show_log_panel import ShowLogPanel
from studio_console.services.show_log.report import ShowReport
from studio_console.services.show_log.service import ShowLog

LIVE_INTERVAL_MS = 1000


def report_rows(report: ShowReport) -> list[tuple[str, ...]]:
    """The Shows panel's per-product table (PRODUCT_COLUMNS), as plain strings."""

    def number(value: int | None) -> str:
        return "" if value is None else str(value)

    return [
        (
            p.title,
            format_duration(p.seconds_on_air),
            str(p.times_pinned),
            str(p.questions),
            str(p.mentions),
            str(p.flash_sales),
            number(p.stock_at_start),
            number(p.stock_at_end),
        )
        for p in report.products
        if p.times_pinned or p.mentions or p.flash_sales or p.stock_moved
    ]


class ShowLogBridge(QObject):
    """Translates between the show log and the Shows panel.

    Signals:
        status_changed(object): a new ShowLogStatus (open show, resume offer, write problem).
        report_ready(object): a ShowReport the panel asked for (or of the show just ended).
        exported(str): the folder a report was written to.
    """

    status_changed = Signal(object)
    report_ready = Signal(object)
    exported = Signal(str)

    def __init__(self, core: StudioCore, panel: ShowLogPanel) -> None:
        super().__init__()
        assert core.show_log is not None
        self.core = core
        self.panel = panel
        show_log, tasks = core.show_log, core.tasks
        self.show_log: ShowLog = show_log
        self._unsubscribe = [show_log.subscribe(self.status_changed.emit)]
        self.status_changed.connect(self._on_status)
        self.report_ready.connect(self._on_report)
        panel.start_requested.connect(lambda title: self._call(lambda: show_log.start(title)))
        panel.end_requested.connect(self._end)
        panel.resume_requested.connect(lambda: tasks.latest("show-resume", show_log.resume))
        panel.decline_resume_requested.connect(lambda: tasks.spawn(self._decline(), "show-decline"))
        panel.shows_requested.connect(self.refresh_shows)
        panel.report_requested.connect(lambda show_id: tasks.latest("show-report", lambda: self._report(show_id)))
        panel.open_report_requested.connect(lambda show_id: tasks.spawn(self._export(show_id, True), "show-html"))
        panel.export_requested.connect(lambda show_id: tasks.spawn(self._export(show_id, False), "show-csv"))
        # The recorder counts in place; the panel reads its numbers once a second while a show runs.
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(LIVE_INTERVAL_MS)
        self._live_timer.timeout.connect(lambda: panel.set_live(show_log.recorder.live()))
        self._live_timer.start()
        self._on_status(show_log.status)
        self.refresh_shows()

    def _call(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as exc:
            self.core.report_error(exc)

    def _on_status(self, status: ShowLogStatus) -> None:
        self.panel.set_status(status)

    def _on_report(self, report: ShowReport) -> None:
        self.panel.set_report(f"Report: {report.show.title}", report_rows(report))

    def refresh_shows(self) -> None:
        self.core.tasks.latest("show-list", self._list)

    async def _list(self) -> None:
        self.panel.set_shows(await self.show_log.shows_async())

    def _end(self) -> None:
        try:
            ended = self.show_log.end()
        except Exception as exc:
            self.core.report_error(exc)
            return
        self.refresh_shows()
        self.core.tasks.latest("show-report", lambda: self._report(ended.show_id))

    async def _decline(self) -> None:
        self.show_log.decline_resume()
        await self._list()

    async def _report(self, show_id: str) -> None:
        self.report_ready.emit(await self.show_log.report_async(show_id))

    async def _export(self, show_id: str, open_page: bool) -> None:
        folder = self.core.reports_dir() / show_id
        files = await self.show_log.export_async(show_id, folder)
        self.exported.emit(str(folder))
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(files[0] if open_page else folder)))

    def close(self) -> None:
        self._live_timer.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
