"""The Rundown panel: it shows the state it is given, locks while live, and emits intents (keys included)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio_console.domain.rundown import (
    Cue,
    CueKind,
    CueRecord,
    CueRef,
    CueStatus,
    EndAction,
    Rundown,
    RundownState,
    TimerPhase,
    TimerState,
)
from studio_console.qt.views.rundown_panel import PHASE_COLOURS, RundownPanel, clock_text, countdown_text

RUNDOWN = Rundown(
    cues=(
        Cue(id="a", title="Doors", kind=CueKind.PREHEAT, duration_s=600, scene="Host"),
        Cue(id="b", title="Mug", kind=CueKind.PRODUCT, duration_s=300, sku="MUG", end_action=EndAction.NEXT,
            talking_points=("<b>Dishwasher</b> safe",)),
        Cue(id="c", title="Q&A", duration_s=120),
    )
)  # fmt: skip


def live_state(phase: TimerPhase = TimerPhase.WARNING, remaining: float = 95.4) -> RundownState:
    return RundownState(
        rundown=RUNDOWN,
        locked=True,
        timer=TimerState(
            running=True,
            current=CueRef(index=1, title="Mug", kind=CueKind.PRODUCT),
            next=CueRef(index=2, title="Q&A", kind=CueKind.SEGMENT),
            elapsed_s=300 - remaining,
            remaining_s=remaining,
            planned_s=300,
            phase=phase,
            over_under_s=42,
            projected_end=datetime(2026, 12, 1, 21, 5, 30),
            planned_end=datetime(2026, 12, 1, 21, 4, 48),
        ),
        records=(
            CueRecord(cue_id="a", index=0, title="Doors", kind=CueKind.PREHEAT, status=CueStatus.DONE,
                      planned_duration_s=600),
            CueRecord(cue_id="b", index=1, title="Mug", kind=CueKind.PRODUCT, status=CueStatus.LIVE,
                      planned_duration_s=300),
            CueRecord(cue_id="c", index=2, title="Q&A", kind=CueKind.SEGMENT, planned_duration_s=120),
        ),
    )  # fmt: skip


def test_timer_texts() -> None:
    assert clock_text(95) == "1:35" and clock_text(3723) == "1:02:03" and clock_text(-45) == "-0:45"
    assert countdown_text(TimerState(remaining_s=95.4)) == "1:36"
    assert countdown_text(TimerState(remaining_s=-65.2)) == "+1:05"


def test_live_state_shows_timers_and_locks_the_order(qtbot: QtBot) -> None:
    panel = RundownPanel()
    qtbot.addWidget(panel)
    panel.show_state(RundownState(rundown=RUNDOWN))
    assert panel.list.count() == 3 and panel.editor.isEnabled()
    assert panel.list.dragDropMode() == panel.list.DragDropMode.InternalMove
    assert not panel.end_button.isEnabled()

    panel.show_state(live_state())
    assert panel.cue_title.text() == "2. Mug"
    assert panel.timer_label.text() == "1:36"
    assert PHASE_COLOURS[TimerPhase.WARNING] in panel.timer_label.styleSheet()
    assert panel.over_under_label.text() == "0:42 over"
    assert panel.projected_label.text() == "Ends 21:05:30"
    assert panel.next_label.text() == "Next: Q&A"
    assert panel.list.item(1).text().startswith("▶ 2. Mug (5:00)")
    assert panel.list.item(0).text().startswith("✓ 1. Doors")
    # Locked while live: no drag, no editing, no import.
    assert panel.list.dragDropMode() == panel.list.DragDropMode.NoDragDrop
    assert not panel.editor.isEnabled() and not panel.import_button.isEnabled()
    # The producer's notes in a tooltip are escaped (tooltips cannot be plain text).
    assert "&lt;b&gt;" in panel.list.item(1).toolTip()

    panel.show_state(live_state(TimerPhase.OVERTIME, remaining=-12))
    assert panel.timer_label.text() == "+0:12"
    assert PHASE_COLOURS[TimerPhase.OVERTIME] in panel.timer_label.styleSheet()


def test_buttons_emit_intents(qtbot: QtBot) -> None:
    panel = RundownPanel()
    qtbot.addWidget(panel)
    panel.show_state(live_state())
    panel.list.setCurrentRow(2)
    with qtbot.waitSignal(panel.go_requested) as go:
        panel.go_button.click()
    assert go.args == [2]
    with qtbot.waitSignal(panel.skip_requested) as skip:
        panel.skip_button.click()
    assert skip.args == [2]
    with qtbot.waitSignal(panel.next_requested):
        panel.next_button.click()
    with qtbot.waitSignal(panel.previous_requested):
        panel.previous_button.click()
    with qtbot.waitSignal(panel.end_requested):
        panel.end_button.click()


def test_space_goes_next_and_shift_space_back_while_the_panel_has_focus(qtbot: QtBot) -> None:
    panel = RundownPanel()
    qtbot.addWidget(panel)
    panel.show_state(live_state())
    panel.show()
    panel.list.setFocus()
    with qtbot.waitSignal(panel.next_requested):
        qtbot.keyClick(panel.list, Qt.Key.Key_Space)
    with qtbot.waitSignal(panel.previous_requested):
        qtbot.keyClick(panel.list, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    # Configurable through the shortcuts settings.
    panel.set_shortcuts({"rundown_next": "N", "rundown_previous": "B"})
    with qtbot.assertNotEmitted(panel.next_requested):
        qtbot.keyClick(panel.list, Qt.Key.Key_Space)
    with qtbot.waitSignal(panel.next_requested):
        qtbot.keyClick(panel.list, Qt.Key.Key_N)


def test_the_editor_saves_adds_and_reports_bad_input(qtbot: QtBot) -> None:
    panel = RundownPanel()
    qtbot.addWidget(panel)
    panel.show_state(RundownState(rundown=RUNDOWN))
    panel.list.setCurrentRow(1)
    assert panel.title_edit.text() == "Mug" and panel.sku_edit.text() == "MUG"
    panel.title_edit.setText("Mug, blue")
    panel.duration_spin.setValue(240)
    with qtbot.waitSignal(panel.cue_edit_requested) as saved:
        panel.save_button.click()
    cue = saved.args[0]
    assert cue.id == "b" and cue.title == "Mug, blue" and cue.duration_s == 240 and cue.sku == "MUG"
    with qtbot.waitSignal(panel.cue_add_requested) as added:
        panel.add_button.click()
    new, index = added.args
    assert new.id != "b" and index == 2
    panel.title_edit.setText("   ")
    with qtbot.assertNotEmitted(panel.cue_edit_requested):
        panel.save_button.click()
    assert "title" in panel.editor_problem.text()


def test_a_drop_asks_for_the_move_and_keeps_the_shown_order(qtbot: QtBot) -> None:
    panel = RundownPanel()
    qtbot.addWidget(panel)
    panel.show_state(RundownState(rundown=RUNDOWN))
    with qtbot.waitSignal(panel.move_requested) as moved:
        panel.list.dropped.emit(2, 0)
    assert moved.args == [2, 0]
    assert panel.list.item(0).text().startswith("  1. Doors")


def test_space_in_the_rundown_is_claimed_before_application_shortcuts(qtbot: QtBot) -> None:
    """The switcher's Take is an application-wide Space: the panel claims Space in Qt's ShortcutOverride
    step (Qt then delivers a key press instead of firing a shortcut), so one key never does both."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    panel = RundownPanel()
    qtbot.addWidget(panel)
    panel.show_state(live_state())

    def claimed(widget: object, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> bool:
        event = QKeyEvent(QEvent.Type.ShortcutOverride, Qt.Key.Key_Space, modifiers, " ")
        event.ignore()
        QApplication.sendEvent(widget, event)  # type: ignore[arg-type]
        return event.isAccepted()

    assert claimed(panel.list) and claimed(panel.next_button)
    assert claimed(panel.list, Qt.KeyboardModifier.ShiftModifier)
    # Typing a space in the message line (or the editor) is just a space.
    with qtbot.assertNotEmitted(panel.next_requested):
        qtbot.keyClick(panel.message_edit, Qt.Key.Key_Space)
    assert panel.message_edit.text() == " "


def test_a_ticking_timer_does_not_rebuild_the_list(qtbot: QtBot) -> None:
    panel = RundownPanel()
    qtbot.addWidget(panel)
    panel.show_state(live_state(remaining=95.4))
    first = panel.list.item(1)
    later = live_state(remaining=94.4)
    records = tuple(r.model_copy(update={"actual_duration_s": 205.6}) for r in later.records)
    panel.show_state(later.model_copy(update={"records": records}))
    assert panel.list.item(1) is first  # same row object: not cleared and refilled
    assert panel.timer_label.text() == "1:35"
