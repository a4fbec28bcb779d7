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


@pytest.mark.parametrize("version", [2, 3])
def test_v2_and_v3_output_becomes_destination_instances_with_the_same_ids(tmp_path: Path, version: int) -> None:
    path = tmp_path / "settings.json"
    v2 = {
        "schema_version": version,
        "output": {
            "destination": "custom_rtmp",
            "sinks": {
                "custom_rtmp": {"server_url": "rtmp://10.0.0.5/live", "label": "Studio nginx", "stream_key": "k"},
                "local_test_server": {"port": 19350},
                "acme_cloud": {"region": "eu"},
            },
        },
    }
    path.write_text(json.dumps(v2))
    result = SettingsStore(path).load()
    assert result.notice is None
    output = result.settings.output
    # Same ids as before: the selection and the stored keys (stream-key:<id>) still match.
    assert [(d.id, d.sink_type) for d in output.destinations] == [
        ("local_test_server", "local_test_server"),
        ("tiktok_live", "tiktok_live"),
        ("youtube_live", "youtube_live"),
        ("twitch", "twitch"),
        ("custom_rtmp", "custom_rtmp"),
        ("acme_cloud", "acme_cloud"),
    ]
    assert output.destination == "custom_rtmp"
    custom = output.instance("custom_rtmp")
    assert custom is not None and custom.options == {"server_url": "rtmp://10.0.0.5/live", "label": "Studio nginx"}
    local = output.instance("local_test_server")
    assert local is not None and local.options == {"port": 19350}
    on_disk = json.loads(path.read_text())
    assert on_disk["schema_version"] == SCHEMA_VERSION == 4
    assert "sinks" not in on_disk["output"] and '"k"' not in path.read_text()


def test_a_broken_destination_entry_is_left_out_naming_it_and_the_rest_is_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    destinations = [
        {"id": "twitch", "sink_type": "twitch"},
        {"id": "bad id with spaces", "sink_type": "twitch"},
        {"id": "custom_rtmp", "sink_type": "custom_rtmp", "options": {"server_url": "rtmp://a/b"}},
        {"id": "twitch", "sink_type": "custom_rtmp"},
    ]
    path.write_text(
        json.dumps({"schema_version": SCHEMA_VERSION, "obs": {"port": 4460}, "output": {"destinations": destinations}})
    )
    result = SettingsStore(path).load()
    assert result.notice is None and result.settings.obs.port == 4460
    assert [(d.id, d.sink_type) for d in result.settings.output.destinations] == [
        ("twitch", "twitch"),
        ("custom_rtmp", "custom_rtmp"),
    ]
    assert "output.destinations.1 is left out: id:" in caplog.text
    assert "output.destinations.3 is left out: the id 'twitch' is used twice" in caplog.text


def test_v2_card_scenes_migrate_to_chosen_mode_and_empty_to_all(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.json"
    chosen.write_text(json.dumps({"schema_version": 2, "products": {"card_scenes": ["Host", "Split"]}}))
    settings = SettingsStore(chosen).load().settings
    assert settings.products.card_scenes_mode == "chosen"
    assert settings.products.card_scenes == ["Host", "Split"]
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"schema_version": 2, "products": {"card_scenes": []}}))
    assert SettingsStore(empty).load().settings.products.card_scenes_mode == "all"
