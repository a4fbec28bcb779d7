"""The default destination: the local test server as a sink, a rehearsal that never leaves this PC."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import Field

from studio_console.adapters.sinks.base import (
    SecretReader,
    SinkBase,
    SinkOptions,
    StreamServiceSettings,
)
from studio_console.adapters.sinks.local_test_server.relay import Relay
from studio_console.adapters.sinks.local_test_server.server import LocalTestServer, ThumbnailListener
from studio_console.domain.stream import (
    CheckStatus,
    DestinationKind,
    LocalServerState,
    LocalServerStatus,
    PreflightCheck,
    ReceivedStreamInfo,
    StreamTarget,
)


class LocalTestServerOptions(SinkOptions):
    # 0: a free port is picked on the first start and kept while the app runs.
    port: int = Field(default=0, ge=0, le=65535)
    thumbnails: bool = True
    thumbnail_interval_s: float = Field(default=1.0, gt=0, le=2.0)
    # Width of the thumbnail in pixels; 0 keeps the received size (pixel checks of what viewers see).
    thumbnail_width: int = Field(default=320, ge=0)


class LocalTestServerSink(SinkBase):
    """The default destination: a rehearsal that never leaves this PC.

    Capabilities: health (the server's status), thumbnails, recording, and the received stream's
    figures (a local receiver: what it measured is the last rehearsal).
    """

    sink_type_id = "local_test_server"
    default_display_name = "Local test server (this PC)"
    options_model = LocalTestServerOptions
    destination_kind = DestinationKind.LOCAL_TEST
    listing_order = 0

    def __init__(
        self, options: SinkOptions | None = None, *, sink_id: str | None = None, display_name: str | None = None
    ) -> None:
        super().__init__(options, sink_id=sink_id, display_name=display_name)
        opts = self.options
        assert isinstance(opts, LocalTestServerOptions)
        self.server = LocalTestServer(
            port=opts.port,
            thumbnails=opts.thumbnails,
            thumbnail_interval_s=opts.thumbnail_interval_s,
            thumbnail_width=opts.thumbnail_width,
        )
        self.server.subscribe(lambda _status: self._notify())

    @property
    def is_real_audience(self) -> bool:
        return False

    @property
    def needs_key(self) -> bool:
        return False  # the server makes its own random key

    @property
    def server_editable(self) -> bool:
        return False

    def target(self) -> StreamTarget:
        port = self.server.port
        server_url = self.server.server_url if port else f"rtmp://{self.server.host} (port picked when it starts)"
        return StreamTarget(
            sink_id=self.sink_id,
            display_name=self.display_name,
            kind=self.kind,
            server_url=server_url,
            key_ref=None,
            is_real_audience=False,
        )

    @property
    def relay(self) -> Relay:
        """Forwards what OBS sends here to other destinations (multi-platform streaming)."""
        return self.server.relay

    async def prepare(self) -> None:
        await self.server.start()

    async def stream_settings(self, secrets: SecretReader) -> StreamServiceSettings:
        await self.server.start()
        return StreamServiceSettings(server=self.server.server_url, key=self.server.key)

    def preflight(self, secrets: SecretReader) -> tuple[PreflightCheck, ...]:
        status = self.server.status
        if status.state is LocalServerState.FAILED:
            check = PreflightCheck(name="test_server", status=CheckStatus.FAIL, sentence=status.message)
        elif self.server.running:
            check = PreflightCheck(
                name="test_server", status=CheckStatus.PASS, sentence=f"Listening on {self.host_port()}."
            )
        else:
            check = PreflightCheck(
                name="test_server", status=CheckStatus.PASS, sentence="Starts on 127.0.0.1 when you go live."
            )
        return (check,)

    def host_port(self) -> str:
        return f"{self.server.host}:{self.server.port}"

    # -- capabilities (protocols in adapters/sinks/base.py) -----------------------------------------

    def health(self) -> LocalServerStatus | None:
        return self.server.status

    def received(self) -> ReceivedStreamInfo | None:
        return self.server.status.info

    def subscribe_thumbnails(self, listener: ThumbnailListener) -> Callable[[], None]:
        return self.server.subscribe_thumbnails(listener)

    def set_thumbnails(self, enabled: bool) -> None:
        self.server.set_thumbnails(enabled)

    def start_recording(self, path: Path) -> None:
        self.server.start_recording(path)

    def stop_recording(self) -> None:
        self.server.stop_recording()

    async def close(self) -> None:
        await self.server.stop()
