"""A real StudioCore over a throwaway config folder, with no OBS answering on its port (for Qt-side tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio_console.cli import LaunchOptions
from studio_console.core import StudioCore
from studio_console.obs.launcher import free_port
from studio_console.services.products.catalog_io import CatalogStore, demo_catalog_path, import_json
from studio_console.settings.paths import AppPaths
from studio_console.settings.store import SettingsStore


def offline_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, demo_catalog: bool = True
) -> tuple[StudioCore, AppPaths]:
    """The core as the app builds it (secrets in a file, remote API on a free port); nothing started yet."""
    monkeypatch.setenv("STUDIO_CONSOLE_SECRETS", "file")
    paths = AppPaths.under(tmp_path)
    paths.ensure()
    if demo_catalog:
        CatalogStore(paths.data_dir).save(import_json(demo_catalog_path()).catalog)
    store = SettingsStore(paths.settings_file)
    options = LaunchOptions(obs_port=free_port(), config_dir=tmp_path, remote_port=0)
    return StudioCore(options, paths, store, store.load().settings), paths
