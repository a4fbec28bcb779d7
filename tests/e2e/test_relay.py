"""One stream, every platform: real OBS streams once to the local test server, the relay feeds three nginx-rtmp."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from obswebsocket import requests

from studio_console.adapters.sinks.local_test_server import LocalTestServerSink
from studio_console.domain.obs_state import OutputPhase
from studio_console.domain.stream import LocalServerState, RelayState
from studio_console.services.golive.relay_control import RelayControl
from studio_console.settings.model import Settings
from studio_console.settings.secrets import SecretStore
from tests.e2e.test_app_with_obs import App, app  # noqa: F401 (the app fixture)
from tests.e2e.test_sinks import studio
from tests.helpers.ffprobe import stream_info, video_packet_times
from tests.helpers.servers import NginxRtmp, RunningObs, start_nginx_rtmp

# How long ffprobe waits on a destination that is silent: OBS under load takes a while to reach it.
E2E_WAIT_S = 15.0


async def until(condition: Callable[[], bool]) -> None:
    """pytest-timeout ends a test that never gets there."""
    while not condition():
        await asyncio.sleep(0.1)


@pytest.mark.timeout(290)
def test_one_obs_stream_relayed_to_three_servers_survives_a_server_and_obs_dying(
    own_obs: RunningObs, tmp_path: Path
) -> None:
    nginxes: list[NginxRtmp] = [start_nginx_rtmp(tmp_path / f"nginx{i}") for i in range(3)]
    keys = [f"relay-key-{i}" for i in range(3)]
    urls = [f"{n.url}/{k}" for n, k in zip(nginxes, keys, strict=True)]
    settings = Settings()
    # A keyframe every 2 s (what YouTube asks for) instead of x264's automatic 250 frames.
    client = own_obs.client()
    try:
        for name, value in (("UseAdvanced", "true"), ("x264Settings", "keyint=30")):
            client.call(
                requests.SetProfileParameter(parameterCategory="SimpleOutput", parameterName=name, parameterValue=value)
            )
    finally:
        client.disconnect()

    async def main() -> None:
        secrets = SecretStore.open(tmp_path / "config")
        async with studio(own_obs, settings, secrets) as (service, _counting):
            ids = ["custom_rtmp"] + [service.add_destination("custom_rtmp", f"nginx {i}") for i in (1, 2)]
            for destination_id, nginx, key in zip(ids, nginxes, keys, strict=True):
                await service.set_server_url(destination_id, nginx.url)
                service.set_stream_key(destination_id, key)
            control = RelayControl(service)
            local = service.sink("local_test_server")
            assert isinstance(local, LocalTestServerSink)

            def state(i: int) -> RelayState | None:
                status = local.relay.status(ids[i])
                return status.state if status is not None else None

            for destination_id in ids:
                await control.start(destination_id, control.request_confirmation(destination_id).token)
            await until(lambda: all(state(i) is RelayState.LIVE for i in range(3)))
            assert service.status.active_sink == "local_test_server"  # OBS streams once, to this PC
            video = service.session.snapshot.video
            assert video is not None
            for url in urls:
                streams = await asyncio.to_thread(stream_info, url, E2E_WAIT_S)
                assert "video" in streams, (streams, local.relay.statuses)
                assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
                assert (streams["video"]["width"], streams["video"]["height"]) == (
                    video.output_width,
                    video.output_height,
                )
            info = local.server.status.info
            assert info is not None and info.keyframe_interval_s is not None
            keyint = info.keyframe_interval_s
            fps = info.fps or 30.0

            # nginx #2 dies mid-stream: #1 and #3 keep receiving, #2 retries.
            port = nginxes[1].rtmp_port
            nginxes[1].process.kill()
            nginxes[1].process.wait()
            await until(lambda: state(1) is RelayState.RETRYING)
            retrying = local.relay.status(ids[1])
            assert retrying is not None and retrying.attempt >= 1 and retrying.next_retry_at is not None
            for i in (0, 2):
                times = await asyncio.to_thread(video_packet_times, urls[i], int(fps * keyint * 2), E2E_WAIT_S)
                gaps = [b - a for a, b in itertools.pairwise(times)]
                assert times and max(gaps) <= keyint + 0.1, (i, max(gaps), keyint)
                assert state(i) is RelayState.LIVE

            # It comes back on the same port: live again within its back-off, and it decodes.
            nginxes[1] = await asyncio.to_thread(start_nginx_rtmp, tmp_path / "nginx1b", port)
            await until(lambda: state(1) is RelayState.LIVE)
            streams = await asyncio.to_thread(stream_info, urls[1], E2E_WAIT_S)
            assert streams["video"]["codec_name"] == "h264"
            decoded = await asyncio.to_thread(
                subprocess.run,
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-rw_timeout",
                    "15000000",
                    "-i",
                    urls[1],
                    "-frames:v",
                    "5",
                    "-f",
                    "null",
                    "-",
                ],
                capture_output=True,
                timeout=60,
            )
            assert decoded.returncode == 0, decoded.stderr

            # OBS is SIGKILLed and started again: every destination resumes, timestamps keep increasing.
            before = [max(await asyncio.to_thread(video_packet_times, url, 5, E2E_WAIT_S)) for url in urls]
            sessions = local.server.status.publish_sessions
            await asyncio.to_thread(own_obs.kill)
            await asyncio.to_thread(own_obs.restart)
            await until(lambda: service.session.snapshot.connection.connected)
            await until(lambda: local.server.status.publish_sessions > sessions)
            await until(lambda: local.server.status.state is LocalServerState.RECEIVING)
            await until(lambda: all(state(i) is RelayState.LIVE for i in range(3)))
            after = [min(await asyncio.to_thread(video_packet_times, url, 5, E2E_WAIT_S)) for url in urls]
            assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)
            assert service.session.snapshot.stream.phase is not OutputPhase.STOPPED
            control.close()
            for destination_id in ids:
                await control.stop(destination_id)

    try:
        asyncio.run(main())
    finally:
        for nginx in nginxes:
            nginx.stop()


def test_remote_api_starts_and_stops_a_relayed_destination_and_shows_its_state(app: App, nginx_rtmp: NginxRtmp) -> None:  # noqa: F811 (the imported fixture)
    golive, relay = app.core.golive, app.core.relay
    assert golive is not None and relay is not None
    status, body = app.api("POST", "/api/v1/destinations/no-such/start")
    assert status == 404, body
    status, body = app.api("POST", "/api/v1/destinations/local_test_server/start")
    assert status == 409 and not body.get("needs_confirmation"), body
    app.loop.run_until_complete(golive.set_server_url("custom_rtmp", nginx_rtmp.url))
    golive.set_stream_key("custom_rtmp", "api-relay-key")
    status, body = app.api("POST", "/api/v1/destinations/custom_rtmp/start")
    assert status == 409 and body.get("needs_confirmation") is True, body  # a real audience: confirm in the app
    assert app.core.session.snapshot.stream.phase.value == "stopped"
    # The operator confirms in the app; the remote API then shows the destination's truth and stops it.
    app.loop.run_until_complete(relay.start("custom_rtmp", relay.request_confirmation("custom_rtmp").token))
    try:

        def relayed() -> dict[str, Any]:
            _status, state = app.api("GET", "/api/v1/state")
            entry = next(d for d in state["output"]["destinations"] if d["sink_id"] == "custom_rtmp")
            return entry["relay"] or {}

        app.wait(
            lambda: (s := relay.statuses.get("custom_rtmp")) is not None and s.state is RelayState.LIVE,
            timeout=60,
            what="relayed destination live",
        )
        shown = relayed()
        assert shown["state"] == "live" and shown["packets_sent"] > 0, shown
        assert "api-relay-key" not in json.dumps(app.api("GET", "/api/v1/state")[1])
        status, body = app.api("POST", "/api/v1/destinations/custom_rtmp/stop")
        assert status == 200 and body["destination"]["state"] == "stopped", body
        assert relayed()["state"] == "stopped"
    finally:
        app.loop.run_until_complete(golive.stop())
        app.wait(lambda: app.core.session.snapshot.stream.phase.value == "stopped", timeout=30, what="stopped")
