"""Going live to several destinations at once: OBS streams to the local test server, its relay forwards to each."""

from __future__ import annotations

import asyncio
import logging
import secrets as pysecrets
import time
from collections.abc import Callable

from studio_console.adapters.sinks.base import HasRelay, RelayControls, Sink
from studio_console.domain.obs_state import ObsSnapshot, OutputPhase
from studio_console.domain.stream import (
    DestinationKind,
    GoLiveConfirmation,
    RelayDestinationStatus,
    RelayState,
    RelayTarget,
)
from studio_console.kernel.listeners import add_listener
from studio_console.services.golive.errors import GoLiveError, NeedsConfirmation, UnknownDestination
from studio_console.services.golive.service import GoLiveService

log = logging.getLogger(__name__)

StatusListener = Callable[[RelayDestinationStatus], None]


class RelayControl:
    """Start and stop relayed destinations one by one; a real audience needs a one-time confirmation.

    The relayed copies come from the stream OBS sends to the local test server, so the first start
    makes OBS stream there (a rehearsal, no confirmation) when it is not streaming yet.
    """

    confirmation_ttl_s = 120.0

    def __init__(self, golive: GoLiveService, clock: Callable[[], float] = time.monotonic) -> None:
        self.golive = golive
        self._clock = clock
        self._confirmations: dict[str, tuple[GoLiveConfirmation, float]] = {}
        self._listeners: list[StatusListener] = []
        self._relay_sink_id: str | None = None
        self._unsubscribe: Callable[[], None] | None = None
        # Whether this started OBS's stream for the relay: then it starts it again when OBS comes back.
        self._feeding = False
        self._was_connected = golive.session.snapshot.connection.connected
        self._resume_task: asyncio.Task[None] | None = None
        self._unsubscribe_session = golive.session.subscribe(self._on_snapshot)

    def _on_snapshot(self, snap: ObsSnapshot) -> None:
        connected = snap.connection.connected
        came_back = connected and not self._was_connected
        self._was_connected = connected
        if came_back and self._feeding and self.any_running() and self._resume_task is None:
            self._resume_task = asyncio.get_running_loop().create_task(self._resume())

    async def _resume(self) -> None:
        """OBS came back (after a crash): stream to the local test server again; the outputs carry on."""
        try:
            if (
                self.golive.session.snapshot.stream.phase is OutputPhase.STOPPED
                and not self.golive.status.start_in_progress
            ):
                receiver, _relay = self._receiver()
                self.golive.select(receiver.sink_id)
                await self.golive.start()
                log.info("OBS came back: streaming to the relay again")
        except Exception:
            log.exception("could not start OBS's stream to the relay again")
        finally:
            self._resume_task = None

    def close(self) -> None:
        self._unsubscribe_session()
        if self._unsubscribe is not None:
            self._unsubscribe()

    def _receiver(self) -> tuple[Sink, RelayControls]:
        for sink in self.golive.destinations.sinks():
            if isinstance(sink, HasRelay):
                if self._relay_sink_id != sink.sink_id:
                    if self._unsubscribe is not None:
                        self._unsubscribe()
                    self._unsubscribe = sink.relay.subscribe(self._notify)
                    self._relay_sink_id = sink.sink_id
                return sink, sink.relay
        raise GoLiveError("Relaying needs the local test server destination: add it in the Output panel.")

    def receiver_id(self) -> str | None:
        """The destination OBS streams to for the relay (the local test server), or None without one."""
        try:
            sink, _relay = self._receiver()
        except GoLiveError:
            return None
        return sink.sink_id

    def _notify(self, status: RelayDestinationStatus) -> None:
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("relay status listener failed")

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        return add_listener(self._listeners, listener)

    @property
    def statuses(self) -> dict[str, RelayDestinationStatus]:
        try:
            _sink, relay = self._receiver()
        except GoLiveError:
            return {}
        return {s.destination_id: s for s in relay.statuses}

    def request_confirmation(self, destination_id: str) -> GoLiveConfirmation:
        """A one-time token naming the destination; the app shows ``prompt`` before relaying there."""
        sink = self._destination(destination_id)
        confirmation = GoLiveConfirmation(
            token=pysecrets.token_urlsafe(16),
            sink_id=sink.sink_id,
            destination=sink.display_name,
            prompt=f"Go live on {sink.display_name} (relayed)? Real viewers will see this stream.\n"
            f"Server: {sink.target().server_url}",
        )
        self._confirmations[sink.sink_id] = (confirmation, self._clock() + self.confirmation_ttl_s)
        return confirmation

    def _destination(self, destination_id: str) -> Sink:
        try:
            sink = self.golive.sink(destination_id)
        except Exception as exc:
            raise UnknownDestination(f"No destination {destination_id!r}.") from exc
        if sink.target().kind is DestinationKind.LOCAL_TEST:
            raise GoLiveError(f"{sink.display_name} is where OBS streams for the relay; it is not relayed.")
        return sink

    def _take_confirmation(self, sink: Sink, token: str | None) -> None:
        held = self._confirmations.pop(sink.sink_id, None)  # a token works once
        if token is None or held is None or not pysecrets.compare_digest(held[0].token, token):
            raise NeedsConfirmation(
                f"Relaying to {sink.display_name} reaches real viewers and needs confirmation in the app."
            )
        if self._clock() > held[1]:
            raise NeedsConfirmation(f"The confirmation for {sink.display_name} expired; confirm again.")

    async def start(self, destination_id: str, confirmation: str | None = None) -> RelayDestinationStatus:
        """Relay to one destination (OBS is started towards the local test server first if needed)."""
        sink = self._destination(destination_id)
        if sink.is_real_audience:
            self._take_confirmation(sink, confirmation)
        return await self._relay_to(sink)

    async def retry(self, destination_id: str) -> RelayDestinationStatus:
        """Connect again now (a destination ``retrying`` or ``failed``), without waiting for the back-off.

        No new confirmation: the operator confirmed this destination when starting it and has not
        stopped it since. A stopped destination is started with ``start`` (and confirmed again).
        """
        sink = self._destination(destination_id)
        _receiver, relay = self._receiver()
        status = relay.status(sink.sink_id)
        if status is None or status.state not in (RelayState.RETRYING, RelayState.FAILED):
            state = status.state.value if status is not None else "stopped"
            raise GoLiveError(f"{sink.display_name} is {state}: only a retrying or failed destination is retried.")
        return await self._relay_to(sink)

    async def _relay_to(self, sink: Sink) -> RelayDestinationStatus:
        receiver, relay = self._receiver()
        service = await sink.stream_settings(self.golive.secrets)
        url = service.server.rstrip("/") + ("/" + service.key if service.key else "")
        relay.start(RelayTarget(sink.sink_id, sink.display_name, url))
        if (
            self.golive.session.snapshot.stream.phase is OutputPhase.STOPPED
            and not self.golive.status.start_in_progress
        ):
            self.golive.select(receiver.sink_id)
            await self.golive.start()
            self._feeding = True
        status = relay.status(sink.sink_id)
        assert status is not None
        return status

    async def stop(self, destination_id: str) -> RelayDestinationStatus:
        sink = self._destination(destination_id)
        _receiver, relay = self._receiver()
        relay.stop(sink.sink_id)
        status = relay.status(sink.sink_id)
        return status or RelayDestinationStatus(destination_id=sink.sink_id, display_name=sink.display_name)

    def any_running(self) -> bool:
        return any(s.state is not RelayState.STOPPED for s in self.statuses.values())
