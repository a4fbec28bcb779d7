"""YouTube live chat against recorded Data API pages served over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from studio_console.adapters.chat.youtube import YouTubeChatSource, YouTubeOptions
from studio_console.domain.chat import ChatKind, ChatMessage, SourceStatus
from tests.helpers.chat import RecordingSleep, wait_for

PAGES = Path(__file__).resolve().parents[1] / "data" / "youtube"
API_KEY = "AIzaSyTestKey-1234567890abcdefghij"
CHAT_ID = "Cg0KC2RRdzR3OVdnWGNRKicKGFVDdUFYRkRtVHFDS3lXbWZWZ2F4ZEdvdxILZFF3NHc5V2dYY1E"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@dataclass
class RecordedYouTube:
    """Answers like the Data API: a script of (status, body) per page token, and a log of requests."""

    script: dict[str, list[tuple[int, bytes]]]
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    port: int = 0

    def answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, bytes]:
        self.requests.append((path, query, headers))
        if path.endswith("/videos"):
            return 200, page("videos.json")
        key = query.get("pageToken", "")
        answers = self.script.get(key) or [(404, b'{"error": {"code": 404, "errors": [{"reason": "notFound"}]}}')]
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture
def youtube_api() -> Iterator[RecordedYouTube]:
    first = json.loads(page("page1.json"))["nextPageToken"]
    second = json.loads(page("page2.json"))["nextPageToken"]
    api = RecordedYouTube(
        {
            "": [(200, page("page1.json"))],
            first: [(403, page("quota_exceeded.json")), (200, page("page2.json"))],
            second: [(200, page("page3_ended.json"))],
        }
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            status, body = api.answer(parts.path, query, dict(self.headers))
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield api
    server.shutdown()
    server.server_close()
    thread.join(5)


def run_source(
    options: YouTubeOptions, secrets: dict[str, str]
) -> tuple[YouTubeChatSource, list[ChatMessage], list[float]]:
    sleep = RecordingSleep()

    async def scenario() -> tuple[YouTubeChatSource, list[ChatMessage]]:
        source = YouTubeChatSource(options, secrets=secrets.get, sleep=sleep)
        got: list[ChatMessage] = []
        source.subscribe(got.append)
        source.start()
        await wait_for(lambda: source._task is not None and source._task.done())
        return source, got

    source, got = asyncio.run(scenario())
    return source, got, sleep.delays


def test_chat_pages_are_polled_within_quota_and_mapped(
    youtube_api: RecordedYouTube, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    options = YouTubeOptions(
        video_id="dQw4w9WgXcQ",
        base_url=f"http://127.0.0.1:{youtube_api.port}/youtube/v3",
        api_key_secret="yt-key",
        daily_quota_units=10_000,
        show_hours=2,
        quota_backoff_s=900,
    )
    source, got, delays = run_source(options, {"yt-key": API_KEY})

    assert source.state.status is SourceStatus.IDLE and "ended" in source.state.message
    paths = [p for p, _, _ in youtube_api.requests]
    assert paths[0] == "/youtube/v3/videos" and set(paths[1:]) == {"/youtube/v3/liveChat/messages"}
    chat_calls = [q for p, q, _ in youtube_api.requests[1:]]
    assert all(q["liveChatId"] == CHAT_ID and q["key"] == API_KEY for q in chat_calls)
    assert all(q["part"] == "snippet,authorDetails" for q in chat_calls)
    assert [q.get("pageToken", "") for q in chat_calls] == [
        "",
        "GO2E2cK9-IkDENGbq6u_qYkDGAAgAQ",
        "GO2E2cK9-IkDENGbq6u_qYkDGAAgAQ",
        "GNvTgsK9-IkDEMTB4O2_qYkDGAAgAg",
    ]
    # 10,000 units / 5 per call over 2 hours: at least 3.6 s apart; the server's 12 s wins when longer;
    # the quota error waits its back-off before the same page is asked for again.
    assert delays == [5.13, 900, 12.0]
    assert source.quota_used == 1 + 4 * 5

    assert [m.kind for m in got] == [
        ChatKind.COMMENT,
        ChatKind.GIFT,
        ChatKind.GIFT,
        ChatKind.COMMENT,
        ChatKind.GIFT,
        ChatKind.COMMENT,
    ]
    first, superchat, member, hostile, gifting, last = got
    assert (first.user_id, first.name, first.text) == (
        "UCzQUP1qoWDoEbmsQxvdjxgQ",
        "@joana.costa",
        "hi from Lisbon! what's the price of A1?",
    )
    assert first.timestamp == pytest.approx(datetime(2026, 11, 21, 18, 2, 11, 402377, UTC).timestamp(), abs=1e-3)
    assert (superchat.gift_name, superchat.gift_value, superchat.gift_unit) == ("Super Chat $5.00", 5.0, "USD")
    assert superchat.text == "link for B7 please!" and superchat.badges == ("member",)
    assert member.gift_name == "Membership (Studio Shop Club)"
    assert hostile.text == "<img src=x onerror=alert(1)> sold B7 size M" and hostile.name == "@<b>loud</b>"
    assert hostile.badges == ("moderator",)
    assert gifting.gift_count == 5 and gifting.gift_unit == "memberships"
    assert last.text == "thanks, bye!"
    assert API_KEY not in caplog.text


def test_oauth_token_is_sent_as_bearer(youtube_api: RecordedYouTube) -> None:
    options = YouTubeOptions(
        live_chat_id=CHAT_ID,
        base_url=f"http://127.0.0.1:{youtube_api.port}/youtube/v3",
        oauth_token_secret="yt-oauth",
        min_interval_s=0,
    )
    source, got, _ = run_source(options, {"yt-oauth": "ya29.test-token"})
    _, query, headers = youtube_api.requests[0]
    assert headers["Authorization"] == "Bearer ya29.test-token" and "key" not in query
    assert len(got) == 6 and source.polls == 3


def test_invalid_key_fails_without_retrying(youtube_api: RecordedYouTube) -> None:
    youtube_api.script[""] = [(400, page("key_invalid.json"))]
    options = YouTubeOptions(live_chat_id=CHAT_ID, base_url=f"http://127.0.0.1:{youtube_api.port}/youtube/v3")
    source, got, _ = run_source(options, {"youtube-api-key": "wrong"})
    assert source.state.status is SourceStatus.FAILED and "API key not valid" in source.state.message
    assert got == [] and len(youtube_api.requests) == 1


def test_missing_key_and_options_are_reported() -> None:
    with pytest.raises(ValueError, match="live chat id"):
        YouTubeOptions()
    options = YouTubeOptions(live_chat_id=CHAT_ID, base_url="http://127.0.0.1:9/youtube/v3")
    source, _, _ = run_source(options, {})
    assert source.state.status is SourceStatus.FAILED and "No YouTube API key" in source.state.message


def test_budget_interval() -> None:
    options = YouTubeOptions(live_chat_id="x", daily_quota_units=10_000, show_hours=4, quota_share=0.5)
    # 5,000 units for this source: 1,000 calls over 4 hours.
    assert options.budget_interval_s == pytest.approx(14.4)
