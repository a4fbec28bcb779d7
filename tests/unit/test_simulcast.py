"""Going live to several: preflight per destination, one confirmation naming all, starts through RelayControl."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from studio_console.adapters.sinks.base import Sink
from studio_console.adapters.sinks.external import (
    CustomRtmpOptions,
    CustomRtmpSink,
    ServerUrlOptions,
    TikTokLiveSink,
    TwitchSink,
    YouTubeLiveSink,
)
from studio_console.domain.stream import (
    CheckStatus,
    RelayDestinationStatus,
    RelayState,
    UploadMeasurement,
)
from studio_console.services.golive.errors import GoLiveError, NeedsConfirmation, UnknownDestination
from studio_console.services.golive.relay_control import RelayControl
from studio_console.services.golive.service import GoLiveService
from studio_console.services.golive.simulcast import Simulcast
from studio_console.settings.model import OutputSettings
from studio_console.settings.secrets import stream_key_name
from tests.helpers.fake_obs_session import CONNECTED, FakeObsSession
from tests.helpers.fake_relay import FakeRelaySink
from tests.helpers.fake_sinks import DictSecrets

KEYS = {
    "youtube_live": "yt-secret-key-1111",
    "twitch": "live_twitch_secret_2222",
    "tiktok_live": "tiktok-secret-3333",
    "custom_rtmp": "nginx-secret-4444",
}
STARTED = "OBS_WEBSOCKET_OUTPUT_STARTED"
MEASURED_AT = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Rig:
    """Go-live, relay control and go-live-to-several over a fake OBS, a fake relay and real platform sinks."""

    def __init__(self, keys: dict[str, str] | None = None, measured: UploadMeasurement | None = None) -> None:
        self.session = FakeObsSession()  # 640x360 landscape, 15 fps, x264 at 800 kbps
        self.session.profile[("SimpleOutput", "ABitrate")] = "160"
        self.session.profile[("SimpleOutput", "UseAdvanced")] = "true"
        self.session.profile[("SimpleOutput", "x264Settings")] = "keyint=30"  # 2 s at 15 fps
        chosen = KEYS if keys is None else keys
        self.secrets = DictSecrets({stream_key_name(i): k for i, k in chosen.items()})
        self.local = FakeRelaySink()
        sinks: dict[str, Sink] = {
            "local_test_server": self.local,
            "youtube_live": YouTubeLiveSink(),
            "twitch": TwitchSink(),
            "tiktok_live": TikTokLiveSink(ServerUrlOptions(server_url="rtmp://push.tiktok.example/live")),
            "custom_rtmp": CustomRtmpSink(
                CustomRtmpOptions(server_url="rtmp://127.0.0.1:1935/live", label="Studio nginx", reaches_audience=False)
            ),
        }
        self.clock = Clock()
        self.golive = GoLiveService(self.session, self.secrets, sinks, OutputSettings(), clock=self.clock)
        self.relay = RelayControl(self.golive, clock=self.clock)
        self.saved: list[UploadMeasurement] = []
        self.simulcast = Simulcast(
            self.relay, measured=measured, persist=self.saved.append, clock=self.clock, wall=lambda: MEASURED_AT
        )

    @property
    def fake_relay(self):  # type: ignore[no-untyped-def]
        return self.local.fake_relay


def run(test: Callable[[Rig], Awaitable[None]], rig: Rig | None = None) -> Rig:
    rig = rig or Rig()
    asyncio.run(test(rig))
    return rig


def test_each_destination_gets_its_own_preflight_and_one_prompt_names_every_one_without_a_key() -> None:
    async def test(rig: Rig) -> None:
        plan = await rig.simulcast.prepare(["youtube_live", "tiktok_live", "custom_rtmp"])
        by_id = {d.destination_id: d for d in plan.destinations}
        assert list(by_id) == ["youtube_live", "tiktok_live", "custom_rtmp"]
        # Per destination kind: TikTok wants a vertical picture, YouTube a bigger one; nginx expects nothing.
        tiktok = by_id["tiktok_live"].preflight.check("orientation")
        assert tiktok is not None and tiktok.status is CheckStatus.WARN
        nginx = by_id["custom_rtmp"].preflight.check("orientation")
        assert nginx is not None and nginx.status is CheckStatus.PASS
        youtube = by_id["youtube_live"].preflight
        for name in ("resolution", "frame_rate", "bitrate", "keyframe_interval", "codec", "stream_key"):
            assert youtube.check(name) is not None, name
        assert all(d.will_start for d in plan.destinations)
        assert plan.reaches_real_audience and plan.token
        prompt = plan.prompt
        assert "Go live to 3 destination(s)" in prompt
        real, rehearsal = prompt.split("Real viewers will see this stream on:")[1].split("No real audience:")
        assert "YouTube Live — rtmps://a.rtmps.youtube.com:443/live2" in real
        assert "TikTok LIVE — rtmp://push.tiktok.example/live" in real
        assert "Studio nginx — rtmp://127.0.0.1:1935/live" in rehearsal.split("\n\n")[0]
        assert tiktok.sentence in prompt  # each one's findings are in the one confirmation
        for key in KEYS.values():
            assert key not in prompt and key not in repr(plan)
        # The shared "no rehearsal yet" finding is said once, not per destination.
        assert prompt.count("No rehearsal yet") == 1

    run(test)


def test_confirming_starts_them_all_through_the_relay_and_obs_streams_once_to_this_pc() -> None:
    async def test(rig: Rig) -> None:
        plan = await rig.simulcast.prepare(["youtube_live", "twitch", "custom_rtmp"])
        result = await rig.simulcast.start(plan.token)
        assert [s.destination_id for s in result.started] == ["youtube_live", "twitch", "custom_rtmp"]
        assert result.refused == ()
        targets = rig.fake_relay.targets
        assert targets["youtube_live"].url.endswith("/" + KEYS["youtube_live"])  # the key goes to the relay only
        assert targets["twitch"].url.endswith("/" + KEYS["twitch"])
        starts = [r for r, _data in rig.session.requests if r == "StartStream"]
        assert starts == ["StartStream"]  # OBS streams once, to the local test server
        assert rig.golive.status.selected == "local_test_server"
        # The token works once; the relay's own per-destination confirmations were spent in the core.
        with pytest.raises(NeedsConfirmation):
            await rig.simulcast.start(plan.token)
        with pytest.raises(NeedsConfirmation):
            await rig.relay.start("youtube_live")

    run(test)


def test_a_failing_preflight_keeps_that_destination_out_and_the_prompt_says_so() -> None:
    keys = {k: v for k, v in KEYS.items() if k != "twitch"}

    async def test(rig: Rig) -> None:
        plan = await rig.simulcast.prepare(["youtube_live", "twitch"])
        twitch = next(d for d in plan.destinations if d.destination_id == "twitch")
        assert not twitch.will_start and twitch.preflight.status is CheckStatus.FAIL
        assert "Twitch (real audience): will NOT start" in plan.prompt
        assert "Fails: No stream key for Twitch" in plan.prompt
        assert "Go live to 1 destination(s)" in plan.prompt
        assert "Twitch —" not in plan.prompt.split("\n\n")[0]  # not listed among those going live
        assert plan.upload.destinations == 1
        result = await rig.simulcast.start(plan.token)
        assert [s.destination_id for s in result.started] == ["youtube_live"]
        assert result.refused and result.refused[0][0] == "twitch" and "No stream key" in result.refused[0][1]
        assert "twitch" not in rig.fake_relay.started

    run(test, Rig(keys=keys))


def test_nothing_startable_gives_no_token() -> None:
    async def test(rig: Rig) -> None:
        plan = await rig.simulcast.prepare(["twitch"])
        assert plan.token == "" and not plan.to_start
        assert plan.prompt.startswith("No destination can start")
        with pytest.raises(NeedsConfirmation):
            await rig.simulcast.start("")

    run(test, Rig(keys={}))


def test_an_hevc_encoder_fails_for_twitch_and_tiktok_passes_for_youtube_and_warns_for_a_custom_server() -> None:
    async def test(rig: Rig) -> None:
        rig.session.profile[("SimpleOutput", "StreamEncoder")] = "jim_hevc_nvenc"
        plan = await rig.simulcast.prepare(["twitch", "tiktok_live", "youtube_live", "custom_rtmp"])
        codec = {d.destination_id: d.preflight.check("codec") for d in plan.destinations}
        statuses = {i: c.status if c else None for i, c in codec.items()}
        assert statuses == {
            "twitch": CheckStatus.FAIL,
            "tiktok_live": CheckStatus.FAIL,
            "youtube_live": CheckStatus.PASS,
            "custom_rtmp": CheckStatus.WARN,
        }
        assert [d.destination_id for d in plan.to_start] == ["youtube_live", "custom_rtmp"]

    run(test)


def test_obs_streaming_straight_to_a_platform_fails_the_preflight_of_every_relayed_destination() -> None:
    async def test(rig: Rig) -> None:
        rig.golive.select("youtube_live")
        await rig.golive.start(rig.golive.request_confirmation().token)
        rig.session.stream_event(STARTED)
        plan = await rig.simulcast.prepare(["twitch", "custom_rtmp"])
        assert not plan.to_start and plan.token == ""
        for destination in plan.destinations:
            obs = destination.preflight.check("obs")
            assert obs is not None and obs.status is CheckStatus.FAIL
            assert "straight to YouTube Live" in obs.sentence

    run(test)


def test_the_token_expires_and_a_destination_change_voids_it() -> None:
    async def test(rig: Rig) -> None:
        plan = await rig.simulcast.prepare(["custom_rtmp"])
        rig.clock.now += rig.simulcast.confirmation_ttl_s + 1
        with pytest.raises(NeedsConfirmation, match="expired"):
            await rig.simulcast.start(plan.token)
        plan = await rig.simulcast.prepare(["custom_rtmp"])
        await rig.golive.rename_destination("twitch", "Twitch EU")
        with pytest.raises(NeedsConfirmation):
            await rig.simulcast.start(plan.token)
        assert rig.fake_relay.started == []

    run(test)


def test_the_remote_start_of_several_refuses_real_audiences_and_starts_rehearsal_destinations() -> None:
    async def test(rig: Rig) -> None:
        with pytest.raises(NeedsConfirmation, match="YouTube Live"):
            await rig.simulcast.start_remote(["youtube_live", "custom_rtmp"])
        assert rig.fake_relay.started == []
        result = await rig.simulcast.start_remote(["custom_rtmp"])
        assert [s.destination_id for s in result.started] == ["custom_rtmp"]

    run(test)


def test_turned_on_destinations_are_what_go_live_to_all_uses() -> None:
    async def test(rig: Rig) -> None:
        seen = []
        rig.simulcast.subscribe(seen.append)
        with pytest.raises(GoLiveError, match="Turn on"):
            await rig.simulcast.prepare()
        rig.simulcast.set_turned_on("custom_rtmp", True)
        rig.simulcast.set_turned_on("youtube_live", True)
        assert rig.simulcast.status.turned_on == ("youtube_live", "custom_rtmp")  # the listed order
        assert seen[-1].upload.destinations == 2
        with pytest.raises(UnknownDestination):
            rig.simulcast.set_turned_on("local_test_server", True)
        plan = await rig.simulcast.prepare()
        assert [d.destination_id for d in plan.destinations] == ["youtube_live", "custom_rtmp"]
        rig.simulcast.set_turned_on("youtube_live", False)
        assert rig.simulcast.status.turned_on == ("custom_rtmp",)

    run(test)


def test_ticks_are_handed_on_to_be_kept_and_come_back_at_the_next_start() -> None:
    kept: list[list[str]] = []

    async def test(rig: Rig) -> None:
        rig.simulcast = Simulcast(rig.relay, on_turned_on=kept.append, clock=rig.clock)
        rig.simulcast.set_turned_on("twitch", True)
        rig.simulcast.set_turned_on("custom_rtmp", True)
        assert kept[-1] == ["twitch", "custom_rtmp"]
        # The next start: what was kept (a destination since removed is dropped quietly).
        again = Simulcast(rig.relay, turned_on=[*kept[-1], "gone_destination"], clock=rig.clock)
        assert again.status.turned_on == ("twitch", "custom_rtmp")

    run(test)


def test_upload_needed_is_obs_bitrate_times_destinations_against_the_last_rehearsal() -> None:
    async def never(rig: Rig) -> None:
        plan = await rig.simulcast.prepare(["youtube_live", "twitch", "custom_rtmp"])
        upload = plan.upload
        assert upload.per_destination_kbps == 960 and upload.needed_kbps == 2880  # (800 + 160) x 3
        assert upload.measured is None and upload.warning is not None and "never measured" in upload.warning
        assert "Upload needed: 2880 kbps = 960 kbps" in plan.prompt and "never measured" in plan.prompt

    run(never)
    low = UploadMeasurement(kbps=1900.0, measured_at=MEASURED_AT, destinations=2)

    async def too_little(rig: Rig) -> None:
        plan = await rig.simulcast.prepare(["youtube_live", "twitch", "custom_rtmp"])
        assert plan.upload.warning is not None and "more than the last rehearsal sustained" in plan.upload.warning
        assert "1900 kbps sustained over 10 s to 2 destination(s)" in plan.prompt
        assert "Warning: Upload needed (2880 kbps)" in plan.prompt
        two = await rig.simulcast.prepare(["youtube_live", "custom_rtmp"])
        assert two.upload.needed_kbps == 1920 and two.upload.warning is None  # 1 % under, to as many: proven
        one = await rig.simulcast.prepare(["custom_rtmp"])
        assert one.upload.warning is None

    run(too_little, Rig(measured=low))
    # A rehearsal to as many destinations that sent 7 % under the setting (x264 does) proved the link.
    near = UploadMeasurement(kbps=2880 * 0.93, measured_at=MEASURED_AT, destinations=3)
    far = UploadMeasurement(kbps=2880 * 0.80, measured_at=MEASURED_AT, destinations=3)

    async def same_size(rig: Rig) -> None:
        plan = await rig.simulcast.prepare(["youtube_live", "twitch", "custom_rtmp"])
        assert plan.upload.needed_kbps == 2880
        if plan.upload.measured == near:
            assert plan.upload.warning is None
        else:
            assert plan.upload.warning is not None and "25 % more" in plan.upload.warning

    run(same_size, Rig(measured=near))
    run(same_size, Rig(measured=far))


def relay_status(destination_id: str, state: RelayState, kbps: float = 0.0) -> RelayDestinationStatus:
    return RelayDestinationStatus(destination_id=destination_id, state=state, bitrate_kbps=kbps)


def test_the_relay_measurement_is_the_best_ten_second_mean_and_is_persisted_when_the_session_ends() -> None:
    rig = Rig()
    meter, relay = rig.simulcast.meter, rig.fake_relay
    relay.post(relay_status("custom_rtmp", RelayState.PREPARING))
    relay.post(relay_status("youtube_live", RelayState.PREPARING))
    for second in range(1, 16):
        rig.clock.now += 1
        # One second's spike is not what the link sustains.
        spike = 9000.0 if second == 8 else 1000.0
        relay.post(relay_status("custom_rtmp", RelayState.LIVE, spike))
        relay.post(relay_status("youtube_live", RelayState.LIVE, 1000.0))
    best = meter.best
    assert best is not None and 2000.0 <= best.kbps < 3000.0, best
    assert best.destinations == 2
    assert rig.saved == []  # not yet: saved at the session's end (or every 30 s while it rises)
    relay.post(relay_status("custom_rtmp", RelayState.STOPPED))
    assert rig.saved == []  # youtube still runs
    rig.clock.now += 1
    relay.post(relay_status("youtube_live", RelayState.STOPPED))
    assert len(rig.saved) == 1
    saved = rig.saved[0]
    assert saved.kbps == best.kbps and saved.measured_at == MEASURED_AT
    assert not saved.rehearsal  # YouTube has a real audience: this was a show, not a rehearsal
    assert rig.simulcast.measured == saved and rig.simulcast.status.upload.measured == saved


def test_a_session_shorter_than_the_window_measures_nothing_and_keeps_the_old_figure() -> None:
    old = UploadMeasurement(kbps=5000.0, measured_at=MEASURED_AT, destinations=3)
    rig = Rig(measured=old)
    relay = rig.fake_relay
    for _ in range(5):
        rig.clock.now += 1
        relay.post(relay_status("custom_rtmp", RelayState.LIVE, 1000.0))
    relay.post(relay_status("custom_rtmp", RelayState.STOPPED))
    assert rig.saved == [] and rig.simulcast.measured == old


def test_a_long_session_is_saved_while_it_runs_and_what_is_left_is_handed_over_on_quit() -> None:
    rig = Rig()
    relay = rig.fake_relay
    for _ in range(45):
        rig.clock.now += 1
        relay.post(relay_status("custom_rtmp", RelayState.LIVE, 1500.0))
    assert len(rig.saved) == 1 and rig.saved[0].kbps == 1500.0 and rig.saved[0].rehearsal
    for _ in range(12):
        rig.clock.now += 1
        relay.post(relay_status("custom_rtmp", RelayState.LIVE, 2500.0))
    unsaved = rig.simulcast.finish()
    assert unsaved is not None and unsaved.kbps == 2500.0
    assert rig.simulcast.measured == unsaved


def test_retry_connects_a_retrying_destination_again_without_a_new_confirmation() -> None:
    async def test(rig: Rig) -> None:
        with pytest.raises(GoLiveError, match="only a retrying or failed"):
            await rig.relay.retry("youtube_live")
        plan = await rig.simulcast.prepare(["youtube_live"])
        await rig.simulcast.start(plan.token)
        rig.fake_relay.post(
            RelayDestinationStatus(destination_id="youtube_live", state=RelayState.FAILED, last_error="refused")
        )
        status = await rig.relay.retry("youtube_live")
        assert status.state is RelayState.PREPARING
        assert rig.fake_relay.started == ["youtube_live", "youtube_live"]

    run(test)


def test_the_remote_api_starts_several_without_real_audiences_and_shows_the_upload() -> None:
    from studio_console.adapters.http_server import JsonHttpServer
    from studio_console.services.obs_control.switcher import SceneSwitcher
    from studio_console.services.remote.control import RemoteControl
    from studio_console.services.remote.relay_endpoints import attach_relay
    from tests.unit.test_show_api import TOKEN, call

    async def test(rig: Rig) -> None:
        server = JsonHttpServer(TOKEN)
        remote = RemoteControl(server, rig.session, SceneSwitcher(rig.session))  # type: ignore[arg-type]
        attach_relay(remote, rig.relay, rig.simulcast)
        port = await server.start()
        try:
            status, body = await asyncio.to_thread(
                call, port, "POST", "destinations/start", {"ids": ["youtube_live", "custom_rtmp"]}
            )
            assert status == 409 and body["needs_confirmation"] is True, body
            assert rig.fake_relay.started == []  # nothing starts when one of them needs the operator
            status, body = await asyncio.to_thread(call, port, "POST", "destinations/start", {"ids": ["nope"]})
            assert status == 404, body
            rig.simulcast.set_turned_on("custom_rtmp", True)
            status, body = await asyncio.to_thread(call, port, "POST", "destinations/start", {})
            assert status == 200 and [s["destination_id"] for s in body["started"]] == ["custom_rtmp"], body
            status, state = await asyncio.to_thread(call, port, "GET", "state")
            simulcast = state["output"]["simulcast"]
            assert simulcast["turned_on"] == ["custom_rtmp"]
            assert simulcast["upload"]["needed_kbps"] == 960 and "never measured" in simulcast["upload"]["warning"]
            assert all(key not in json.dumps(state) for key in KEYS.values())
        finally:
            await server.stop()

    run(test)


def test_obs_connecting_reads_its_bitrate_for_the_upload_figure() -> None:
    async def test(rig: Rig) -> None:
        assert rig.simulcast.status.upload.per_destination_kbps is None  # not read yet
        rig.session.disconnect()
        rig.session.publish(rig.session.snapshot.model_copy(update={"connection": CONNECTED}))
        for _ in range(20):
            await asyncio.sleep(0)
        assert rig.simulcast.status.upload.per_destination_kbps == 960
        assert rig.simulcast.status.upload.source == "OBS's video + audio bitrate"

    run(test)
