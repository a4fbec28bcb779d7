"""The go-live flow over a fake OBS session: confirmation, one start at a time, state from OBS's events."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from studio_console.adapters.sinks.base import Sink
from studio_console.adapters.sinks.external import CustomRtmpOptions, CustomRtmpSink, TwitchSink, YouTubeLiveSink
from studio_console.domain.obs_state import OutputPhase
from studio_console.domain.stream import OutputStatus
from studio_console.services.golive.service import (
    DestinationLocked,
    GoLiveError,
    GoLiveService,
    NeedsConfirmation,
    PreflightFailed,
    StartInProgress,
)
from studio_console.settings.model import OutputSettings
from studio_console.settings.secrets import stream_key_name
from tests.helpers.fake_obs_session import FakeObsSession
from tests.helpers.fake_sinks import DictSecrets, FakeRehearsalSink

YOUTUBE_KEY = "yt-abcd-efgh-ijkl-mnop"
STARTING = "OBS_WEBSOCKET_OUTPUT_STARTING"
STARTED = "OBS_WEBSOCKET_OUTPUT_STARTED"
RECONNECTING = "OBS_WEBSOCKET_OUTPUT_RECONNECTING"
RECONNECTED = "OBS_WEBSOCKET_OUTPUT_RECONNECTED"
STOPPING = "OBS_WEBSOCKET_OUTPUT_STOPPING"
STOPPED = "OBS_WEBSOCKET_OUTPUT_STOPPED"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Rig:
    """A go-live service over a fake session, with a rehearsal sink and real external sinks."""

    def __init__(self, saved: list[int] | None = None) -> None:
        self.session = FakeObsSession()
        # Keyframes every 2 s (keyint=30 at 15 fps): YouTube's preflight has warnings, no failure.
        self.session.profile[("SimpleOutput", "UseAdvanced")] = "true"
        self.session.profile[("SimpleOutput", "x264Settings")] = "keyint=30"
        self.secrets = DictSecrets({stream_key_name("youtube_live"): YOUTUBE_KEY})
        self.settings = OutputSettings()
        self.clock = Clock()
        self.rehearsal = FakeRehearsalSink()
        sinks: dict[str, Sink] = {
            "local_test_server": self.rehearsal,
            "youtube_live": YouTubeLiveSink(),
            "twitch": TwitchSink(),
            "custom_rtmp": CustomRtmpSink(
                CustomRtmpOptions(server_url="rtmp://127.0.0.1:1935/live", label="Studio nginx")
            ),
        }
        self.saves = saved if saved is not None else []
        self.service = GoLiveService(
            self.session,
            self.secrets,
            sinks,
            self.settings,
            on_settings_changed=lambda: self.saves.append(1),
            clock=self.clock,
        )
        self.statuses: list[OutputStatus] = []
        self.service.subscribe(self.statuses.append)

    @property
    def status(self) -> OutputStatus:
        return self.service.status

    async def go_live_on_youtube(self) -> None:
        self.service.select("youtube_live")
        confirmation = self.service.request_confirmation()
        await self.service.start(confirmation.token)


def run(test: Callable[[Rig], Awaitable[None]]) -> Rig:
    rig = Rig()

    async def main() -> None:
        await test(rig)

    asyncio.run(main())
    return rig


def test_default_destination_is_the_local_test_server_and_real_ones_are_marked() -> None:
    rig = Rig()
    status = rig.status
    assert status.selected == "local_test_server"
    assert status.phase is OutputPhase.STOPPED
    flags = {d.sink_id: d.is_real_audience for d in status.destinations}
    assert flags == {"local_test_server": False, "youtube_live": True, "twitch": True, "custom_rtmp": True}
    youtube = status.destination("youtube_live")
    assert youtube is not None and youtube.key_set and youtube.needs_key
    assert status.local_server is not None


def test_rehearsal_starts_without_confirmation_and_state_follows_obs_events() -> None:
    async def test(rig: Rig) -> None:
        await rig.service.start()
        # StartStream answered: still "starting" until OBS says otherwise.
        assert rig.status.phase is OutputPhase.STARTING and rig.status.start_in_progress
        rig.session.stream_event(STARTING)
        assert rig.status.phase is OutputPhase.STARTING
        rig.session.stream_event(STARTED)
        assert rig.status.phase is OutputPhase.LIVE
        assert rig.status.active_sink == "local_test_server"
        assert not rig.status.start_in_progress

    rig = run(test)
    assert rig.session.count("StartStream") == 1
    service_settings = next(data for kind, data in rig.session.requests if kind == "SetStreamServiceSettings")
    assert service_settings == {
        "streamServiceType": "rtmp_custom",
        "streamServiceSettings": {"server": "rtmp://127.0.0.1:1/live", "key": "rehearsal-token", "use_auth": False},
    }
    assert rig.rehearsal.prepared == 1


def test_start_stream_success_is_not_trusted_when_obs_then_stops() -> None:
    async def test(rig: Rig) -> None:
        await rig.service.start()
        rig.session.stream_event(STARTING)
        rig.session.stream_event(STOPPED)
        assert rig.status.phase is OutputPhase.STOPPED
        assert "could not connect" in rig.status.message
        assert not rig.status.start_in_progress
        await rig.service.start()  # the guard was released: a new attempt is allowed

    rig = run(test)
    assert rig.session.count("StartStream") == 2


def test_a_second_start_while_one_is_in_progress_is_refused() -> None:
    async def test(rig: Rig) -> None:
        rig.session.hold("StartStream")
        first = asyncio.create_task(rig.service.start())
        while rig.session.count("StartStream") == 0:
            await asyncio.sleep(0)
        with pytest.raises(StartInProgress, match="already starting"):
            await rig.service.start()
        with pytest.raises(DestinationLocked, match="Stop the stream"):
            rig.service.select("twitch")
        rig.session.release("StartStream")
        await first
        rig.session.stream_event(STARTING)
        with pytest.raises(StartInProgress):
            await rig.service.start()
        rig.session.stream_event(STARTED)
        with pytest.raises(StartInProgress, match="already live"):
            await rig.service.start()

    rig = run(test)
    assert rig.session.count("StartStream") == 1
    assert rig.session.count("SetStreamServiceSettings") == 1


def test_real_destination_needs_the_apps_confirmation_token() -> None:
    async def test(rig: Rig) -> None:
        rig.service.select("youtube_live")
        with pytest.raises(NeedsConfirmation, match="needs confirmation in the app"):
            await rig.service.start()
        with pytest.raises(NeedsConfirmation):
            await rig.service.start("made-up-token")
        confirmation = rig.service.request_confirmation()
        assert confirmation.destination == "YouTube Live"
        assert "Real viewers" in confirmation.prompt and "YouTube Live" in confirmation.prompt
        with pytest.raises(NeedsConfirmation):
            await rig.service.start_remote()  # the remote API never starts a real audience
        # The remote refusal happens before any token is looked at: the confirmation is still valid.
        await rig.service.start(confirmation.token)
        assert rig.status.phase is OutputPhase.STARTING

    rig = run(test)
    assert rig.session.count("StartStream") == 1
    sent = next(data for kind, data in rig.session.requests if kind == "SetStreamServiceSettings")
    assert sent is not None
    assert sent["streamServiceSettings"]["server"] == "rtmps://a.rtmps.youtube.com:443/live2"
    assert sent["streamServiceSettings"]["key"] == YOUTUBE_KEY


def test_confirmation_is_single_use_expires_and_belongs_to_its_destination() -> None:
    async def test(rig: Rig) -> None:
        rig.service.select("youtube_live")
        old = rig.service.request_confirmation()
        rig.service.select("twitch")
        rig.secrets.set(stream_key_name("twitch"), "live_123456789_abcdef")
        with pytest.raises(NeedsConfirmation):
            await rig.service.start(old.token)  # issued for YouTube, and selecting cleared it
        confirmation = rig.service.request_confirmation()
        rig.clock.now += rig.service.confirmation_ttl_s + 1
        with pytest.raises(NeedsConfirmation, match="expired"):
            await rig.service.start(confirmation.token)
        with pytest.raises(NeedsConfirmation):
            await rig.service.start(confirmation.token)  # used once already

    rig = run(test)
    assert rig.session.count("StartStream") == 0


def test_remote_start_is_allowed_for_the_rehearsal_only() -> None:
    async def test(rig: Rig) -> None:
        await rig.service.start_remote()
        rig.session.stream_event(STARTING)
        rig.session.stream_event(STARTED)
        assert rig.status.phase is OutputPhase.LIVE

    rig = run(test)
    assert rig.session.count("StartStream") == 1


def test_changing_destination_while_live_is_refused_with_a_clear_message() -> None:
    async def test(rig: Rig) -> None:
        await rig.go_live_on_youtube()
        rig.session.stream_event(STARTING)
        rig.session.stream_event(STARTED)
        assert rig.status.phase is OutputPhase.LIVE and rig.status.active_destination == "YouTube Live"
        assert rig.status.active_is_real_audience
        with pytest.raises(DestinationLocked, match=r"Stop the stream before changing the destination.*YouTube Live"):
            rig.service.select("local_test_server")
        with pytest.raises(DestinationLocked):
            await rig.service.set_options("youtube_live", {"protocol": "rtmp"})
        await rig.service.stop()
        rig.session.stream_event(STOPPING)
        rig.session.stream_event(STOPPED)
        rig.service.select("local_test_server")

    rig = run(test)
    assert rig.session.count("StopStream") == 1
    assert rig.settings.destination == "local_test_server"


def test_reconnects_are_counted_and_never_restarted_by_the_app() -> None:
    async def test(rig: Rig) -> None:
        await rig.service.start()
        for event in (STARTING, STARTED, RECONNECTING):
            rig.session.stream_event(event)
        assert rig.status.phase is OutputPhase.RECONNECTING
        assert "reconnecting" in rig.status.message
        rig.session.stream_event(RECONNECTED)
        rig.session.stream_event(RECONNECTING)
        rig.session.stream_event(RECONNECTED)
        assert rig.status.phase is OutputPhase.LIVE
        assert rig.status.reconnects == 2
        rig.session.stream_event(RECONNECTING)
        rig.session.stream_event(STOPPED)  # OBS used up its retries
        assert rig.status.phase is OutputPhase.STOPPED
        assert "gave up reconnecting" in rig.status.message

    rig = run(test)
    assert rig.session.count("StartStream") == 1


def test_bitrate_from_output_bytes_and_other_figures() -> None:
    async def test(rig: Rig) -> None:
        await rig.service.start()
        rig.session.stream_event(STARTING)
        rig.session.stream_event(STARTED)
        for second in range(4):
            rig.clock.now += 1.0
            rig.session.stream_stats(
                100_000 * second,
                stream_duration_ms=1000 * second,
                stream_congestion=0.25,
                stream_skipped_frames=3,
                stream_total_frames=60,
            )
        status = rig.status
        assert status.bitrate_kbps == pytest.approx(800.0)
        assert status.duration_s == pytest.approx(3.0)
        assert (status.congestion, status.dropped_frames, status.total_frames) == (0.25, 3, 60)
        assert status.dropped_ratio == pytest.approx(0.05)

    run(test)


def test_lost_obs_while_starting_releases_the_guard() -> None:
    async def test(rig: Rig) -> None:
        await rig.service.start()
        rig.session.disconnect()
        assert not rig.status.start_in_progress
        assert "Lost the connection to OBS" in rig.status.message
        with pytest.raises(GoLiveError, match="OBS is not connected"):
            await rig.service.start()

    run(test)


def test_obs_refusing_start_stream_is_reported_and_releases_the_guard() -> None:
    async def test(rig: Rig) -> None:
        rig.session.fail("StartStream", 500, "OutputRunning")
        with pytest.raises(GoLiveError, match="OutputRunning"):
            await rig.service.start()
        assert not rig.status.start_in_progress
        assert rig.status.phase is OutputPhase.STOPPED

    run(test)


def test_stop_during_start_stops_once_obs_reports_the_stream() -> None:
    async def test(rig: Rig) -> None:
        await rig.service.start()
        await rig.service.stop()
        assert rig.session.count("StopStream") == 0  # nothing to stop yet
        rig.session.stream_event(STARTING)
        rig.session.stream_event(STARTED)
        for _ in range(5):
            await asyncio.sleep(0)
        assert rig.session.count("StopStream") == 1

    run(test)


def test_failed_preflight_blocks_a_real_destination_before_any_request_to_start() -> None:
    async def test(rig: Rig) -> None:
        # Automatic keyframes (x264: 250 frames = 16.7 s at 15 fps) are far above YouTube's 4 s.
        rig.session.profile[("SimpleOutput", "UseAdvanced")] = "false"
        rig.service.select("youtube_live")
        confirmation = rig.service.request_confirmation()
        with pytest.raises(PreflightFailed, match=r"Keyframes every 16\.7 s"):
            await rig.service.start(confirmation.token)
        assert not rig.status.start_in_progress

    rig = run(test)
    assert rig.session.count("SetStreamServiceSettings") == 0
    assert rig.session.count("StartStream") == 0


def test_missing_key_fails_preflight_for_a_real_destination() -> None:
    async def test(rig: Rig) -> None:
        rig.service.select("twitch")
        result = await rig.service.preflight()
        key = result.check("stream_key")
        assert key is not None and key.status.value == "fail" and "Twitch" in key.sentence
        with pytest.raises(PreflightFailed, match="No stream key for Twitch"):
            await rig.service.start(rig.service.request_confirmation().token)

    rig = run(test)
    assert rig.session.count("StartStream") == 0


def test_keys_go_to_the_secret_store_and_options_to_the_settings() -> None:
    saved: list[int] = []

    async def test(rig: Rig) -> None:
        rig.service.set_stream_key("custom_rtmp", "  nginx-stream-key  ")
        await rig.service.set_server_url("custom_rtmp", "rtmp://10.0.0.5:1935/live")
        with pytest.raises(GoLiveError, match="rtmp://"):
            await rig.service.set_server_url("custom_rtmp", "http://example.com/live")
        with pytest.raises(GoLiveError, match="fixed"):
            await rig.service.set_server_url("youtube_live", "rtmp://elsewhere/live")

    rig = Rig(saved)

    async def main() -> None:
        await test(rig)

    asyncio.run(main())
    assert rig.secrets.values[stream_key_name("custom_rtmp")] == "nginx-stream-key"
    custom = rig.settings.instance("custom_rtmp")
    assert custom is not None and custom.options["server_url"] == "rtmp://10.0.0.5:1935/live"
    assert "nginx-stream-key" not in rig.settings.model_dump_json()
    info = rig.status.destination("custom_rtmp")
    assert info is not None and info.key_set and info.server_url == "rtmp://10.0.0.5:1935/live"
    assert saved
    rig.service.set_stream_key("custom_rtmp", "")
    assert stream_key_name("custom_rtmp") not in rig.secrets.values


def test_key_is_read_at_apply_time() -> None:
    async def test(rig: Rig) -> None:
        rig.secrets.set(stream_key_name("youtube_live"), "rotated-key-0001")
        await rig.go_live_on_youtube()

    rig = run(test)
    sent: Any = next(data for kind, data in rig.session.requests if kind == "SetStreamServiceSettings")
    assert sent["streamServiceSettings"]["key"] == "rotated-key-0001"


def test_no_request_could_turn_on_websocket_debug_logging() -> None:
    async def test(rig: Rig) -> None:
        await rig.service.preflight()
        await rig.go_live_on_youtube()

    rig = run(test)
    kinds = {kind for kind, _ in rig.session.requests}
    assert kinds <= {"GetVideoSettings", "GetProfileParameter", "SetStreamServiceSettings", "StartStream"}
    for kind, data in rig.session.requests:
        assert "debug" not in f"{kind} {data}".lower()


def test_last_rehearsal_figures_reach_status_and_preflight() -> None:
    from studio_console.domain.stream import ReceivedStreamInfo

    async def test(rig: Rig) -> None:
        rig.rehearsal.receive(
            ReceivedStreamInfo(
                video_codec="h264", width=640, height=360, fps=15.0, keyframe_interval_s=2.0, received_s=10.0
            )
        )
        assert rig.status.last_rehearsal is not None and rig.status.last_rehearsal.width == 640
        rig.service.select("youtube_live")
        result = await rig.service.preflight()
        keyframe = result.check("keyframe_interval")
        rehearsal = result.check("rehearsal")
        assert keyframe is not None and "measured in the last rehearsal" in keyframe.sentence
        assert rehearsal is not None and "h264 640x360" in rehearsal.sentence
        assert rig.status.preflight == result

    run(test)


def test_shutdown_closes_every_sink() -> None:
    async def test(rig: Rig) -> None:
        await rig.service.shutdown()

    rig = run(test)
    assert rig.rehearsal.closed == 1


def test_a_server_url_containing_the_key_is_refused() -> None:
    async def test(rig: Rig) -> None:
        rig.service.set_stream_key("twitch", "live_55555_abcdefghij")
        with pytest.raises(GoLiveError, match="contains the stream key"):
            await rig.service.set_server_url("twitch", "rtmp://live.twitch.tv/app/live_55555_abcdefghij")

    rig = run(test)
    assert "live_55555" not in rig.settings.model_dump_json()


def test_a_stream_started_in_obs_is_shown_and_a_lost_obs_is_said_plainly() -> None:
    async def test(rig: Rig) -> None:
        rig.session.stream_event(STARTING)
        assert "started outside Studio Console" in rig.status.message
        rig.session.stream_event(STARTED)
        assert rig.status.phase is OutputPhase.LIVE and rig.status.active_sink is None
        assert rig.status.message == "Live (started outside Studio Console)"
        with pytest.raises(DestinationLocked):
            rig.service.select("twitch")
        rig.session.disconnect()
        assert rig.status.message == "OBS is not connected: the stream was last seen live."

    rig = run(test)
    assert rig.session.count("StartStream") == 0
