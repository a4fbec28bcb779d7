"""Hand-written sinks and a dict-backed secret store for tests of the go-live service."""

from __future__ import annotations

from studio_console.adapters.sinks.base import SecretReader, SinkBase, SinkOptions, StreamServiceSettings
from studio_console.domain.stream import (
    CheckStatus,
    DestinationKind,
    LocalServerState,
    LocalServerStatus,
    PreflightCheck,
    ReceivedStreamInfo,
    StreamTarget,
)


class DictSecrets:
    """SecretStore's get/set/delete over a dict; ``reads`` counts reads of each name."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = dict(values or {})
        self.reads: dict[str, int] = {}

    def get(self, name: str) -> str | None:
        self.reads[name] = self.reads.get(name, 0) + 1
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


class FakeRehearsalSink(SinkBase):
    """Stands in for the local test server (a LocalReceiver): no audience, no key, figures set by the test."""

    sink_type_id = "local_test_server"
    default_display_name = "Local test server (fake)"
    destination_kind = DestinationKind.LOCAL_TEST

    def __init__(
        self, options: SinkOptions | None = None, *, sink_id: str | None = None, display_name: str | None = None
    ) -> None:
        super().__init__(options, sink_id=sink_id, display_name=display_name)
        self.prepared = 0
        self.closed = 0
        self._health = LocalServerStatus()

    @property
    def is_real_audience(self) -> bool:
        return False

    @property
    def needs_key(self) -> bool:
        return False

    @property
    def server_editable(self) -> bool:
        return False

    def target(self) -> StreamTarget:
        return StreamTarget(
            sink_id=self.sink_id,
            display_name=self.display_name,
            kind=self.kind,
            server_url="rtmp://127.0.0.1:1/live",
            is_real_audience=False,
        )

    async def prepare(self) -> None:
        self.prepared += 1

    async def stream_settings(self, secrets: SecretReader) -> StreamServiceSettings:
        await self.prepare()
        return StreamServiceSettings(server="rtmp://127.0.0.1:1/live", key="rehearsal-token")

    def preflight(self, secrets: SecretReader) -> tuple[PreflightCheck, ...]:
        return (PreflightCheck(name="test_server", status=CheckStatus.PASS, sentence="Ready."),)

    def health(self) -> LocalServerStatus | None:
        return self._health

    def received(self) -> ReceivedStreamInfo | None:
        return self._health.info

    def receive(self, info: ReceivedStreamInfo) -> None:
        """The test says what the 'server' received (as the real one reports after a rehearsal)."""
        self._health = LocalServerStatus(state=LocalServerState.RECEIVING, message="Receiving", info=info)
        self._notify()

    async def close(self) -> None:
        self.closed += 1
