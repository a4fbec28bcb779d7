"""Program monitor and output controls, audio strip, shortcuts dialog, and the Launch OBS offer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QKeySequence
from pytestqt.qtbot import QtBot

from studio_console.domain.obs_state import (
    AudioInput,
    ConnectionState,
    ConnectionStatus,
    ObsSnapshot,
    ObsStats,
    OutputPhase,
    OutputState,
)
from studio_console.obs.events import InputVolumeMeters, translate_event
from studio_console.qt.dialogs.shortcuts_dialog import ShortcutsDialog
from studio_console.qt.main_window import MainWindow
from studio_console.qt.views.audio_strip import AudioStrip
from studio_console.qt.views.show_controls import ShowControls, format_duration
from studio_console.settings.model import default_rundown_shortcuts, default_scene_shortcuts

CONNECTED = ConnectionState(status=ConnectionStatus.CONNECTED, message="ok")


def test_show_controls_follow_outputs_and_stats(qtbot: QtBot) -> None:
    controls = ShowControls()
    qtbot.addWidget(controls)
    live = ObsSnapshot(
        connection=CONNECTED,
        program_scene="Host",
        stream=OutputState(phase=OutputPhase.LIVE, live_since=0.0),
        stats=ObsStats(
            active_fps=29.97, cpu_usage=12.5, render_skipped_frames=3, render_total_frames=900, stream_congestion=0.25
        ),
    )
    controls.show_state(live)
    assert controls.stream_button.text() == "Stop streaming"
    assert controls.stream_state.text().startswith("Stream: LIVE")
    assert controls.figures["FPS"].text() == "30.0"
    assert controls.figures["Render skipped"].text() == "3 / 900"
    assert controls.figures["Congestion"].text() == "25%"
    with qtbot.waitSignal(controls.stream_requested) as blocker:
        controls.stream_button.click()
    assert blocker.args == [False]

    image = QImage(64, 36, QImage.Format.Format_RGB32)
    image.fill(QColor("blue"))
    controls.set_monitor_image("Host", image)
    assert controls.program.pixmap() is not None and not controls.program.pixmap().isNull()

    controls.show_state(ObsSnapshot())
    assert not controls.stream_button.isEnabled()
    assert "not connected" in controls.program.text()


def test_duration_format() -> None:
    assert format_duration(3723.9) == "1:02:03"


def test_audio_strip_rows_mute_and_meters(qtbot: QtBot) -> None:
    strip = AudioStrip()
    qtbot.addWidget(strip)
    snap = ObsSnapshot(
        connection=CONNECTED,
        audio_inputs=(AudioInput(name="Mic/Aux", kind="pulse_input_capture", muted=False, volume_db=-6.0),),
    )
    strip.show_state(snap)
    label, mute, slider, meter = strip.rows["Mic/Aux"]
    assert label.text() == "Mic/Aux" and slider.value() == -6
    with qtbot.waitSignal(strip.mute_requested) as blocker:
        mute.click()
    assert blocker.args == ["Mic/Aux", True]
    event = translate_event(
        "InputVolumeMeters",
        {"inputs": [{"inputName": "Mic/Aux", "inputLevelsMul": [[0.5, 0.9, 0.9], [0.25, 0.3, 0.3]]}]},
    )
    assert isinstance(event, InputVolumeMeters)
    levels = dict(event.levels)
    assert levels == {"Mic/Aux": (0.5, 0.9)}
    strip.set_levels(levels)
    qtbot.waitUntil(lambda: meter.magnitude_db > -7)


def test_shortcuts_dialog_edits_and_refuses_clashes(qtbot: QtBot) -> None:
    dialog = ShortcutsDialog(default_scene_shortcuts())
    qtbot.addWidget(dialog)
    dialog.editors["take"].setKeySequence(QKeySequence("T"))
    assert dialog.shortcuts()["take"] == "T"
    dialog.editors["scene_2"].setKeySequence(QKeySequence("1"))
    assert dialog.duplicates() == ["1 is used by Scene 1 and Scene 2"]
    dialog._accept_if_valid()
    assert dialog.result() == 0 and "Scene 2" in dialog.problem.text()
    dialog.restore_defaults()
    assert dialog.shortcuts() == {**default_scene_shortcuts(), **default_rundown_shortcuts()}


def test_rundown_keys_are_in_the_shortcuts_dialog_and_clash_only_within_their_panel(qtbot: QtBot) -> None:
    dialog = ShortcutsDialog(default_scene_shortcuts())  # settings from before the rundown keys existed
    qtbot.addWidget(dialog)
    shortcuts = dialog.shortcuts()
    assert (shortcuts["rundown_next"], shortcuts["rundown_previous"]) == ("Space", "Shift+Space")
    assert shortcuts["take"] == "Space" and dialog.duplicates() == []  # Take elsewhere, Next in the rundown
    dialog.editors["rundown_previous"].setKeySequence(QKeySequence("Space"))
    assert dialog.duplicates() == ["Space is used by Next cue and Previous cue"]
    dialog.editors["rundown_previous"].setKeySequence(QKeySequence("P"))
    dialog._accept_if_valid()
    assert dialog.result() == 1 and dialog.shortcuts()["rundown_previous"] == "P"


def test_rundown_keys_do_not_make_the_switchers_space_ambiguous(qtbot: QtBot) -> None:
    from studio_console.qt.views.scene_panel import ScenePanel

    panel = ScenePanel({**default_scene_shortcuts(), **default_rundown_shortcuts()})
    qtbot.addWidget(panel)
    keys = sorted(s.key().toString() for s in panel.shortcuts)
    assert "Shift+Space" not in keys and keys.count("Space") == 1


def test_launch_obs_offered_only_when_nothing_answers(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.launch_action.setEnabled(True)
    down = ConnectionState(
        status=ConnectionStatus.DISCONNECTED,
        message="OBS not connected: Nothing answers on 127.0.0.1:4455: OBS is not running",
    )
    window.show_obs_state(ObsSnapshot(connection=down))
    assert window.launch_button.isVisible()
    with qtbot.waitSignal(window.launch_obs_requested):
        qtbot.mouseClick(window.launch_button, Qt.MouseButton.LeftButton)
    window.show_obs_state(ObsSnapshot(connection=ConnectionState(status=ConnectionStatus.AUTH_FAILED, message="x")))
    assert not window.launch_button.isVisible()
    window.launch_action.setEnabled(False)  # OBS not installed
    window.show_obs_state(ObsSnapshot(connection=down))
    assert not window.launch_button.isVisible()
