"""A hand-written relay (RelayControls) and a local-test-server stand-in that has one, for go-live-to-several tests."""

from __future__ import annotations

from collections.abc import Callable

from studio_console.domain.stream import RelayDestinationStatus, RelayState, RelayTarget
from studio_console.kernel.listeners import add_listener
from tests.helpers.fake_sinks import FakeRehearsalSink


class FakeRelay:
    """Records what was started and stopped; the test posts the statuses the real outputs would."""

    def __init__(self) -> None:
        self.targets: dict[str, RelayTarget] = {}
        self.started: list[str] = []
        self.stopped: list[str] = []
        self._statuses: dict[str, RelayDestinationStatus] = {}
        self._listeners: list[Callable[[RelayDestinationStatus], None]] = []

    @property
    def statuses(self) -> tuple[RelayDestinationStatus, ...]:
        return tuple(self._statuses.values())

    def status(self, destination_id: str) -> RelayDestinationStatus | None:
        return self._statuses.get(destination_id)

    def subscribe(self, listener: Callable[[RelayDestinationStatus], None]) -> Callable[[], None]:
        return add_listener(self._listeners, listener)

    def start(self, target: RelayTarget) -> None:
        self.targets[target.destination_id] = target
        self.started.append(target.destination_id)
        self.post(
            RelayDestinationStatus(
                destination_id=target.destination_id, display_name=target.display_name, state=RelayState.PREPARING
            )
        )

    def stop(self, destination_id: str) -> None:
        self.stopped.append(destination_id)
        previous = self._statuses.get(destination_id)
        self.post(
            RelayDestinationStatus(
                destination_id=destination_id,
                display_name=previous.display_name if previous else "",
                state=RelayState.STOPPED,
            )
        )

    def stop_all(self) -> None:
        for destination_id in list(self._statuses):
            self.stop(destination_id)

    def post(self, status: RelayDestinationStatus) -> None:
        self._statuses[status.destination_id] = status
        for listener in list(self._listeners):
            listener(status)


class FakeRelaySink(FakeRehearsalSink):
    """The local test server stand-in with a relay (HasRelay)."""

    def __init__(self) -> None:
        super().__init__()
        self.fake_relay = FakeRelay()

    @property
    def relay(self) -> FakeRelay:
        return self.fake_relay
