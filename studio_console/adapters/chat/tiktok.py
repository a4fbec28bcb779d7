"""TikTok LIVE chat through the optional TikTokLive library (modified AGPL: imported only when used)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from pydantic import Field

from studio_console.adapters.chat.base import (
    ChatSourceOptions,
    ReconnectingChatSource,
    SecretLookup,
    Sleep,
    SourceFailed,
    SourceFinished,
)
from studio_console.domain.chat import ChatKind, ChatMessage, ChatPlatform
from studio_console.logs import secrets as secret_registry

log = logging.getLogger(__name__)

INSTALL_HINT = "TikTok LIVE needs the optional TikTokLive package: pip install 'studio-console[tiktok]'"
TIKTOK_SIGN_KEY_SECRET = "tiktok-sign-api-key"
# Streaks whose closing event never came (a dropped connection) are flushed after this long.
STREAK_TIMEOUT_S = 30.0
_MAX_OPEN_STREAKS = 5_000

# The TikTokLive event classes this source listens to, by class name.
EVENT_NAMES = (
    "CommentEvent",
    "GiftEvent",
    "LikeEvent",
    "FollowEvent",
    "ShareEvent",
    "JoinEvent",
    "RoomUserSeqEvent",
    "ConnectEvent",
    "DisconnectEvent",
    "LiveEndEvent",
)


class TikTokOptions(ChatSourceOptions):
    source_id: str = "tiktok"
    # The host's @handle (with or without @).
    unique_id: str = Field(min_length=1, max_length=64)
    # Events TikTok replays on join (recent comments): de-duplicated by the chat hub.
    process_connect_events: bool = True
    # Keyring entry of an optional key for the signing service TikTokLive relies on.
    sign_api_key_secret: str | None = None
    # A live room sends viewer counts every few seconds; silence this long means a dead or throttled link.
    stale_after_s: float | None = Field(default=45.0, gt=0, le=3600)
    backoff_first_s: float = 2.0
    backoff_cap_s: float = 120.0


class TikTokClientLike(Protocol):
    """The part of TikTokLive's TikTokLiveClient this source uses (tests provide a fake class)."""

    def add_listener(self, event: Any, f: Callable[[Any], Any]) -> Any: ...

    async def start(self, *, process_connect_events: bool = ..., fetch_room_info: bool = ...) -> asyncio.Task[Any]: ...

    async def disconnect(self, close_client: bool = ...) -> None: ...


# Builds a client for a @handle: TikTokLiveClient, or a fake in tests.
ClientFactory = Callable[[str], TikTokClientLike]


def tiktoklive_installed() -> bool:
    return importlib.util.find_spec("TikTokLive") is not None


class TikTokEventMapper:
    """TikTokLive event objects to ChatMessages. Duck-typed on attributes, so this module never imports TikTokLive.

    Gift streaks (TikTok repeats a combo gift event while the sender keeps tapping) are collapsed:
    one message when the streak ends, counting every repeat.
    """

    def __init__(self, source_id: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.source_id = source_id
        self._clock = clock
        self._open_streaks: OrderedDict[tuple[str, str, str], tuple[float, Any]] = OrderedDict()

    def map(self, event: Any) -> ChatMessage | None:
        name = type(event).__name__
        handler = getattr(self, f"_on_{name}", None)
        if handler is None:
            return None
        result: ChatMessage | None = handler(event)
        return result

    def flush_streaks(self, older_than_s: float = 0.0) -> list[ChatMessage]:
        """Close open streaks (all, or those quiet for ``older_than_s``) with the count reached so far."""
        now = self._clock()
        closed = []
        for key, (seen, event) in list(self._open_streaks.items()):
            if now - seen >= older_than_s:
                del self._open_streaks[key]
                closed.append(self._gift_message(event))
        return closed

    # -- helpers -----------------------------------------------------------------------------------

    def _fields(self, event: Any, fallback_id: str = "") -> dict[str, Any]:
        user = getattr(event, "user", None)
        common = getattr(event, "common", None)
        msg_id = getattr(common, "msg_id", 0) if common is not None else 0
        created = getattr(common, "create_time", 0) if common is not None else 0
        handle = str(getattr(user, "display_id", "") or getattr(user, "unique_id", "") or "") if user else ""
        user_id = str(getattr(user, "id", "") or "") if user else ""
        badges: tuple[str, ...] = ()
        if getattr(event, "user_is_super_fan", False):
            badges = ("super-fan",)
        return {
            "source_id": self.source_id,
            "platform": ChatPlatform.TIKTOK.value,
            "message_id": str(msg_id) if msg_id else (fallback_id or f"tt-{time.time_ns()}"),
            "user_id": user_id,
            "user_name": handle,
            "display_name": str(getattr(user, "nickname", "") or handle) if user else "",
            "badges": badges,
            # TikTok stamps milliseconds since the epoch.
            "timestamp": created / 1000.0 if created else time.time(),
        }

    def _on_CommentEvent(self, event: Any) -> ChatMessage:
        # TikTokLive 7 calls it ``content``; 6 called it ``comment``.
        text = getattr(event, "content", None) or getattr(event, "comment", "") or ""
        return ChatMessage(**self._fields(event), text=str(text))

    def _on_GiftEvent(self, event: Any) -> ChatMessage | None:
        gift = getattr(event, "gift", None)
        streakable = gift is not None and getattr(gift, "type", 0) == 1
        if not streakable:
            return self._gift_message(event)
        user = getattr(event, "user", None)
        key = (
            str(getattr(user, "id", "")),
            str(getattr(gift, "id", "")),
            str(getattr(event, "group_id", "") or ""),
        )
        if not getattr(event, "repeat_end", 0):
            self._open_streaks[key] = (self._clock(), event)
            self._open_streaks.move_to_end(key)
            while len(self._open_streaks) > _MAX_OPEN_STREAKS:
                self._open_streaks.popitem(last=False)
            return None
        self._open_streaks.pop(key, None)
        return self._gift_message(event)

    def _gift_message(self, event: Any) -> ChatMessage:
        gift = getattr(event, "gift", None)
        repeats = max(1, int(getattr(event, "repeat_count", 0) or 1))
        streakable = gift is not None and getattr(gift, "type", 0) == 1
        diamonds = int(getattr(gift, "diamond_count", 0) or 0) if gift is not None else 0
        name = str(getattr(gift, "name", "") or "Gift") if gift is not None else "Gift"
        return ChatMessage(
            **self._fields(event),
            kind=ChatKind.GIFT,
            text=f"sent {name} x{repeats}",
            gift_name=name,
            gift_count=repeats,
            gift_streak=repeats if streakable else 0,
            gift_value=float(diamonds * repeats),
            gift_unit="diamonds",
        )

    def _on_LikeEvent(self, event: Any) -> ChatMessage:
        count = int(getattr(event, "count", 0) or 0)
        return ChatMessage(**self._fields(event), kind=ChatKind.LIKE, text="liked the LIVE", like_count=count)

    def _on_FollowEvent(self, event: Any) -> ChatMessage:
        return ChatMessage(**self._fields(event), kind=ChatKind.FOLLOW, text="followed the host")

    def _on_ShareEvent(self, event: Any) -> ChatMessage:
        return ChatMessage(**self._fields(event), kind=ChatKind.SHARE, text="shared the LIVE")

    def _on_JoinEvent(self, event: Any) -> ChatMessage:
        return ChatMessage(**self._fields(event), kind=ChatKind.JOIN, text="joined")

    def _on_RoomUserSeqEvent(self, event: Any) -> ChatMessage:
        viewers = int(getattr(event, "total", 0) or 0)
        return ChatMessage(
            **self._fields(event, fallback_id=f"viewers-{time.time_ns()}"),
            kind=ChatKind.VIEWER_COUNT,
            viewer_count=viewers,
        )


def _tiktoklive_client_factory(options: TikTokOptions, secrets: SecretLookup | None) -> ClientFactory:
    def build(unique_id: str) -> TikTokClientLike:
        try:
            from TikTokLive import TikTokLiveClient
        except ImportError as exc:
            raise SourceFailed(INSTALL_HINT) from exc
        if options.sign_api_key_secret and secrets is not None:
            key = secrets(options.sign_api_key_secret)
            if key:
                secret_registry.add(key)
                from TikTokLive.client.web.web_settings import WebDefaults

                WebDefaults.tiktok_sign_api_key = key
        client: TikTokClientLike = TikTokLiveClient(unique_id=unique_id)
        return client

    return build


def _event_classes() -> dict[str, Any]:
    import TikTokLive.events as events

    return {name: getattr(events, name) for name in EVENT_NAMES if hasattr(events, name)}


class TikTokSource(ReconnectingChatSource):
    """One TikTok LIVE room. Inside the app's running loop it uses ``start()``/``disconnect()``, never ``run()``."""

    platform: ClassVar[str] = ChatPlatform.TIKTOK.value
    title: ClassVar[str] = "TikTok LIVE"
    options_model: ClassVar[type[ChatSourceOptions]] = TikTokOptions

    def __init__(
        self,
        options: TikTokOptions,
        *,
        secrets: SecretLookup | None = None,
        sleep: Sleep | None = None,
        client_factory: ClientFactory | None = None,
        event_classes: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(options, sleep=sleep)
        self.tiktok_options = options
        self.unique_id = options.unique_id.lstrip("@")
        self._client_factory = client_factory or _tiktoklive_client_factory(options, secrets)
        self._event_classes = event_classes or _event_classes
        self._custom_client = client_factory is not None
        self.mapper = TikTokEventMapper(self.source_id)
        self._client: TikTokClientLike | None = None
        self._ended: asyncio.Future[str] | None = None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None if tiktoklive_installed() else INSTALL_HINT

    def start(self) -> None:
        if self._custom_client:
            # A provided client factory needs no TikTokLive install.
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._run(), name=f"chat-{self.source_id}")
            return
        super().start()

    def _describe(self) -> str:
        return f"TikTok @{self.unique_id}"

    async def _run_session(self) -> None:
        loop = asyncio.get_running_loop()
        self._ended = loop.create_future()
        client = self._client_factory(self.unique_id)
        self._client = client
        for name, cls in self._event_classes().items():
            client.add_listener(cls, self._make_handler(name))
        try:
            task = await client.start(
                process_connect_events=self.tiktok_options.process_connect_events, fetch_room_info=False
            )
        except Exception as exc:
            self._raise_for_start_error(exc)
            raise
        self._live(f"Reading TikTok LIVE @{self.unique_id}")
        streak_timer = asyncio.ensure_future(self._flush_stale_streaks())
        try:
            done, _ = await asyncio.wait({task, self._ended}, return_when=asyncio.FIRST_COMPLETED)
            if self._ended in done and self._ended.result() == "ended":
                raise SourceFinished(f"@{self.unique_id}'s LIVE has ended")
            if task in done and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        finally:
            streak_timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await streak_timer
            for message in self.mapper.flush_streaks():
                self._emit(message)

    def _raise_for_start_error(self, exc: Exception) -> None:
        name = type(exc).__name__
        if name == "UserNotFoundError":
            raise SourceFailed(f"TikTok has no user @{self.unique_id}") from exc
        if name == "AgeRestrictedError":
            raise SourceFailed(f"@{self.unique_id}'s LIVE is age-restricted") from exc
        if name == "UserOfflineError":
            raise ConnectionError(f"@{self.unique_id} is not live right now") from exc

    def _make_handler(self, name: str) -> Callable[[Any], Any]:
        async def handle(event: Any) -> None:
            self._alive()
            if name == "DisconnectEvent":
                self._end("disconnected")
                return
            if name == "LiveEndEvent":
                self._end("ended")
                return
            if name == "ConnectEvent":
                return
            try:
                message = self.mapper.map(event)
            except Exception:
                log.warning("could not read a TikTok %s", name, exc_info=True)
                return
            if message is not None:
                self._emit(message)

        return handle

    def _end(self, why: str) -> None:
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(why)

    async def _flush_stale_streaks(self) -> None:
        while True:
            await asyncio.sleep(STREAK_TIMEOUT_S / 3)
            for message in self.mapper.flush_streaks(older_than_s=STREAK_TIMEOUT_S):
                self._emit(message)

    async def _close_session(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await asyncio.wait_for(client.disconnect(close_client=True), 10.0)
