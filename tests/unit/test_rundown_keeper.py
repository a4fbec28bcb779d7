"""The run of show survives a restart: edits are saved atomically, a bad file is kept aside and named."""

from __future__ import annotations

import asyncio
import errno
import json
from pathlib import Path

import pytest

from studio_console.domain.rundown import Cue, CueKind, Rundown
from studio_console.services.rundown import keeper as keeper_module
from studio_console.services.rundown.keeper import RundownFileError, RundownKeeper, load_rundown
from studio_console.services.rundown.service import RundownService

pytestmark = pytest.mark.unit


TWO_CUES = Rundown(
    title="Friday drop",
    cues=(
        Cue(title="Welcome", kind=CueKind.SEGMENT, duration_s=60, scene="Host"),
        Cue(title="Pour-over set", duration_s=300, scene="Product", sku="POUR-SET"),
    ),
)


def test_an_edit_is_saved_and_loads_back_identical(tmp_path: Path) -> None:
    path = tmp_path / "rundown.json"

    async def scenario() -> None:
        service = RundownService()
        keeper = RundownKeeper(service, path, delay_s=0.01)
        service.set_rundown(TWO_CUES)
        await asyncio.sleep(0.2)
        assert load_rundown(path) == TWO_CUES
        service.move_cue(1, 0)  # the next edit replaces the file
        await keeper.close()  # a pending save is written on close
        loaded = load_rundown(path)
        assert loaded is not None and [c.title for c in loaded.cues] == ["Pour-over set", "Welcome"]

    asyncio.run(scenario())


def test_timer_ticks_are_not_saves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[Path] = []
    monkeypatch.setattr(keeper_module, "write_text_atomic", lambda p, _text: writes.append(p))

    async def scenario() -> None:
        service = RundownService(rundown=TWO_CUES)
        keeper = RundownKeeper(service, tmp_path / "rundown.json", delay_s=0.01)
        for _ in range(5):
            service._publish()  # what every second of a live cue does
        await asyncio.sleep(0.1)
        assert writes == []
        service.update_cue(TWO_CUES.cues[0].model_copy(update={"title": "Hello"}))
        await asyncio.sleep(0.1)
        assert len(writes) == 1
        await keeper.close()

    asyncio.run(scenario())


def test_no_file_is_no_rundown(tmp_path: Path) -> None:
    assert load_rundown(tmp_path / "rundown.json") is None


def test_a_bad_file_is_kept_aside_and_the_message_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rundown.json"
    good = json.loads(TWO_CUES.model_dump_json())
    good["cues"][1]["duration_s"] = -5
    path.write_text(json.dumps(good))
    with pytest.raises(RundownFileError) as caught:
        load_rundown(path)
    message = str(caught.value)
    assert str(path) in message and "cues.1.duration_s" in message
    kept = list(tmp_path.glob("rundown.json.corrupt-*"))
    assert len(kept) == 1 and json.loads(kept[0].read_text()) == good  # nothing lost
    assert not path.exists()


def test_truncated_json_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "rundown.json"
    path.write_text(TWO_CUES.model_dump_json()[:40])
    with pytest.raises(RundownFileError, match=r"kept as rundown\.json\.corrupt-"):
        load_rundown(path)


def test_a_full_disk_is_reported_and_the_saved_file_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rundown.json"
    path.write_text(TWO_CUES.model_dump_json())
    before = path.read_bytes()
    errors: list[RundownFileError] = []

    def full(_path: Path, _text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keeper_module, "write_text_atomic", full)

    async def scenario() -> None:
        service = RundownService(rundown=TWO_CUES)
        keeper = RundownKeeper(service, path, delay_s=0.01, on_error=errors.append)
        service.remove_cue(0)  # the edit itself succeeds
        await asyncio.sleep(0.1)
        assert len(service.rundown.cues) == 1
        await keeper.close()

    asyncio.run(scenario())
    assert errors and "No space left on device" in str(errors[0]) and str(path) in str(errors[0])
    assert path.read_bytes() == before
