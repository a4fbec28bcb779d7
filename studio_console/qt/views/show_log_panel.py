"""The Shows panel: start and end a show, the resume offer after a crash, live numbers, past shows and reports."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QPointF, QSize, Qt, Signal, SignalInstance
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio_console.domain.show_record import LiveNumbers, ShowInfo, ShowLogStatus
from studio_console.qt.plain_text import format_duration, plain_label

SHOW_ID_ROLE = Qt.ItemDataRole.UserRole
PRODUCT_COLUMNS = ("Product", "On air", "Pinned", "Questions", "Mentions", "Flash sales", "Stock start", "Stock end")


class ViewerGraph(QWidget):
    """Viewers over time as a small line: painted from the points, no plotting library on the UI loop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: tuple[tuple[float, int], ...] = ()
        self.setMinimumSize(QSize(160, 48))

    def set_points(self, points: tuple[tuple[float, int], ...]) -> None:
        if points != self.points:
            self.points = points
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1b1b1b"))
        if len(self.points) >= 2:
            t0, t1 = self.points[0][0], self.points[-1][0]
            top = max(v for _, v in self.points) or 1
            width, height = self.width() - 4, self.height() - 4
            span = max(1e-9, t1 - t0)
            line = QPolygonF(
                [QPointF(2 + (t - t0) / span * width, 2 + height - v / top * height) for t, v in self.points]
            )
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor("#4fc3f7"), 1.5))
            painter.drawPolyline(line)
        painter.end()


class ShowLogPanel(QWidget):
    """Everything about the show record, for a dock.

    Signals:
        start_requested(str): start a show with this title.
        end_requested(): end the open show.
        resume_requested(): resume the show a crash left open.
        decline_resume_requested(): do not resume it (it is closed at its last record).
        shows_requested(): list past shows again.
        report_requested(str): show the report of this show id.
        open_report_requested(str): write and open the HTML report of this show id.
        export_requested(str): export the CSV tables of this show id.
    """

    start_requested = Signal(str)
    end_requested = Signal()
    resume_requested = Signal()
    decline_resume_requested = Signal()
    shows_requested = Signal()
    report_requested = Signal(str)
    open_report_requested = Signal(str)
    export_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = ShowLogStatus()
        layout = QVBoxLayout(self)

        self.resume_box = QFrame()
        self.resume_box.setStyleSheet("QFrame { background: #4a3b00; border-radius: 4px; }")
        resume_row = QHBoxLayout(self.resume_box)
        self.resume_label = plain_label()
        self.resume_label.setWordWrap(True)
        self.resume_button = QPushButton("Resume")
        self.decline_button = QPushButton("Don't resume")
        resume_row.addWidget(self.resume_label, 1)
        resume_row.addWidget(self.resume_button)
        resume_row.addWidget(self.decline_button)
        layout.addWidget(self.resume_box)

        start_row = QHBoxLayout()
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Show title")
        self.title_edit.setMaxLength(200)
        self.start_button = QPushButton("Start show")
        self.end_button = QPushButton("End show")
        start_row.addWidget(self.title_edit, 1)
        start_row.addWidget(self.start_button)
        start_row.addWidget(self.end_button)
        layout.addLayout(start_row)

        self.state_label = plain_label("No show running")
        self.problem_label = plain_label()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #ff8a65;")
        layout.addWidget(self.state_label)
        layout.addWidget(self.problem_label)

        live = QGridLayout()
        self.on_air_label = plain_label("Nothing on air")
        self.air_time_label = plain_label("")
        self.questions_label = plain_label("")
        self.stock_label = plain_label("")
        self.viewers_label = plain_label("")
        self.graph = ViewerGraph()
        live.addWidget(self.on_air_label, 0, 0, 1, 2)
        live.addWidget(self.air_time_label, 1, 0)
        live.addWidget(self.questions_label, 1, 1)
        live.addWidget(self.stock_label, 2, 0)
        live.addWidget(self.viewers_label, 2, 1)
        live.addWidget(self.graph, 3, 0, 1, 2)
        layout.addLayout(live)

        layout.addWidget(plain_label("Past shows"))
        self.shows_list = QListWidget()
        layout.addWidget(self.shows_list, 1)
        buttons = QHBoxLayout()
        self.refresh_button = QPushButton("Refresh")
        self.report_button = QPushButton("Report")
        self.html_button = QPushButton("Open HTML")
        self.csv_button = QPushButton("Export CSV")
        for button in (self.refresh_button, self.report_button, self.html_button, self.csv_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.report_title = plain_label("")
        self.report_table = QTableWidget(0, len(PRODUCT_COLUMNS))
        self.report_table.setHorizontalHeaderLabels(PRODUCT_COLUMNS)
        self.report_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.report_title)
        layout.addWidget(self.report_table, 1)

        self.start_button.clicked.connect(self._start_clicked)
        self.title_edit.returnPressed.connect(self._start_clicked)
        self.end_button.clicked.connect(self.end_requested)
        self.resume_button.clicked.connect(self.resume_requested)
        self.decline_button.clicked.connect(self.decline_resume_requested)
        self.refresh_button.clicked.connect(self.shows_requested)
        self.report_button.clicked.connect(lambda: self._with_selected(self.report_requested))
        self.html_button.clicked.connect(lambda: self._with_selected(self.open_report_requested))
        self.csv_button.clicked.connect(lambda: self._with_selected(self.export_requested))
        self.shows_list.itemDoubleClicked.connect(lambda item: self.report_requested.emit(item.data(SHOW_ID_ROLE)))
        self.set_status(self.status)

    def _start_clicked(self) -> None:
        title = self.title_edit.text().strip()
        if title and self.status.open_show is None:
            self.start_requested.emit(title)

    def _with_selected(self, signal: SignalInstance) -> None:
        item = self.shows_list.currentItem()
        if item is not None:
            signal.emit(item.data(SHOW_ID_ROLE))

    def set_status(self, status: ShowLogStatus) -> None:
        self.status = status
        open_show = status.open_show
        self.start_button.setEnabled(open_show is None)
        self.title_edit.setEnabled(open_show is None)
        self.end_button.setEnabled(open_show is not None)
        self.state_label.setText(f"Recording: {open_show.title}" if open_show else "No show running")
        self.problem_label.setText(status.problem or "")
        self.problem_label.setVisible(bool(status.problem))
        resumable = status.resumable
        self.resume_box.setVisible(resumable is not None and open_show is None)
        if resumable is not None:
            started = datetime.fromtimestamp(resumable.started_at).strftime("%H:%M")
            self.resume_label.setText(f"The show “{resumable.title}” (started {started}) did not end. Resume it?")
        if open_show is None:
            self.set_live(None)

    def set_live(self, live: LiveNumbers | None) -> None:
        on_air = live.on_air if live is not None else None
        if on_air is None:
            self.on_air_label.setText("Nothing on air")
            for label in (self.air_time_label, self.questions_label, self.stock_label):
                label.setText("")
        else:
            self.on_air_label.setText(f"On air: {on_air.title}")
            self.air_time_label.setText(f"On air for {format_duration(on_air.seconds_on_air)}")
            self.questions_label.setText(f"{on_air.questions} questions, {on_air.mentions} mentions")
            moved = on_air.stock_moved
            self.stock_label.setText("" if moved is None else f"Stock moved: {moved}")
        points = live.viewers if live is not None else ()
        self.viewers_label.setText(f"Viewers: {points[-1][1]}" if points else "")
        self.graph.set_points(points)

    def set_shows(self, shows: tuple[ShowInfo, ...]) -> None:
        self.shows_list.clear()
        for show in shows:
            started = datetime.fromtimestamp(show.started_at).strftime("%Y-%m-%d %H:%M")
            length = "open" if show.ended_at is None else format_duration(show.ended_at - show.started_at)
            # QListWidgetItem text is always plain: no markup is read from a title.
            item = QListWidgetItem(f"{started}  {show.title}  ({length})")
            item.setData(SHOW_ID_ROLE, show.show_id)
            self.shows_list.addItem(item)

    def set_report(self, title: str, rows: list[tuple[str, ...]]) -> None:
        """Per product: the columns of PRODUCT_COLUMNS, already formatted."""
        self.report_title.setText(title)
        self.report_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.report_table.setItem(r, c, QTableWidgetItem(value))
        self.report_table.resizeColumnsToContents()
