"""The app shell: docks, OBS state in the status bar, layout restore, log panel, non-modal errors."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio_console.domain.obs_state import ConnectionState, ConnectionStatus, ObsSnapshot
from studio_console.qt.main_window import MainWindow
from studio_console.qt.views.log_panel import LogPanel, LogSignaller, QtLogHandler


def test_docks_and_initial_status(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    assert set(window.docks) == {"Scenes", "Products", "Chat", "Output", "Log"}
    assert window.connection_label.text() == "OBS not connected"


def test_status_follows_connection_state(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    snap = ObsSnapshot(connection=ConnectionState(status=ConnectionStatus.CONNECTED, message="Connected to OBS 29.0.2"))
    window.show_obs_state(snap)
    assert window.connection_label.text() == "Connected to OBS 29.0.2"


def test_layout_round_trip(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.docks["Chat"].hide()
    geometry, state = window.saved_layout()
    again = MainWindow()
    qtbot.addWidget(again)
    again.restore_layout(geometry, state)
    again.show()
    assert again.docks["Chat"].isHidden()
    assert not again.docks["Scenes"].isHidden()


def test_log_panel_shows_app_log_lines_as_plain_text(qtbot: QtBot) -> None:
    panel = LogPanel()
    qtbot.addWidget(panel)
    signaller = LogSignaller()
    signaller.line_logged.connect(panel.append_line)
    handler = QtLogHandler(signaller)
    logger = logging.getLogger("studio_console.gui_test")
    logger.addHandler(handler)
    try:
        logger.warning("viewer said <b>hi</b>")
    finally:
        logger.removeHandler(handler)
    assert "viewer said <b>hi</b>" in panel.toPlainText()


def test_notice_is_non_modal(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    box = window.show_notice("Problem", "<img src=/etc/passwd> broke")
    assert not box.isModal()
    assert box.text() == "<img src=/etc/passwd> broke"
    assert box.textFormat().name == "PlainText"
    box.close()
    assert isinstance(box, QMessageBox)
