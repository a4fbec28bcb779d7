"""Going live to several destinations at once: preflight for each, one confirmation naming all, then the relay.

The producer turns destinations on (or picks some); ``prepare`` checks each one against OBS's output
(read once) and what its platform takes, works out the upload needed against what the last rehearsal
sustained, and issues one one-time token for exactly the destinations that may start. ``start`` with
that token starts them all through RelayControl, which gets and spends each real audience's own
confirmation here in the core: Qt (or the remote API) never holds those tokens.
"""

from __future__ import annotations

import asyncio
import logging
import secrets as pysecrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from studio_console.adapters.sinks.base import Sink, SinkError
from studio_console.domain.obs_state import ObsSnapshot, OutputPhase
from studio_console.domain.stream import (
    CheckStatus,
    DestinationInfo,
    DestinationKind,
    OutputStatus,
    PlannedDestination,
    RelayDestinationStatus,
    RelayState,
    SimulcastPlan,
    SimulcastResult,
    SimulcastStatus,
    UploadFigure,
    UploadMeasurement,
)
from studio_console.kernel.listeners import Listeners
from studio_console.obs.errors import ObsError
from studio_console.services.golive.errors import GoLiveError, NeedsConfirmation, UnknownDestination
from studio_console.services.golive.preflight import check_destinations, read_obs_output
from studio_console.services.golive.relay_control import RelayControl
from studio_console.services.golive.upload import UploadMeter

log = logging.getLogger(__name__)

_NOT_RUNNING = (RelayState.STOPPED, RelayState.FAILED)
_WORDS = {CheckStatus.WARN: "Warning", CheckStatus.FAIL: "Fails"}


class Simulcast:
    """Which destinations are turned on, the upload figure, and going live to several in one confirmation.

    Listeners get a SimulcastStatus on the loop whenever the turned-on set or the upload figure changes.
    ``persist`` receives each new upload measurement (the core writes it off the loop).
    """

    confirmation_ttl_s = 120.0

    def __init__(
        self,
        relay: RelayControl,
        *,
        measured: UploadMeasurement | None = None,
        persist: Callable[[UploadMeasurement], None] | None = None,
        turned_on: Sequence[str] = (),
        on_turned_on: Callable[[list[str]], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.relay = relay
        self.golive = relay.golive
        self._clock = clock
        self._persist = persist
        self._measured = measured
        self._on_turned_on = on_turned_on
        relayable = [d.sink_id for d in self.relayable()]
        self._turned_on: list[str] = [i for i in relayable if i in set(turned_on)]
        self._plan: tuple[SimulcastPlan, float] | None = None
        # OBS's video + audio bitrate as last read over the websocket (None: not read or not readable).
        self._obs_kbps: float | None = None
        self._listeners: Listeners[[SimulcastStatus]] = Listeners("simulcast")
        self._status = SimulcastStatus()
        self.meter = UploadMeter(self._on_measured, self._is_real_audience, clock=clock, wall=wall)
        self._connected = self.golive.session.snapshot.connection.connected
        self._refresh_task: asyncio.Task[None] | None = None
        self._unsubscribe = [
            relay.subscribe(self._on_relay_status),
            self.golive.destinations.subscribe(self._on_destinations_changed),
            self.golive.subscribe(self._on_output),
            self.golive.session.subscribe(self._on_snapshot),
        ]
        self._publish()

    # -- reading -----------------------------------------------------------------------------------

    @property
    def status(self) -> SimulcastStatus:
        return self._status

    @property
    def measured(self) -> UploadMeasurement | None:
        return self._measured

    def subscribe(self, listener: Callable[[SimulcastStatus], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def relayable(self) -> tuple[DestinationInfo, ...]:
        """Destinations the relay can send to: every available one but the local test server itself."""
        infos = self.golive.destinations_info()
        return tuple(d for d in infos if d.available and d.kind is not DestinationKind.LOCAL_TEST)

    def _running(self) -> set[str]:
        return {i for i, s in self.relay.statuses.items() if s.state not in _NOT_RUNNING}

    def _is_real_audience(self, destination_id: str) -> bool:
        sink = self.golive.destinations.find(destination_id)
        return sink is None or sink.is_real_audience

    # -- turning destinations on -------------------------------------------------------------------

    def set_turned_on(self, destination_id: str, on: bool) -> None:
        """Tick or untick a destination for "Go live to all turned on"; ``on_turned_on`` keeps the ticks."""
        ids = [d.sink_id for d in self.relayable()]
        if destination_id not in ids:
            raise UnknownDestination(f"{self.golive.destinations.name(destination_id)} cannot be relayed to.")
        chosen = set(self._turned_on) - {destination_id}
        if on:
            chosen.add(destination_id)
        self._turned_on = [i for i in ids if i in chosen]
        if self._on_turned_on is not None:
            self._on_turned_on(list(self._turned_on))
        self._publish()

    # -- the upload figure ---------------------------------------------------------------------------

    def upload(self, destinations: int) -> UploadFigure:
        """The upload needed for ``destinations`` against what the last rehearsal sustained."""
        per: float | None = None
        source = "OBS's bitrate unknown"
        if self._obs_kbps is not None:
            per, source = self._obs_kbps, "OBS's video + audio bitrate"
        else:
            received = self.golive.status.last_rehearsal
            if received is not None and received.video_bitrate_kbps:
                per = round(received.video_bitrate_kbps + (received.audio_bitrate_kbps or 0.0), 1)
                source = "video + audio the local test server received"
        return UploadFigure(destinations=destinations, per_destination_kbps=per, source=source, measured=self._measured)

    async def refresh_upload(self) -> None:
        """Read OBS's bitrate again (after a settings change, or when the panel opens)."""
        if not self.golive.session.snapshot.connection.connected:
            return
        try:
            facts = await read_obs_output(self.golive.session)
        except ObsError as exc:
            log.info("could not read OBS's bitrate for the upload figure: %s", exc)
            return
        total = facts.total_bitrate_kbps
        self._obs_kbps = float(total) if total is not None else None
        self._publish()

    def _on_measured(self, measurement: UploadMeasurement) -> None:
        self._measured = measurement
        log.info("relay upload measured: %.0f kbps to %d destination(s)", measurement.kbps, measurement.destinations)
        self._publish()
        if self._persist is not None:
            self._persist(measurement)

    # -- going live to several -----------------------------------------------------------------------

    def _relayable_sink(self, destination_id: str) -> Sink:
        sink = self.golive.destinations.find(destination_id)
        if sink is None:
            raise UnknownDestination(f"No destination {destination_id!r}.")
        if sink.kind is DestinationKind.LOCAL_TEST:
            raise GoLiveError(f"{sink.display_name} is where OBS streams for the relay; it is not relayed.")
        return sink

    def _obs_busy(self, receiver: str) -> str | None:
        """Why OBS's running stream feeds no relay: it goes straight to a platform (single-destination)."""
        status = self.golive.status
        if status.phase is OutputPhase.STOPPED or status.active_sink == receiver:
            return None
        where = status.active_destination or "a server set outside the app"
        return (
            f"OBS is streaming straight to {where}, not to the local test server: stop that stream first "
            "(going live to several goes through the local test server)."
        )

    async def prepare(self, destination_ids: Sequence[str] | None = None) -> SimulcastPlan:
        """Preflight each destination (default: the ones turned on) and the one confirmation naming all."""
        ids = list(dict.fromkeys(destination_ids if destination_ids is not None else self._turned_on))
        if not ids:
            raise GoLiveError("Turn on at least one destination to go live to several.")
        sinks = [self._relayable_sink(i) for i in ids]
        receiver = self.relay.receiver_id()
        if receiver is None:
            raise GoLiveError("Going live to several needs the local test server destination: add it first.")
        running = self._running()
        results, facts = await check_destinations(
            self.golive.session,
            sinks,
            self.golive.secrets,
            self.golive.status.last_rehearsal,
            obs_busy=self._obs_busy(receiver),
        )
        if facts is not None and facts.total_bitrate_kbps is not None:
            self._obs_kbps = float(facts.total_bitrate_kbps)
        planned = tuple(
            PlannedDestination(
                destination_id=sink.sink_id,
                display_name=sink.display_name,
                kind=sink.kind,
                is_real_audience=sink.is_real_audience,
                server_url=sink.target().server_url,
                preflight=result,
                already_running=sink.sink_id in running,
            )
            for sink, result in zip(sinks, results, strict=True)
        )
        starting = {d.destination_id for d in planned if d.will_start}
        upload = self.upload(len(running | starting))
        plan = SimulcastPlan(
            token=pysecrets.token_urlsafe(16) if starting else "",
            destinations=planned,
            upload=upload,
            prompt=confirmation_prompt(planned, upload),
        )
        self._plan = (plan, self._clock() + self.confirmation_ttl_s) if starting else None
        self._publish()
        return plan

    async def start(self, token: str | None) -> SimulcastResult:
        """Start every destination the confirmed plan names; one failing never stops the others."""
        held, self._plan = self._plan, None  # a token works once
        if token is None or held is None or not held[0].token or not pysecrets.compare_digest(held[0].token, token):
            raise NeedsConfirmation("Going live to several needs its confirmation in the app: ask again.")
        plan, expires_at = held
        if self._clock() > expires_at:
            raise NeedsConfirmation("The confirmation to go live to several expired; confirm again.")
        started = []
        refused: list[tuple[str, str]] = []
        for destination in plan.destinations:
            if destination.already_running:
                refused.append((destination.destination_id, f"{destination.display_name} is already relayed."))
                continue
            if not destination.will_start:
                failed = [c.sentence for c in destination.preflight.checks if c.status is CheckStatus.FAIL]
                refused.append((destination.destination_id, " ".join(failed)))
                continue
            try:
                confirmation = None
                if destination.is_real_audience:
                    # Obtained and spent here: the operator confirmed the plan that names this destination.
                    confirmation = self.relay.request_confirmation(destination.destination_id).token
                started.append(await self.relay.start(destination.destination_id, confirmation))
            except (GoLiveError, SinkError) as exc:
                refused.append((destination.destination_id, str(exc)))
            except Exception as exc:
                log.exception("relaying to %s failed to start", destination.display_name)
                refused.append((destination.destination_id, f"{type(exc).__name__}: {exc}"))
        names = ", ".join(s.display_name for s in started) or "none"
        log.info("going live to several: started %s; %d not started", names, len(refused))
        return SimulcastResult(started=tuple(started), refused=tuple(refused))

    async def start_remote(self, destination_ids: Sequence[str]) -> SimulcastResult:
        """The remote API's start of several: destinations without a real audience only."""
        plan = await self.prepare(destination_ids)
        if plan.reaches_real_audience:
            self._plan = None
            names = ", ".join(d.display_name for d in plan.to_start if d.is_real_audience)
            raise NeedsConfirmation(
                f"{names} reach real viewers: going live there needs confirmation in the app (Output panel)."
            )
        if not plan.token:
            raise GoLiveError(plan.prompt)
        return await self.start(plan.token)

    # -- following the others ------------------------------------------------------------------------

    def _on_relay_status(self, status: RelayDestinationStatus) -> None:
        self.meter.on_status(status)
        self._publish()

    def _on_destinations_changed(self) -> None:
        self._plan = None  # a plan names what it was made for: ask again
        ids = {d.sink_id for d in self.relayable()}
        self._turned_on = [i for i in self._turned_on if i in ids]
        self._publish()

    def _on_output(self, _status: OutputStatus) -> None:
        self._publish()

    def _on_snapshot(self, snap: ObsSnapshot) -> None:
        """OBS (re)connected: read its bitrate for the upload figure (it may be another OBS, or changed)."""
        connected = snap.connection.connected
        came_up = connected and not self._connected
        self._connected = connected
        if came_up and self._refresh_task is None:
            self._refresh_task = asyncio.get_running_loop().create_task(self._refresh_once(), name="upload-figure")

    async def _refresh_once(self) -> None:
        try:
            await self.refresh_upload()
        except Exception:
            log.exception("reading OBS's bitrate for the upload figure failed")
        finally:
            self._refresh_task = None

    def _publish(self) -> None:
        count = len(set(self._turned_on) | self._running())
        status = SimulcastStatus(turned_on=tuple(self._turned_on), upload=self.upload(count))
        if status == self._status:
            return
        self._status = status
        self._listeners.notify(status)

    def finish(self) -> UploadMeasurement | None:
        """The app quits: the running session's measurement not yet persisted (the caller saves it)."""
        measurement = self.meter.finish()
        if measurement is not None:
            self._measured = measurement
        return measurement

    def close(self) -> None:
        if self._refresh_task is not None:
            self._refresh_task.cancel()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()


def confirmation_prompt(destinations: Sequence[PlannedDestination], upload: UploadFigure) -> str:
    """The one question naming every destination (real audiences by name and server, never a key)."""
    to_start = [d for d in destinations if d.will_start]
    lines: list[str] = []
    if to_start:
        lines.append(
            f"Go live to {len(to_start)} destination(s) at once? OBS streams once to this PC; "
            "the app sends the same stream to each."
        )
    else:
        lines.append("No destination can start: see the findings below.")
    real = [d for d in to_start if d.is_real_audience]
    rehearsal = [d for d in to_start if not d.is_real_audience]
    if real:
        lines.append("Real viewers will see this stream on:")
        lines += [f"  • {d.display_name} — {d.server_url or 'no server set'}" for d in real]
    if rehearsal:
        lines.append("No real audience:")
        lines += [f"  • {d.display_name} — {d.server_url or 'no server set'}" for d in rehearsal]
    # Findings every destination shares (OBS's settings, no rehearsal yet) are said once.
    findings = [
        {(c.status, c.sentence) for c in d.preflight.checks if c.status is not CheckStatus.PASS} for d in destinations
    ]
    shared = set.intersection(*findings) if len(findings) > 1 else set()
    if shared:
        lines.append("")
        lines.append("For every destination:")
        ordered = sorted(shared, key=lambda f: (f[0] is not CheckStatus.FAIL, f[1]))
        lines += [f"  {_WORDS[status]}: {text}" for status, text in ordered]
    for destination in destinations:
        lines.append("")
        audience = "real audience" if destination.is_real_audience else "no real audience"
        if destination.already_running:
            outcome = "already relayed, left as it is"
        elif destination.will_start:
            outcome = "will start"
        else:
            outcome = "will NOT start"
        lines.append(f"{destination.display_name} ({audience}): {outcome}")
        own = [
            c
            for c in destination.preflight.checks
            if c.status is not CheckStatus.PASS and (c.status, c.sentence) not in shared
        ]
        own.sort(key=lambda c: c.status is not CheckStatus.FAIL)
        if not own:
            lines.append("  All checks pass." if not shared else "  No further findings.")
        lines += [f"  {_WORDS[c.status]}: {c.sentence}" for c in own]
    lines.append("")
    lines += list(upload.sentences())
    if upload.warning:
        lines.append(f"Warning: {upload.warning}")
    return "\n".join(lines)
