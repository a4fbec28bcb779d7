"""External RTMP(S) sinks and platform presets: server URLs, keys read at apply time, preflight sentences."""

from __future__ import annotations

import asyncio

import pytest

from studio_console.adapters.sinks.base import (
    KEY_MASK,
    MissingStreamKey,
    SinkError,
    StreamServiceSettings,
    mask_key,
    rtmp_url_problem,
)
from studio_console.adapters.sinks.external import (
    YOUTUBE_RTMP_URL,
    YOUTUBE_RTMPS_URL,
    CustomRtmpOptions,
    CustomRtmpSink,
    ServerUrlOptions,
    TikTokLiveSink,
    TwitchSink,
    YouTubeLiveSink,
    YouTubeOptions,
)
from studio_console.domain.stream import CheckStatus, DestinationKind, Orientation
from studio_console.settings.secrets import stream_key_name
from tests.helpers.fake_sinks import DictSecrets


def settings_of(sink: object, secrets: DictSecrets) -> StreamServiceSettings:
    async def main() -> StreamServiceSettings:
        return await sink.stream_settings(secrets)  # type: ignore[attr-defined, no-any-return]

    return asyncio.run(main())


def test_youtube_uses_rtmps_by_default_and_rtmp_on_request() -> None:
    secrets = DictSecrets({stream_key_name("youtube_live"): "abcd-efgh"})
    assert settings_of(YouTubeLiveSink(), secrets).server == YOUTUBE_RTMPS_URL
    plain = settings_of(YouTubeLiveSink(YouTubeOptions(protocol="rtmp")), secrets)
    assert plain.server == YOUTUBE_RTMP_URL == "rtmp://a.rtmp.youtube.com/live2"
    assert plain.key == "abcd-efgh"
    assert not YouTubeLiveSink().server_editable


def test_presets_describe_their_platform() -> None:
    tiktok, youtube, twitch = TikTokLiveSink(), YouTubeLiveSink(), TwitchSink()
    assert tiktok.kind is DestinationKind.TIKTOK and tiktok.target().profile.orientation is Orientation.VERTICAL
    assert youtube.target().profile.max_keyframe_interval_s == 4
    assert twitch.target().server_url == "rtmp://live.twitch.tv/app"
    assert all(s.is_real_audience and s.needs_key for s in (tiktok, youtube, twitch))


def test_tiktok_needs_the_server_url_from_tiktok() -> None:
    secrets = DictSecrets({stream_key_name("tiktok_live"): "tt-key"})
    sink = TikTokLiveSink()
    with pytest.raises(SinkError, match="No server URL"):
        settings_of(sink, secrets)
    url_check = sink.preflight(secrets)[0]
    assert url_check.status is CheckStatus.FAIL and "TikTok LIVE Studio" in url_check.sentence
    ready = TikTokLiveSink(ServerUrlOptions(server_url="rtmp://push.example.tiktokcdn.com/third/"))
    assert settings_of(ready, secrets).server == "rtmp://push.example.tiktokcdn.com/third/"


def test_key_is_read_when_applied_and_missing_key_is_a_sentence() -> None:
    secrets = DictSecrets()
    sink = CustomRtmpSink(CustomRtmpOptions(server_url="rtmp://127.0.0.1:1935/live"))
    with pytest.raises(MissingStreamKey, match="No stream key for Custom RTMP"):
        settings_of(sink, secrets)
    assert secrets.reads[stream_key_name("custom_rtmp")] == 1
    secrets.set(stream_key_name("custom_rtmp"), " show-42 ")
    assert settings_of(sink, secrets).key == "show-42"
    checks = {c.name: c for c in sink.preflight(secrets)}
    assert checks["stream_key"].status is CheckStatus.PASS and checks["server_url"].status is CheckStatus.PASS


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "No server URL"),
        ("http://example.com/live", "rtmp://"),
        ("rtmp:///live", "no host"),
        ("rtmp://user:pw@example.com/live", "user name"),
        ("rtmps://live.example.com:443/app", None),
    ],
)
def test_server_url_problems(url: str, problem: str | None) -> None:
    found = rtmp_url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_keys_never_show_in_reprs_or_masks() -> None:
    settings = StreamServiceSettings(server="rtmp://a/live", key="super-secret-key")
    assert "super-secret-key" not in repr(settings) and "super-secret-key" not in str(settings)
    assert settings.key == "super-secret-key"
    assert mask_key("super-secret-key") == KEY_MASK and mask_key(None) == ""
    assert "super" not in mask_key("super-secret-key")


def test_options_models_have_no_place_for_a_key() -> None:
    for options in (CustomRtmpOptions, ServerUrlOptions, YouTubeOptions):
        assert not any("key" in name for name in options.model_fields)
    dumped = CustomRtmpOptions.model_validate({"server_url": "rtmp://x/live", "stream_key": "leak"}).model_dump()
    assert "leak" not in str(dumped)
