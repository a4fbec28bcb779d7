"""The Output panel: destinations (pick, add, rename, remove), stream key, preflight, Go live / Stop, figures."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio_console.domain.obs_state import OutputPhase
from studio_console.domain.stream import (
    CheckStatus,
    DestinationInfo,
    DestinationKind,
    GoLiveConfirmation,
    LocalServerState,
    LocalServerStatus,
    OutputStatus,
    PreflightResult,
    ReceivedStreamInfo,
    RelayDestinationStatus,
    RelayState,
    SimulcastPlan,
    SimulcastStatus,
    SinkTypeInfo,
    Thumbnail,
)
from studio_console.qt.dialogs.simulcast_dialog import SimulcastDialog
from studio_console.qt.plain_text import format_duration, plain_label
from studio_console.qt.views.stream_words import REHEARSAL_COLOUR, is_rehearsal

REAL_AUDIENCE_COLOUR = "#c62828"
NO_FIGURE = "-"
LIVE_COLOUR = "#d32f2f"
THUMB_WIDTH = 240
_CHECK_MARKS = {CheckStatus.PASS: "✔", CheckStatus.WARN: "⚠", CheckStatus.FAIL: "✖"}
_CHECK_COLOURS = {CheckStatus.PASS: "#2e7d32", CheckStatus.WARN: "#ef6c00", CheckStatus.FAIL: "#c62828"}
_PHASE_TEXT = {
    OutputPhase.STOPPED: "Stopped",
    OutputPhase.STARTING: "Starting…",
    OutputPhase.LIVE: "LIVE",
    OutputPhase.RECONNECTING: "Reconnecting…",
    OutputPhase.STOPPING: "Stopping…",
    OutputPhase.PAUSED: "Paused",
}


def destination_label(info: DestinationInfo) -> str:
    """The picker's text: real audiences are marked so nobody picks one by accident."""
    if not info.available:
        return f"{info.display_name} (unavailable)"
    if info.is_real_audience:
        return f"● {info.display_name} — real audience"
    return info.display_name


def describe_received(info: ReceivedStreamInfo | None) -> str:
    if info is None:
        return "Nothing received yet."
    video = f"{info.video_codec or '?'} {info.width or '?'}x{info.height or '?'}"
    video += f" {info.fps:g} fps" if info.fps else ""
    if info.video_bitrate_kbps is not None:
        video += f", {info.video_bitrate_kbps:.0f} kbps"
    if info.keyframe_interval_s is not None:
        keyframes = f"keyframe every {info.keyframe_interval_s:.1f} s"
    elif info.keyframes:
        keyframes = f"no second keyframe in {info.seconds_since_keyframe:.1f} s"
    else:
        keyframes = "no keyframe yet"
    audio = "no audio"
    if info.audio_codec:
        audio = f"{info.audio_codec} {info.audio_sample_rate or '?'} Hz"
        if info.audio_channels:
            audio += f" {info.audio_channels} ch"
    return f"Video: {video}\nKeyframes: {keyframes}\nAudio: {audio}"


_RELAY_STATE_TEXT = {
    RelayState.PREPARING: "Preparing…",
    RelayState.LIVE: "Live",
    RelayState.RETRYING: "Retrying",
    RelayState.FAILED: "Failed",
    RelayState.STOPPED: "Stopped",
}
_RELAY_STATE_COLOURS = {RelayState.LIVE: "#2e7d32", RelayState.RETRYING: "#ef6c00", RelayState.FAILED: "#c62828"}


def relay_state_text(status: RelayDestinationStatus | None) -> str:
    """One line: the state, with the attempt and next try while retrying and the last error when failed."""
    if status is None:
        return "Stopped"
    text = _RELAY_STATE_TEXT.get(status.state, status.state.value)
    if status.state is RelayState.RETRYING:
        text += f" — attempt {status.attempt}"
        if status.next_retry_at is not None:
            text += f", next try at {datetime.fromtimestamp(status.next_retry_at).strftime('%H:%M:%S')}"
        if status.last_error:
            text += f" ({status.last_error})"
    elif status.state is RelayState.FAILED:
        text += f": {status.last_error or 'no reason given'}"
    return text


def relay_figures_text(status: RelayDestinationStatus | None) -> str:
    if status is None:
        return f"{NO_FIGURE} kbps · 0 dropped · 0 reconnects · live 0:00:00"
    sending = status.state is RelayState.LIVE
    rate = f"{status.bitrate_kbps:.0f} kbps" if sending else f"{NO_FIGURE} kbps"
    reconnects = f"{status.reconnects} reconnect{'s' if status.reconnects != 1 else ''}"
    return f"{rate} · {status.packets_dropped} dropped · {reconnects} · live {format_duration(status.live_s)}"


class RelayRow(QWidget):
    """One relayed destination: turned on or not, its kind, state and figures, and its action buttons.

    Signals:
        turned_on_requested(str, bool): tick or untick (destination id, on).
        start_requested(str), stop_requested(str), retry_requested(str): the row's buttons (destination id).
    """

    turned_on_requested = Signal(str, bool)
    start_requested = Signal(str)
    stop_requested = Signal(str)
    retry_requested = Signal(str)

    def __init__(self, info: DestinationInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.destination_id = info.sink_id
        self.setObjectName(f"relayRow-{info.sink_id}")
        self.status: RelayDestinationStatus | None = None
        self.on_box = QCheckBox()
        self.on_box.setObjectName("relayOn")
        self.on_box.setToolTip("Turned on: included in \u201cGo live to all turned on\u201d")
        self.on_box.clicked.connect(lambda on: self.turned_on_requested.emit(self.destination_id, bool(on)))
        self.name_label = plain_label(info.display_name)
        self.name_label.setObjectName("relayName")
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        # A long name is cut rather than widening the Output panel (it fits beside Chat at 1366x768).
        self.name_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.name_label.setMinimumWidth(60)
        self.kind_label = plain_label("real audience" if info.is_real_audience else "no real audience")
        self.kind_label.setObjectName("relayKind")
        if info.is_real_audience:
            self.kind_label.setStyleSheet(f"color: {REAL_AUDIENCE_COLOUR};")
        # Tool buttons: as wide as their word, so four rows fit the narrow Output panel.
        self.action_button = QToolButton()
        self.action_button.setText("Start")
        self.action_button.setObjectName("relayAction")
        self.action_button.clicked.connect(self._action_clicked)
        self.retry_button = QToolButton()
        self.retry_button.setText("Retry")
        self.retry_button.setObjectName("relayRetry")
        self.retry_button.clicked.connect(lambda: self.retry_requested.emit(self.destination_id))
        self.state_label = plain_label()
        self.state_label.setObjectName("relayState")
        self.state_label.setWordWrap(True)
        self.figures_label = plain_label()
        self.figures_label.setObjectName("relayFigures")
        self.figures_label.setWordWrap(True)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.on_box)
        top.addWidget(self.name_label, 1)
        top.addWidget(self.kind_label)
        top.addWidget(self.retry_button)
        top.addWidget(self.action_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 4)
        layout.setSpacing(1)
        layout.addLayout(top)
        layout.addWidget(self.state_label)
        layout.addWidget(self.figures_label)
        self.show_relay(None)

    @property
    def running(self) -> bool:
        return self.status is not None and self.status.state is not RelayState.STOPPED

    def _action_clicked(self) -> None:
        if self.running:
            self.stop_requested.emit(self.destination_id)
        else:
            self.start_requested.emit(self.destination_id)

    def set_turned_on(self, on: bool) -> None:
        self.on_box.setChecked(on)

    def show_relay(self, status: RelayDestinationStatus | None) -> None:
        self.status = status
        state = status.state if status is not None else RelayState.STOPPED
        self.state_label.setText(relay_state_text(status))
        colour = _RELAY_STATE_COLOURS.get(state)
        self.state_label.setStyleSheet(f"color: {colour};" if colour else "")
        self.figures_label.setText(relay_figures_text(status))
        self.action_button.setText("Stop" if self.running else "Start")
        self.retry_button.setVisible(state in (RelayState.RETRYING, RelayState.FAILED))


class OutputPanel(QWidget):
    """Where the stream goes and how it is doing. Renders OutputStatus; every action is a signal.

    Every "sink id" is the id of a configured destination instance (two YouTube channels are two ids).

    Signals:
        destination_requested(str): the operator picked a destination (sink id).
        destination_add_requested(str): add a destination of this kind (sink type).
        destination_rename_requested(str, str): give a destination a name (sink id, name; empty:
            the kind's own name).
        destination_remove_requested(str): forget a destination and its stream key (sink id); asked
            for after the operator confirmed.
        server_url_requested(str, str): a new server URL for a sink (sink id, URL).
        stream_key_requested(str, str): store this stream key for a sink (sink id, key); the panel
            clears its field at once and never shows a key.
        preflight_requested(str): check the destination (sink id) against OBS's output.
        go_live_requested(str): start streaming to the destination (sink id); the app confirms
            real audiences with ``confirm_go_live`` first.
        go_live_confirmed(str): the operator confirmed going live; carries the confirmation token.
        stop_requested(): stop the stream.
        thumbnails_requested(bool): the local test server's thumbnails on or off.
        recording_requested(bool): record what the local test server receives, or stop.
        relay_turned_on_requested(str, bool): turn a relayed destination on or off (id, on).
        relay_start_requested(str): relay to one destination (id); the app confirms real audiences.
        relay_stop_requested(str): stop relaying to one destination (id); the others carry on.
        relay_retry_requested(str): connect a retrying or failed destination again now (id).
        simulcast_requested(): go live to all turned on (the app shows one confirmation first).
        simulcast_confirmed(str): the operator confirmed going live to several; carries the plan's token.
    """

    destination_requested = Signal(str)
    destination_add_requested = Signal(str)
    destination_rename_requested = Signal(str, str)
    destination_remove_requested = Signal(str)
    server_url_requested = Signal(str, str)
    stream_key_requested = Signal(str, str)
    preflight_requested = Signal(str)
    go_live_requested = Signal(str)
    go_live_confirmed = Signal(str)
    stop_requested = Signal()
    thumbnails_requested = Signal(bool)
    recording_requested = Signal(bool)
    relay_turned_on_requested = Signal(str, bool)
    relay_start_requested = Signal(str)
    relay_stop_requested = Signal(str)
    relay_retry_requested = Signal(str)
    simulcast_requested = Signal()
    simulcast_confirmed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outputPanel")
        self._status = OutputStatus()
        self._confirm_box: QMessageBox | None = None
        self._destinations: tuple[DestinationInfo, ...] = ()
        self._sink_types: tuple[SinkTypeInfo, ...] | None = None
        self._remove_box: QMessageBox | None = None
        self._simulcast_dialog: SimulcastDialog | None = None
        self._relay_rows: dict[str, RelayRow] = {}
        self._relay_statuses: dict[str, RelayDestinationStatus] = {}
        self._relayable: tuple[DestinationInfo, ...] | None = None
        self._simulcast = SimulcastStatus()

        self.destination_combo = QComboBox()
        self.destination_combo.setObjectName("destinationCombo")
        self.destination_combo.activated.connect(self._destination_activated)
        self.audience_label = plain_label()
        self.audience_label.setObjectName("audienceLabel")

        self.add_button = QToolButton()
        self.add_button.setObjectName("addDestinationButton")
        self.add_button.setText("Add…")
        self.add_button.setToolTip("Add a destination (a second channel of a platform is a destination of its own)")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_menu = QMenu(self.add_button)
        self.add_button.setMenu(self.add_menu)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("destinationNameEdit")
        self.name_edit.setPlaceholderText("Name shown in the picker")
        self.name_edit.setMaxLength(80)
        self.name_edit.returnPressed.connect(self._rename_entered)
        self.rename_button = QPushButton("Rename")
        self.rename_button.clicked.connect(self._rename_entered)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("removeDestinationButton")
        self.remove_button.clicked.connect(self._remove_clicked)
        manage_row = QHBoxLayout()
        manage_row.addWidget(self.name_edit, 1)
        manage_row.addWidget(self.rename_button)
        manage_row.addWidget(self.remove_button)
        manage_row.addWidget(self.add_button)

        self.server_edit = QLineEdit()
        self.server_edit.setPlaceholderText("rtmp://… or rtmps://…")
        self.server_button = QPushButton("Set server")
        self.server_button.clicked.connect(self._server_entered)
        self.server_edit.returnPressed.connect(self._server_entered)
        self.server_label = plain_label()
        server_row = QHBoxLayout()
        server_row.addWidget(self.server_edit, 1)
        server_row.addWidget(self.server_button)
        server_row.addWidget(self.server_label, 1)

        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("streamKeyEdit")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste the stream key")
        # A key must not leave the field through the clipboard or a drag either.
        self.key_edit.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.key_edit.setDragEnabled(False)
        self.key_button = QPushButton("Save key")
        self.key_button.clicked.connect(self._key_entered)
        self.key_edit.returnPressed.connect(self._key_entered)
        self.key_state = plain_label()
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.key_button)
        key_row.addWidget(self.key_state)

        self.preflight_button = QPushButton("Check")
        self.preflight_button.setToolTip("Compare OBS's output settings with what the destination expects")
        self.preflight_button.clicked.connect(lambda: self.preflight_requested.emit(self._current_id()))
        self.preflight_list = QListWidget()
        self.preflight_list.setObjectName("preflightList")
        self.preflight_list.setWordWrap(True)

        self.go_live_button = QPushButton("Go live")
        self.go_live_button.setObjectName("goLiveButton")
        self.go_live_button.clicked.connect(lambda: self.go_live_requested.emit(self._current_id()))
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.clicked.connect(self.stop_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.go_live_button, 1)
        buttons.addWidget(self.stop_button)

        self.phase_label = plain_label("Stopped")
        self.phase_label.setObjectName("phaseLabel")
        font = self.phase_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.phase_label.setFont(font)
        self.message_label = plain_label()
        self.message_label.setWordWrap(True)
        self.duration_value = plain_label("0:00:00")
        self.bitrate_value = plain_label(NO_FIGURE)
        self.congestion_value = plain_label(NO_FIGURE)
        self.dropped_value = plain_label(NO_FIGURE)
        self.reconnects_value = plain_label("0")
        figures = QFormLayout()
        figures.addRow("Duration", self.duration_value)
        figures.addRow("Bitrate", self.bitrate_value)
        figures.addRow("Congestion", self.congestion_value)
        figures.addRow("Dropped frames", self.dropped_value)
        figures.addRow("Reconnects", self.reconnects_value)

        self.local_group = QGroupBox("Local test server")
        self.local_state = plain_label("Stopped")
        self.local_state.setWordWrap(True)
        self.local_figures = plain_label()
        self.local_figures.setWordWrap(True)
        self.thumbnail_label = QLabel()
        self.thumbnail_label.setObjectName("localThumbnail")
        self.thumbnail_label.setMinimumSize(THUMB_WIDTH, THUMB_WIDTH * 9 // 16)
        self.thumbnail_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail_label.setStyleSheet("background: #111; color: #aaa;")
        self.thumbnail_label.setTextFormat(Qt.TextFormat.PlainText)
        self.thumbnail_label.setText("No picture")
        self.thumbnails_box = QCheckBox("Thumbnails")
        self.thumbnails_box.setChecked(True)
        self.thumbnails_box.clicked.connect(self.thumbnails_requested)
        self.record_box = QCheckBox("Record what arrives")
        self.record_box.clicked.connect(self.recording_requested)
        local_options = QHBoxLayout()
        local_options.addWidget(self.thumbnails_box)
        local_options.addWidget(self.record_box)
        local_layout = QVBoxLayout(self.local_group)
        local_layout.addWidget(self.local_state)
        local_layout.addWidget(self.thumbnail_label)
        local_layout.addWidget(self.local_figures)
        local_layout.addLayout(local_options)

        self.relay_group = QGroupBox("Go live to several")
        self.relay_group.setObjectName("relayGroup")
        self.relay_hint = plain_label(
            "OBS streams once to the local test server; the app sends the same stream to each destination."
        )
        self.relay_hint.setWordWrap(True)
        self.relay_rows_layout = QVBoxLayout()
        self.relay_rows_layout.setSpacing(0)
        self.upload_needed_label = plain_label()
        self.upload_needed_label.setObjectName("uploadNeeded")
        self.upload_needed_label.setWordWrap(True)
        self.upload_measured_label = plain_label()
        self.upload_measured_label.setObjectName("uploadMeasured")
        self.upload_measured_label.setWordWrap(True)
        self.upload_warning_label = plain_label()
        self.upload_warning_label.setObjectName("uploadWarning")
        self.upload_warning_label.setWordWrap(True)
        self.upload_warning_label.setStyleSheet("color: #ef6c00; font-weight: bold;")
        self.simulcast_button = QPushButton("Go live to all turned on")
        self.simulcast_button.setObjectName("simulcastButton")
        self.simulcast_button.clicked.connect(self.simulcast_requested)
        relay_layout = QVBoxLayout(self.relay_group)
        relay_layout.addWidget(self.relay_hint)
        relay_layout.addLayout(self.relay_rows_layout)
        relay_layout.addWidget(self.upload_needed_label)
        relay_layout.addWidget(self.upload_measured_label)
        relay_layout.addWidget(self.upload_warning_label)
        relay_layout.addWidget(self.simulcast_button)

        form = QFormLayout()
        form.addRow("Destination", self.destination_combo)
        form.addRow("", self.audience_label)
        form.addRow("Name", manage_row)
        form.addRow("Server", server_row)
        form.addRow("Stream key", key_row)
        preflight_row = QHBoxLayout()
        preflight_row.addWidget(plain_label("Preflight"))
        preflight_row.addStretch(1)
        preflight_row.addWidget(self.preflight_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(preflight_row)
        layout.addWidget(self.preflight_list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.phase_label)
        layout.addWidget(self.message_label)
        layout.addLayout(figures)
        layout.addWidget(self.relay_group)
        layout.addWidget(self.local_group)
        self.show_status(self._status)
        self.show_simulcast(self._simulcast)

    # -- intents ---------------------------------------------------------------------------------

    def _current_id(self) -> str:
        return str(self.destination_combo.currentData() or "")

    def _destination_activated(self, index: int) -> None:
        sink_id = str(self.destination_combo.itemData(index) or "")
        if sink_id and sink_id != self._status.selected:
            self.destination_requested.emit(sink_id)

    def _rename_entered(self) -> None:
        sink_id = self._current_id()
        current = self._status.destination(sink_id) if sink_id else None
        name = self.name_edit.text().strip()
        if current is not None and name != current.display_name:
            self.destination_rename_requested.emit(sink_id, name)

    def remove_box(self, info: DestinationInfo) -> QMessageBox:
        """The question asked before a destination (and its stored key) is forgotten."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Remove destination")
        box.setTextFormat(Qt.TextFormat.PlainText)
        key = " and its stored stream key" if info.key_set else ""
        box.setText(f"Remove {info.display_name}{key}?")
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        remove.setObjectName("confirmRemove")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        return box

    def _remove_clicked(self) -> None:
        sink_id = self._current_id()
        info = self._status.destination(sink_id) if sink_id else None
        if info is None:
            return
        if self._remove_box is not None:
            self._remove_box.close()
        box = self.remove_box(info)
        self._remove_box = box

        def answered() -> None:
            clicked = box.clickedButton()
            if self._remove_box is box:
                self._remove_box = None
            box.deleteLater()
            if clicked is not None and clicked.objectName() == "confirmRemove":
                self.destination_remove_requested.emit(sink_id)

        box.finished.connect(answered)
        box.open()

    def _fill_add_menu(self, sink_types: tuple[SinkTypeInfo, ...]) -> None:
        self._sink_types = sink_types
        self.add_menu.clear()
        for kind in sink_types:
            label = kind.display_name if kind.available else f"{kind.display_name} (unavailable)"
            action = self.add_menu.addAction(label)
            action.setData(kind.sink_type)
            action.setEnabled(kind.available)
            action.triggered.connect(lambda _checked=False, t=kind.sink_type: self.destination_add_requested.emit(t))
        self.add_button.setEnabled(bool(sink_types))

    def _server_entered(self) -> None:
        self.server_url_requested.emit(self._current_id(), self.server_edit.text().strip())

    def _key_entered(self) -> None:
        key = self.key_edit.text().strip()
        self.key_edit.clear()  # the key goes to the keyring and nowhere else
        if key:
            self.stream_key_requested.emit(self._current_id(), key)

    # -- rendering -------------------------------------------------------------------------------

    def show_status(self, status: OutputStatus) -> None:
        """Render the go-live service's status (destinations, state, figures, local test server)."""
        self._status = status
        if status.destinations != self._destinations:
            self._fill_destinations(status.destinations)
        if status.sink_types != self._sink_types:
            self._fill_add_menu(status.sink_types)
        index = self.destination_combo.findData(status.selected)
        if index >= 0 and index != self.destination_combo.currentIndex():
            self.destination_combo.setCurrentIndex(index)
        selected = status.destination(status.selected) if status.selected else None
        self._show_selected(selected)

        busy = status.phase is not OutputPhase.STOPPED or status.start_in_progress
        self.destination_combo.setEnabled(not busy)
        # While a stream runs or starts the selected destination is the one in use (or next): keep it.
        for widget in (self.name_edit, self.rename_button):
            widget.setEnabled(selected is not None and not busy)
        usable = sum(1 for d in status.destinations if d.available)
        self.remove_button.setEnabled(selected is not None and not busy and usable > 1)
        can_start = selected is not None and selected.available and not busy
        self.go_live_button.setEnabled(can_start)
        self.stop_button.setEnabled(busy)
        real = selected is not None and selected.is_real_audience
        self.go_live_button.setText(f"Go live on {selected.display_name}" if real and selected else "Start rehearsal")
        self.go_live_button.setStyleSheet(
            f"QPushButton#goLiveButton {{ color: white; background: {REAL_AUDIENCE_COLOUR}; font-weight: bold; }}"
            if real and can_start
            else ""
        )

        phase_text = _PHASE_TEXT.get(status.phase, status.phase.value)
        rehearsal = is_rehearsal(status)
        if status.phase is OutputPhase.LIVE:
            word = "REHEARSAL" if rehearsal else "LIVE"
            phase_text = f"{word} — {status.active_destination}" if status.active_destination else word
        self.phase_label.setText(phase_text)
        colour = (REHEARSAL_COLOUR if rehearsal else LIVE_COLOUR) if status.phase is OutputPhase.LIVE else ""
        self.phase_label.setStyleSheet(f"color: {colour};" if colour else "")
        self.message_label.setText(status.message)
        self.duration_value.setText(format_duration(status.duration_s))
        self.bitrate_value.setText(f"{status.bitrate_kbps:.0f} kbps" if status.bitrate_kbps is not None else NO_FIGURE)
        live = status.phase is not OutputPhase.STOPPED
        self.congestion_value.setText(f"{status.congestion * 100:.0f} %" if live else NO_FIGURE)
        dropped = f"{status.dropped_frames} of {status.total_frames} ({status.dropped_ratio * 100:.1f} %)"
        self.dropped_value.setText(dropped if live else NO_FIGURE)
        self.reconnects_value.setText(str(status.reconnects))
        self.show_preflight(status.preflight)
        self._show_local(status.local_server)
        relayable = tuple(d for d in status.destinations if d.available and d.kind is not DestinationKind.LOCAL_TEST)
        if relayable != self._relayable:
            self._fill_relay_rows(relayable)

    # -- going live to several -------------------------------------------------------------------

    def relay_row(self, destination_id: str) -> RelayRow | None:
        return self._relay_rows.get(destination_id)

    def _fill_relay_rows(self, relayable: tuple[DestinationInfo, ...]) -> None:
        self._relayable = relayable
        for row in self._relay_rows.values():
            self.relay_rows_layout.removeWidget(row)
            row.deleteLater()
        self._relay_rows = {}
        for info in relayable:
            row = RelayRow(info)
            row.turned_on_requested.connect(self.relay_turned_on_requested)
            row.start_requested.connect(self.relay_start_requested)
            row.stop_requested.connect(self.relay_stop_requested)
            row.retry_requested.connect(self.relay_retry_requested)
            row.show_relay(self._relay_statuses.get(info.sink_id))
            row.set_turned_on(info.sink_id in self._simulcast.turned_on)
            self.relay_rows_layout.addWidget(row)
            self._relay_rows[info.sink_id] = row
        self.relay_group.setVisible(bool(relayable))

    def show_relay(self, status: RelayDestinationStatus) -> None:
        """One destination's relay status (from the relay's listener, through the bridge)."""
        self._relay_statuses[status.destination_id] = status
        row = self._relay_rows.get(status.destination_id)
        if row is not None:
            row.show_relay(status)

    def show_simulcast(self, status: SimulcastStatus) -> None:
        """Which destinations are turned on, and the upload needed against the last rehearsal."""
        self._simulcast = status
        for destination_id, row in self._relay_rows.items():
            row.set_turned_on(destination_id in status.turned_on)
        upload = status.upload
        needed, measured = upload.sentences()
        self.upload_needed_label.setText(needed)
        self.upload_measured_label.setText(measured)
        self.upload_warning_label.setText(upload.warning or "")
        self.upload_warning_label.setVisible(bool(upload.warning))
        count = len(status.turned_on)
        self.simulcast_button.setEnabled(count > 0)
        self.simulcast_button.setText(f"Go live to all turned on ({count})" if count else "Go live to all turned on")

    def simulcast_dialog(self, plan: SimulcastPlan) -> SimulcastDialog:
        return SimulcastDialog(plan, self)

    def confirm_simulcast(self, plan: SimulcastPlan) -> None:
        """Show the one confirmation without blocking the loop; ``simulcast_confirmed(token)`` follows a yes."""
        if self._simulcast_dialog is not None:
            self._simulcast_dialog.close()
        dialog = self.simulcast_dialog(plan)
        self._simulcast_dialog = dialog

        def answered(result: int) -> None:
            if self._simulcast_dialog is dialog:
                self._simulcast_dialog = None
            dialog.deleteLater()
            if result == int(QDialog.DialogCode.Accepted) and plan.token:
                self.simulcast_confirmed.emit(plan.token)

        dialog.finished.connect(answered)
        dialog.open()

    def _fill_destinations(self, destinations: tuple[DestinationInfo, ...]) -> None:
        self._destinations = destinations
        combo = self.destination_combo
        combo.blockSignals(True)
        try:
            combo.clear()
            for info in destinations:
                combo.addItem(destination_label(info), info.sink_id)
                index = combo.count() - 1
                if info.is_real_audience and info.available:
                    combo.setItemData(index, QBrush(QColor(REAL_AUDIENCE_COLOUR)), Qt.ItemDataRole.ForegroundRole)
                model = combo.model()
                if not info.available and isinstance(model, QStandardItemModel):
                    model.item(index).setEnabled(False)
        finally:
            combo.blockSignals(False)

    def _show_selected(self, info: DestinationInfo | None) -> None:
        if info is None:
            self.audience_label.setText("")
            self.name_edit.clear()
            return
        if not self.name_edit.hasFocus():
            self.name_edit.setText(info.display_name)
        if info.is_real_audience:
            self.audience_label.setText("Real audience: going live needs a confirmation.")
            self.audience_label.setStyleSheet(f"color: {REAL_AUDIENCE_COLOUR}; font-weight: bold;")
        else:
            self.audience_label.setText("Rehearsal: nobody else sees this stream.")
            self.audience_label.setStyleSheet("")
        self.server_edit.setVisible(info.server_editable)
        self.server_button.setVisible(info.server_editable)
        self.server_label.setVisible(not info.server_editable)
        self.server_label.setText(info.server_url or "")
        if info.server_editable and not self.server_edit.hasFocus():
            self.server_edit.setText(info.server_url)
        for widget in (self.key_edit, self.key_button):
            widget.setEnabled(info.needs_key)
        if not info.needs_key:
            self.key_state.setText("not needed")
        else:
            self.key_state.setText("stored ••••••••" if info.key_set else "not set")

    def show_preflight(self, result: PreflightResult | None) -> None:
        self.preflight_list.clear()
        if result is None:
            return
        for check in result.checks:
            item = QListWidgetItem(f"{_CHECK_MARKS[check.status]} {check.sentence}")
            item.setForeground(QBrush(QColor(_CHECK_COLOURS[check.status])))
            item.setData(Qt.ItemDataRole.UserRole, check.status.value)
            self.preflight_list.addItem(item)

    def _show_local(self, local: LocalServerStatus | None) -> None:
        self.local_group.setVisible(local is not None)
        if local is None:
            return
        where = f" on {local.host}:{local.port}" if local.port else ""
        state = local.state.value.capitalize()
        text = f"{state}{where}: {local.message}"
        if local.rejected_publishes:
            text += f"\nRefused {local.rejected_publishes} publisher(s) with a wrong key."
        if local.recording_path:
            text += f"\nRecording to {local.recording_path}"
        self.local_state.setText(text)
        self.local_figures.setText(describe_received(local.info))
        self.thumbnails_box.setChecked(local.thumbnails)
        if local.state is not LocalServerState.RECEIVING and self.thumbnail_label.pixmap().isNull():
            self.thumbnail_label.setText("No picture")

    def show_thumbnail(self, thumbnail: Thumbnail) -> None:
        """Show what the local test server received (JPEG bytes)."""
        image = QImage.fromData(thumbnail.jpeg)
        if image.isNull():
            return
        pixmap = QPixmap.fromImage(image).scaledToWidth(THUMB_WIDTH, Qt.TransformationMode.SmoothTransformation)
        self.thumbnail_label.setPixmap(pixmap)

    # -- confirmation ----------------------------------------------------------------------------

    def confirmation_box(self, confirmation: GoLiveConfirmation) -> QMessageBox:
        """The question asked before going live to a real audience; the yes-button names the destination."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Go live")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(confirmation.prompt)
        go = box.addButton(f"Go live on {confirmation.destination}", QMessageBox.ButtonRole.AcceptRole)
        go.setObjectName("confirmGoLive")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)  # Enter alone must not start a live show
        box.setEscapeButton(cancel)
        return box

    def confirm_go_live(self, confirmation: GoLiveConfirmation) -> None:
        """Ask without blocking the event loop; ``go_live_confirmed(token)`` follows a yes, nothing a no."""
        if self._confirm_box is not None:
            self._confirm_box.close()
        box = self.confirmation_box(confirmation)
        self._confirm_box = box

        def answered() -> None:
            clicked = box.clickedButton()
            if self._confirm_box is box:
                self._confirm_box = None
            box.deleteLater()
            if clicked is not None and clicked.objectName() == "confirmGoLive":
                self.go_live_confirmed.emit(confirmation.token)

        box.finished.connect(answered)
        box.open()

    def ask_confirmation(self, confirmation: GoLiveConfirmation) -> bool:
        """Modal: True only when the operator pressed the button naming the destination."""
        box = self.confirmation_box(confirmation)
        box.exec()
        clicked = box.clickedButton()
        return clicked is not None and clicked.objectName() == "confirmGoLive"
