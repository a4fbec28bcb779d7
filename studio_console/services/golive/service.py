"""Going live: the start/stop state machine over one selected destination, and the Output panel's figures.

The stream's state comes from OBS's StreamStateChanged events (the session's snapshot), never from
StartStream's answer, which is a success even when the RTMP connection then fails. One start at a
time: while a start is in progress, or while the stream runs, another start is refused with a
sentence saying why, and the destination registry is locked (no other selection, no change to the
destination in use). Destinations live in ``destinations.py``, preflight checks in ``preflight.py``;
sinks are reached through the capability protocols of adapters/sinks/base.py only.
"""

from __future__ import annotations

import asyncio
import logging
import secrets as pysecrets
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from studio_console.adapters.sinks.base import (
    HasHealth,
    HasThumbnails,
    LocalReceiver,
    Records,
    Sink,
    SinkError,
)
from studio_console.domain.obs_state import ObsSnapshot, OutputPhase
from studio_console.domain.stream import (
    CheckStatus,
    DestinationInfo,
    GoLiveConfirmation,
    LocalServerStatus,
    OutputStatus,
    PreflightResult,
    ReceivedStreamInfo,
    Thumbnail,
)
from studio_console.kernel.listeners import Listeners
from studio_console.obs.errors import ObsError, ObsRequestError
from studio_console.obs.protocol import RequestStatus
from studio_console.obs.requests import Outcome, Request, SetStreamServiceSettings, StartStream, StopStream
from studio_console.services.golive.destinations import Destinations, OutputSaver, SecretKeeper
from studio_console.services.golive.errors import (
    DestinationLocked,
    GoLiveError,
    NeedsConfirmation,
    PreflightFailed,
    StartInProgress,
    UnknownDestination,
)
from studio_console.services.golive.preflight import check_destination
from studio_console.settings.model import OutputSettings

__all__ = [
    "DestinationLocked",
    "Destinations",
    "GoLiveError",
    "GoLiveService",
    "NeedsConfirmation",
    "PreflightFailed",
    "SecretKeeper",
    "SessionLike",
    "StartInProgress",
    "UnknownDestination",
]

log = logging.getLogger(__name__)

R = TypeVar("R")
StatusListener = Callable[[OutputStatus], None]
ThumbnailListener = Callable[[Thumbnail], None]

_BITRATE_WINDOW_S = 5.0


class SessionLike(Protocol):
    """The part of ObsSession the go-live service uses (unit tests pass a hand-written fake)."""

    snapshot: ObsSnapshot

    def subscribe(self, listener: Callable[[ObsSnapshot], None]) -> Callable[[], None]: ...

    async def call(self, request: Request[R], *, timeout: float | None = ...) -> R: ...

    async def call_batch(self, requests: Sequence[Request[Any]]) -> tuple[Outcome[Any], ...]: ...


@dataclass
class _PendingStart:
    sink_id: str
    started_at: float
    # OBS reported STARTING (or later) for this start: a STOPPED after it means the start failed.
    seen_starting: bool = False
    answered: bool = False
    stop_requested: bool = False


def _saved_in_place(settings: OutputSettings | None, notify: Callable[[], None] | None) -> OutputSaver | None:
    """For callers that hand over a mutable OutputSettings and a "settings changed" callback."""
    if settings is None and notify is None:
        return None

    def save(output: OutputSettings) -> None:
        if settings is not None:
            settings.destinations = output.destinations
            settings.destination = output.destination
        if notify is not None:
            notify()

    return save


class GoLiveService:
    """Preflight, confirmation, start/stop and the Output panel's figures, over a destination registry.

    ``destinations`` is a ``Destinations`` registry (which saves through its own injected saver), or,
    for callers not moved to it yet, a mapping of built sinks with the OutputSettings to update in
    place and ``on_settings_changed`` to call after. Listeners are called on the asyncio loop.
    """

    confirmation_ttl_s = 120.0
    # A start that never got as far as OBS's STARTING event within this is given up (guard released).
    start_timeout_s = 30.0

    def __init__(
        self,
        session: SessionLike,
        secrets: SecretKeeper,
        destinations: Destinations | Mapping[str, Sink],
        settings: OutputSettings | None = None,
        *,
        unavailable: Mapping[str, str] | None = None,
        on_settings_changed: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(destinations, Destinations):
            registry = destinations
        else:
            if not destinations:
                raise ValueError("the go-live service needs at least one sink")
            save = _saved_in_place(settings, on_settings_changed)
            registry = Destinations.from_sinks(destinations, secrets, settings, unavailable=unavailable, save=save)
        registry.require_available()
        self.session = session
        self.secrets = secrets
        self.destinations = registry
        self._clock = clock
        self._listeners: Listeners[[OutputStatus]] = Listeners("listeners")
        self._thumb_listeners: Listeners[[Thumbnail]] = Listeners("thumb")
        # Per destination id: the sink object watched and how to stop watching it.
        self._watched: dict[str, tuple[Sink, list[Callable[[], None]]]] = {}
        self._pending: _PendingStart | None = None
        self._active: str | None = None
        self._last_phase = session.snapshot.stream.phase
        self._reconnects = 0
        self._starts_sent = 0
        self._bytes: deque[tuple[float, int]] = deque()
        self._message = "Not streaming"
        self._confirmation: tuple[GoLiveConfirmation, float] | None = None
        self._preflight: PreflightResult | None = None
        self._last_rehearsal: ReceivedStreamInfo | None = None
        self._stop_task: asyncio.Task[None] | None = None
        self._status = OutputStatus()
        self._watch_sinks()
        self._unsubscribe_destinations = registry.subscribe(self._on_destinations_changed)
        self._unsubscribe = session.subscribe(self._on_snapshot)
        self._publish()

    # -- observers -------------------------------------------------------------------------------

    @property
    def status(self) -> OutputStatus:
        return self._status

    @property
    def selected(self) -> Sink:
        return self.destinations.selected

    def sink(self, sink_id: str) -> Sink:
        return self.destinations.get(sink_id)

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        return self._listeners.add(listener)

    def subscribe_thumbnails(self, listener: ThumbnailListener) -> Callable[[], None]:
        """Pictures the local test server received (JPEG bytes)."""
        return self._thumb_listeners.add(listener)

    def _watch_sinks(self) -> None:
        """Follow the health and thumbnails of every available instance (instances are rebuilt on change)."""
        current = {sink.sink_id: sink for sink in self.destinations.sinks()}
        for destination_id in list(self._watched):
            watched, stale = self._watched[destination_id]
            if current.get(destination_id) is not watched:
                for unsubscribe in stale:
                    unsubscribe()
                del self._watched[destination_id]
        for destination_id, sink in current.items():
            if destination_id in self._watched:
                continue
            unsubscribers: list[Callable[[], None]] = []
            if isinstance(sink, HasHealth):
                unsubscribers.append(sink.subscribe(self._on_sink_changed))
            if isinstance(sink, HasThumbnails):
                unsubscribers.append(sink.subscribe_thumbnails(self._on_thumbnail))
            self._watched[destination_id] = (sink, unsubscribers)

    def _on_thumbnail(self, thumbnail: Thumbnail) -> None:
        self._thumb_listeners.notify(thumbnail)

    def _on_sink_changed(self) -> None:
        receiver = self._local_receiver()
        info = receiver.received() if receiver is not None else None
        # Figures count as a rehearsal once the picture was measured (received_s may still read 0).
        if info is not None and (info.received_s > 0 or info.width):
            self._last_rehearsal = info
        self._publish()

    def _local_receiver(self) -> LocalReceiver | None:
        """The selected destination when it receives on this PC, else the first one that does."""
        selected = self.destinations.find(self.destinations.selected_id)
        if isinstance(selected, LocalReceiver):
            return selected
        return next((s for s in self.destinations.sinks() if isinstance(s, LocalReceiver)), None)

    def _local_status(self) -> LocalServerStatus | None:
        receiver = self._local_receiver()
        return receiver.health() if receiver is not None else None

    # -- destinations (the registry does the work; the service keeps its own state in step) ----------

    def destinations_info(self) -> tuple[DestinationInfo, ...]:
        return self.destinations.infos()

    def _on_destinations_changed(self) -> None:
        self._watch_sinks()
        self._confirmation = None  # a confirmation names what it was issued for: ask again
        if self._preflight is not None and self._preflight.sink_id != self.destinations.selected_id:
            self._preflight = None
        self._publish()

    def _busy_reason(self) -> str | None:
        phase = self.session.snapshot.stream.phase
        if self._pending is not None:
            return f"the stream to {self.destinations.name(self._pending.sink_id)} is starting"
        if phase is not OutputPhase.STOPPED:
            where = self._active_name()
            return f"the stream is {phase.value}" + (f" on {where}" if where else "")
        return None

    def _sync_lock(self) -> None:
        busy = self._busy_reason()
        if busy is None:
            self.destinations.unlock()
            return
        in_use = {self.destinations.selected_id, self._active, self._pending.sink_id if self._pending else None}
        self.destinations.lock(busy, {i for i in in_use if i is not None})

    def select(self, sink_id: str) -> None:
        """Choose where the next stream goes. Refused while a stream runs or starts."""
        self._sync_lock()  # OBS's state as of now, even if another listener acts before ours ran
        self.destinations.select(sink_id)

    def add_destination(self, sink_type: str, display_name: str = "") -> str:
        """A new destination instance of ``sink_type`` (a second YouTube channel...); returns its id."""
        return self.destinations.add(sink_type, display_name)

    async def rename_destination(self, sink_id: str, display_name: str) -> None:
        self._sync_lock()
        await self.destinations.rename(sink_id, display_name)

    async def remove_destination(self, sink_id: str) -> None:
        self._sync_lock()
        await self.destinations.remove(sink_id)

    async def set_server_url(self, sink_id: str, url: str) -> None:
        """A new server URL for a destination whose server is editable (TikTok, Twitch ingest, custom)."""
        self._sync_lock()
        await self.destinations.set_server_url(sink_id, url)

    async def set_options(self, sink_id: str, changes: Mapping[str, Any]) -> None:
        """Change a destination's options (validated by its sink type's model); they are saved."""
        self._sync_lock()
        await self.destinations.set_options(sink_id, changes)

    def set_stream_key(self, sink_id: str, key: str) -> None:
        """Store (or, when empty, forget) a destination's stream key in the keyring. The key is never logged."""
        self.destinations.set_stream_key(sink_id, key)

    def set_local_thumbnails(self, enabled: bool) -> None:
        """The local test server's thumbnails on or off (off saves decoding every received frame)."""
        for sink in self.destinations.sinks():
            if isinstance(sink, HasThumbnails):
                sink.set_thumbnails(enabled)

    def set_local_recording(self, path: Path | None) -> None:
        """Record what the local test server receives to ``path`` (remuxed, no re-encoding), or stop."""
        receiver = self._local_receiver()
        recorder = receiver if isinstance(receiver, Records) else None
        recorder = recorder or next((s for s in self.destinations.sinks() if isinstance(s, Records)), None)
        if recorder is None:
            raise UnknownDestination("There is no local test server to record from.")
        if path is None:
            recorder.stop_recording()
        else:
            recorder.start_recording(path)
        self._publish()

    # -- preflight ---------------------------------------------------------------------------------

    async def preflight(self, sink_id: str | None = None) -> PreflightResult:
        """Check OBS's output against what the destination expects, plus the last rehearsal's figures."""
        destination_id = sink_id or self.destinations.selected_id
        sink = self.sink(destination_id)
        result = await check_destination(
            self.session, sink, self.secrets, self._last_rehearsal, starting=self._pending is not None
        )
        if destination_id == self.destinations.selected_id:
            self._preflight = result
            self._publish()
        return result

    # -- confirmation, start, stop -----------------------------------------------------------------

    def request_confirmation(self) -> GoLiveConfirmation:
        """A one-time token for the selected destination and the sentence the app shows before starting."""
        sink = self.selected
        audience = "Real viewers will see this stream." if sink.is_real_audience else "Nobody else sees this stream."
        lines = [f"Go live on {sink.display_name}? {audience}"]
        url = sink.target().server_url
        if url:
            lines.append(f"Server: {url}")
        if self._preflight is not None and self._preflight.sink_id == sink.sink_id:
            lines += [f"Warning: {c.sentence}" for c in self._preflight.checks if c.status is not CheckStatus.PASS]
        confirmation = GoLiveConfirmation(
            token=pysecrets.token_urlsafe(16),
            sink_id=sink.sink_id,
            destination=sink.display_name,
            prompt="\n".join(lines),
        )
        self._confirmation = (confirmation, self._clock() + self.confirmation_ttl_s)
        return confirmation

    def _take_confirmation(self, sink: Sink, token: str | None) -> None:
        held, self._confirmation = self._confirmation, None  # a token works once
        refused = NeedsConfirmation(
            f"Going live on {sink.display_name} reaches real viewers and needs confirmation in the app."
        )
        if token is None or held is None:
            raise refused
        confirmation, expires_at = held
        if not pysecrets.compare_digest(confirmation.token, token) or confirmation.sink_id != sink.sink_id:
            raise refused
        if self._clock() > expires_at:
            raise NeedsConfirmation(f"The confirmation for {sink.display_name} expired; confirm again.")

    async def start_remote(self) -> None:
        """The remote API's start: allowed for a rehearsal; a real audience needs the operator in the app."""
        sink = self.selected
        if sink.is_real_audience:
            raise NeedsConfirmation(
                f"{sink.display_name} reaches real viewers: going live there needs confirmation in the app "
                "(Output panel, Go live)."
            )
        await self.start()

    async def start(self, confirmation: str | None = None) -> None:
        """Apply the selected destination to OBS and start streaming.

        Returns when OBS accepted StartStream; whether the stream is live is told by ``status``
        (StreamStateChanged). Real audiences need the token of ``request_confirmation()``.
        """
        snap = self.session.snapshot
        if self._pending is not None:
            raise StartInProgress(
                f"The stream to {self.destinations.name(self._pending.sink_id)} is already starting; "
                "wait until it is live or has failed."
            )
        if snap.stream.phase is not OutputPhase.STOPPED:
            raise StartInProgress(f"The stream is already {snap.stream.phase.value}; stop it first.")
        if not snap.connection.connected:
            raise GoLiveError("OBS is not connected: the stream cannot start.")
        sink = self.selected
        if sink.is_real_audience:
            self._take_confirmation(sink, confirmation)
        # The guard is set before the first await: a second click cannot slip in.
        pending = _PendingStart(sink_id=sink.sink_id, started_at=self._clock())
        self._pending = pending
        self._message = f"Starting the stream to {sink.display_name}…"
        self._publish()
        try:
            if sink.is_real_audience:
                result = await self.preflight(sink.sink_id)
                if not result.ok:
                    raise PreflightFailed(result)
            service = await sink.stream_settings(self.secrets)
            await self.session.call(
                SetStreamServiceSettings(server=service.server, key=service.key, service_type=service.service_type)
            )
            self._starts_sent += 1
            await self.session.call(StartStream())
        except Exception as exc:
            if self._pending is pending:
                self._pending = None
            self._message = _failure_sentence(sink.display_name, exc)
            self._publish()
            if isinstance(exc, GoLiveError):
                raise
            raise GoLiveError(self._message) from exc
        pending.answered = True
        log.info("asked OBS to start streaming to %s", sink.display_name)
        self._on_snapshot(self.session.snapshot)

    async def stop(self) -> None:
        """Stop the stream (or the start in progress, as soon as OBS reports it)."""
        pending = self._pending
        if pending is not None and self.session.snapshot.stream.phase is OutputPhase.STOPPED:
            pending.stop_requested = True
            self._message = "Stopping as soon as the stream has started…"
            self._publish()
            return
        if self.session.snapshot.stream.phase is OutputPhase.STOPPED:
            return
        try:
            await self.session.call(StopStream())
        except ObsRequestError as exc:
            if exc.status is not RequestStatus.OUTPUT_NOT_RUNNING:
                raise GoLiveError(f"OBS could not stop the stream: {exc.comment or exc}") from exc
        self._message = "Stopping the stream…"
        self._publish()

    async def shutdown(self) -> None:
        """Unsubscribe and close every sink (the local test server stops listening)."""
        self._unsubscribe()
        self._unsubscribe_destinations()
        for _sink, unsubscribers in self._watched.values():
            for unsubscribe in unsubscribers:
                unsubscribe()
        self._watched.clear()
        await self.destinations.close()

    # -- following OBS ---------------------------------------------------------------------------

    def _active_name(self) -> str | None:
        if self._active is not None and self._active in self.destinations:
            return self.destinations.name(self._active)
        return None

    def _on_snapshot(self, snap: ObsSnapshot) -> None:
        phase, previous = snap.stream.phase, self._last_phase
        self._last_phase = phase
        pending = self._pending
        start_failed = False
        if pending is not None:
            name = self.destinations.name(pending.sink_id)
            if phase is not OutputPhase.STOPPED:
                pending.seen_starting = True
            if phase in (OutputPhase.LIVE, OutputPhase.RECONNECTING):
                self._pending = None
                self._active = pending.sink_id
                self._reconnects = 0
                self._bytes.clear()
                if pending.stop_requested:
                    self._stop_later()
            elif not snap.connection.connected:
                self._pending, start_failed = None, True
                self._message = f"Lost the connection to OBS while starting the stream to {name}."
            elif phase is OutputPhase.STOPPED and pending.seen_starting:
                self._pending, start_failed = None, True
                self._message = f"OBS could not connect to {name}; the stream stopped. Check the server and key."
            elif pending.answered and self._clock() - pending.started_at > self.start_timeout_s:
                self._pending, start_failed = None, True
                self._message = f"OBS did not start the stream to {name}."
        if previous is OutputPhase.LIVE and phase is OutputPhase.RECONNECTING:
            self._reconnects += 1
        if phase is OutputPhase.STOPPED and self._pending is None:
            if previous is not OutputPhase.STOPPED and not start_failed:
                where = self._active_name()
                gave_up = previous is OutputPhase.RECONNECTING
                self._message = (
                    f"OBS gave up reconnecting{' to ' + where if where else ''}; the stream stopped."
                    if gave_up
                    else "Stream stopped."
                )
            self._active = None
            self._bytes.clear()
        elif phase is OutputPhase.LIVE:
            where = self._active_name()
            self._message = f"Live on {where}" if where else "Live (started outside Studio Console)"
        elif phase is OutputPhase.RECONNECTING:
            where = self._active_name()
            self._message = f"Connection to {where or 'the server'} lost: OBS is reconnecting…"
        elif phase is OutputPhase.STOPPING:
            self._message = "Stopping the stream…"
        elif phase is OutputPhase.STARTING and self._pending is None:
            self._message = "OBS is starting the stream (started outside Studio Console)…"
        if not snap.connection.connected and phase is not OutputPhase.STOPPED and not start_failed:
            self._message = f"OBS is not connected: the stream was last seen {phase.value}."
        stats = snap.stats
        if stats is not None and phase is not OutputPhase.STOPPED:
            now = self._clock()
            if self._bytes and stats.stream_bytes < self._bytes[-1][1]:
                self._bytes.clear()  # a new stream started counting from zero
            self._bytes.append((now, stats.stream_bytes))
            while len(self._bytes) > 2 and self._bytes[0][0] < now - _BITRATE_WINDOW_S:
                self._bytes.popleft()
        self._publish()

    def _stop_later(self) -> None:
        async def stop() -> None:
            try:
                await self.stop()
            except GoLiveError as exc:
                log.error("%s", exc)

        task = asyncio.get_running_loop().create_task(stop(), name="golive-stop-after-start")
        self._stop_task = task  # strong reference until it is done

    def _bitrate_kbps(self) -> float | None:
        if len(self._bytes) < 2:
            return None
        (t0, b0), (t1, b1) = self._bytes[0], self._bytes[-1]
        if t1 <= t0:
            return None
        return round((b1 - b0) * 8 / 1000 / (t1 - t0), 1)

    def _publish(self) -> None:
        self._sync_lock()
        snap = self.session.snapshot
        stats = snap.stats
        live = snap.stream.phase is not OutputPhase.STOPPED
        duration = 0.0
        if live and stats is not None and stats.stream_duration_ms:
            duration = stats.stream_duration_ms / 1000
        elif live and snap.stream.live_since is not None:
            duration = max(0.0, time.monotonic() - snap.stream.live_since)
        phase = snap.stream.phase
        if self._pending is not None and phase is OutputPhase.STOPPED:
            phase = OutputPhase.STARTING
        active = self.destinations.find(self._active)
        status = OutputStatus(
            phase=phase,
            message=self._message,
            selected=self.destinations.selected_id,
            destinations=self.destinations.infos(),
            sink_types=self.destinations.types(),
            active_sink=self._active,
            active_destination=active.display_name if active is not None else None,
            active_is_real_audience=active.is_real_audience if active is not None else False,
            start_in_progress=self._pending is not None,
            duration_s=round(duration, 1),
            bitrate_kbps=self._bitrate_kbps() if live else None,
            congestion=stats.stream_congestion if stats is not None and live else 0.0,
            dropped_frames=stats.stream_skipped_frames if stats is not None and live else 0,
            total_frames=stats.stream_total_frames if stats is not None and live else 0,
            reconnects=self._reconnects,
            start_requests=self._starts_sent,
            local_server=self._local_status(),
            last_rehearsal=self._last_rehearsal,
            preflight=self._preflight,
        )
        if status == self._status:
            return
        self._status = status
        self._listeners.notify(status)


def _failure_sentence(destination: str, exc: Exception) -> str:
    if isinstance(exc, (GoLiveError, SinkError)):
        return str(exc)
    if isinstance(exc, ObsRequestError):
        return f"OBS refused to start the stream to {destination}: {exc.comment or exc}"
    if isinstance(exc, ObsError):
        return f"Could not start the stream to {destination}: {exc}"
    return f"Could not start the stream to {destination}: {type(exc).__name__}: {exc}"
