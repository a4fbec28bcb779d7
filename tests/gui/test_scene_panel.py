"""The switcher view: tiles from the snapshot, program/preview marks, clicks and shortcuts emit intents."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio_console.domain.obs_state import ConnectionState, ConnectionStatus, ObsSnapshot
from studio_console.qt.views.scene_panel import ScenePanel
from studio_console.settings.model import default_scene_shortcuts

CONNECTED = ConnectionState(status=ConnectionStatus.CONNECTED, message="ok")


def make_panel(qtbot: QtBot) -> ScenePanel:
    panel = ScenePanel(default_scene_shortcuts())
    qtbot.addWidget(panel)
    panel.show()
    panel.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is panel)  # shortcuts fire in the active window
    return panel


def test_tiles_and_roles(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.show_state(ObsSnapshot(connection=CONNECTED, scenes=("Host", "Split", "BRB"), program_scene="Split"))
    assert list(panel.tiles) == ["Host", "Split", "BRB"]
    assert panel.tiles["Split"].role == "program"
    panel.show_state(
        ObsSnapshot(
            connection=CONNECTED,
            scenes=("Host", "Split", "BRB"),
            program_scene="Split",
            studio_mode=True,
            preview_scene="BRB",
        )
    )
    assert panel.tiles["BRB"].role == "preview" and panel.tiles["Host"].role == ""
    assert panel.take_button.isEnabled()


def test_click_and_number_key_request_scenes(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.show_state(ObsSnapshot(connection=CONNECTED, scenes=("Host", "Split", "BRB"), program_scene="Host"))
    with qtbot.waitSignal(panel.scene_requested) as blocker:
        qtbot.mouseClick(panel.tiles["BRB"], Qt.MouseButton.LeftButton)
    assert blocker.args == ["BRB"]
    with qtbot.waitSignal(panel.scene_requested) as blocker:
        qtbot.keyClick(panel, Qt.Key.Key_2)
    assert blocker.args == ["Split"]
    with qtbot.waitSignal(panel.take_requested):
        qtbot.keyClick(panel, Qt.Key.Key_Space)


def test_disconnected_panel_is_disabled_and_says_why(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.show_state(ObsSnapshot())
    assert not panel.isEnabled()
    assert "not connected" in panel.empty_label.text()
    with qtbot.assertNotEmitted(panel.scene_requested):
        qtbot.keyClick(panel, Qt.Key.Key_1)


def test_user_changes_emit_but_state_updates_do_not(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    snap = ObsSnapshot(
        connection=CONNECTED, scenes=("A",), transitions=("Cut", "Fade"), transition="Fade", transition_duration_ms=300
    )
    with (
        qtbot.assertNotEmitted(panel.studio_mode_requested),
        qtbot.assertNotEmitted(panel.transition_duration_requested),
    ):
        panel.show_state(snap.model_copy(update={"studio_mode": True}))
    with qtbot.waitSignal(panel.studio_mode_requested) as blocker:
        panel.studio_mode_box.click()
    assert blocker.args == [False]


def test_thumbnail_is_set_on_tile(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.show_state(ObsSnapshot(connection=CONNECTED, scenes=("A",)))
    image = QImage(192, 108, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    panel.set_thumbnail("A", image)
    assert not panel.tiles["A"].icon().isNull()
