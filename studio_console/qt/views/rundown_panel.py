"""The Rundown panel: the running order (drag to reorder), a cue editor, go / next / previous / skip, live timers.

It shows the ``RundownState`` it is given and emits ``..._requested`` intents; it does no IO and holds
no show logic. The order and the editor are locked while a cue is live. Space goes to the next cue and
Shift+Space back (Shoflo's keys) while the panel has the keyboard focus; both can be changed.
"""

from __future__ import annotations

import html

from pydantic import ValidationError
from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio_console.domain.rundown import (
    Cue,
    CueKind,
    CueStatus,
    EndAction,
    Rundown,
    RundownState,
    TimerPhase,
    TimerState,
)
from studio_console.qt.plain_text import plain_label
from studio_console.settings.model import default_rundown_shortcuts

DEFAULT_KEYS = default_rundown_shortcuts()
PHASE_COLOURS = {
    TimerPhase.DEFAULT: "#2e7d32",
    TimerPhase.WARNING: "#f9a825",
    TimerPhase.DANGER: "#c62828",
    TimerPhase.OVERTIME: "#b71c1c",
}
STATUS_MARKS = {CueStatus.PENDING: "  ", CueStatus.LIVE: "▶ ", CueStatus.DONE: "✓ ", CueStatus.SKIPPED: "⤼ "}
KIND_NAMES = {
    CueKind.PREHEAT: "Preheat",
    CueKind.PRODUCT: "Product",
    CueKind.SEGMENT: "Segment",
    CueKind.BREAK: "Break",
}


def clock_text(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour), with a sign for negative values: ``-0:45``."""
    sign = "-" if seconds < 0 else ""
    total = int(abs(seconds) + 0.5) if seconds < 0 else int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    body = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return sign + body


def countdown_text(timer: TimerState) -> str:
    """What the cue timer reads: time left, or ``+m:ss`` once in overtime."""
    if timer.remaining_s < 0:
        return "+" + clock_text(-timer.remaining_s)
    # A cue with 10.2 s left reads 0:11 until the very second, as a countdown should.
    return clock_text(float(-int(-timer.remaining_s // 1)))


def over_under_text(seconds: float) -> str:
    if abs(seconds) < 1:
        return "on time"
    return f"{clock_text(abs(seconds))} {'over' if seconds > 0 else 'under'}"


def cue_line(index: int, cue: Cue, status: CueStatus) -> str:
    product = f" · {cue.card_sku}" if cue.card_sku else ""
    scene = f" · {cue.scene}" if cue.scene else ""
    then = " → next" if cue.end_action is EndAction.NEXT else ""
    return f"{STATUS_MARKS[status]}{index + 1}. {cue.title} ({clock_text(cue.duration_s)}){scene}{product}{then}"


def _statuses(state: RundownState) -> tuple[tuple[str, CueStatus], ...]:
    return tuple((r.cue_id, r.status) for r in state.records)


class _KeyList(QListWidget):
    """The cue list; reports drops so the panel can ask for the reorder instead of moving rows itself."""

    dropped = Signal(int, int)

    def dropEvent(self, event: object) -> None:
        source = self.currentRow()
        super().dropEvent(event)  # type: ignore[arg-type]
        target = self.currentRow()
        if source >= 0 and target >= 0 and source != target:
            self.dropped.emit(source, target)


class RundownPanel(QWidget):
    """Running order, editor and show controls.

    Signals:
        go_requested(int): put this cue on air now.
        next_requested(): the next cue (after the last one the show ends).
        previous_requested(): back to the cue before the live one.
        skip_requested(int): mark this cue skipped (or, when it is skipped, pending again).
        end_requested(): the show is over.
        move_requested(int, int): move the cue at the first index to the second.
        cue_edit_requested(object): save this edited Cue.
        cue_add_requested(object, int): insert this new Cue at the index.
        cue_remove_requested(int): remove the cue at the index.
        import_requested(str): import the rundown CSV at this path.
        export_requested(str): export the rundown CSV to this path.
        records_export_requested(str): export the planned-vs-actual record CSV to this path.
        from_queue_requested(): build the rundown from tonight's product queue.
        host_view_requested(): open the host view.
        host_message_requested(str): show this line to the host (empty clears it).
    """

    go_requested = Signal(int)
    next_requested = Signal()
    previous_requested = Signal()
    skip_requested = Signal(int)
    end_requested = Signal()
    move_requested = Signal(int, int)
    cue_edit_requested = Signal(object)
    cue_add_requested = Signal(object, int)
    cue_remove_requested = Signal(int)
    import_requested = Signal(str)
    export_requested = Signal(str)
    records_export_requested = Signal(str)
    from_queue_requested = Signal()
    host_view_requested = Signal()
    host_message_requested = Signal(str)

    def __init__(self, shortcuts: dict[str, str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rundownPanel")
        self.state = RundownState()
        self._updating = False
        self._keys: dict[str, QKeySequence] = {}
        self.set_shortcuts(shortcuts or {})

        # -- timers ------------------------------------------------------------------------------
        self.cue_title = plain_label("No cue live")
        self.cue_title.setStyleSheet("font-weight: bold;")
        self.timer_label = QLabel("0:00")
        self.timer_label.setTextFormat(Qt.TextFormat.PlainText)
        self.timer_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.timer_label.font()
        font.setPointSizeF(font.pointSizeF() * 2.6)
        font.setBold(True)
        self.timer_label.setFont(font)
        self.over_under_label = plain_label("on time")
        self.projected_label = plain_label("")
        self.next_label = plain_label("")
        self.problem_label = plain_label("")
        self.problem_label.setStyleSheet("color: #c62828;")
        self.problem_label.setWordWrap(True)
        figures = QHBoxLayout()
        figures.addWidget(self.over_under_label, 1)
        figures.addWidget(self.projected_label, 1)

        # -- running order -----------------------------------------------------------------------
        self.list = _KeyList()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setIconSize(QSize(10, 10))  # a cue's colour: a small mark, not a tile
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.dropped.connect(self._dropped)
        self.list.itemDoubleClicked.connect(lambda _item: self._go_selected())
        self.list.currentRowChanged.connect(self._selection_changed)

        self.go_button = QPushButton("Go")
        self.go_button.setToolTip("Put the selected cue on air now")
        self.previous_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("Skip the selected cue (Next passes over it); again to un-skip")
        self.end_button = QPushButton("End show")
        controls = QHBoxLayout()
        for button in (self.previous_button, self.go_button, self.next_button, self.skip_button, self.end_button):
            controls.addWidget(button)
        self.go_button.clicked.connect(self._go_selected)
        self.previous_button.clicked.connect(self.previous_requested)
        self.next_button.clicked.connect(self.next_requested)
        self.skip_button.clicked.connect(self._skip_selected)
        self.end_button.clicked.connect(self.end_requested)

        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        self.records_button = QPushButton("Planned vs actual…")
        self.from_queue_button = QPushButton("From tonight's queue")
        self.host_button = QPushButton("Host view")
        files = QHBoxLayout()
        for button in (self.import_button, self.export_button, self.records_button, self.from_queue_button):
            files.addWidget(button)
        files.addStretch(1)
        files.addWidget(self.host_button)
        self.import_button.clicked.connect(self._choose_import)
        self.export_button.clicked.connect(self._choose_export)
        self.records_button.clicked.connect(self._choose_records_export)
        self.from_queue_button.clicked.connect(self.from_queue_requested)
        self.host_button.clicked.connect(self.host_view_requested)

        self.message_edit = QLineEdit()
        self.message_edit.setPlaceholderText("Message to the host (wrap up, show the pink one)")
        self.message_send = QPushButton("Send")
        self.message_clear = QPushButton("Clear")
        message = QHBoxLayout()
        message.addWidget(self.message_edit, 1)
        message.addWidget(self.message_send)
        message.addWidget(self.message_clear)
        self.message_edit.returnPressed.connect(self._send_message)
        self.message_send.clicked.connect(self._send_message)
        self.message_clear.clicked.connect(self._clear_message)

        # -- editor ------------------------------------------------------------------------------
        self.title_edit = QLineEdit()
        self.kind_combo = QComboBox()
        for kind, name in KIND_NAMES.items():
            self.kind_combo.addItem(name, kind.value)
        self.duration_spin = QSpinBox()
        self.duration_spin.setRange(1, 12 * 3600)
        self.duration_spin.setSuffix(" s")
        self.scene_edit = QLineEdit()
        self.scene_edit.setPlaceholderText("keep the scene")
        self.sku_edit = QLineEdit()
        self.sku_edit.setPlaceholderText("no product card")
        self.end_combo = QComboBox()
        self.end_combo.addItem("Hold (count overtime)", EndAction.HOLD.value)
        self.end_combo.addItem("Go to the next cue", EndAction.NEXT.value)
        self.points_edit = QPlainTextEdit()
        self.points_edit.setPlaceholderText("One talking point per line")
        self.points_edit.setMaximumHeight(70)
        self.save_button = QPushButton("Save cue")
        self.add_button = QPushButton("Add cue")
        self.remove_button = QPushButton("Remove")
        self.editor_problem = plain_label("")
        self.editor_problem.setStyleSheet("color: #c62828;")
        self.editor_problem.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Title", self.title_edit)
        form.addRow("Kind", self.kind_combo)
        form.addRow("Duration", self.duration_spin)
        form.addRow("Scene", self.scene_edit)
        form.addRow("Product SKU", self.sku_edit)
        form.addRow("At the end", self.end_combo)
        form.addRow("Talking points", self.points_edit)
        edit_buttons = QHBoxLayout()
        for button in (self.save_button, self.add_button, self.remove_button):
            edit_buttons.addWidget(button)
        self.editor = QGroupBox("Cue")
        editor_layout = QVBoxLayout(self.editor)
        editor_layout.addLayout(form)
        editor_layout.addLayout(edit_buttons)
        editor_layout.addWidget(self.editor_problem)
        self.save_button.clicked.connect(self._save)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)

        layout = QVBoxLayout(self)
        layout.addWidget(self.cue_title)
        layout.addWidget(self.timer_label)
        layout.addLayout(figures)
        layout.addWidget(self.next_label)
        layout.addWidget(self.problem_label)
        layout.addLayout(controls)
        layout.addWidget(self.list, 1)
        layout.addLayout(files)
        layout.addLayout(message)
        layout.addWidget(self.editor)

        # Space / Shift+Space: handled while focus is inside the panel, before Qt's application-wide
        # shortcuts (the switcher's Take is also Space) see them.
        for widget in (self, self.list, *self.findChildren(QPushButton)):
            widget.installEventFilter(self)
        self.show_state(self.state)

    # -- keys ------------------------------------------------------------------------------------

    def set_shortcuts(self, mapping: dict[str, str]) -> None:
        """Keys for next and previous, from the shortcuts settings (``rundown_next``, ``rundown_previous``)."""
        self._keys = {action: QKeySequence(mapping.get(action, default)) for action, default in DEFAULT_KEYS.items()}

    def _action_for(self, event: QKeyEvent) -> str | None:
        pressed = QKeySequence(event.keyCombination())
        for action, keys in self._keys.items():
            if not keys.isEmpty() and pressed.matches(keys) == QKeySequence.SequenceMatch.ExactMatch:
                return action
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and isinstance(event, QKeyEvent):
            action = self._action_for(event)
            if action is not None:
                if event.type() == QEvent.Type.ShortcutOverride:
                    event.accept()  # ours: deliver it as a key press instead of a shortcut
                    return True
                if not event.isAutoRepeat():
                    (self.next_requested if action == "rundown_next" else self.previous_requested).emit()
                return True
        return super().eventFilter(watched, event)

    # -- state -----------------------------------------------------------------------------------

    def show_state(self, state: RundownState) -> None:
        """Show a new snapshot: list, timers, locks."""
        # The records change every second while live (durations); the list only when a cue's status does,
        # so the list is not rebuilt (and scrolled back) each second.
        rundown_changed = state.rundown != self.state.rundown or _statuses(state) != _statuses(self.state)
        self.state = state
        timer = state.timer
        if rundown_changed or self.list.count() != len(state.rundown.cues):
            self._fill_list(state)
        current = timer.current
        if current is not None:
            self.cue_title.setText(f"{current.index + 1}. {current.title}")
            self.timer_label.setText(countdown_text(timer))
        elif timer.ended:
            self.cue_title.setText("The show is over")
            self.timer_label.setText(clock_text(timer.show_elapsed_s))
        else:
            self.cue_title.setText("No cue live")
            self.timer_label.setText(clock_text(0))
        colour = PHASE_COLOURS[timer.phase] if current is not None else "#616161"
        self.timer_label.setStyleSheet(f"color: {colour};")
        started = timer.projected_end is not None
        self.over_under_label.setText(over_under_text(timer.over_under_s) if started else "")
        self.projected_label.setText(
            f"Ends {timer.projected_end.strftime('%H:%M:%S')}" if timer.projected_end is not None else ""
        )
        self.next_label.setText(f"Next: {timer.next.title}" if timer.next is not None else "")
        self.problem_label.setText(state.problem or "")
        self.problem_label.setVisible(bool(state.problem))
        locked = state.locked
        self.list.setDragEnabled(not locked)
        self.list.setDragDropMode(
            QAbstractItemView.DragDropMode.NoDragDrop if locked else QAbstractItemView.DragDropMode.InternalMove
        )
        self.editor.setEnabled(not locked)
        self.editor.setToolTip("The rundown is locked while a cue is live" if locked else "")
        for button in (self.import_button, self.from_queue_button):
            button.setEnabled(not locked)
        has_cues = bool(state.rundown.cues)
        self.next_button.setEnabled(has_cues and not (timer.ended and timer.next is None and current is None))
        self.previous_button.setEnabled(current is not None and current.index > 0)
        self.go_button.setEnabled(has_cues)
        self.skip_button.setEnabled(has_cues)
        self.end_button.setEnabled(current is not None)

    def _fill_list(self, state: RundownState) -> None:
        self._updating = True
        try:
            row = self.list.currentRow()
            self.list.clear()
            statuses = {r.cue_id: r.status for r in state.records}
            for index, cue in enumerate(state.rundown.cues):
                status = statuses.get(cue.id, CueStatus.PENDING)
                item = QListWidgetItem(cue_line(index, cue, status))
                item.setData(Qt.ItemDataRole.UserRole, cue.id)
                if cue.talking_points:
                    # Tooltips cannot be forced to plain text: escape what could read as HTML.
                    item.setToolTip(html.escape("\n".join(cue.talking_points)))
                if cue.colour:
                    item.setData(Qt.ItemDataRole.DecorationRole, QColor(cue.colour))
                if status is CueStatus.LIVE:
                    item.setBackground(QBrush(QColor("#ffebee")))
                elif status in (CueStatus.DONE, CueStatus.SKIPPED):
                    item.setForeground(QBrush(QColor("#9e9e9e")))
                self.list.addItem(item)
            if 0 <= row < self.list.count():
                self.list.setCurrentRow(row)
        finally:
            self._updating = False

    @property
    def rundown(self) -> Rundown:
        return self.state.rundown

    def selected_index(self) -> int:
        return self.list.currentRow()

    def _selection_changed(self, row: int) -> None:
        if self._updating:
            return
        cue = self.rundown.cues[row] if 0 <= row < len(self.rundown.cues) else None
        self.editor_problem.setText("")
        self.title_edit.setText(cue.title if cue else "")
        self.kind_combo.setCurrentIndex(self.kind_combo.findData((cue.kind if cue else CueKind.SEGMENT).value))
        self.duration_spin.setValue(cue.duration_s if cue else 300)
        self.scene_edit.setText((cue.scene or "") if cue else "")
        self.sku_edit.setText((cue.card_sku or "") if cue else "")
        self.end_combo.setCurrentIndex(self.end_combo.findData((cue.end_action if cue else EndAction.HOLD).value))
        self.points_edit.setPlainText("\n".join(cue.talking_points) if cue else "")

    # -- intents ---------------------------------------------------------------------------------

    def _go_selected(self) -> None:
        row = self.selected_index()
        if row >= 0:
            self.go_requested.emit(row)

    def _skip_selected(self) -> None:
        row = self.selected_index()
        if row >= 0:
            self.skip_requested.emit(row)

    def _dropped(self, source: int, target: int) -> None:
        # Show the authoritative order again until the new state arrives (the drop moved rows itself).
        self._fill_list(self.state)
        if not self.state.locked:
            self.move_requested.emit(source, target)

    def _edited(self, base: Cue | None) -> Cue | None:
        sku = self.sku_edit.text().strip() or None
        keep_variant = base is not None and base.card_sku == sku
        data = {
            **(base.model_dump() if base is not None else {}),
            "title": self.title_edit.text(),
            "kind": self.kind_combo.currentData(),
            "duration_s": self.duration_spin.value(),
            "scene": self.scene_edit.text().strip() or None,
            "sku": (base.sku if keep_variant and base is not None else sku),
            "variant": (base.variant if keep_variant and base is not None else None),
            "end_action": self.end_combo.currentData(),
            "talking_points": tuple(self.points_edit.toPlainText().splitlines()),
        }
        if base is None:
            data.pop("id", None)
        if not keep_variant:
            data["price_action"] = None
        try:
            cue = Cue.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            self.editor_problem.setText(str(first["msg"]).removeprefix("Value error, "))
            return None
        self.editor_problem.setText("")
        return cue

    def _save(self) -> None:
        row = self.selected_index()
        if not 0 <= row < len(self.rundown.cues):
            return
        cue = self._edited(self.rundown.cues[row])
        if cue is not None:
            self.cue_edit_requested.emit(cue)

    def _add(self) -> None:
        cue = self._edited(None)
        if cue is not None:
            row = self.selected_index()
            self.cue_add_requested.emit(cue, row + 1 if row >= 0 else len(self.rundown.cues))

    def _remove(self) -> None:
        row = self.selected_index()
        if row >= 0:
            self.cue_remove_requested.emit(row)

    def _send_message(self) -> None:
        self.host_message_requested.emit(self.message_edit.text().strip())

    def _clear_message(self) -> None:
        self.message_edit.clear()
        self.host_message_requested.emit("")

    def _choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a rundown", "", "Rundown CSV (*.csv);;All files (*)")
        if path:
            self.import_requested.emit(path)

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the rundown", "rundown.csv", "Rundown CSV (*.csv)")
        if path:
            self.export_requested.emit(path)

    def _choose_records_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export planned vs actual", "show-record.csv", "CSV (*.csv)")
        if path:
            self.records_export_requested.emit(path)
