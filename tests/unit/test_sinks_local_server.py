"""The embedded RTMP test server with a real PyAV publisher: figures, thumbnail, token, recording, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import av
import pytest

from studio_console.adapters.sinks.base import HasHealth, HasThumbnails, LocalReceiver, Records, Sink
from studio_console.adapters.sinks.local_test_server import (
    LocalServerError,
    LocalTestServer,
    LocalTestServerOptions,
    LocalTestServerSink,
    port_is_free,
)
from studio_console.domain.stream import LocalServerState, LocalServerStatus, Thumbnail
from tests.helpers.fake_sinks import DictSecrets
from tests.helpers.pictures import close_to, pixel_at
from tests.helpers.rtmp_publisher import RtmpPublisher

Condition = Callable[[], bool]


async def until(condition: Condition, what: str) -> None:
    """Wait (on the loop) until ``condition`` holds; pytest-timeout ends a test that never gets there."""
    while not condition():
        await asyncio.sleep(0.05)
    assert condition(), what


def run(test: Callable[[LocalTestServer], Awaitable[None]], **options: object) -> LocalTestServer:
    server = LocalTestServer(**options)  # type: ignore[arg-type]

    async def main() -> None:
        try:
            await test(server)
        finally:
            await server.stop()

    asyncio.run(main())
    return server


def test_receives_a_publish_and_reports_what_arrived() -> None:
    thumbnails: list[Thumbnail] = []
    statuses: list[LocalServerStatus] = []

    async def test(server: LocalTestServer) -> None:
        server.subscribe(statuses.append)
        server.subscribe_thumbnails(thumbnails.append)
        await server.start()
        assert server.status.state is LocalServerState.LISTENING
        assert server.port is not None and not port_is_free("127.0.0.1", server.port)
        publisher = RtmpPublisher(server.publish_url, colour=(255, 0, 0), size=(320, 180), fps=15, keyint=15).start()
        try:
            await until(
                lambda: server.status.info is not None and server.status.info.keyframe_interval_s is not None,
                "two keyframes measured",
            )
            await until(lambda: len(thumbnails) >= 2, "thumbnails refreshed")
        finally:
            publisher.stop()
        await until(lambda: server.status.state is LocalServerState.LISTENING, "back to listening")

    server = run(test)
    info = server.status.info
    assert info is not None
    assert (info.video_codec, info.width, info.height) == ("h264", 320, 180)
    assert info.fps == pytest.approx(15, abs=0.5)
    assert info.keyframe_interval_s == pytest.approx(1.0, abs=0.1)
    assert info.video_bitrate_kbps is not None and info.video_bitrate_kbps > 0
    assert (info.audio_codec, info.audio_sample_rate, info.audio_channels) == ("aac", 44100, 2)
    assert server.status.publish_sessions == 1 and server.status.rejected_publishes == 0
    assert any(s.state is LocalServerState.RECEIVING for s in statuses)
    assert server.status.cpu_seconds > 0
    thumb = thumbnails[-1]
    assert thumb.jpeg.startswith(b"\xff\xd8") and (thumb.width, thumb.height) == (320, 180)
    centre = pixel_at(thumb.jpeg, 0.5, 0.5)
    assert close_to(centre, (255, 0, 0)), centre


def test_a_wrong_stream_key_is_refused_and_never_shown_as_our_stream() -> None:
    statuses: list[LocalServerStatus] = []

    async def test(server: LocalTestServer) -> None:
        server.subscribe(statuses.append)
        await server.start()
        intruder = RtmpPublisher(f"{server.server_url}/not-the-key").start()
        await until(lambda: server.status.rejected_publishes == 1, "wrong key refused")
        intruder.stop()
        # Still listening, and the right key still works afterwards.
        publisher = RtmpPublisher(server.publish_url).start()
        await until(lambda: server.status.state is LocalServerState.RECEIVING, "right key accepted")
        publisher.stop()

    server = run(test)
    receiving = [s for s in statuses if s.state is LocalServerState.RECEIVING]
    assert receiving and all(s.rejected_publishes == 1 for s in receiving)
    before_right_key = statuses[: statuses.index(receiving[0])]
    assert all(s.info is None for s in before_right_key)
    assert server.status.publish_sessions == 1


def test_survives_repeated_start_stop_and_keeps_port_and_key() -> None:
    async def test(server: LocalTestServer) -> None:
        await server.start()
        port, key = server.port, server.key
        for _ in range(3):
            await server.stop()
            assert server.status.state is LocalServerState.STOPPED
            assert server.port is not None and port_is_free("127.0.0.1", server.port)
            await asyncio.gather(server.start(), server.start())  # idempotent, also when concurrent
            assert not port_is_free("127.0.0.1", server.port)
        assert (server.port, server.key) == (port, key)
        publisher = RtmpPublisher(server.publish_url).start()
        await until(lambda: server.status.state is LocalServerState.RECEIVING, "receiving after restarts")
        await server.stop()  # while a publisher is connected
        publisher.stop()
        await server.start()
        again = RtmpPublisher(server.publish_url).start()
        await until(lambda: server.status.state is LocalServerState.RECEIVING, "receiving after a stop mid-stream")
        again.stop()

    server = run(test)
    assert server.status.publish_sessions >= 1


def test_a_frozen_publisher_is_dropped_and_the_server_listens_again() -> None:
    async def test(server: LocalTestServer) -> None:
        await server.start()
        publisher = RtmpPublisher(server.publish_url).start()
        await until(lambda: server.status.state is LocalServerState.RECEIVING, "receiving")
        publisher.hang()  # the TCP connection stays open; nothing arrives any more
        await until(lambda: server.status.state is LocalServerState.LISTENING, "dropped the silent publisher")
        publisher.stop()
        second = RtmpPublisher(server.publish_url).start()
        await until(lambda: server.status.publish_sessions == 2, "second publisher received")
        await until(lambda: server.status.state is LocalServerState.RECEIVING, "receiving again")
        second.stop()

    server = run(test, read_timeout_s=1.0)
    assert server.status.info is not None and server.status.info.width == 320


def test_an_abrupt_disconnect_goes_back_to_listening() -> None:
    async def test(server: LocalTestServer) -> None:
        await server.start()
        for session in (1, 2):
            publisher = RtmpPublisher(server.publish_url).start()
            await until(lambda: server.status.state is LocalServerState.RECEIVING, "receiving")
            publisher.kill()
            await until(lambda: server.status.state is LocalServerState.LISTENING, "listening again")
            assert server.status.publish_sessions == session

    run(test)


def test_records_without_reencoding(tmp_path: Path) -> None:
    target = tmp_path / "rehearsal.mkv"

    async def test(server: LocalTestServer) -> None:
        await server.start()
        server.start_recording(target)
        publisher = RtmpPublisher(server.publish_url, keyint=5).start()
        await until(lambda: server.status.recording_path == str(target), "recording")
        await until(lambda: server.status.info is not None and server.status.info.keyframes >= 3, "some stream")
        server.stop_recording()
        await until(lambda: server.status.recording_path is None, "recording stopped")
        publisher.stop()

    run(test)
    with av.open(str(target)) as recorded:
        kinds = sorted(s.type for s in recorded.streams)
        video = recorded.streams.video[0]
        assert kinds == ["audio", "video"]
        assert (video.codec_context.name, video.codec_context.width, video.codec_context.height) == ("h264", 320, 180)
        packets = [p for p in recorded.demux(video) if p.size]
    assert packets and packets[0].is_keyframe


def test_thumbnails_can_be_turned_off_and_on() -> None:
    thumbnails: list[Thumbnail] = []

    async def test(server: LocalTestServer) -> None:
        server.subscribe_thumbnails(thumbnails.append)
        await server.start()
        publisher = RtmpPublisher(server.publish_url, keyint=5).start()
        await until(lambda: server.status.state is LocalServerState.RECEIVING, "receiving")
        await until(lambda: server.status.info is not None and server.status.info.keyframes >= 2, "some stream")
        count = len(thumbnails)
        await until(lambda: server.status.info is not None and server.status.info.keyframes >= 4, "more stream")
        assert len(thumbnails) == count
        server.set_thumbnails(True)
        await until(lambda: len(thumbnails) > count, "thumbnails again")
        publisher.stop()

    server = run(test, thumbnails=False)
    assert server.status.thumbnails


def test_a_port_in_use_fails_with_a_sentence() -> None:
    async def test(server: LocalTestServer) -> None:
        await server.start()
        port = server.port
        assert port is not None
        other = LocalTestServer(port=port)
        with pytest.raises(LocalServerError, match=f"Port {port} .* in use"):
            await other.start()
        assert other.status.state is LocalServerState.FAILED

    run(test)


def test_the_sink_describes_a_rehearsal_and_applies_its_own_key() -> None:
    sink = LocalTestServerSink(LocalTestServerOptions(thumbnails=False))
    assert isinstance(sink, Sink) and isinstance(sink, HasThumbnails)
    assert isinstance(sink, HasHealth) and isinstance(sink, LocalReceiver) and isinstance(sink, Records)
    assert not sink.is_real_audience and not sink.needs_key

    async def main() -> None:
        try:
            settings = await sink.stream_settings(DictSecrets())
            assert settings.server == sink.server.server_url and settings.key == sink.server.key
            assert settings.server.startswith("rtmp://127.0.0.1:")
            assert sink.server.key not in repr(settings)
            check = sink.preflight(DictSecrets())[0]
            assert check.status.value == "pass" and "Listening" in check.sentence
            health = sink.health()
            assert health is not None and health.state is LocalServerState.LISTENING
        finally:
            await sink.close()

    asyncio.run(main())
    assert sink.target().key_ref is None
