"""RTMPS for relayed destinations: real nginx-rtmp behind a loopback TLS terminator with a throwaway CA."""

from __future__ import annotations

import asyncio
import select
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from studio_console.adapters.sinks.local_test_server import LocalTestServer, publish_io
from studio_console.adapters.sinks.local_test_server.publish_io import PublishUnavailable, default_ca_file
from studio_console.domain.stream import RelayDestinationStatus, RelayState, RelayTarget
from studio_console.obs.launcher import free_port
from tests.helpers.ffprobe import decoded_video_frames, stream_info
from tests.helpers.rtmp_publisher import RtmpPublisher
from tests.helpers.servers import NginxRtmp, start_nginx_rtmp
from tests.helpers.tls_proxy import ThrowawayCertificates, TlsProxy, make_certificates
from tests.unit.test_relay import until

KEY = "sk-rtmps-test-7f3a"


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[NginxRtmp]:
    server = start_nginx_rtmp(tmp_path / "nginx")
    yield server
    server.stop()


@pytest.fixture
def certs(tmp_path: Path) -> ThrowawayCertificates:
    return make_certificates(tmp_path / "certs")


@pytest.fixture
def proxy(certs: ThrowawayCertificates, nginx: NginxRtmp) -> Iterator[TlsProxy]:
    terminator = TlsProxy(certs, nginx.rtmp_port).start()
    yield terminator
    terminator.stop()


@asynccontextmanager
async def relaying(history: list[RelayDestinationStatus]) -> AsyncIterator[LocalTestServer]:
    server = LocalTestServer(thumbnails=False)
    server.relay.subscribe(history.append)
    await server.start()
    publisher = RtmpPublisher(server.publish_url, size=(320, 180), fps=15, keyint=15).start()
    try:
        yield server
    finally:
        publisher.stop()
        await server.stop()
        await asyncio.to_thread(server.relay.join)


def state(server: LocalTestServer, destination_id: str) -> RelayDestinationStatus:
    status = server.relay.status(destination_id)
    assert status is not None
    return status


def test_rtmps_with_the_test_ca_trusted_goes_live_and_nginx_receives_h264_aac(
    proxy: TlsProxy, nginx: NginxRtmp, certs: ThrowawayCertificates
) -> None:
    history: list[RelayDestinationStatus] = []

    async def main() -> None:
        async with relaying(history) as server:
            target = RelayTarget("tls", "TLS", f"rtmps://localhost:{proxy.port}/live/{KEY}", ca_file=str(certs.ca_file))
            server.relay.start(target)
            await until(lambda: state(server, "tls").state is RelayState.LIVE, "live over rtmps")
            # What nginx got came through the TLS terminator (the only way in on that port).
            assert proxy.handshakes >= 1
            streams = await asyncio.to_thread(stream_info, f"{nginx.url}/{KEY}")
            assert streams["video"]["codec_name"] == "h264"
            assert (streams["video"]["width"], streams["video"]["height"]) == (320, 180)
            assert streams["audio"]["codec_name"] == "aac"
            assert await asyncio.to_thread(decoded_video_frames, f"{nginx.url}/{KEY}") == 10

    asyncio.run(main())
    assert not any(s.last_error for s in history if s.destination_id == "tls"), history


def test_an_rtmps_destination_lost_mid_stream_retries_and_comes_back_verified(
    nginx: NginxRtmp, certs: ThrowawayCertificates
) -> None:
    terminator = TlsProxy(certs, nginx.rtmp_port).start()
    history: list[RelayDestinationStatus] = []

    async def main() -> None:
        nonlocal terminator
        async with relaying(history) as server:
            url = f"rtmps://localhost:{terminator.port}/live/{KEY}"
            server.relay.start(RelayTarget("tls", "TLS", url, ca_file=str(certs.ca_file)))
            await until(lambda: state(server, "tls").state is RelayState.LIVE, "live")
            terminator.stop()
            await until(lambda: state(server, "tls").state is RelayState.RETRYING, "retrying")
            error = state(server, "tls").last_error or ""
            assert KEY not in error
            terminator = await asyncio.to_thread(lambda: TlsProxy(certs, nginx.rtmp_port, terminator.port).start())
            await until(lambda: state(server, "tls").state is RelayState.LIVE, "live again")
            assert state(server, "tls").reconnects >= 1
            streams = await asyncio.to_thread(stream_info, f"{nginx.url}/{KEY}")
            assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"

    try:
        asyncio.run(main())
    finally:
        terminator.stop()
    errors = [s.last_error for s in history if s.state is RelayState.RETRYING]
    assert errors and all(e and KEY not in e for e in errors), errors


@pytest.mark.parametrize("case", ["untrusted CA", "wrong host name"])
def test_a_certificate_that_does_not_verify_never_goes_live_and_says_so(
    case: str, tmp_path: Path, nginx: NginxRtmp, certs: ThrowawayCertificates
) -> None:
    if case == "untrusted CA":
        # Production trust (the system's store): the throwaway CA is not in it.
        server_certs, ca_file, reason = certs, None, "self-signed certificate in certificate chain"
    else:
        # Trusted issuer, but the certificate names another host.
        server_certs = make_certificates(tmp_path / "other", names=("other.example",))
        ca_file, reason = str(server_certs.ca_file), "Hostname mismatch"
    terminator = TlsProxy(server_certs, nginx.rtmp_port).start()
    history: list[RelayDestinationStatus] = []

    async def main() -> None:
        async with relaying(history) as server:
            server.relay.start(
                RelayTarget("tls", "TLS", f"rtmps://localhost:{terminator.port}/live/{KEY}", ca_file=ca_file)
            )
            await until(lambda: state(server, "tls").state is RelayState.FAILED, "failed on the certificate")
            error = state(server, "tls").last_error or ""
            assert "certificate refused" in error and "localhost" in error and reason in error, error
            assert KEY not in error
            # Nothing was published: nginx has no stream under the key.
            assert KEY not in nginx.stat_xml()

    try:
        asyncio.run(main())
    finally:
        terminator.stop()
    assert all(s.state is not RelayState.LIVE for s in history if s.destination_id == "tls"), history


@pytest.mark.parametrize("scheme", ["rtmps", "rtmp"])
@pytest.mark.parametrize("host", ["refuses", "does not resolve"])
def test_a_destination_that_cannot_be_reached_says_so_and_retries(scheme: str, host: str) -> None:
    if host == "refuses":
        address, expected = f"127.0.0.1:{free_port()}", "the connection was refused"
    else:
        address, expected = "nosuch-ingest.invalid", "the name does not resolve"
    history: list[RelayDestinationStatus] = []

    async def main() -> None:
        async with relaying(history) as server:
            server.relay.start(RelayTarget("far", "Far", f"{scheme}://{address}/live/{KEY}"))
            await until(lambda: state(server, "far").state is RelayState.RETRYING, "retrying")
            status = state(server, "far")
            error = status.last_error or ""
            assert error.startswith("cannot reach") and expected in error, error
            assert KEY not in error
            assert status.attempt >= 1 and status.next_retry_at is not None

    asyncio.run(main())


def test_a_destination_that_never_answers_neither_freezes_the_loop_nor_outlives_stop() -> None:
    # Accepts TCP (the kernel's backlog) but never speaks RTMP: FFmpeg waits in its handshake.
    silent = socket.create_server(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    history: list[RelayDestinationStatus] = []

    async def main() -> None:
        async with relaying(history) as server:
            server.relay.start(RelayTarget("silent", "Silent", f"rtmp://127.0.0.1:{port}/live/{KEY}"))
            # The loop notices the pending connection and keeps ticking while the output waits in it:
            # PyAV's own output open would hold the GIL here and freeze every thread.
            while not select.select([silent], [], [], 0)[0]:
                await asyncio.sleep(0.05)
            ticks = 0
            for _ in range(20):
                await asyncio.sleep(0.05)
                ticks += 1
            assert ticks == 20
            assert state(server, "silent").state is RelayState.PREPARING
            server.relay.stop("silent")
            await asyncio.to_thread(server.relay.join, 8.0)
            # Well before FFmpeg's own 10 s read timeout: the stop interrupted the handshake.
            assert not [t for t in threading.enumerate() if t.name == "relay-silent"]

    try:
        asyncio.run(main())
    finally:
        silent.close()


def test_without_ffmpegs_libraries_rtmps_fails_plainly_and_never_streams_unverified(
    proxy: TlsProxy, certs: ThrowawayCertificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a PyAV build whose libavformat cannot be found: PyAV's own rtmps would connect, unverified.
    def unavailable() -> None:
        raise PublishUnavailable("RTMPS is unavailable: test; the destination is not streamed unverified")

    monkeypatch.setattr(publish_io, "libav", unavailable)
    history: list[RelayDestinationStatus] = []

    async def main() -> None:
        async with relaying(history) as server:
            server.relay.start(
                RelayTarget("tls", "TLS", f"rtmps://localhost:{proxy.port}/live/{KEY}", ca_file=str(certs.ca_file))
            )
            await until(lambda: state(server, "tls").state is RelayState.FAILED, "failed")
            assert "not streamed unverified" in (state(server, "tls").last_error or "")

    asyncio.run(main())
    assert proxy.handshakes == 0


def test_without_ffmpegs_libraries_plain_rtmp_still_goes_live_through_pyav(
    nginx: NginxRtmp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing to verify on plain RTMP: a platform where the libraries are not found keeps its RTMP destinations."""

    def unavailable() -> None:
        raise PublishUnavailable("RTMPS is unavailable: test")

    monkeypatch.setattr(publish_io, "libav", unavailable)
    history: list[RelayDestinationStatus] = []

    async def main() -> None:
        async with relaying(history) as server:
            server.relay.start(RelayTarget("plain", "Plain", f"{nginx.url}/{KEY}"))
            await until(lambda: state(server, "plain").state is RelayState.LIVE, "live over plain rtmp")
            streams = await asyncio.to_thread(stream_info, f"{nginx.url}/{KEY}")
            assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"

    asyncio.run(main())


def test_the_default_trust_is_a_ca_file_ffmpeg_can_read() -> None:
    # PyAV's GnuTLS looks for /etc/pki/tls/cert.pem, which Debian does not have: a real file must be passed.
    path = default_ca_file()
    assert path is not None and Path(path).is_file()
    assert b"BEGIN CERTIFICATE" in Path(path).read_bytes()
