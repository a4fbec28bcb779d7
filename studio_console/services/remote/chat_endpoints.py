"""Chat endpoints of the remote-control API: feed messages in (the chat bridge), feature and unfeature comments."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from studio_console.adapters.http_server import HttpError, JsonHttpServer, Request, Response
from studio_console.domain.chat import ChatHubSnapshot, ChatMessage, ExternalChatMessageIn
from studio_console.services.chat.hub import ChatHub

API = "/api/v1"


class FeatureBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=200)


def message_json(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.message_id,
        "source": message.source_id,
        "platform": message.platform,
        "kind": message.kind.value,
        "user": message.name,
        "text": message.text,
        "product_sku": message.product_sku,
        "intents": sorted(i.value for i in message.intents),
    }


def chat_state(snapshot: ChatHubSnapshot) -> dict[str, Any]:
    """The ``chat`` section of ``GET /api/v1/state``: featured comment and each source's state."""
    return {
        "featured": message_json(snapshot.featured) if snapshot.featured else None,
        "sources": [
            {"id": s.source_id, "platform": s.platform, "status": s.status.value, "message": s.message}
            for s in snapshot.sources
        ],
        "questions": len(snapshot.questions),
        "viewer_count": snapshot.viewer_count,
    }


class ChatApi:
    """Registers ``POST /api/v1/chat/messages``, ``/chat/feature`` and ``/chat/unfeature`` on the API server."""

    def __init__(self, server: JsonHttpServer, hub: ChatHub) -> None:
        self.hub = hub
        server.route("POST", f"{API}/chat/messages", self._message)
        server.route("POST", f"{API}/chat/feature", self._feature)
        server.route("POST", f"{API}/chat/unfeature", self._unfeature)

    def state(self) -> dict[str, Any]:
        return chat_state(self.hub.snapshot)

    async def _message(self, request: Request) -> Response:
        body = request.model(ExternalChatMessageIn)
        try:
            message_id = self.hub.bridge.ingest_model(body)
        except RuntimeError as exc:
            raise HttpError(503, str(exc)) from exc
        return Response(201, {"ok": True, "id": message_id})

    async def _feature(self, request: Request) -> dict[str, Any]:
        body = request.model(FeatureBody)
        try:
            message = self.hub.feature(body.id)
        except KeyError as exc:
            raise HttpError(404, f"no recent chat message has the id {body.id!r}") from exc
        return {"ok": True, "featured": message_json(message)}

    async def _unfeature(self, request: Request) -> dict[str, Any]:
        self.hub.unfeature()
        return {"ok": True}
