"""The chat bridge and featuring over real HTTP on loopback (the remote-control API server)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from studio_console.adapters.http_server import JsonHttpServer
from studio_console.services.chat.hub import ChatHub
from studio_console.services.remote.chat_endpoints import ChatApi

TOKEN = "chat-bridge-test-token-0123456789"


def call(port: int, path: str, body: Any = None, token: str = TOKEN) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/{path}",
        data=data,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_bridge_feature_and_unfeature_over_http() -> None:
    hub = ChatHub(product_lookup={"A1": "SKU-1"}.get, publish_interval_s=0)
    shown: list[str] = []
    hub.subscribe(lambda m: shown.append(f"{m.platform}:{m.name}:{m.text}"))

    async def scenario() -> list[tuple[int, Any]]:
        server = JsonHttpServer(TOKEN)
        api = ChatApi(server, hub)
        port = await server.start()
        hub.start()
        results = []
        try:
            for path, body, token in (
                ("chat/messages", {"platform": "instagram", "user": "<b>lou</b>", "text": "price of A1?"}, TOKEN),
                ("chat/messages", {"user": "kim", "text": "hello"}, TOKEN),
                ("chat/messages", {"user": "", "text": "x"}, TOKEN),
                ("chat/messages", {"user": "kim", "text": "x", "extra": 1}, TOKEN),
                ("chat/messages", {"user": "kim", "text": "x"}, "wrong-token-wrong-token"),
            ):
                results.append(await asyncio.to_thread(call, port, path, body, token))
            first_id = results[0][1]["id"]
            results.append(await asyncio.to_thread(call, port, "chat/feature", {"id": first_id}))
            results.append(await asyncio.to_thread(call, port, "chat/feature", {"id": "nope"}))
            state = api.state()
            assert state["featured"]["id"] == first_id and state["featured"]["product_sku"] == "SKU-1"
            assert {s["id"]: s["status"] for s in state["sources"]} == {"bridge": "live"}
            results.append(await asyncio.to_thread(call, port, "chat/unfeature", {}))
            assert api.state()["featured"] is None
        finally:
            await server.stop()
            await hub.stop()
        return results

    results = asyncio.run(scenario())
    statuses = [status for status, _ in results]
    assert statuses == [201, 201, 422, 422, 401, 200, 404, 200]
    assert results[0][1]["id"].startswith("ext-")
    assert results[5][1]["featured"]["user"] == "<b>lou</b>"
    assert shown == ["instagram:<b>lou</b>:price of A1?", "external:kim:hello"]
