"""The show-log endpoints over real HTTP on loopback: start, state, end, list, report, resume after a crash."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from studio_console.adapters.http_server import JsonHttpServer
from studio_console.services.remote.show_endpoints import ShowApi
from tests.unit.test_catalog_product_show import settle
from tests.unit.test_show_log_recorder import START, Rig

TOKEN = "show-log-test-token-0123456789"


def call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


async def serve(rig: Rig) -> tuple[JsonHttpServer, ShowApi, int]:
    server = JsonHttpServer(TOKEN)
    api = ShowApi(server, rig.log)
    return server, api, await server.start()


def test_start_state_end_list_and_report_over_http(tmp_path: Path) -> None:
    async def scenario() -> None:
        rig = Rig(tmp_path / "shows.sqlite3")
        server, api, port = await serve(rig)
        try:
            assert await asyncio.to_thread(call, port, "POST", "show/start", {"title": ""}) == (
                422,
                {
                    "error": "invalid request body: title: String should have at least 1 character",
                    "problems": [{"field": "title", "message": "String should have at least 1 character"}],
                },
            )
            status, started = await asyncio.to_thread(call, port, "POST", "show/start", {"title": "Live <b>drop</b>"})
            assert status == 201 and started["show"]["title"] == "Live <b>drop</b>"
            assert (await asyncio.to_thread(call, port, "POST", "show/start", {"title": "Again"}))[0] == 409
            await rig.show.pin("MUG")
            rig.say("MUG price?")
            await rig.clock.advance(42)
            state = api.state()
            assert state["id"] == "show1" and state["title"] == "Live <b>drop</b>"
            assert state["on_air"]["product_sku"] == "MUG" and state["on_air"]["seconds_on_air"] == 42
            assert state["on_air"]["questions"] == 1
            status, report = await asyncio.to_thread(call, port, "GET", "shows/show1/report")
            assert status == 200 and report["show"]["ended_at"] is None  # an open show's report so far
            assert await asyncio.to_thread(call, port, "POST", "show/end", {}) == (
                200,
                {
                    "ok": True,
                    "show": {
                        "show_id": "show1",
                        "title": "Live <b>drop</b>",
                        "creator": None,
                        "started_at": START,
                        "ended_at": START + 42,
                    },
                },
            )
            assert (await asyncio.to_thread(call, port, "POST", "show/end", {}))[0] == 409
            status, listed = await asyncio.to_thread(call, port, "GET", "shows")
            assert status == 200 and [s["show_id"] for s in listed["shows"]] == ["show1"]
            status, report = await asyncio.to_thread(call, port, "GET", "shows/show1/report")
            mug = next(p for p in report["products"] if p["product_sku"] == "MUG")
            assert (mug["seconds_on_air"], mug["questions"], mug["times_pinned"]) == (42.0, 1, 1)
            assert (await asyncio.to_thread(call, port, "GET", "shows/nope/report"))[0] == 404
            assert (await asyncio.to_thread(call, port, "POST", "shows/show1/report"))[0] == 405
            assert api.state()["open"] is None
        finally:
            await server.stop()
            await rig.close()

    asyncio.run(scenario())


def test_resume_over_http_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "shows.sqlite3"

    async def before() -> None:
        rig = Rig(path)
        rig.show.set_queue(["MUG", "CAP"])
        rig.log.start("Crash")
        await rig.show.start_flash_sale("MUG", "9.00", 100)
        await settle()
        await rig.clock.advance(30)
        rig.recorder.tick()
        assert rig.store.flush()
        await rig.close()

    async def after() -> None:
        rig = Rig(path, now=START + 40)
        server, api, port = await serve(rig)
        try:
            assert (await asyncio.to_thread(call, port, "POST", "show/resume", {"show_id": "other"}))[0] == 409
            await rig.log.find_resumable_async()
            assert api.state()["resumable"]["show_id"] == "show1"
            status, body = await asyncio.to_thread(call, port, "POST", "show/resume")
            assert status == 200 and body["show"]["show_id"] == "show1"
            assert rig.show.state.flash_sale is not None and rig.show.state.flash_sale.seconds_left == 60
            assert rig.show.state.queue == ("MUG", "CAP")
            assert api.state()["id"] == "show1" and api.state()["resumable"] is None
            assert (await asyncio.to_thread(call, port, "POST", "show/resume"))[0] == 409
        finally:
            await server.stop()
            await rig.close()

    asyncio.run(before())
    asyncio.run(after())
