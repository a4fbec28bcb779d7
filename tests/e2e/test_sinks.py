"""Stream destinations against real OBS: the local test server, nginx-rtmp, a sink that dies mid-stream, keys."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from obswebsocket import requests

from studio_console.adapters.sinks.local_test_server import LocalTestServerSink
from studio_console.domain.obs_state import OutputPhase
from studio_console.domain.stream import LocalServerState, OutputStatus, Thumbnail
from studio_console.logs import setup_logging
from studio_console.obs.requests import Request
from studio_console.obs.session import ObsSession
from studio_console.services.golive.destinations import Destinations
from studio_console.services.golive.service import GoLiveService
from studio_console.settings.model import OutputSettings, Settings
from studio_console.settings.secrets import SecretStore
from studio_console.settings.store import SettingsStore
from tests.helpers.pictures import close_to, pixel_at
from tests.helpers.servers import NginxRtmp, RunningObs

R = TypeVar("R")

COLOUR_SCENE = "Sink colour"
COLOUR_INPUT = "Sink colour fill"
# OBS's colour sources take ABGR: this is pure green, (0, 255, 0) in RGB.
GREEN_ABGR = 0xFF00FF00
GREEN_RGB = (0, 255, 0)


class CountingSession:
    """ObsSession with a count of the requests the app sent (proves no duplicate StartStream)."""

    def __init__(self, session: ObsSession) -> None:
        self._session = session
        self.sent: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    @property
    def snapshot(self) -> Any:
        return self._session.snapshot

    async def call(self, request: Request[R], *, timeout: float | None = None) -> R:
        self.sent.append(request.request_type)
        return await self._session.call(request, timeout=timeout)


async def until(condition: Callable[[], bool]) -> None:
    """Wait for OBS or a server to get there; pytest-timeout ends a test that never does."""
    while not condition():
        await asyncio.sleep(0.1)


@pytest.fixture
def colour_scene(obs: RunningObs) -> Iterator[None]:
    """A scene filled with one known colour, on program."""
    client = obs.client()
    try:
        client.call(requests.CreateScene(sceneName=COLOUR_SCENE))
        client.call(
            requests.CreateInput(
                sceneName=COLOUR_SCENE,
                inputName=COLOUR_INPUT,
                inputKind="color_source_v3",
                inputSettings={"color": GREEN_ABGR, "width": 640, "height": 360},
                sceneItemEnabled=True,
            )
        )
        client.call(requests.SetCurrentProgramScene(sceneName=COLOUR_SCENE))
        yield
    finally:
        try:
            if client.call(requests.GetStreamStatus()).datain.get("outputActive"):
                client.call(requests.StopStream())
            client.call(requests.SetCurrentProgramScene(sceneName="Alpha"))
            client.call(requests.RemoveInput(inputName=COLOUR_INPUT))
            client.call(requests.RemoveScene(sceneName=COLOUR_SCENE))
        finally:
            client.disconnect()


@asynccontextmanager
async def studio(
    obs: RunningObs, settings: Settings, secrets: SecretStore, on_saved: Callable[[], None] | None = None
) -> AsyncIterator[tuple[GoLiveService, CountingSession]]:
    """The app's output side as the composition root builds it: session, destinations, go-live service."""
    session = ObsSession("127.0.0.1", obs.port, obs.password)
    counting = CountingSession(session)

    def save(output: OutputSettings) -> None:
        settings.output = output
        if on_saved is not None:
            on_saved()

    destinations = Destinations.open(settings.output, secrets, save=save)
    service = GoLiveService(counting, secrets, destinations)
    session.start()
    try:
        await until(lambda: session.snapshot.connection.connected)
        yield service, counting
    finally:
        try:
            if session.connected and session.snapshot.stream.phase is not OutputPhase.STOPPED:
                await service.stop()
                await until(lambda: session.snapshot.stream.phase is OutputPhase.STOPPED)
        finally:
            await service.shutdown()
            await session.stop()


def test_obs_streams_into_the_local_test_server(obs: RunningObs, colour_scene: None, tmp_path: Path) -> None:
    settings = Settings()
    thumbnails: list[Thumbnail] = []

    async def main() -> OutputStatus:
        async with studio(obs, settings, SecretStore.open(tmp_path)) as (service, counting):
            assert service.status.selected == "local_test_server"
            service.subscribe_thumbnails(thumbnails.append)
            await service.start_remote()  # a rehearsal may be started remotely
            await until(lambda: service.status.phase is OutputPhase.LIVE)
            await until(
                lambda: (
                    (local := service.status.local_server) is not None
                    and local.state is LocalServerState.RECEIVING
                    and local.info is not None
                    and local.info.fps is not None
                    and local.info.width is not None
                )
            )
            await until(lambda: len(thumbnails) >= 2)
            await until(lambda: service.status.bitrate_kbps is not None)
            assert counting.sent.count("StartStream") == 1
            return service.status

    status = asyncio.run(main())
    assert status.active_destination == "Local test server (this PC)" and not status.active_is_real_audience
    local = status.local_server
    assert local is not None and local.info is not None
    info = local.info
    assert (info.video_codec, info.width, info.height) == ("h264", 640, 360)
    assert info.fps == pytest.approx(15, abs=1)
    assert (info.audio_codec, info.audio_sample_rate) == ("aac", 44100)
    centre = pixel_at(thumbnails[-1].jpeg, 0.5, 0.5)
    corner = pixel_at(thumbnails[-1].jpeg, 0.1, 0.1)
    assert close_to(centre, GREEN_RGB) and close_to(corner, GREEN_RGB), (centre, corner)
    assert status.last_rehearsal is not None and status.last_rehearsal.width == 640


def test_nginx_rtmp_receives_the_stream_and_keys_stay_secret(
    obs: RunningObs, nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    key = "nginx-e2e-StreamKey-7Q"
    log_file = setup_logging(tmp_path / "logs", "DEBUG", to_stderr=False)
    raw: list[str] = []

    class RawRecords(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raw.append(record.getMessage())

    raw_handler = RawRecords(logging.DEBUG)
    logging.getLogger().addHandler(raw_handler)
    settings = Settings()
    store = SettingsStore(tmp_path / "settings.json")
    stat_xml = ""

    async def main() -> None:
        nonlocal stat_xml
        secrets = SecretStore.open(tmp_path / "config")
        async with studio(obs, settings, secrets, lambda: store.save(settings)) as (service, counting):
            service.select("custom_rtmp")
            await service.set_server_url("custom_rtmp", nginx_rtmp.url)
            service.set_stream_key("custom_rtmp", key)
            preflight = await service.preflight()
            assert preflight.ok, preflight
            await service.start(service.request_confirmation().token)
            await until(lambda: service.status.phase is OutputPhase.LIVE)
            await until(lambda: "<width>640</width>" in nginx_rtmp.stat_xml())
            stat_xml = nginx_rtmp.stat_xml()
            assert service.status.active_is_real_audience
            assert counting.sent.count("StartStream") == 1

    try:
        asyncio.run(main())
    finally:
        logging.getLogger().removeHandler(raw_handler)
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_studio_console", False):
                handler.flush()
                logging.getLogger().removeHandler(handler)
                handler.close()
    stream = re.search(r"<stream>.*?</stream>", stat_xml, re.S)
    assert stream is not None, stat_xml + nginx_rtmp.error_log()
    assert f"<name>{key}</name>" in stream.group(0)
    assert "<codec>H264</codec>" in stream.group(0) and "<height>360</height>" in stream.group(0)
    saved = (tmp_path / "settings.json").read_text()
    assert nginx_rtmp.url in saved and key not in saved
    assert raw and not [line for line in raw if key in line]
    log_text = log_file.read_text()
    assert "asked OBS to start streaming" in log_text and key not in log_text


def test_a_second_custom_server_of_its_own_streams_to_nginx_with_its_own_key(
    own_obs: RunningObs, nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    """Two custom RTMP destinations: the second one, with its own URL and key, is the one OBS streams to."""
    key = "second-instance-Key-42"
    settings = Settings()
    store = SettingsStore(tmp_path / "settings.json")
    stat_xml = ""

    async def main() -> str:
        nonlocal stat_xml
        secrets = SecretStore.open(tmp_path / "config")
        async with studio(own_obs, settings, secrets, lambda: store.save(settings)) as (service, counting):
            await service.set_server_url("custom_rtmp", "rtmp://127.0.0.1:9/unused")
            service.set_stream_key("custom_rtmp", "first-instance-key")
            second = service.add_destination("custom_rtmp", "Studio nginx B")
            await service.set_server_url(second, nginx_rtmp.url)
            service.set_stream_key(second, key)
            service.select(second)
            await service.start(service.request_confirmation().token)
            await until(lambda: service.status.phase is OutputPhase.LIVE)
            await until(lambda: "<width>640</width>" in nginx_rtmp.stat_xml())
            stat_xml = nginx_rtmp.stat_xml()
            assert service.status.active_sink == second
            assert service.status.active_destination == "Studio nginx B"
            assert counting.sent.count("StartStream") == 1
            return second

    second = asyncio.run(main())
    stream = re.search(r"<stream>.*?</stream>", stat_xml, re.S)
    assert stream is not None, stat_xml + nginx_rtmp.error_log()
    assert f"<name>{key}</name>" in stream.group(0) and "first-instance-key" not in stat_xml
    reloaded = store.load().settings.output
    instance = reloaded.instance(second)
    assert reloaded.destination == second and instance is not None
    assert (instance.display_name, instance.options["server_url"]) == ("Studio nginx B", nginx_rtmp.url)
    assert key not in store.path.read_text()


def test_sink_server_dies_mid_stream_then_comes_back_without_a_second_start(
    own_obs: RunningObs, tmp_path: Path
) -> None:
    phases: list[OutputPhase] = []

    async def main() -> OutputStatus:
        async with studio(own_obs, Settings(), SecretStore.open(tmp_path)) as (service, counting):
            service.subscribe(lambda status: phases.append(status.phase))
            local = service.selected
            assert isinstance(local, LocalTestServerSink)
            await service.start()
            await until(lambda: service.status.phase is OutputPhase.LIVE)
            await until(lambda: local.server.status.state is LocalServerState.RECEIVING)
            await local.server.stop()  # the destination goes away mid-stream
            await until(lambda: service.status.phase is OutputPhase.RECONNECTING)
            assert "reconnecting" in service.status.message
            await local.server.start()  # and comes back on the same port and key
            await until(lambda: service.status.phase is OutputPhase.LIVE)
            await until(lambda: local.server.status.state is LocalServerState.RECEIVING)
            assert counting.sent.count("StartStream") == 1
            return service.status

    status = asyncio.run(main())
    assert status.reconnects >= 1 and status.start_requests == 1
    assert OutputPhase.RECONNECTING in phases
    assert phases.index(OutputPhase.RECONNECTING) < len(phases) - 1 - phases[::-1].index(OutputPhase.LIVE)
    assert own_obs.process.latest_log().count("==== Streaming Start") == 1
