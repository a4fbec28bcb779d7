"""The Output panel renders OutputStatus, never shows a key, and turns clicks into intents."""

from __future__ import annotations

import io

import av
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from studio_console.domain.obs_state import OutputPhase
from studio_console.domain.stream import (
    CheckStatus,
    DestinationInfo,
    DestinationKind,
    GoLiveConfirmation,
    LocalServerState,
    LocalServerStatus,
    OutputStatus,
    PreflightCheck,
    PreflightResult,
    ReceivedStreamInfo,
    SinkTypeInfo,
    Thumbnail,
)
from studio_console.qt.views.output_panel import OutputPanel, format_duration

DESTINATIONS = (
    DestinationInfo(
        sink_id="local_test_server",
        display_name="Local test server (this PC)",
        kind=DestinationKind.LOCAL_TEST,
        is_real_audience=False,
        server_url="rtmp://127.0.0.1:41000/live",
    ),
    DestinationInfo(
        sink_id="tiktok_live",
        display_name="TikTok LIVE",
        kind=DestinationKind.TIKTOK,
        is_real_audience=True,
        server_editable=True,
        needs_key=True,
        key_set=True,
        server_url="rtmp://push.example/live",
    ),
    DestinationInfo(
        sink_id="acme",
        display_name="acme",
        kind=DestinationKind.CUSTOM_RTMP,
        is_real_audience=True,
        available=False,
        unavailable_reason="ImportError",
    ),
)
LOCAL = LocalServerStatus(
    state=LocalServerState.RECEIVING,
    message="Receiving h264 640x360 15 fps",
    port=41000,
    info=ReceivedStreamInfo(
        video_codec="h264",
        width=640,
        height=360,
        fps=15.0,
        video_bitrate_kbps=812.0,
        keyframe_interval_s=2.0,
        keyframes=3,
        audio_codec="aac",
        audio_sample_rate=44100,
        audio_channels=2,
    ),
)


def make_panel(qtbot: QtBot, **status: object) -> OutputPanel:
    panel = OutputPanel()
    qtbot.addWidget(panel)
    panel.show_status(OutputStatus(destinations=DESTINATIONS, selected="local_test_server", **status))  # type: ignore[arg-type]
    panel.show()
    return panel


def all_text(panel: OutputPanel) -> str:
    from PySide6.QtWidgets import QLabel

    texts = [label.text() for label in panel.findChildren(QLabel)]
    texts += [panel.destination_combo.itemText(i) for i in range(panel.destination_combo.count())]
    texts += [panel.preflight_list.item(i).text() for i in range(panel.preflight_list.count())]
    return "\n".join(texts)


def test_local_test_server_is_the_default_and_real_destinations_are_marked(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    combo = panel.destination_combo
    assert combo.currentData() == "local_test_server"
    assert combo.itemText(1) == "● TikTok LIVE — real audience"
    assert "unavailable" in combo.itemText(2)
    assert panel.go_live_button.text() == "Start rehearsal" and panel.go_live_button.isEnabled()
    assert "Rehearsal" in panel.audience_label.text()
    assert not panel.key_edit.isEnabled()


def test_picking_a_destination_emits_and_rendering_does_not(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    with qtbot.assertNotEmitted(panel.destination_requested):
        panel.show_status(OutputStatus(destinations=DESTINATIONS, selected="tiktok_live"))
    assert panel.destination_combo.currentData() == "tiktok_live"
    assert panel.go_live_button.text() == "Go live on TikTok LIVE"
    assert "Real audience" in panel.audience_label.text()
    with qtbot.waitSignal(panel.destination_requested) as blocker:
        panel.destination_combo.activated.emit(0)
    assert blocker.args == ["local_test_server"]


def test_key_entry_is_masked_emitted_once_and_cleared(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.show_status(OutputStatus(destinations=DESTINATIONS, selected="tiktok_live"))
    assert panel.key_edit.echoMode() is QLineEdit.EchoMode.Password
    assert panel.key_state.text() == "stored ••••••••"
    qtbot.keyClicks(panel.key_edit, "tiktok-secret-key-123")
    with qtbot.waitSignal(panel.stream_key_requested) as blocker:
        qtbot.mouseClick(panel.key_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["tiktok_live", "tiktok-secret-key-123"]
    assert panel.key_edit.text() == ""
    assert "tiktok-secret-key-123" not in all_text(panel)
    with qtbot.assertNotEmitted(panel.stream_key_requested):
        qtbot.mouseClick(panel.key_button, Qt.MouseButton.LeftButton)  # nothing typed: nothing to store


def test_server_url_go_live_stop_preflight_and_local_options_emit_intents(qtbot: QtBot) -> None:
    panel = make_panel(qtbot, local_server=LOCAL)
    panel.show_status(OutputStatus(destinations=DESTINATIONS, selected="tiktok_live", local_server=LOCAL))
    panel.server_edit.setText(" rtmp://push2.example/live ")
    with qtbot.waitSignal(panel.server_url_requested) as blocker:
        qtbot.mouseClick(panel.server_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["tiktok_live", "rtmp://push2.example/live"]
    with qtbot.waitSignal(panel.preflight_requested) as blocker:
        qtbot.mouseClick(panel.preflight_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["tiktok_live"]
    with qtbot.waitSignal(panel.go_live_requested) as blocker:
        qtbot.mouseClick(panel.go_live_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["tiktok_live"]
    with qtbot.waitSignal(panel.recording_requested) as blocker:
        panel.record_box.click()
    assert blocker.args == [True]
    with qtbot.waitSignal(panel.thumbnails_requested) as blocker:
        panel.thumbnails_box.click()
    assert blocker.args == [False]
    assert not panel.stop_button.isEnabled()


def test_live_state_with_figures_and_locked_picker(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    live = OutputStatus(
        phase=OutputPhase.LIVE,
        message="Live on TikTok LIVE",
        destinations=DESTINATIONS,
        selected="tiktok_live",
        active_sink="tiktok_live",
        active_destination="TikTok LIVE",
        active_is_real_audience=True,
        duration_s=3725.4,
        bitrate_kbps=2512.3,
        congestion=0.12,
        dropped_frames=3,
        total_frames=300,
        reconnects=2,
        local_server=LOCAL,
    )
    panel.show_status(live)
    assert panel.phase_label.text() == "LIVE — TikTok LIVE"
    assert panel.duration_value.text() == "1:02:05" == format_duration(3725.4)
    assert panel.bitrate_value.text() == "2512 kbps"
    assert panel.congestion_value.text() == "12 %"
    assert panel.dropped_value.text() == "3 of 300 (1.0 %)"
    assert panel.reconnects_value.text() == "2"
    assert not panel.destination_combo.isEnabled() and not panel.go_live_button.isEnabled()
    assert panel.stop_button.isEnabled()
    with qtbot.waitSignal(panel.stop_requested):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    for phase, text in ((OutputPhase.RECONNECTING, "Reconnecting…"), (OutputPhase.STARTING, "Starting…")):
        panel.show_status(live.model_copy(update={"phase": phase}))
        assert panel.phase_label.text() == text
    panel.show_status(OutputStatus(destinations=DESTINATIONS, selected="tiktok_live"))
    assert panel.phase_label.text() == "Stopped" and panel.destination_combo.isEnabled()


def test_local_test_server_figures_and_thumbnail(qtbot: QtBot) -> None:
    panel = make_panel(qtbot, local_server=LOCAL)
    figures = panel.local_figures.text()
    assert "h264 640x360 15 fps, 812 kbps" in figures
    assert "keyframe every 2.0 s" in figures and "aac 44100 Hz 2 ch" in figures
    assert "127.0.0.1:41000" in panel.local_state.text()
    panel.show_thumbnail(Thumbnail(jpeg=_blue_jpeg(), width=64, height=36))
    image = panel.thumbnail_label.pixmap().toImage()
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    assert colour.blue() > 200 and colour.red() < 60


def test_preflight_list_and_user_text_stays_plain(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    result = PreflightResult(
        sink_id="tiktok_live",
        destination="TikTok LIVE",
        checks=(
            PreflightCheck(name="orientation", status=CheckStatus.WARN, sentence="Landscape <b>canvas</b>."),
            PreflightCheck(name="stream_key", status=CheckStatus.PASS, sentence="A stream key is stored."),
            PreflightCheck(name="keyframe_interval", status=CheckStatus.FAIL, sentence="Keyframes every 16.7 s."),
        ),
    )
    panel.show_status(OutputStatus(destinations=DESTINATIONS, selected="tiktok_live", preflight=result))
    texts = [panel.preflight_list.item(i).text() for i in range(panel.preflight_list.count())]
    assert texts == ["⚠ Landscape <b>canvas</b>.", "✔ A stream key is stored.", "✖ Keyframes every 16.7 s."]
    panel.show_status(OutputStatus(destinations=DESTINATIONS, selected="tiktok_live", message="<img src=/etc/passwd>"))
    assert panel.message_label.textFormat() is Qt.TextFormat.PlainText
    assert panel.message_label.text() == "<img src=/etc/passwd>"


def test_confirmation_names_the_destination_and_defaults_to_cancel(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    confirmation = GoLiveConfirmation(
        token="t", sink_id="tiktok_live", destination="TikTok LIVE", prompt="Go live on TikTok LIVE? Real viewers."
    )
    box = panel.confirmation_box(confirmation)
    assert box.textFormat() is Qt.TextFormat.PlainText
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert any(b.text() == "Go live on TikTok LIVE" for b in box.buttons())

    def answer(name: str) -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QMessageBox)
        for button in dialog.buttons():
            if button.objectName() == name or (name == "cancel" and button.text() != "Go live on TikTok LIVE"):
                button.click()
                return

    QTimer.singleShot(0, lambda: answer("confirmGoLive"))
    assert panel.ask_confirmation(confirmation)
    QTimer.singleShot(0, lambda: answer("cancel"))
    assert not panel.ask_confirmation(confirmation)


def _blue_jpeg() -> bytes:
    frame = av.VideoFrame(64, 36, "rgb24")
    plane = frame.planes[0]
    row = bytes((0, 0, 255)) * 64
    plane.update((row + bytes(plane.line_size - len(row))) * 36)
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 64, 36, "yuvj420p"
    from fractions import Fraction

    encoder.time_base = Fraction(1, 25)
    data = b"".join(bytes(p) for p in encoder.encode(frame.reformat(format="yuvj420p")))
    assert av.open(io.BytesIO(data)).streams.video[0].codec_context.name == "mjpeg"
    return data


def test_confirmation_without_blocking_emits_the_token_on_yes_only(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    confirmation = GoLiveConfirmation(token="tok-1", sink_id="tiktok_live", destination="TikTok LIVE", prompt="Go?")
    panel.confirm_go_live(confirmation)
    box = panel._confirm_box
    assert box is not None and box.isVisible()
    with qtbot.waitSignal(panel.go_live_confirmed) as blocker:
        next(b for b in box.buttons() if b.objectName() == "confirmGoLive").click()
    assert blocker.args == ["tok-1"]
    panel.confirm_go_live(confirmation)
    box = panel._confirm_box
    assert box is not None
    with qtbot.assertNotEmitted(panel.go_live_confirmed):
        box.button(QMessageBox.StandardButton.Cancel).click()
        qtbot.wait(50)


SECOND_TIKTOK = DestinationInfo(
    sink_id="tiktok_live-2",
    display_name="TikTok <b>shop</b> account",
    sink_type="tiktok_live",
    kind=DestinationKind.TIKTOK,
    is_real_audience=True,
    server_editable=True,
    needs_key=True,
    key_set=True,
)
KINDS = (
    SinkTypeInfo(sink_type="local_test_server", display_name="Local test server (this PC)"),
    SinkTypeInfo(sink_type="tiktok_live", display_name="TikTok LIVE"),
    SinkTypeInfo(sink_type="acme", display_name="acme", available=False, unavailable_reason="ImportError"),
)


def test_instances_of_one_kind_are_listed_and_added_renamed_removed_by_id(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    status = OutputStatus(destinations=(*DESTINATIONS, SECOND_TIKTOK), sink_types=KINDS, selected="tiktok_live-2")
    panel.show_status(status)
    combo = panel.destination_combo
    assert combo.currentData() == "tiktok_live-2"
    assert combo.itemText(combo.currentIndex()) == "● TikTok <b>shop</b> account — real audience"
    assert panel.name_edit.text() == "TikTok <b>shop</b> account"  # a line edit: plain text
    assert panel.go_live_button.text() == "Go live on TikTok <b>shop</b> account"

    actions = panel.add_menu.actions()
    assert [a.text() for a in actions] == ["Local test server (this PC)", "TikTok LIVE", "acme (unavailable)"]
    assert [a.isEnabled() for a in actions] == [True, True, False]
    with qtbot.waitSignal(panel.destination_add_requested) as blocker:
        actions[1].trigger()
    assert blocker.args == ["tiktok_live"]

    panel.name_edit.setText("  TikTok backup  ")
    with qtbot.waitSignal(panel.destination_rename_requested) as blocker:
        qtbot.mouseClick(panel.rename_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["tiktok_live-2", "TikTok backup"]

    panel._remove_clicked()
    box = panel._remove_box
    assert box is not None and box.textFormat() is Qt.TextFormat.PlainText
    assert box.text() == "Remove TikTok <b>shop</b> account and its stored stream key?"
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    with qtbot.assertNotEmitted(panel.destination_remove_requested):
        box.button(QMessageBox.StandardButton.Cancel).click()
        qtbot.wait(50)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    box = panel._remove_box
    assert box is not None
    with qtbot.waitSignal(panel.destination_remove_requested) as blocker:
        next(b for b in box.buttons() if b.objectName() == "confirmRemove").click()
    assert blocker.args == ["tiktok_live-2"]


def test_the_destination_in_use_cannot_be_renamed_or_removed_and_the_last_one_stays(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    live = OutputStatus(
        phase=OutputPhase.LIVE,
        destinations=DESTINATIONS,
        sink_types=KINDS,
        selected="tiktok_live",
        active_sink="tiktok_live",
    )
    panel.show_status(live)
    assert not panel.remove_button.isEnabled() and not panel.rename_button.isEnabled()
    assert panel.add_button.isEnabled()
    panel.show_status(OutputStatus(destinations=DESTINATIONS[:1], sink_types=KINDS, selected="local_test_server"))
    assert not panel.remove_button.isEnabled() and panel.rename_button.isEnabled()
