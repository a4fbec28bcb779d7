"""External RTMP(S) destinations: a custom server (nginx-rtmp, mediamtx, a restreamer) and platform presets."""

from __future__ import annotations

import logging
from typing import ClassVar, Literal

from pydantic import Field

from studio_console.adapters.sinks.base import (
    MissingStreamKey,
    SecretReader,
    SinkBase,
    SinkError,
    SinkOptions,
    StreamServiceSettings,
    key_check,
    rtmp_url_problem,
)
from studio_console.domain.stream import (
    CheckStatus,
    DestinationKind,
    Orientation,
    OutputProfile,
    PreflightCheck,
    StreamTarget,
)

log = logging.getLogger(__name__)

YOUTUBE_RTMP_URL = "rtmp://a.rtmp.youtube.com/live2"
YOUTUBE_RTMPS_URL = "rtmps://a.rtmps.youtube.com:443/live2"
TWITCH_INGEST_URL = "rtmp://live.twitch.tv/app"

# Published platform recommendations, kept in one place so they are easy to update.
TIKTOK_PROFILE = OutputProfile(
    orientation=Orientation.VERTICAL,
    recommended_size=(720, 1280),
    min_fps=24,
    max_fps=60,
    min_bitrate_kbps=2000,
    max_bitrate_kbps=6000,
    max_keyframe_interval_s=4,
    recommended_keyframe_interval_s=2,
)
YOUTUBE_PROFILE = OutputProfile(
    orientation=Orientation.LANDSCAPE,
    recommended_size=(1280, 720),
    min_fps=24,
    max_fps=60,
    min_bitrate_kbps=1500,
    max_bitrate_kbps=9000,
    max_keyframe_interval_s=4,
    recommended_keyframe_interval_s=2,
)
TWITCH_PROFILE = OutputProfile(
    orientation=Orientation.LANDSCAPE,
    recommended_size=(1280, 720),
    min_fps=24,
    max_fps=60,
    min_bitrate_kbps=2500,
    max_bitrate_kbps=6000,
    max_keyframe_interval_s=2,
    recommended_keyframe_interval_s=2,
)


class ServerUrlOptions(SinkOptions):
    server_url: str = ""


class CustomRtmpOptions(ServerUrlOptions):
    # Shown in the destination picker, e.g. "Studio nginx" or "Restream".
    label: str = ""
    # An own server used for rehearsals can be marked as not reaching viewers (no confirmation needed).
    reaches_audience: bool = True


class YouTubeOptions(SinkOptions):
    # RTMPS keeps the stream key encrypted on the way to YouTube.
    protocol: Literal["rtmp", "rtmps"] = "rtmps"


class ExternalRtmpSink(SinkBase):
    """A destination reached over RTMP(S) with a server URL and a stream key from the keyring."""

    profile: ClassVar[OutputProfile] = OutputProfile()
    real_audience: ClassVar[bool] = True
    editable_server: ClassVar[bool] = True

    @property
    def is_real_audience(self) -> bool:
        return self.real_audience

    @property
    def needs_key(self) -> bool:
        return True

    @property
    def server_editable(self) -> bool:
        return self.editable_server

    def server_url(self) -> str:
        options = self.options
        return options.server_url.strip() if isinstance(options, ServerUrlOptions) else ""

    def target(self) -> StreamTarget:
        return StreamTarget(
            sink_id=self.sink_id,
            display_name=self.display_name,
            kind=self.kind,
            server_url=self.server_url(),
            key_ref=self.key_name,
            is_real_audience=self.is_real_audience,
            profile=self.profile,
        )

    async def stream_settings(self, secrets: SecretReader) -> StreamServiceSettings:
        problem = rtmp_url_problem(self.server_url())
        if problem is not None:
            raise SinkError(f"{self.display_name}: {problem}")
        key = secrets.get(self.key_name)
        if not key:
            raise MissingStreamKey(f"No stream key for {self.display_name}: paste it in the key field first.")
        return StreamServiceSettings(server=self.server_url(), key=key.strip())

    def preflight(self, secrets: SecretReader) -> tuple[PreflightCheck, ...]:
        problem = rtmp_url_problem(self.server_url())
        if problem is None:
            url_check = PreflightCheck(
                name="server_url", status=CheckStatus.PASS, sentence=f"Server: {self.server_url()}"
            )
        else:
            url_check = PreflightCheck(
                name="server_url", status=CheckStatus.FAIL, sentence=f"{problem} {self._url_hint()}".strip()
            )
        return (url_check, key_check(self, secrets))

    def _url_hint(self) -> str:
        return "Enter the server URL your streaming service gives you."


class CustomRtmpSink(ExternalRtmpSink):
    """Any RTMP(S) server: nginx-rtmp, mediamtx, a restreaming service."""

    sink_type_id = "custom_rtmp"
    listing_order = 4
    default_display_name = "Custom RTMP(S) server"
    options_model = CustomRtmpOptions
    destination_kind = DestinationKind.CUSTOM_RTMP

    @property
    def display_name(self) -> str:
        options = self.options
        label = options.label.strip() if isinstance(options, CustomRtmpOptions) else ""
        return self._display_name or label or self.default_display_name

    @property
    def is_real_audience(self) -> bool:
        options = self.options
        return options.reaches_audience if isinstance(options, CustomRtmpOptions) else True


class TikTokLiveSink(ExternalRtmpSink):
    """TikTok LIVE: server URL and stream key both come from TikTok (LIVE Studio or LIVE Center)."""

    sink_type_id = "tiktok_live"
    listing_order = 1
    default_display_name = "TikTok LIVE"
    options_model = ServerUrlOptions
    destination_kind = DestinationKind.TIKTOK
    profile = TIKTOK_PROFILE

    def _url_hint(self) -> str:
        return "Copy the server URL from TikTok LIVE Studio or LIVE Center (it changes per session)."


class YouTubeLiveSink(ExternalRtmpSink):
    """YouTube Live over RTMPS (default) or RTMP; the stream key comes from YouTube Studio."""

    sink_type_id = "youtube_live"
    listing_order = 2
    default_display_name = "YouTube Live"
    options_model = YouTubeOptions
    destination_kind = DestinationKind.YOUTUBE
    profile = YOUTUBE_PROFILE
    editable_server = False

    def server_url(self) -> str:
        options = self.options
        secure = not isinstance(options, YouTubeOptions) or options.protocol == "rtmps"
        return YOUTUBE_RTMPS_URL if secure else YOUTUBE_RTMP_URL


class TwitchOptions(ServerUrlOptions):
    server_url: str = Field(default=TWITCH_INGEST_URL)


class TwitchSink(ExternalRtmpSink):
    """Twitch: the global ingest by default (an ingest near you can be entered); key from the Creator Dashboard."""

    sink_type_id = "twitch"
    listing_order = 3
    default_display_name = "Twitch"
    options_model = TwitchOptions
    destination_kind = DestinationKind.TWITCH
    profile = TWITCH_PROFILE
