"""The chat bridge: a source other tools feed through the remote-control API (POST /api/v1/chat/messages)."""

from __future__ import annotations

import time
import uuid
from typing import Any, ClassVar

from studio_console.adapters.chat.base import ChatSourceBase, ChatSourceOptions, SecretLookup
from studio_console.domain.chat import ChatKind, ChatMessage, ChatPlatform, ExternalChatMessageIn, SourceStatus
from studio_console.domain.viewer_text import clean


class ChatBridgeOptions(ChatSourceOptions):
    source_id: str = "bridge"


class ChatBridgeSource(ChatSourceBase):
    """Always live while started; ``ingest`` turns one validated external message into a ChatMessage."""

    platform: ClassVar[str] = ChatPlatform.EXTERNAL.value
    title: ClassVar[str] = "Chat bridge (other tools)"
    options_model: ClassVar[type[ChatSourceOptions]] = ChatBridgeOptions

    def __init__(self, options: ChatBridgeOptions | None = None, *, secrets: SecretLookup | None = None) -> None:
        super().__init__(options or ChatBridgeOptions())
        self._running = False

    def start(self) -> None:
        self._running = True
        self._set_state(SourceStatus.LIVE, "Accepting messages from other tools")

    async def stop(self) -> None:
        self._running = False
        self._set_state(SourceStatus.IDLE, "Stopped")

    def ingest(self, platform: str, user: str, text: str) -> str:
        """Validate and emit one message; returns its message id. Raises pydantic.ValidationError on bad input.

        Messages arriving while the bridge is stopped are refused (RuntimeError): the API answers 503.
        """
        body = ExternalChatMessageIn(platform=platform, user=clean(user), text=clean(text))
        return self.ingest_model(body)

    def ingest_model(self, body: ExternalChatMessageIn, **extra: Any) -> str:
        if not self._running:
            raise RuntimeError("the chat bridge is not running")
        message_id = f"ext-{uuid.uuid4().hex}"
        self._emit(
            ChatMessage(
                source_id=self.source_id,
                platform=body.platform,
                message_id=message_id,
                kind=ChatKind.COMMENT,
                user_id=f"{body.platform}:{body.user.casefold()}",
                user_name=body.user,
                display_name=body.user,
                text=body.text,
                timestamp=time.time(),
                **extra,
            )
        )
        return message_id
