"""Help > About shows the app, Qt, PySide6, OBS and obs-websocket versions; Help > Open log folder asks for it."""

from __future__ import annotations

from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from studio_console import __version__
from studio_console.assets import icon_file
from studio_console.domain.obs_state import ConnectionState, ConnectionStatus
from studio_console.qt.dialogs.about_dialog import NOT_CONNECTED, AboutDialog, about_info
from studio_console.qt.main_window import MainWindow

CONNECTED = ConnectionState(
    status=ConnectionStatus.CONNECTED, message="Connected", obs_version="29.0.2", websocket_version="5.1.0"
)


def test_about_shows_every_version(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = AboutDialog(about_info(CONNECTED, tmp_path / "log", "/usr/bin/obs"), icon_file(128))
    qtbot.addWidget(dialog)
    shown = {name: label.text() for name, label in dialog.value_labels.items()}
    assert shown["Studio Console"] == __version__
    assert shown["OBS Studio"] == "29.0.2"
    assert shown["obs-websocket"] == "5.1.0"
    assert shown["Qt"] == qVersion()
    assert shown["PySide6"] == PySide6.__version__
    assert shown["OBS program"] == "/usr/bin/obs"
    assert shown["Log folder"] == str(tmp_path / "log")


def test_about_without_obs_says_not_connected(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = AboutDialog(about_info(ConnectionState(), tmp_path, None))
    qtbot.addWidget(dialog)
    assert dialog.value_labels["OBS Studio"].text() == NOT_CONNECTED
    assert dialog.value_labels["OBS program"].text() == "not found on this computer"


def test_versions_from_obs_are_plain_text(qtbot: QtBot, tmp_path: Path) -> None:
    odd = CONNECTED.model_copy(update={"obs_version": "<img src=/etc/passwd>30.0"})
    dialog = AboutDialog(about_info(odd, tmp_path, None))
    qtbot.addWidget(dialog)
    label = dialog.value_labels["OBS Studio"]
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.text() == "<img src=/etc/passwd>30.0"


def test_copy_versions_puts_them_on_the_clipboard(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = AboutDialog(about_info(CONNECTED, tmp_path, None))
    qtbot.addWidget(dialog)
    dialog.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert "OBS Studio: 29.0.2" in text
    assert f"PySide6: {PySide6.__version__}" in text


def test_open_log_folder_button_asks_for_it(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = AboutDialog(about_info(CONNECTED, tmp_path, None))
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.log_folder_requested, timeout=1000):
        dialog.log_button.click()


def test_help_menu_actions_emit_their_intents(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.about_requested, timeout=1000):
        window.about_action.trigger()
    with qtbot.waitSignal(window.log_folder_requested, timeout=1000):
        window.log_folder_action.trigger()
