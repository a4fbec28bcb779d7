"""Going live to several on screen: one row per destination, its buttons, and the one confirmation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from studio_console.adapters.sinks.local_test_server import LocalTestServerSink
from studio_console.core import Problem, StudioCore
from studio_console.domain.stream import (
    CheckStatus,
    DestinationInfo,
    DestinationKind,
    OutputStatus,
    PlannedDestination,
    PreflightCheck,
    PreflightResult,
    RelayDestinationStatus,
    RelayState,
    RelayTarget,
    SimulcastPlan,
    SimulcastStatus,
    UploadFigure,
    UploadMeasurement,
)
from studio_console.qt.bridges.output_bridge import OutputBridge
from studio_console.qt.dialogs.simulcast_dialog import SimulcastDialog
from studio_console.qt.views.output_panel import OutputPanel
from studio_console.services.golive.upload import UPLOAD_FILE
from tests.helpers.offline_core import offline_core

HOSTILE = "<img src=/etc/passwd><b>refused</b>"
DESTINATIONS = (
    DestinationInfo(
        sink_id="local_test_server",
        display_name="Local test server (this PC)",
        kind=DestinationKind.LOCAL_TEST,
        is_real_audience=False,
    ),
    DestinationInfo(
        sink_id="youtube_live",
        display_name="YouTube Live",
        kind=DestinationKind.YOUTUBE,
        is_real_audience=True,
        server_url="rtmps://a.rtmps.youtube.com:443/live2",
    ),
    DestinationInfo(
        sink_id="nginx", display_name="Studio nginx", kind=DestinationKind.CUSTOM_RTMP, is_real_audience=False
    ),
    DestinationInfo(
        sink_id="acme",
        display_name="acme",
        kind=DestinationKind.CUSTOM_RTMP,
        is_real_audience=True,
        available=False,
    ),
)
MEASURED = UploadMeasurement(kbps=1900.0, measured_at=datetime(2026, 11, 30, 20, 0, tzinfo=UTC), destinations=2)


def make_panel(qtbot: QtBot) -> OutputPanel:
    panel = OutputPanel()
    qtbot.addWidget(panel)
    panel.show_status(OutputStatus(destinations=DESTINATIONS, selected="local_test_server"))
    panel.show()
    return panel


def row_of(panel: OutputPanel, destination_id: str):  # type: ignore[no-untyped-def]
    row = panel.relay_row(destination_id)
    assert row is not None, destination_id
    return row


def test_one_row_per_relayable_destination_with_its_kind(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    assert panel.relay_row("local_test_server") is None  # OBS streams there: it is not relayed
    assert panel.relay_row("acme") is None  # unavailable
    youtube, nginx = row_of(panel, "youtube_live"), row_of(panel, "nginx")
    assert youtube.name_label.text() == "YouTube Live" and youtube.kind_label.text() == "real audience"
    assert nginx.kind_label.text() == "no real audience"
    assert youtube.state_label.text() == "Stopped" and youtube.action_button.text() == "Start"
    assert not youtube.retry_button.isVisible()


def test_rows_follow_state_changes_with_attempt_next_retry_and_figures(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    row = row_of(panel, "youtube_live")
    panel.show_relay(
        RelayDestinationStatus(
            destination_id="youtube_live",
            state=RelayState.LIVE,
            bitrate_kbps=2480.4,
            packets_dropped=3,
            reconnects=1,
            live_s=65,
        )
    )
    assert row.state_label.text() == "Live" and row.action_button.text() == "Stop"
    assert row.figures_label.text() == "2480 kbps · 3 dropped · 1 reconnect · live 0:01:05"
    next_at = time.time() + 4
    panel.show_relay(
        RelayDestinationStatus(
            destination_id="youtube_live",
            state=RelayState.RETRYING,
            attempt=3,
            next_retry_at=next_at,
            last_error="Connection refused",
            reconnects=1,
        )
    )
    clock = datetime.fromtimestamp(next_at).strftime("%H:%M:%S")
    assert row.state_label.text() == f"Retrying — attempt 3, next try at {clock} (Connection refused)"
    assert row.retry_button.isVisible() and row.action_button.text() == "Stop"
    assert row.figures_label.text().startswith("- kbps")  # nothing is sent while retrying
    panel.show_relay(RelayDestinationStatus(destination_id="youtube_live", state=RelayState.STOPPED))
    assert row.action_button.text() == "Start" and not row.retry_button.isVisible()
    # A status for a destination without a row (yet) is kept and shown once the row exists.
    panel.show_relay(RelayDestinationStatus(destination_id="later", state=RelayState.LIVE))
    more = (
        *DESTINATIONS,
        DestinationInfo(sink_id="later", display_name="Later", kind=DestinationKind.TWITCH, is_real_audience=True),
    )
    panel.show_status(OutputStatus(destinations=more, selected="local_test_server"))
    assert row_of(panel, "later").state_label.text() == "Live"


def test_a_failed_error_is_shown_as_plain_text(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    row = row_of(panel, "nginx")
    panel.show_relay(RelayDestinationStatus(destination_id="nginx", state=RelayState.FAILED, last_error=HOSTILE))
    assert row.state_label.text() == f"Failed: {HOSTILE}"
    assert row.state_label.textFormat() is Qt.TextFormat.PlainText
    for label in row.findChildren(QLabel):
        assert label.textFormat() is Qt.TextFormat.PlainText
    assert row.retry_button.isVisible()


def test_row_buttons_and_ticks_emit_intents(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    row = row_of(panel, "nginx")
    with qtbot.waitSignal(panel.relay_start_requested) as start:
        qtbot.mouseClick(row.action_button, Qt.MouseButton.LeftButton)
    assert start.args == ["nginx"]
    panel.show_relay(RelayDestinationStatus(destination_id="nginx", state=RelayState.LIVE))
    with qtbot.waitSignal(panel.relay_stop_requested) as stop, qtbot.assertNotEmitted(panel.relay_start_requested):
        qtbot.mouseClick(row.action_button, Qt.MouseButton.LeftButton)
    assert stop.args == ["nginx"]
    panel.show_relay(RelayDestinationStatus(destination_id="nginx", state=RelayState.RETRYING, attempt=1))
    with qtbot.waitSignal(panel.relay_retry_requested) as retry:
        qtbot.mouseClick(row.retry_button, Qt.MouseButton.LeftButton)
    assert retry.args == ["nginx"]
    with qtbot.waitSignal(panel.relay_turned_on_requested) as tick:
        qtbot.mouseClick(row.on_box, Qt.MouseButton.LeftButton)
    assert tick.args == ["nginx", True]
    assert not panel.simulcast_button.isEnabled()  # nothing turned on until the core says so
    panel.show_simulcast(SimulcastStatus(turned_on=("nginx",), upload=UploadFigure(destinations=1)))
    assert panel.simulcast_button.isEnabled() and panel.simulcast_button.text() == "Go live to all turned on (1)"
    with qtbot.waitSignal(panel.simulcast_requested):
        qtbot.mouseClick(panel.simulcast_button, Qt.MouseButton.LeftButton)


def test_upload_needed_against_measured_with_a_warning(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.show_simulcast(
        SimulcastStatus(
            turned_on=("youtube_live", "nginx"),
            upload=UploadFigure(destinations=2, per_destination_kbps=960, source="OBS's video + audio bitrate"),
        )
    )
    assert row_of(panel, "youtube_live").on_box.isChecked() and row_of(panel, "nginx").on_box.isChecked()
    assert panel.upload_needed_label.text().startswith("Upload needed: 1920 kbps = 960 kbps")
    assert "never measured" in panel.upload_measured_label.text()
    assert "never measured" in panel.upload_warning_label.text() and not panel.upload_warning_label.isHidden()
    figure = UploadFigure(destinations=3, per_destination_kbps=960, source="OBS", measured=MEASURED)
    panel.show_simulcast(SimulcastStatus(turned_on=("youtube_live",), upload=figure))
    assert "1900 kbps sustained over 10 s" in panel.upload_measured_label.text()
    assert "2880 kbps" in panel.upload_warning_label.text()
    assert not row_of(panel, "nginx").on_box.isChecked()
    enough = UploadFigure(destinations=1, per_destination_kbps=960, source="OBS", measured=MEASURED)
    panel.show_simulcast(SimulcastStatus(turned_on=("youtube_live",), upload=enough))
    assert panel.upload_warning_label.isHidden()


def plan(token: str = "tok-123") -> SimulcastPlan:
    def planned(i: str, name: str, real: bool, status: CheckStatus) -> PlannedDestination:
        check = PreflightCheck(name="bitrate", status=status, sentence=f"{name}: {HOSTILE}")
        return PlannedDestination(
            destination_id=i,
            display_name=name,
            kind=DestinationKind.CUSTOM_RTMP,
            is_real_audience=real,
            server_url=f"rtmp://{i}.example/live",
            preflight=PreflightResult(sink_id=i, destination=name, checks=(check,)),
        )

    destinations = (
        planned("youtube_live", "YouTube Live", True, CheckStatus.WARN),
        planned("nginx", "Studio nginx", False, CheckStatus.PASS),
        planned("twitch", "Twitch", True, CheckStatus.FAIL),
    )
    upload = UploadFigure(destinations=2, per_destination_kbps=960, source="OBS")
    return SimulcastPlan(token=token, destinations=destinations, upload=upload, prompt=f"Prompt naming all {HOSTILE}")


def test_the_confirmation_shows_the_prompt_as_plain_text_and_defaults_to_cancel(qtbot: QtBot) -> None:
    dialog = SimulcastDialog(plan())
    qtbot.addWidget(dialog)
    assert dialog.details.toPlainText() == f"Prompt naming all {HOSTILE}"
    assert dialog.heading.textFormat() is Qt.TextFormat.PlainText
    assert dialog.heading.text() == "Real viewers will see this stream on YouTube Live."  # Twitch fails: not listed
    assert dialog.go_button is not None and dialog.go_button.text() == "Go live to 2 destinations"
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel.isDefault() and not dialog.go_button.isDefault()
    assert "never measured" in dialog.upload_warning.text()
    nothing = SimulcastDialog(SimulcastPlan(prompt="No destination can start"))
    qtbot.addWidget(nothing)
    assert nothing.go_button is None
    assert [b.objectName() for b in nothing.buttons.buttons()] == ["cancelSimulcast"]


def test_confirming_emits_the_token_and_cancelling_emits_nothing(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.confirm_simulcast(plan())
    dialog = panel._simulcast_dialog
    assert isinstance(dialog, SimulcastDialog) and dialog.go_button is not None
    with qtbot.waitSignal(panel.simulcast_confirmed) as confirmed:
        dialog.go_button.click()
    assert confirmed.args == ["tok-123"]
    panel.confirm_simulcast(plan())
    dialog = panel._simulcast_dialog
    assert dialog is not None
    with qtbot.assertNotEmitted(panel.simulcast_confirmed):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
        QApplication.processEvents()


# -- the bridge, over a real StudioCore (no OBS answering) --------------------------------------


@pytest.fixture
def core(tmp_path: Path, qloop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch) -> Iterator[StudioCore]:
    studio, paths = offline_core(tmp_path, monkeypatch, demo_catalog=False)
    (paths.data_dir / UPLOAD_FILE).write_text("{broken", encoding="utf-8")

    async def build() -> None:
        studio.golive = studio.build_golive()
        assert studio.golive is not None
        await studio.build_relay(studio.golive)
        await studio.golive.set_options("custom_rtmp", {"reaches_audience": False, "label": "Studio nginx"})
        await studio.golive.set_server_url("custom_rtmp", "rtmp://127.0.0.1:9/live")
        studio.golive.set_stream_key("custom_rtmp", "nginx-key-5555")

    qloop.run_until_complete(build())
    yield studio
    qloop.run_until_complete(studio.close())


def settle(qloop: asyncio.AbstractEventLoop) -> None:
    qloop.run_until_complete(asyncio.sleep(0.05))


def test_the_bridge_translates_relay_statuses_and_turns_clicks_into_core_calls(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, core: StudioCore
) -> None:
    # The corrupt upload file was kept aside, said once, and counts as never measured.
    notices = [p.text for p in core.startup_notices() if p.title == "Upload figure"]
    assert notices and UPLOAD_FILE in notices[0]
    assert core.simulcast is not None and core.simulcast.measured is None
    panel = OutputPanel()
    qtbot.addWidget(panel)
    bridge = OutputBridge(core, panel)
    panel.show()
    problems: list[Problem] = []
    core.problems.add(problems.append)
    row = row_of(panel, "custom_rtmp")
    assert row.name_label.text() == "Studio nginx"

    # A tick goes to the core; the core's answer ticks the box.
    qtbot.mouseClick(row.on_box, Qt.MouseButton.LeftButton)
    settle(qloop)
    assert core.simulcast.status.turned_on == ("custom_rtmp",) and row.on_box.isChecked()
    assert panel.simulcast_button.isEnabled()

    # The relay's own listener drives the row (a real relay output, waiting for OBS's stream).
    local = core.golive.sink("local_test_server") if core.golive else None
    assert isinstance(local, LocalTestServerSink)

    async def start_output() -> None:  # the relay is driven from the loop, as in the app
        local.relay.start(RelayTarget("custom_rtmp", "Studio nginx", "rtmp://127.0.0.1:9/live/k"))

    with qtbot.waitSignal(bridge.relay_changed):
        qloop.run_until_complete(start_output())
    assert row.state_label.text() == "Preparing…" and row.action_button.text() == "Stop"
    qtbot.mouseClick(row.action_button, Qt.MouseButton.LeftButton)  # Stop goes to RelayControl.stop
    settle(qloop)
    assert row.state_label.text() == "Stopped"
    local.relay.join(5)

    # Retry of a stopped destination is refused by the core: a problem, never an exception into Qt.
    row.retry_button.setVisible(True)
    qtbot.mouseClick(row.retry_button, Qt.MouseButton.LeftButton)
    settle(qloop)
    assert problems and "only a retrying or failed" in problems[-1].text

    # Start: the core's preflight finds OBS not connected; the confirmation shows why, with no yes-button.
    qtbot.mouseClick(row.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel._simulcast_dialog is not None, timeout=3000)
    settle(qloop)
    dialog = panel._simulcast_dialog
    assert dialog is not None and dialog.go_button is None
    assert "OBS is not connected" in dialog.details.toPlainText()
    assert "nginx-key-5555" not in dialog.details.toPlainText()
    dialog.reject()
    assert not [b for b in panel.findChildren(QPushButton) if b.objectName() == "confirmSimulcast"]
    bridge.close()
