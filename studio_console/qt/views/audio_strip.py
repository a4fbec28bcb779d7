"""Audio strip: mute, volume and a cheap level meter for the inputs that matter (mic, desktop audio)."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QSlider, QToolButton, QWidget

from studio_console.domain.obs_state import AudioInput, ObsSnapshot

METER_FLOOR_DB = -60.0


def mul_to_db(mul: float) -> float:
    return 20 * math.log10(mul) if mul > 0 else METER_FLOOR_DB


def db_to_mul(db: float) -> float:
    return 0.0 if db <= METER_FLOOR_DB else 10 ** (db / 20)


class LevelMeter(QWidget):
    """A horizontal meter: one filled rectangle and a peak tick; repaints only when levels change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(120, 10)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.magnitude_db = METER_FLOOR_DB
        self.peak_db = METER_FLOOR_DB

    def set_levels(self, magnitude_mul: float, peak_mul: float) -> None:
        mag, peak = mul_to_db(magnitude_mul), mul_to_db(peak_mul)
        if abs(mag - self.magnitude_db) < 0.5 and abs(peak - self.peak_db) < 0.5:
            return
        self.magnitude_db, self.peak_db = mag, peak
        self.update()

    @staticmethod
    def _fraction(db: float) -> float:
        return max(0.0, min(1.0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = QRectF(self.rect())
        painter.fillRect(rect, QColor("#202020"))
        level = self._fraction(self.magnitude_db)
        colour = (
            QColor("#43a047") if self.peak_db < -9 else QColor("#fdd835") if self.peak_db < -3 else QColor("#e53935")
        )
        painter.fillRect(QRectF(rect.x(), rect.y(), rect.width() * level, rect.height()), colour)
        x = rect.x() + rect.width() * self._fraction(self.peak_db)
        painter.fillRect(QRectF(x - 1, rect.y(), 2, rect.height()), QColor("#ffffff"))
        painter.end()


class AudioStrip(QWidget):
    """One row per audio input.

    Signals:
        mute_requested(str, bool): input name, muted.
        volume_requested(str, float): input name, volume as a multiplier (0..1).
        visibility_changed(bool): shown or hidden (meter events are only subscribed while shown).
    """

    mute_requested = Signal(str, bool)
    volume_requested = Signal(str, float)
    visibility_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioStrip")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(4, 4, 4, 4)
        self.rows: dict[str, tuple[QLabel, QToolButton, QSlider, LevelMeter]] = {}
        self._names: tuple[str, ...] = ()
        self._pending_levels: dict[str, tuple[float, float]] = {}
        # Meters repaint at most 20 times a second whatever rate OBS sends at.
        self._meter_timer = QTimer(self)
        self._meter_timer.setInterval(50)
        self._meter_timer.timeout.connect(self._apply_levels)
        self.empty = QLabel("No audio inputs")
        self.grid.addWidget(self.empty, 0, 0)

    def show_state(self, snap: ObsSnapshot) -> None:
        names = tuple(a.name for a in snap.audio_inputs)
        if names != self._names:
            self._rebuild(snap.audio_inputs)
        for audio in snap.audio_inputs:
            _, mute, slider, _ = self.rows[audio.name]
            mute.blockSignals(True)
            mute.setChecked(audio.muted)
            mute.setText("Muted" if audio.muted else "Mute")
            mute.blockSignals(False)
            if not slider.isSliderDown():
                slider.blockSignals(True)
                slider.setValue(round(max(METER_FLOOR_DB, audio.volume_db)))
                slider.blockSignals(False)
        self.setEnabled(snap.connection.connected)

    def _rebuild(self, inputs: tuple[AudioInput, ...]) -> None:
        for label, mute, slider, meter in self.rows.values():
            for widget in (label, mute, slider, meter):
                self.grid.removeWidget(widget)
                widget.deleteLater()
        self.rows = {}
        self.empty.setVisible(not inputs)
        for row, audio in enumerate(inputs):
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setText(audio.name)
            mute = QToolButton()
            mute.setCheckable(True)
            mute.setText("Mute")
            mute.toggled.connect(lambda on, n=audio.name: self.mute_requested.emit(n, on))
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(int(METER_FLOOR_DB), 0)
            slider.setToolTip("Volume (dB)")
            slider.valueChanged.connect(lambda db, n=audio.name: self.volume_requested.emit(n, db_to_mul(db)))
            meter = LevelMeter()
            widgets: tuple[QWidget, ...] = (label, mute, slider, meter)
            for col, cell in enumerate(widgets):
                self.grid.addWidget(cell, row + 1, col)
            self.rows[audio.name] = (label, mute, slider, meter)
        self._names = tuple(a.name for a in inputs)

    def set_levels(self, levels: dict[str, tuple[float, float]]) -> None:
        """Latest (magnitude, peak) multipliers per input; painted on the next meter tick."""
        self._pending_levels.update(levels)
        if not self._meter_timer.isActive():
            self._meter_timer.start()

    def _apply_levels(self) -> None:
        if not self._pending_levels:
            self._meter_timer.stop()
            return
        levels, self._pending_levels = self._pending_levels, {}
        for name, (mag, peak) in levels.items():
            row = self.rows.get(name)
            if row is not None:
                row[3].set_levels(mag, peak)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.visibility_changed.emit(True)

    def hideEvent(self, event: object) -> None:
        super().hideEvent(event)  # type: ignore[arg-type]
        self.visibility_changed.emit(False)
