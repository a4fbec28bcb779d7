"""The preset picker: the day's order, switch and delete intents, reordering, and names shown as plain text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio_console.qt.views.preset_picker import PresetPicker


def test_presets_are_listed_in_order_with_the_one_on_air_named(qtbot: QtBot) -> None:
    picker = PresetPicker()
    qtbot.addWidget(picker)
    picker.set_presets(["Cara Cooks", "<b>Anna</b>"], active="<b>Anna</b>")
    assert picker.names() == ["Cara Cooks", "<b>Anna</b>"]
    assert picker.active_label.text() == "On air: <b>Anna</b>"
    assert picker.active_label.textFormat() == Qt.TextFormat.PlainText


def test_switch_and_reorder_emit_intents(qtbot: QtBot) -> None:
    picker = PresetPicker()
    qtbot.addWidget(picker)
    picker.set_presets(["Anna", "Ben", "Cara"], active=None)
    picker.list.setCurrentRow(2)
    with qtbot.waitSignal(picker.switch_requested) as switched:
        picker.switch_button.click()
    assert switched.args == ["Cara"]
    with qtbot.waitSignal(picker.order_changed) as ordered:
        picker._buttons["Up"].click()
    assert ordered.args == [["Anna", "Cara", "Ben"]]


@pytest.mark.parametrize("confirmed", [True, False])
def test_delete_asks_first(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, confirmed: bool) -> None:
    picker = PresetPicker()
    qtbot.addWidget(picker)
    picker.set_presets(["Anna", "Ben"], active=None)
    picker.list.setCurrentRow(1)
    asked: list[str] = []
    monkeypatch.setattr(picker, "confirm_delete", lambda name: asked.append(name) or confirmed)
    deleted: list[str] = []
    picker.delete_requested.connect(deleted.append)
    picker._buttons["Delete"].click()
    assert asked == ["Ben"]
    assert deleted == (["Ben"] if confirmed else [])
