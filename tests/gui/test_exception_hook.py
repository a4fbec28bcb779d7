"""An unexpected exception is logged and shown in a non-modal box; the app keeps running."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from studio_console.logs import secrets as registry
from studio_console.qt import shell as app_module
from studio_console.qt.main_window import MainWindow


def test_exception_hook_logs_and_shows_non_modal_error(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    app_module.install_exception_hook(window)
    registry.add("key-in-error-5150")
    try:
        raise ValueError("broken with key-in-error-5150")
    except ValueError as exc:
        with caplog.at_level(logging.ERROR):
            sys.excepthook(type(exc), exc, exc.__traceback__)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes, "no error box shown"
    box = boxes[-1]
    assert not box.isModal()
    assert "ValueError" in box.text() and "key-in-error-5150" not in box.text()
    assert any("unexpected error" in r.getMessage() for r in caplog.records)
    box.close()
    monkeypatch.setattr(app_module, "_window_for_errors", None)
