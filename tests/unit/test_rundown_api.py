"""Rundown endpoints and desk without a network: answers, status codes, locked imports, notes for the host."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from studio_console.adapters.http_server import HttpError, Request
from studio_console.domain.catalog import Catalog
from studio_console.domain.chat import ChatMessage
from studio_console.domain.rundown import Cue, Rundown
from studio_console.obs.errors import ObsNotConnected
from studio_console.services.remote.rundown_endpoints import RundownApi
from studio_console.services.rundown.desk import RundownDesk
from studio_console.services.rundown.service import RundownService
from tests.helpers.rundown import FakeClock, RecordingStage

Handler = Callable[[Request], Awaitable[Any]]


class RouteBook:
    """Stands in for JsonHttpServer: keeps the routes so a test calls them directly."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    async def post(self, name: str, body: dict[str, Any] | None = None) -> Any:
        path = f"/api/v1/rundown/{name}"
        request = Request("POST", path, {}, json.dumps(body).encode() if body is not None else b"")
        return await self.routes[("POST", path)](request)


def build(tmp_path: Path) -> tuple[RouteBook, RundownApi, RecordingStage, FakeClock]:
    clock, stage, book = FakeClock(), RecordingStage(), RouteBook()
    rundown = Rundown(cues=(Cue(title="A", duration_s=60, scene="Host"), Cue(title="B", duration_s=60)))
    service = RundownService(stage, rundown, clock=clock.clock, sleep=clock.never)
    desk = RundownDesk(service, Catalog, lambda: ())
    return book, RundownApi(book, desk), stage, clock  # type: ignore[arg-type]


def test_go_next_previous_end_and_the_state_section(tmp_path: Path) -> None:
    book, api, _stage, clock = build(tmp_path)

    async def scenario() -> None:
        body = await book.post("go", {"index": 0})
        assert body["ok"] and body["rundown"]["current"]["title"] == "A"
        clock.advance(70)
        body = await book.post("next")
        assert body["rundown"]["current"]["index"] == 1 and body["rundown"]["over_under_s"] == 10
        body = await book.post("previous")
        assert body["rundown"]["current"]["index"] == 0
        with pytest.raises(HttpError) as missing:
            await book.post("go", {"index": 5})
        assert missing.value.status == 404
        with pytest.raises(HttpError) as invalid:
            await book.post("go", {"index": -1})
        assert invalid.value.status == 422
        body = await book.post("end")
        assert body["rundown"]["ended"] and not body["rundown"]["locked"]
        with pytest.raises(HttpError) as nothing_live:
            await book.post("previous")
        assert nothing_live.value.status == 409
        await api.service.close()

    asyncio.run(scenario())


def test_obs_away_answers_503_and_the_cue_still_runs(tmp_path: Path) -> None:
    book, api, stage, _clock = build(tmp_path)

    async def scenario() -> None:
        stage.fail = ObsNotConnected("OBS is not connected")
        with pytest.raises(HttpError) as away:
            await book.post("go", {"index": 0})
        assert away.value.status == 503 and "could not be put on air" in away.value.message
        assert api.state()["current"]["index"] == 0 and api.state()["problem"]
        await api.service.close()

    asyncio.run(scenario())


def test_import_export_and_no_import_while_live(tmp_path: Path) -> None:
    book, api, _stage, _clock = build(tmp_path)
    source = tmp_path / "show.csv"
    source.write_text("title,duration,sku\nOne,1:00,\nBad,soon,\nTwo,30,GHOST\n", encoding="utf-8")

    async def scenario() -> None:
        body = await book.post("import", {"path": str(source)})
        assert body["imported"] == 2 and body["failed"] == 1
        assert [(e["line"], e["field"], e["severity"]) for e in body["errors"]] == [
            (3, "duration", "error"),
            (4, "sku", "warning"),
        ]
        assert body["rundown"]["cues"] == 2
        with pytest.raises(HttpError) as missing:
            await book.post("import", {"path": str(tmp_path / "nope.csv")})
        assert missing.value.status == 404
        out = tmp_path / "out.csv"
        assert (await book.post("export", {"path": str(out)}))["cues"] == 2
        assert out.read_text(encoding="utf-8").startswith("title,kind,duration")
        await book.post("go", {"index": 0})
        with pytest.raises(HttpError) as locked:
            await book.post("import", {"path": str(source)})
        assert locked.value.status == 409 and "locked" in locked.value.message
        body = await book.post("skip", {"index": 1})
        assert body["rundown"]["next"] is None
        await api.service.close()

    asyncio.run(scenario())


def test_the_desk_keeps_three_questions_and_one_message(tmp_path: Path) -> None:
    _book, api, _stage, _clock = build(tmp_path)
    desk = api.desk
    seen = []
    desk.host_notes_changed.add(seen.append)
    for n in range(5):
        desk.send_question(ChatMessage(source_id="s", platform="twitch", message_id=str(n), text=f"q{n}"))
    assert [q.text for q in desk.host_notes.questions] == ["q2", "q3", "q4"]
    desk.dismiss_question("3")
    desk.set_message("  wrap   up ")
    assert [q.text for q in desk.host_notes.questions] == ["q2", "q4"] and desk.host_notes.message == "wrap up"
    assert len(seen) == 7
