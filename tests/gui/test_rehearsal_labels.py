"""A stream to the local test server reads REHEARSAL (not red) everywhere the UI would say LIVE."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from studio_console.domain.obs_state import ConnectionState, ConnectionStatus, ObsSnapshot, OutputPhase, OutputState
from studio_console.domain.stream import OutputStatus
from studio_console.qt.main_window import MainWindow
from studio_console.qt.views.output_panel import OutputPanel
from studio_console.qt.views.show_controls import ShowControls
from studio_console.qt.views.stream_words import LIVE_COLOUR, REHEARSAL_COLOUR
from tests.gui.test_output_panel import DESTINATIONS

REHEARSAL = OutputStatus(
    phase=OutputPhase.LIVE,
    message="Rehearsal on the local test server",
    destinations=DESTINATIONS,
    selected="local_test_server",
    active_sink="local_test_server",
    active_destination="Local test server (this PC)",
    active_is_real_audience=False,
)
REAL = REHEARSAL.model_copy(
    update={
        "selected": "tiktok_live",
        "active_sink": "tiktok_live",
        "active_destination": "TikTok LIVE",
        "active_is_real_audience": True,
    }
)
# Streaming, as OBS reports it (the app does not know the destination unless go-live started it).
STREAMING = ObsSnapshot(
    connection=ConnectionState(status=ConnectionStatus.CONNECTED, message="Connected to OBS"),
    stream=OutputState(phase=OutputPhase.LIVE, live_since=time.monotonic()),
)


def test_output_panel(qtbot: QtBot) -> None:
    panel = OutputPanel()
    qtbot.addWidget(panel)
    panel.show_status(REHEARSAL)
    assert panel.phase_label.text() == "REHEARSAL — Local test server (this PC)"
    assert REHEARSAL_COLOUR in panel.phase_label.styleSheet() and LIVE_COLOUR not in panel.phase_label.styleSheet()
    panel.show_status(REAL)
    assert panel.phase_label.text() == "LIVE — TikTok LIVE"
    assert LIVE_COLOUR in panel.phase_label.styleSheet()


@pytest.mark.parametrize(
    ("status", "word", "colour"),
    [
        (REHEARSAL, "REHEARSAL", REHEARSAL_COLOUR),
        (REAL, "LIVE", LIVE_COLOUR),
        # Started in OBS itself: the destination is unknown and may have viewers, so it stays LIVE.
        (OutputStatus(phase=OutputPhase.LIVE), "LIVE", LIVE_COLOUR),
    ],
)
def test_show_controls_and_status_bar(qtbot: QtBot, status: OutputStatus, word: str, colour: str) -> None:
    controls = ShowControls()
    qtbot.addWidget(controls)
    controls.show_state(STREAMING)
    controls.show_output_status(status)
    assert controls.stream_state.text().startswith(f"Stream: {word} ")
    assert colour in controls.stream_state.styleSheet()

    window = MainWindow()
    qtbot.addWidget(window)
    window.show_output_status(status)  # before the first OBS snapshot: kept for it
    window.show_obs_state(STREAMING)
    assert window.output_label.text().startswith(f"Stream: {word}")
    assert "LIVE" not in window.output_label.text() or word == "LIVE"
    assert colour in window.output_label.styleSheet()


def test_a_rehearsal_that_reconnects_still_says_rehearsal(qtbot: QtBot) -> None:
    controls = ShowControls()
    qtbot.addWidget(controls)
    controls.show_output_status(REHEARSAL)
    controls.show_state(STREAMING.model_copy(update={"stream": OutputState(phase=OutputPhase.RECONNECTING)}))
    assert controls.stream_state.text() == "Stream: REHEARSAL (RECONNECTING)"
    assert "LIVE" not in controls.stream_state.text()
