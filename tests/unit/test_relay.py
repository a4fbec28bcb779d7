"""The relay with a real PyAV publisher and real nginx-rtmp destinations: fan-out, a failing destination, rejoin."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path

from studio_console.adapters.sinks.local_test_server import LocalTestServer
from studio_console.adapters.sinks.local_test_server.relay import RelayTarget
from studio_console.domain.stream import RelayDestinationStatus, RelayState
from tests.helpers.ffprobe import stream_info, video_packet_times
from tests.helpers.rtmp_publisher import RtmpPublisher
from tests.helpers.servers import NginxRtmp, start_nginx_rtmp


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait on the loop; pytest-timeout ends a test that never gets there."""
    while not condition():
        await asyncio.sleep(0.05)
    assert condition(), what


def state_of(server: LocalTestServer, destination_id: str) -> RelayDestinationStatus | None:
    return server.relay.status(destination_id)


def test_relays_to_every_destination_and_one_failing_never_stops_the_others(tmp_path: Path) -> None:
    nginxes: list[NginxRtmp] = [start_nginx_rtmp(tmp_path / f"nginx{i}") for i in range(3)]
    history: list[RelayDestinationStatus] = []

    async def main() -> None:
        server = LocalTestServer(thumbnails=False)
        server.relay.subscribe(history.append)
        await server.start()
        publisher = RtmpPublisher(server.publish_url, size=(320, 180), fps=15, keyint=15).start()
        try:
            for i, nginx in enumerate(nginxes):
                server.relay.start(RelayTarget(f"d{i}", f"Destination {i}", f"{nginx.url}/key{i}"))
            for i in range(3):
                await until(
                    lambda i=i: (s := state_of(server, f"d{i}")) is not None and s.state is RelayState.LIVE,
                    f"d{i} live",
                )
            for i, nginx in enumerate(nginxes):
                streams = await asyncio.to_thread(stream_info, f"{nginx.url}/key{i}")
                assert streams["video"]["codec_name"] == "h264"
                assert (streams["video"]["width"], streams["video"]["height"]) == (320, 180)
                assert streams["audio"]["codec_name"] == "aac"

            # Destination 1 goes away mid-stream: it retries, the others keep receiving.
            port = nginxes[1].rtmp_port
            nginxes[1].process.kill()
            nginxes[1].process.wait()
            await until(
                lambda: (s := state_of(server, "d1")) is not None and s.state is RelayState.RETRYING,
                "d1 retrying",
            )
            retrying = state_of(server, "d1")
            assert retrying is not None and retrying.attempt >= 1 and retrying.next_retry_at is not None
            assert retrying.last_error and "key1" not in retrying.last_error
            sent_before = {i: state_of(server, f"d{i}").packets_sent for i in (0, 2)}  # type: ignore[union-attr]
            for i in (0, 2):
                times = await asyncio.to_thread(video_packet_times, f"{nginxes[i].url}/key{i}")
                assert len(times) >= 10, times
                gaps = [b - a for a, b in itertools.pairwise(times)]
                assert max(gaps) <= 1.0, gaps  # no hole longer than one keyframe interval (1 s)
            for i in (0, 2):
                await until(
                    lambda i=i: state_of(server, f"d{i}").packets_sent > sent_before[i],  # type: ignore[union-attr]
                    f"d{i} still sending",
                )
                assert state_of(server, f"d{i}").state is RelayState.LIVE  # type: ignore[union-attr]

            # It comes back on the same port: live again, and its stream decodes.
            nginxes[1] = await asyncio.to_thread(start_nginx_rtmp, tmp_path / "nginx1b", port)
            await until(lambda: state_of(server, "d1").state is RelayState.LIVE, "d1 live again")  # type: ignore[union-attr]
            assert state_of(server, "d1").reconnects >= 1  # type: ignore[union-attr]
            streams = await asyncio.to_thread(stream_info, f"{nginxes[1].url}/key1")
            assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"

            # Stopping one leaves the others live.
            server.relay.stop("d2")
            assert state_of(server, "d2").state is RelayState.STOPPED  # type: ignore[union-attr]
            sent = state_of(server, "d0").packets_sent  # type: ignore[union-attr]
            await until(lambda: state_of(server, "d0").packets_sent > sent, "d0 still sending")  # type: ignore[union-attr]
        finally:
            publisher.stop()
            await server.stop()
            await asyncio.to_thread(server.relay.join)

    try:
        asyncio.run(main())
    finally:
        for nginx in nginxes:
            nginx.stop()
    assert any(s.destination_id == "d1" and s.state is RelayState.RETRYING for s in history)


def test_an_unknown_protocol_fails_with_its_reason() -> None:
    async def main() -> None:
        server = LocalTestServer(thumbnails=False)
        await server.start()
        publisher = RtmpPublisher(server.publish_url, size=(160, 90), fps=15, keyint=15).start()
        try:
            server.relay.start(RelayTarget("bad", "Bad", "nosuchproto://127.0.0.1:1/live/x"))
            await until(lambda: state_of(server, "bad").state is RelayState.FAILED, "failed")  # type: ignore[union-attr]
            status = state_of(server, "bad")
            assert status is not None and status.last_error
        finally:
            publisher.stop()
            await server.stop()

    asyncio.run(main())
