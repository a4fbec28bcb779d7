"""A stream key pasted into a server URL is spotted for the big platforms and common key shapes."""

from __future__ import annotations

import asyncio

import pytest

from studio_console.adapters.sinks.base import rtmp_url_problem
from studio_console.adapters.sinks.external import CustomRtmpOptions, CustomRtmpSink, TwitchSink
from studio_console.domain.stream_keys import stream_key_problem
from studio_console.services.golive.service import GoLiveError, GoLiveService
from studio_console.settings.model import OutputSettings
from tests.helpers.fake_obs_session import FakeObsSession
from tests.helpers.fake_sinks import DictSecrets

PASTED = (
    "rtmp://live.twitch.tv/app/live_123456789_AbCdEfGhIjKlMnOpQrStUvWxYz0123",
    "rtmp://fra05.contribute.live-video.net/app/live_1234_abcdefgh",
    "rtmps://a.rtmps.youtube.com:443/live2/abcd-efgh-ijkl-mnop-qrst",
    "rtmps://live-api-s.facebook.com:443/rtmp/FB-123456789012345-0-AbCdEfGhIjKl",
    "rtmp://push-rtmp-l11-va01.tiktokcdn.com/game/stream-1234567890123456789?expire=1700000000&sign=abc",
    "rtmps://fa723fc1b171.global-contribute.live-video.net/app/sk_us-west-2_AbCdEf123456",
    "rtmp://10.0.0.5:1935/live/sk_us-west-2_AbCdEf123456",
    "rtmp://10.0.0.5:1935/live/live_anything_goes",
    "rtmp://live.restream.io/live/re_1234567_abcdef0123456789",
    "rtmp://ingest.example.net/live/a8F3kL0qZ9x2Vb7Nc4Md",
)

CLEAN = (
    "rtmp://live.twitch.tv/app",
    "rtmps://a.rtmps.youtube.com:443/live2",
    "rtmps://live-api-s.facebook.com:443/rtmp/",
    "rtmp://push-rtmp-l11-va01.tiktokcdn.com/game",
    "rtmp://127.0.0.1:1935/live",
    "rtmp://10.0.0.5:1935/live/studio",
    "rtmp://nginx.local/show-2026/evening",
)


@pytest.mark.parametrize("url", PASTED)
def test_a_pasted_key_is_spotted_and_never_quoted(url: str) -> None:
    problem = rtmp_url_problem(url)
    assert problem is not None and "stream key" in problem
    key = url.rsplit("/", 1)[-1].split("?")[0]
    assert key not in problem


@pytest.mark.parametrize("url", CLEAN)
def test_plain_server_urls_pass(url: str) -> None:
    assert stream_key_problem(url) is None
    assert rtmp_url_problem(url) is None


def test_a_key_pasted_before_any_key_was_saved_never_reaches_the_settings() -> None:
    settings = OutputSettings()
    service = GoLiveService(
        FakeObsSession(),
        DictSecrets({}),
        {"twitch": TwitchSink(), "custom_rtmp": CustomRtmpSink(CustomRtmpOptions(server_url="rtmp://127.0.0.1/live"))},
        settings,
        on_settings_changed=lambda: None,
    )

    async def main() -> None:
        for sink_id, url in (
            ("custom_rtmp", "rtmp://10.0.0.5:1935/live/sk_us-west-2_AbCdEf123456"),
            ("twitch", "rtmp://live.twitch.tv/app/live_123456789_AbCdEfGhIjKlMnOp"),
        ):
            with pytest.raises(GoLiveError, match="stream key"):
                await service.set_server_url(sink_id, url)

    asyncio.run(main())
    dumped = settings.model_dump_json() + service.status.model_dump_json()
    assert "AbCdEf123456" not in dumped and "AbCdEfGhIjKlMnOp" not in dumped


def test_a_key_already_saved_in_a_server_url_never_shows_in_the_state_answer() -> None:
    from studio_console.adapters.http_server import JsonHttpServer, Request
    from studio_console.services.obs_control.switcher import SceneSwitcher
    from studio_console.services.remote.control import RemoteControl

    saved = "rtmp://10.0.0.5:1935/live/sk_us-west-2_AbCdEf123456"  # from a version that did not check
    session = FakeObsSession()
    service = GoLiveService(
        session,
        DictSecrets({}),
        {"custom_rtmp": CustomRtmpSink(CustomRtmpOptions(server_url=saved))},
        OutputSettings(),
        on_settings_changed=lambda: None,
    )
    control = RemoteControl(JsonHttpServer("state-test-token-0123456789"), session, SceneSwitcher(session))
    control.attach_golive(service)
    state = asyncio.run(control._state(Request("GET", "/api/v1/state", {}, b"")))
    text = str(state)
    assert "AbCdEf123456" not in text
    assert "rtmp://10.0.0.5:1935/live/" in text  # the server itself is still shown
