"""YouTube live chat through the official Data API (liveChatMessages.list), polling within the daily quota."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, model_validator

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
from studio_console.net import ssl_context

log = logging.getLogger(__name__)

YOUTUBE_API_KEY_SECRET = "youtube-api-key"
# Quota cost of the calls used here (YouTube Data API v3 quota table).
LIST_MESSAGES_UNITS = 5
LIST_VIDEOS_UNITS = 1
JsonDict = dict[str, Any]

_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_FINISHED_REASONS = frozenset({"liveChatEnded"})
_FATAL_REASONS = frozenset({"liveChatDisabled", "liveChatNotFound", "forbidden", "keyInvalid", "ipRefererBlocked"})


class YouTubeOptions(ChatSourceOptions):
    source_id: str = "youtube"
    # Either the chat id, or the live video's id (its active chat is looked up, 1 unit).
    live_chat_id: str | None = Field(default=None, max_length=256)
    video_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    # Keyring entries: an OAuth access token (sent as a bearer token) wins over an API key.
    oauth_token_secret: str | None = None
    api_key_secret: str | None = YOUTUBE_API_KEY_SECRET
    base_url: str = "https://www.googleapis.com/youtube/v3"
    # Polling is spread so one show stays inside the project's daily quota.
    daily_quota_units: int = Field(default=10_000, ge=LIST_MESSAGES_UNITS)
    quota_share: float = Field(default=1.0, gt=0, le=1)
    show_hours: float = Field(default=4.0, gt=0, le=24)
    min_interval_s: float = Field(default=1.0, ge=0, le=600)
    max_results: int = Field(default=2000, ge=200, le=2000)
    quota_backoff_s: float = Field(default=900.0, gt=0, le=86_400)
    request_timeout_s: float = Field(default=15.0, gt=0, le=120)
    backoff_first_s: float = 2.0
    backoff_cap_s: float = 120.0

    @model_validator(mode="after")
    def _needs_a_chat(self) -> YouTubeOptions:
        if not (self.live_chat_id or self.video_id):
            raise ValueError("give the live chat id or the live video's id")
        return self

    @property
    def budget_interval_s(self) -> float:
        """Seconds between polls so that ``show_hours`` of polling spend at most the quota share."""
        calls = self.daily_quota_units * self.quota_share / LIST_MESSAGES_UNITS
        return self.show_hours * 3600.0 / calls


class YouTubeApiError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"HTTP {status} {reason}: {message}" if reason else f"HTTP {status}: {message}")
        self.status = status
        self.reason = reason


class YouTubeChatSource(ReconnectingChatSource):
    """Polls one live chat. Honours ``pollingIntervalMillis``, never polls faster than the quota budget allows."""

    platform: ClassVar[str] = ChatPlatform.YOUTUBE.value
    title: ClassVar[str] = "YouTube live chat"
    options_model: ClassVar[type[ChatSourceOptions]] = YouTubeOptions

    def __init__(
        self, options: YouTubeOptions, *, secrets: SecretLookup | None = None, sleep: Sleep | None = None
    ) -> None:
        super().__init__(options, sleep=sleep)
        self.youtube_options = options
        self._secrets = secrets
        self.live_chat_id = options.live_chat_id
        # Kept across reconnects: polling resumes where it stopped instead of replaying the backlog.
        self.page_token: str | None = None
        self.quota_used = 0
        self.polls = 0
        self.last_interval_s: float | None = None

    def _describe(self) -> str:
        return f"YouTube {self.youtube_options.video_id or self.live_chat_id}"

    # -- HTTP --------------------------------------------------------------------------------------

    def _auth(self) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and query parameters that authenticate a call."""
        opts = self.youtube_options
        lookup = self._secrets or (lambda _name: None)
        if opts.oauth_token_secret:
            token = lookup(opts.oauth_token_secret)
            if not token:
                raise SourceFailed(f"No YouTube sign-in in the keyring (entry {opts.oauth_token_secret!r})")
            secret_registry.add(token)
            return {"Authorization": f"Bearer {token}"}, {}
        if opts.api_key_secret:
            key = lookup(opts.api_key_secret)
            if not key:
                raise SourceFailed(f"No YouTube API key in the keyring (entry {opts.api_key_secret!r})")
            secret_registry.add(key)
            return {}, {"key": key}
        raise SourceFailed("YouTube needs an API key or a sign-in")

    async def _get(self, path: str, params: dict[str, str], units: int) -> JsonDict:
        headers, auth_params = self._auth()
        url = f"{self.youtube_options.base_url.rstrip('/')}/{path}?{urllib.parse.urlencode({**params, **auth_params})}"
        loop = asyncio.get_running_loop()
        # urllib blocks: it runs on the default executor so the UI loop never waits on the network.
        status, body = await loop.run_in_executor(None, _http_get, url, headers, self.youtube_options.request_timeout_s)
        self.quota_used += units
        self._alive()
        try:
            data = json.loads(body) if body else {}
        except ValueError as exc:
            raise YouTubeApiError(status, "badJson", "the answer is not JSON") from exc
        if not isinstance(data, dict):
            raise YouTubeApiError(status, "badJson", "the answer is not a JSON object")
        if status >= 400:
            raw_error = data.get("error")
            error: JsonDict = raw_error if isinstance(raw_error, dict) else {}
            errors = error.get("errors") or [{}]
            first = errors[0] if isinstance(errors, list) and errors else {}
            reason = str(first.get("reason", "")) if isinstance(first, dict) else ""
            raw_details = error.get("details")
            details: list[Any] = raw_details if isinstance(raw_details, list) else []
            if any(isinstance(d, dict) and d.get("reason") == "API_KEY_INVALID" for d in details):
                reason = "keyInvalid"  # answered as a generic badRequest; only the details say why
            raise YouTubeApiError(status, reason, str(error.get("message", ""))[:300])
        return data

    # -- polling -----------------------------------------------------------------------------------

    async def _run_session(self) -> None:
        opts = self.youtube_options
        if self.live_chat_id is None:
            await self._resolve_chat_id()
        rate_limited = 0
        while True:
            params = {"liveChatId": str(self.live_chat_id), "part": "snippet,authorDetails"}
            params["maxResults"] = str(opts.max_results)
            if self.page_token:
                params["pageToken"] = self.page_token
            try:
                page = await self._get("liveChat/messages", params, LIST_MESSAGES_UNITS)
            except YouTubeApiError as exc:
                wait = self._wait_after_error(exc, rate_limited)
                rate_limited = rate_limited + 1 if exc.reason in _RATE_REASONS else 0
                if wait is None:
                    continue  # e.g. a stale page token: ask again from the live edge
                await self._sleep(wait)
                continue
            rate_limited = 0
            self.polls += 1
            ended = self._take_page(page)
            if ended:
                raise SourceFinished("The YouTube live chat has ended")
            interval = self._next_interval(page)
            self.last_interval_s = interval
            self._live(f"Reading YouTube chat (every {interval:.1f} s, {self.quota_used} quota units used)")
            await self._sleep(interval)

    async def _resolve_chat_id(self) -> None:
        video = self.youtube_options.video_id or ""
        data = await self._get("videos", {"part": "liveStreamingDetails", "id": video}, LIST_VIDEOS_UNITS)
        items = data.get("items") or []
        if not items:
            raise SourceFailed(f"YouTube has no video {video!r}")
        details = items[0].get("liveStreamingDetails") or {}
        chat_id = details.get("activeLiveChatId")
        if not chat_id:
            # Scheduled but not started yet, or over: retried with back-off until it has a chat.
            raise ConnectionError(f"video {video} has no active live chat yet")
        self.live_chat_id = str(chat_id)

    def _wait_after_error(self, exc: YouTubeApiError, rate_limited: int) -> float | None:
        opts = self.youtube_options
        if exc.reason in _QUOTA_REASONS:
            self._waiting(f"YouTube quota used up; polling again in {opts.quota_backoff_s / 60:.0f} min")
            return opts.quota_backoff_s
        if exc.reason in _RATE_REASONS:
            wait = float(min(opts.backoff_cap_s, max(opts.min_interval_s, opts.backoff_first_s) * 2**rate_limited))
            self._waiting(f"YouTube asks to poll slower; waiting {wait:.0f} s")
            return wait
        if exc.reason == "pageTokenInvalid":
            self.page_token = None
            return None
        if exc.reason in _FINISHED_REASONS:
            raise SourceFinished("The YouTube live chat has ended")
        if exc.status in (401, 403) or exc.reason in _FATAL_REASONS:
            raise SourceFailed(f"YouTube refused the chat: {exc}")
        raise exc

    def _next_interval(self, page: JsonDict) -> float:
        opts = self.youtube_options
        try:
            server = float(page.get("pollingIntervalMillis", 0)) / 1000.0
        except (TypeError, ValueError):
            server = 0.0
        return max(server, opts.budget_interval_s, opts.min_interval_s)

    def _take_page(self, page: JsonDict) -> bool:
        """Emit the page's messages; True when the chat has ended."""
        token = page.get("nextPageToken")
        if isinstance(token, str) and token:
            self.page_token = token
        ended = bool(page.get("offlineAt"))
        for item in page.get("items") or []:
            if not isinstance(item, dict):
                continue
            snippet = item.get("snippet") or {}
            if snippet.get("type") == "chatEndedEvent":
                ended = True
                continue
            message = self.to_message(item)
            if message is not None:
                self._emit(message)
        return ended

    def to_message(self, item: JsonDict) -> ChatMessage | None:
        """One ``youtube#liveChatMessage`` as a ChatMessage; None for events the chat panel does not show."""
        snippet: JsonDict = item.get("snippet") or {}
        author: JsonDict = item.get("authorDetails") or {}
        kind_name = snippet.get("type", "")
        badges = tuple(
            badge
            for badge, flag in (
                ("owner", "isChatOwner"),
                ("moderator", "isChatModerator"),
                ("member", "isChatSponsor"),
                ("verified", "isVerified"),
            )
            if author.get(flag)
        )
        fields: dict[str, Any] = {
            "source_id": self.source_id,
            "platform": self.platform,
            "message_id": str(item.get("id") or ""),
            "user_id": str(author.get("channelId") or snippet.get("authorChannelId") or ""),
            "user_name": str(author.get("displayName") or ""),
            "display_name": str(author.get("displayName") or ""),
            "badges": badges,
            "timestamp": _timestamp(snippet.get("publishedAt")),
        }
        if not fields["message_id"]:
            return None
        display = str(snippet.get("displayMessage") or "")
        if kind_name == "textMessageEvent":
            text = (snippet.get("textMessageDetails") or {}).get("messageText") or display
            return ChatMessage(**fields, text=str(text))
        if kind_name == "superChatEvent":
            details = snippet.get("superChatDetails") or {}
            return ChatMessage(
                **fields,
                kind=ChatKind.GIFT,
                text=str(details.get("userComment") or ""),
                gift_name=f"Super Chat {details.get('amountDisplayString', '')}".strip(),
                gift_count=1,
                gift_value=_micros(details.get("amountMicros")),
                gift_unit=str(details.get("currency") or ""),
            )
        if kind_name == "superStickerEvent":
            details = snippet.get("superStickerDetails") or {}
            sticker = details.get("superStickerMetadata") or {}
            return ChatMessage(
                **fields,
                kind=ChatKind.GIFT,
                text=str(sticker.get("altText") or ""),
                gift_name=f"Super Sticker {details.get('amountDisplayString', '')}".strip(),
                gift_count=1,
                gift_value=_micros(details.get("amountMicros")),
                gift_unit=str(details.get("currency") or ""),
            )
        if kind_name == "newSponsorEvent":
            details = snippet.get("newSponsorDetails") or {}
            level = details.get("memberLevelName") or "member"
            return ChatMessage(
                **fields,
                kind=ChatKind.GIFT,
                text=display,
                gift_name=f"Membership ({level})",
                gift_count=1,
                gift_unit="memberships",
            )
        if kind_name == "membershipGiftingEvent":
            details = snippet.get("membershipGiftingDetails") or {}
            count = int(details.get("giftMembershipsCount") or 1)
            return ChatMessage(
                **fields,
                kind=ChatKind.GIFT,
                text=display,
                gift_name=f"Gift memberships ({details.get('giftMembershipsLevelName') or 'member'})",
                gift_count=count,
                gift_unit="memberships",
            )
        if kind_name == "memberMilestoneChatEvent":
            details = snippet.get("memberMilestoneChatDetails") or {}
            fields["badges"] = (*badges, "milestone")
            return ChatMessage(**fields, text=str(details.get("userComment") or display))
        if kind_name in ("messageDeletedEvent", "userBannedEvent", "tombstone"):
            return None
        if snippet.get("hasDisplayContent") and display:
            return ChatMessage(**fields, kind=ChatKind.SYSTEM, text=display)
        return None


def _http_get(url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=ssl_context()) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        # Error answers carry the reason (quotaExceeded, ...) in their JSON body.
        with exc:
            return int(exc.code), bytes(exc.read())


def _micros(value: Any) -> float:
    try:
        return int(value) / 1_000_000
    except (TypeError, ValueError):
        return 0.0


def _timestamp(value: Any) -> float:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            pass
    return time.time()
