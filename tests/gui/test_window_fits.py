"""The whole window, every panel and dock of a started core, fits a 1366x768 studio laptop screen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio_console.qt.shell import QtShell
from tests.helpers.offline_core import offline_core

pytestmark = pytest.mark.gui


def test_the_main_window_with_every_dock_fits_1366x768(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No OBS answers on the core's port: the panels are built all the same (the app starts before OBS does).
    core, _paths = offline_core(tmp_path, monkeypatch)
    shell = QtShell(core)
    qtbot.addWidget(shell.window)
    try:
        qloop.run_until_complete(core.start())
        docks = sorted(shell.window.docks)
        assert {"Output", "Presets"} <= set(docks), docks  # the docks a started core adds are there
        hint = shell.window.minimumSizeHint()
        assert hint.width() <= 1366 and hint.height() <= 768, (hint, docks)
    finally:
        shell.close()
        qloop.run_until_complete(core.close())
