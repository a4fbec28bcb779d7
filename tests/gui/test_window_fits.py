"""The whole window, every panel and dock of a started core, fits a 1366x768 studio laptop screen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio_console.cli import LaunchOptions
from studio_console.core import StudioCore
from studio_console.obs.launcher import free_port
from studio_console.qt.shell import QtShell
from studio_console.services.products.catalog_io import CatalogStore, demo_catalog_path, import_json
from studio_console.settings.paths import AppPaths
from studio_console.settings.store import SettingsStore

pytestmark = pytest.mark.gui


def test_the_main_window_with_every_dock_fits_1366x768(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDIO_CONSOLE_SECRETS", "file")
    paths = AppPaths.under(tmp_path)
    paths.ensure()
    CatalogStore(paths.data_dir).save(import_json(demo_catalog_path()).catalog)
    store = SettingsStore(paths.settings_file)
    # No OBS answers on this port: the panels are built all the same (the app starts before OBS does).
    options = LaunchOptions(obs_port=free_port(), config_dir=tmp_path, remote_port=0)
    core = StudioCore(options, paths, store, store.load().settings)
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
