"""Program monitor, stream and record controls, and OBS's health figures, for the centre of the window."""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from studio_console.domain.obs_state import ObsSnapshot, OutputPhase, OutputState
from studio_console.domain.stream import OutputStatus
from studio_console.qt.plain_text import format_duration, plain_label
from studio_console.qt.views.stream_words import is_rehearsal, phase_colour, phase_word


class MonitorView(QLabel):
    """A screenshot of a scene, scaled to fit, with a coloured frame (red program, green preview)."""

    def __init__(self, title: str, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(QSize(240, 135))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setStyleSheet(f"background: #111; color: #aaa; border: 3px solid {colour};")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(f"{title}: no picture")
        self._image: QImage | None = None

    def set_image(self, image: QImage) -> None:
        self._image = image
        self._rescale()

    def clear_image(self, reason: str) -> None:
        self._image = None
        self.clear()
        self.setText(f"{self.title}: {reason}")

    def _rescale(self) -> None:
        if self._image is None:
            return
        pixmap = QPixmap.fromImage(self._image).scaled(
            self.size() - QSize(8, 8), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.setPixmap(pixmap)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._rescale()


class ShowControls(QWidget):
    """Preview and program monitors, Start/Stop streaming and recording, duration and health.

    Signals:
        stream_requested(bool): True to start streaming, False to stop.
        record_requested(bool): True to start recording, False to stop.
        visibility_changed(bool): the monitors became visible or hidden.
    """

    stream_requested = Signal(bool)
    record_requested = Signal(bool)
    visibility_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("showControls")
        self.preview = MonitorView("Preview", "#2e7d32")
        self.program = MonitorView("Program", "#d32f2f")
        monitors = QHBoxLayout()
        monitors.addWidget(self.preview)
        monitors.addWidget(self.program)

        self.stream_button = QPushButton("Start streaming")
        self.stream_button.setObjectName("streamButton")
        self.stream_button.clicked.connect(self._stream_clicked)
        self.record_button = QPushButton("Start recording")
        self.record_button.setObjectName("recordButton")
        self.record_button.clicked.connect(self._record_clicked)
        self.stream_state = plain_label("Stream: off")
        self.record_state = plain_label("Recording: off")
        buttons = QHBoxLayout()
        for widget in (self.stream_button, self.stream_state, self.record_button, self.record_state):
            buttons.addWidget(widget)
        buttons.addStretch(1)

        self.figures: dict[str, QLabel] = {}
        grid = QGridLayout()
        names = ["FPS", "CPU", "Render skipped", "Output skipped", "Stream dropped", "Congestion"]
        for i, name in enumerate(names):
            grid.addWidget(plain_label(name), 0, i)
            value = plain_label("-")
            value.setObjectName(f"figure_{name}")
            grid.addWidget(value, 1, i)
            self.figures[name] = value

        layout = QVBoxLayout(self)
        layout.addLayout(monitors, 1)
        layout.addLayout(buttons)
        layout.addLayout(grid)
        self._snap = ObsSnapshot()
        self._rehearsal = False
        # Durations tick once a second between OBS's own updates.
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()

    def show_state(self, snap: ObsSnapshot) -> None:
        self._snap = snap
        connected = snap.connection.connected
        self.stream_button.setEnabled(
            connected and snap.stream.phase in (OutputPhase.STOPPED, OutputPhase.LIVE, OutputPhase.RECONNECTING)
        )
        self.record_button.setEnabled(
            connected and snap.record.phase in (OutputPhase.STOPPED, OutputPhase.LIVE, OutputPhase.PAUSED)
        )
        self.stream_button.setText("Stop streaming" if snap.stream.active else "Start streaming")
        self.record_button.setText("Stop recording" if snap.record.active else "Start recording")
        self.preview.setVisible(snap.studio_mode)
        if not connected:
            self.program.clear_image("OBS not connected")
            self.preview.clear_image("OBS not connected")
        stats = snap.stats
        if stats is None:
            for label in self.figures.values():
                label.setText("-")
        else:
            self.figures["FPS"].setText(f"{stats.active_fps:.1f}")
            self.figures["CPU"].setText(f"{stats.cpu_usage:.1f}%")
            self.figures["Render skipped"].setText(f"{stats.render_skipped_frames} / {stats.render_total_frames}")
            self.figures["Output skipped"].setText(f"{stats.output_skipped_frames} / {stats.output_total_frames}")
            self.figures["Stream dropped"].setText(f"{stats.stream_skipped_frames} / {stats.stream_total_frames}")
            self.figures["Congestion"].setText(f"{stats.stream_congestion * 100:.0f}%")
        self._tick()

    def show_output_status(self, status: OutputStatus) -> None:
        """The go-live service's view of the stream: a rehearsal reads REHEARSAL, never LIVE."""
        self._rehearsal = is_rehearsal(status)
        self._tick()

    def _output_text(self, name: str, state: OutputState, rehearsal: bool = False) -> str:
        if state.phase is OutputPhase.STOPPED:
            return f"{name}: off"
        text = f"{name}: {phase_word(state.phase, rehearsal)}"
        if state.live_since is not None:
            text += f" {format_duration(time.monotonic() - state.live_since)}"
        return text

    def _tick(self) -> None:
        self.stream_state.setText(self._output_text("Stream", self._snap.stream, self._rehearsal))
        self.record_state.setText(self._output_text("Recording", self._snap.record))
        colour = phase_colour(self._snap.stream.phase, self._rehearsal, self._snap.stream.active)
        self.stream_state.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")

    def _stream_clicked(self) -> None:
        self.stream_requested.emit(not self._snap.stream.active)

    def _record_clicked(self) -> None:
        self.record_requested.emit(not self._snap.record.active)

    def set_monitor_image(self, scene: str, image: QImage) -> None:
        if scene == self._snap.program_scene:
            self.program.set_image(image)
        if self._snap.studio_mode and scene == self._snap.preview_scene:
            self.preview.set_image(image)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.visibility_changed.emit(True)

    def hideEvent(self, event: object) -> None:
        super().hideEvent(event)  # type: ignore[arg-type]
        self.visibility_changed.emit(False)
