"""The last rehearsal's upload figure on disk: written atomically, a bad file kept aside and never fatal."""

from __future__ import annotations

import errno
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from studio_console.domain.stream import UploadMeasurement
from studio_console.services.golive.upload import UPLOAD_FILE, UploadStore

MEASURED = UploadMeasurement(
    kbps=7420.5, measured_at=datetime(2026, 12, 1, 21, 30, tzinfo=UTC), destinations=3, rehearsal=True
)


def test_a_measurement_survives_a_restart_with_its_date(tmp_path: Path) -> None:
    assert UploadStore(tmp_path).load().measurement is None  # never measured: no file, no notice
    UploadStore(tmp_path).save(MEASURED)
    loaded = UploadStore(tmp_path).load()
    assert loaded.notice is None and loaded.measurement == MEASURED
    assert not [p for p in tmp_path.iterdir() if p.name != UPLOAD_FILE]  # no temp file left behind


def test_corrupt_json_is_kept_aside_with_a_notice_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / UPLOAD_FILE
    path.write_text('{"format": 1,\n "last_rehearsal": {oops}\n}', encoding="utf-8")
    loaded = UploadStore(tmp_path).load()
    assert loaded.measurement is None
    assert loaded.notice is not None and str(path) in loaded.notice and "line 2" in loaded.notice
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(f"{UPLOAD_FILE}.corrupt-")]
    assert len(aside) == 1 and "oops" in aside[0].read_text(encoding="utf-8")
    assert aside[0].name in loaded.notice
    assert not path.exists()
    # The next start is clean: never measured, nothing to say; a new figure is written normally.
    assert UploadStore(tmp_path).load().notice is None
    UploadStore(tmp_path).save(MEASURED)
    assert UploadStore(tmp_path).load().measurement == MEASURED


def test_a_bad_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / UPLOAD_FILE
    data = {"format": 1, "last_rehearsal": {**MEASURED.model_dump(mode="json"), "kbps": "lots"}}
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = UploadStore(tmp_path).load()
    assert loaded.measurement is None and loaded.notice is not None
    assert "last_rehearsal.kbps" in loaded.notice


def test_an_unknown_format_is_kept_aside(tmp_path: Path) -> None:
    (tmp_path / UPLOAD_FILE).write_text(json.dumps({"format": 99}), encoding="utf-8")
    loaded = UploadStore(tmp_path).load()
    assert loaded.measurement is None and loaded.notice is not None and "format" in loaded.notice


def test_a_failed_write_raises_and_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = UploadStore(tmp_path)
    store.save(MEASURED)

    def disk_full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.save(MEASURED.model_copy(update={"kbps": 1.0}))
    monkeypatch.undo()
    assert store.load().measurement == MEASURED
    assert [p.name for p in tmp_path.iterdir()] == [UPLOAD_FILE]
