"""Settings: defaults, round trip, migration, corrupt files moved aside, failed saves keep the old file."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from studio_console.settings import atomic
from studio_console.settings.model import SCHEMA_VERSION, Settings
from studio_console.settings.store import SettingsSaveError, SettingsStore


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    result = SettingsStore(tmp_path / "settings.json").load()
    assert result.settings == Settings()
    assert result.notice is None


def test_round_trip(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    settings = Settings()
    settings.obs.port = 4460
    settings.shortcuts["take"] = "T"
    store.save(settings)
    assert store.load().settings == settings
    assert oct(os.stat(store.path).st_mode & 0o777) == "0o600"


def test_corrupt_json_is_moved_aside_with_line_number(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{\n  "obs": {"port": 4455,\n  oops\n}')
    other = tmp_path / "catalog.json"
    other.write_text("[]")
    result = SettingsStore(path).load()
    assert result.settings == Settings()
    assert result.notice is not None and "line 3" in result.notice
    assert not path.exists()
    assert result.moved_aside_to is not None and result.moved_aside_to.name.startswith("settings.json.corrupt-")
    assert result.moved_aside_to.read_text().startswith('{\n  "obs"')
    assert other.read_text() == "[]"  # nothing else is touched


def test_invalid_field_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "obs": {"port": 99999}}))
    result = SettingsStore(path).load()
    assert result.notice is not None
    assert "obs.port" in result.notice
    assert str(path) in result.notice
    assert result.settings.obs.port == 4455


def test_newer_schema_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 5}))
    result = SettingsStore(path).load()
    assert result.notice is not None and "newer" in result.notice
    assert result.moved_aside_to is not None and result.moved_aside_to.exists()


def test_v1_file_is_migrated_and_written_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, "obs_host": "10.0.0.5", "obs_port": 4456}))
    result = SettingsStore(path).load()
    assert result.notice is None
    assert (result.settings.obs.host, result.settings.obs.port) == ("10.0.0.5", 4456)
    on_disk = json.loads(path.read_text())
    assert on_disk["schema_version"] == SCHEMA_VERSION
    assert on_disk["obs"]["port"] == 4456


def test_disk_full_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    first = Settings()
    first.obs.port = 4470
    store.save(first)
    before = store.path.read_bytes()

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    changed = Settings()
    changed.obs.port = 5000
    with pytest.raises(SettingsSaveError, match="No space left on device"):
        store.save(changed)
    assert store.path.read_bytes() == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "settings.json"]
    assert leftovers == []


def test_write_atomic_never_leaves_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "data.json"
    atomic.write_text_atomic(target, "old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic.write_text_atomic(target, "new" * 1000)
    assert target.read_text() == "old"


def test_v2_card_scenes_migrate_to_chosen_mode_and_empty_to_all(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.json"
    chosen.write_text(json.dumps({"schema_version": 2, "products": {"card_scenes": ["Host", "Split"]}}))
    settings = SettingsStore(chosen).load().settings
    assert settings.products.card_scenes_mode == "chosen"
    assert settings.products.card_scenes == ["Host", "Split"]
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"schema_version": 2, "products": {"card_scenes": []}}))
    assert SettingsStore(empty).load().settings.products.card_scenes_mode == "all"
