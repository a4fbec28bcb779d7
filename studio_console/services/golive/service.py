"""Going live: pick a destination, preflight it against OBS's output, confirm real audiences, start, watch.

The stream's state comes from OBS's StreamStateChanged events (the session's snapshot), never from
StartStream's answer, which is a success even when the RTMP connection then fails. One start at a
time: while a start is in progress, or while the stream runs, another start and a change of
destination are refused with a sentence saying why.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets as pysecrets
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from studio_console.adapters.sinks.base import (
    SecretReader,
    Sink,
    SinkError,
    SinkFactory,
    ThumbnailSource,
    rtmp_url_problem,
)
from studio_console.adapters.sinks.local_test_server import LocalTestServer, LocalTestServerSink
from studio_console.domain.obs_state import ObsSnapshot, OutputPhase, VideoSettings
from studio_console.domain.stream import (
    CheckStatus,
    DestinationInfo,
    DestinationKind,
    GoLiveConfirmation,
    LocalServerStatus,
    Orientation,
    OutputProfile,
    OutputStatus,
    PreflightCheck,
    PreflightResult,
    ReceivedStreamInfo,
    Thumbnail,
)
from studio_console.kernel.listeners import add_listener
from studio_console.obs.errors import ObsError, ObsRequestError
from studio_console.obs.protocol import RequestStatus
from studio_console.obs.requests import (
    GetProfileParameter,
    GetVideoSettings,
    Outcome,
    Request,
    SetStreamServiceSettings,
    StartStream,
    StopStream,
)
from studio_console.settings.model import OutputSettings
from studio_console.settings.secrets import stream_key_name

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
R = TypeVar("R")
StatusListener = Callable[[OutputStatus], None]
ThumbnailListener = Callable[[Thumbnail], None]

# x264's own default when OBS leaves the keyframe interval on "auto" (keyint_sec 0): 250 frames.
X264_DEFAULT_KEYINT_FRAMES = 250
_KEYINT = re.compile(r"(?:^|[\s:])keyint=(\d+)")
_BITRATE_WINDOW_S = 5.0

_PROFILE_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("Output", "Mode"),
    ("SimpleOutput", "VBitrate"),
    ("SimpleOutput", "StreamEncoder"),
    ("SimpleOutput", "UseAdvanced"),
    ("SimpleOutput", "x264Settings"),
)


class SessionLike(Protocol):
    """The part of ObsSession the go-live service uses (unit tests pass a hand-written fake)."""

    snapshot: ObsSnapshot

    def subscribe(self, listener: Callable[[ObsSnapshot], None]) -> Callable[[], None]: ...

    async def call(self, request: Request[R], *, timeout: float | None = ...) -> R: ...

    async def call_batch(self, requests: Sequence[Request[Any]]) -> tuple[Outcome[Any], ...]: ...


class SecretKeeper(SecretReader, Protocol):
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class GoLiveError(Exception):
    """Going live (or changing the destination) was refused or failed; the message is for the operator."""


class NeedsConfirmation(GoLiveError):
    """A real audience needs the operator's confirmation in the app (the remote API gets HTTP 409)."""


class StartInProgress(GoLiveError):
    """A start is already under way or the stream already runs."""


class DestinationLocked(GoLiveError):
    """The destination cannot change while the stream runs or starts."""


class UnknownDestination(GoLiveError):
    """No such sink, or it is unavailable."""


class PreflightFailed(GoLiveError):
    def __init__(self, result: PreflightResult) -> None:
        failed = [c.sentence for c in result.checks if c.status is CheckStatus.FAIL]
        super().__init__(f"Preflight for {result.destination} failed: " + " ".join(failed))
        self.result = result


@dataclass
class _PendingStart:
    sink_id: str
    started_at: float
    # OBS reported STARTING (or later) for this start: a STOPPED after it means the start failed.
    seen_starting: bool = False
    answered: bool = False
    stop_requested: bool = False


@dataclass(frozen=True)
class ObsOutputFacts:
    """OBS's output settings as far as obs-websocket 5.1 reveals them."""

    width: int
    height: int
    fps: float
    mode: str
    bitrate_kbps: int | None
    keyframe_interval_s: float | None
    # How the keyframe interval was found, for the sentence ("custom x264 options", "automatic").
    keyframe_source: str


class GoLiveService:
    """Destinations, preflight, confirmation, start/stop and the Output panel's figures.

    Listeners are called on the asyncio loop. ``settings`` is the app's OutputSettings, changed in
    place (selected destination, sink options; never keys) and followed by ``on_settings_changed``.
    """

    confirmation_ttl_s = 120.0
    # A start that never got as far as OBS's STARTING event within this is given up (guard released).
    start_timeout_s = 30.0

    def __init__(
        self,
        session: SessionLike,
        secrets: SecretKeeper,
        sinks: Mapping[str, Sink],
        settings: OutputSettings,
        *,
        unavailable: Mapping[str, str] | None = None,
        on_settings_changed: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not sinks:
            raise ValueError("the go-live service needs at least one sink")
        self.session = session
        self.secrets = secrets
        self.settings = settings
        self._sinks: dict[str, Sink] = dict(sinks)
        self._unavailable = dict(unavailable or {})
        self._on_settings_changed = on_settings_changed
        self._clock = clock
        self._listeners: list[StatusListener] = []
        self._thumb_listeners: list[ThumbnailListener] = []
        self._sink_unsubscribers: list[Callable[[], None]] = []
        self._selected = settings.destination if settings.destination in self._sinks else next(iter(self._sinks))
        self._key_set = {sid: bool(secrets.get(stream_key_name(sid))) for sid, s in self._sinks.items() if s.needs_key}
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
        for sink in self._sinks.values():
            self._watch_sink(sink)
        self._unsubscribe = session.subscribe(self._on_snapshot)
        self._publish()

    # -- observers -------------------------------------------------------------------------------

    @property
    def status(self) -> OutputStatus:
        return self._status

    @property
    def selected(self) -> Sink:
        return self._sinks[self._selected]

    def sink(self, sink_id: str) -> Sink:
        sink = self._sinks.get(sink_id)
        if sink is None:
            reason = self._unavailable.get(sink_id)
            detail = f" ({reason})" if reason else ""
            raise UnknownDestination(f"The destination {sink_id!r} is not available{detail}.")
        return sink

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        return add_listener(self._listeners, listener)

    def subscribe_thumbnails(self, listener: ThumbnailListener) -> Callable[[], None]:
        """Pictures the local test server received (JPEG bytes)."""
        return add_listener(self._thumb_listeners, listener)

    def _watch_sink(self, sink: Sink) -> None:
        self._sink_unsubscribers.append(sink.subscribe(self._on_sink_changed))
        if isinstance(sink, ThumbnailSource):
            self._sink_unsubscribers.append(sink.subscribe_thumbnails(self._on_thumbnail))

    def _on_thumbnail(self, thumbnail: Thumbnail) -> None:
        for listener in list(self._thumb_listeners):
            try:
                listener(thumbnail)
            except Exception:
                log.exception("thumbnail listener failed")

    def _on_sink_changed(self) -> None:
        local = self._local_status()
        # Figures count as a rehearsal once the picture was measured (received_s may still read 0).
        if local is not None and local.info is not None and (local.info.received_s > 0 or local.info.width):
            self._last_rehearsal = local.info
        self._publish()

    def _local_status(self) -> LocalServerStatus | None:
        for sink in self._sinks.values():
            if sink.kind is DestinationKind.LOCAL_TEST:
                return sink.health()
        return None

    # -- destinations ----------------------------------------------------------------------------

    def destinations(self) -> tuple[DestinationInfo, ...]:
        infos = [
            DestinationInfo(
                sink_id=sid,
                display_name=sink.display_name,
                kind=sink.kind,
                is_real_audience=sink.is_real_audience,
                server_url=sink.target().server_url,
                server_editable=sink.server_editable,
                needs_key=sink.needs_key,
                key_set=self._key_set.get(sid, False),
            )
            for sid, sink in self._sinks.items()
        ]
        infos += [
            DestinationInfo(
                sink_id=sid,
                display_name=sid,
                kind=DestinationKind.CUSTOM_RTMP,
                is_real_audience=True,
                available=False,
                unavailable_reason=reason,
            )
            for sid, reason in self._unavailable.items()
        ]
        return tuple(infos)

    def _busy_reason(self) -> str | None:
        phase = self.session.snapshot.stream.phase
        if self._pending is not None:
            return f"the stream to {self.sink(self._pending.sink_id).display_name} is starting"
        if phase is not OutputPhase.STOPPED:
            where = self._active_name()
            return f"the stream is {phase.value}" + (f" on {where}" if where else "")
        return None

    def select(self, sink_id: str) -> None:
        """Choose where the next stream goes. Refused while a stream runs or starts."""
        if sink_id == self._selected:
            return
        sink = self.sink(sink_id)
        busy = self._busy_reason()
        if busy is not None:
            raise DestinationLocked(f"Stop the stream before changing the destination: {busy}.")
        self._selected = sink_id
        self._confirmation = None
        self._preflight = None
        self.settings.destination = sink_id
        self._settings_changed()
        log.info("stream destination: %s", sink.display_name)
        self._publish()

    async def set_server_url(self, sink_id: str, url: str) -> None:
        """A new server URL for a sink whose server is editable (TikTok, Twitch ingest, custom)."""
        sink = self.sink(sink_id)
        if not sink.server_editable:
            raise GoLiveError(f"The server of {sink.display_name} is fixed.")
        url = url.strip()
        problem = rtmp_url_problem(url) if url else None
        if problem is not None:
            raise GoLiveError(f"{sink.display_name}: {problem}")
        key = self.secrets.get(stream_key_name(sink_id))
        if key and key in url:
            # The URL is saved in the settings file: a key pasted into it would end up there.
            raise GoLiveError(
                f"{sink.display_name}: the server URL contains the stream key. Enter the URL without it; "
                "the key goes in the key field."
            )
        await self.set_options(sink_id, {"server_url": url})

    async def set_options(self, sink_id: str, changes: Mapping[str, Any]) -> None:
        """Change a sink's options (validated by its model), rebuild it and save them to the settings."""
        sink = self.sink(sink_id)
        if sink_id in (self._selected, self._active) and self._busy_reason() is not None:
            raise DestinationLocked(f"Stop the stream before changing {sink.display_name}: {self._busy_reason()}.")
        options_model = type(sink.options)
        try:
            options = options_model.model_validate({**sink.options.model_dump(), **changes})
        except ValueError as exc:
            raise GoLiveError(f"{sink.display_name}: invalid options ({exc})") from exc
        factory: SinkFactory = type(sink)  # type: ignore[assignment]  # every sink class is its own factory
        rebuilt = factory(options, sink_id=sink_id)
        await sink.close()
        self._sinks[sink_id] = rebuilt
        self._watch_sink(rebuilt)
        self.settings.sinks = {**self.settings.sinks, sink_id: options.model_dump(mode="json")}
        self._settings_changed()
        self._confirmation = None
        self._publish()

    def set_stream_key(self, sink_id: str, key: str) -> None:
        """Store (or, when empty, forget) a sink's stream key in the keyring. The key is never logged."""
        sink = self.sink(sink_id)
        name = stream_key_name(sink_id)
        key = key.strip()
        if key:
            self.secrets.set(name, key)
        else:
            self.secrets.delete(name)
        self._key_set[sink_id] = bool(key)
        self._confirmation = None
        log.info("stream key for %s %s", sink.display_name, "stored" if key else "removed")
        self._publish()

    def _local_server(self) -> LocalTestServer | None:
        for sink in self._sinks.values():
            if isinstance(sink, LocalTestServerSink):
                return sink.server
        return None

    def set_local_thumbnails(self, enabled: bool) -> None:
        """The local test server's thumbnails on or off (off saves decoding every received frame)."""
        server = self._local_server()
        if server is not None:
            server.set_thumbnails(enabled)

    def set_local_recording(self, path: Path | None) -> None:
        """Record what the local test server receives to ``path`` (remuxed, no re-encoding), or stop."""
        server = self._local_server()
        if server is None:
            raise UnknownDestination("There is no local test server to record from.")
        if path is None:
            server.stop_recording()
        else:
            server.start_recording(path)
        self._publish()

    def _settings_changed(self) -> None:
        if self._on_settings_changed is not None:
            try:
                self._on_settings_changed()
            except Exception:
                log.exception("saving the output settings failed")

    # -- preflight ---------------------------------------------------------------------------------

    async def read_obs_output(self) -> ObsOutputFacts:
        """OBS's output size, frame rate, bitrate and keyframe interval, read over the websocket."""
        requests: list[Request[Any]] = [GetVideoSettings()]
        requests += [GetProfileParameter(category, name) for category, name in _PROFILE_PARAMETERS]
        results = await self.session.call_batch(requests)
        video: VideoSettings = results[0].unwrap()
        params = {
            f"{category}/{name}": (r.value if r.ok else None)
            for (category, name), r in zip(_PROFILE_PARAMETERS, results[1:], strict=True)
        }
        fps = video.fps_numerator / max(1, video.fps_denominator)
        mode = str(params.get("Output/Mode") or "Simple")
        bitrate: int | None = None
        keyframe: float | None = None
        source = "unknown"
        if mode == "Simple":
            try:
                bitrate = int(params.get("SimpleOutput/VBitrate") or 2500)
            except ValueError:
                bitrate = None
            encoder = str(params.get("SimpleOutput/StreamEncoder") or "x264")
            custom = str(params.get("SimpleOutput/x264Settings") or "")
            use_custom = str(params.get("SimpleOutput/UseAdvanced") or "false").lower() == "true"
            match = _KEYINT.search(custom) if use_custom and encoder == "x264" else None
            if match and fps > 0:
                keyframe, source = int(match.group(1)) / fps, "custom x264 options"
            elif encoder == "x264" and fps > 0:
                keyframe, source = X264_DEFAULT_KEYINT_FRAMES / fps, "automatic"
        return ObsOutputFacts(
            width=video.output_width,
            height=video.output_height,
            fps=fps,
            mode=mode,
            bitrate_kbps=bitrate,
            keyframe_interval_s=keyframe,
            keyframe_source=source,
        )

    async def preflight(self, sink_id: str | None = None) -> PreflightResult:
        """Check OBS's output against what the destination expects, plus the last rehearsal's figures."""
        sink = self.sink(sink_id or self._selected)
        checks: list[PreflightCheck] = list(sink.preflight(self.secrets))
        snap = self.session.snapshot
        if not snap.connection.connected:
            checks.append(_check("obs", CheckStatus.FAIL, "OBS is not connected."))
        else:
            if snap.stream.phase is not OutputPhase.STOPPED and self._pending is None:
                checks.append(_check("obs", CheckStatus.WARN, f"OBS is already streaming ({snap.stream.phase.value})."))
            try:
                facts = await self.read_obs_output()
            except ObsError as exc:
                checks.append(_check("obs", CheckStatus.FAIL, f"Could not read OBS's output settings: {exc}"))
            else:
                checks += output_checks(facts, sink.target().profile, sink.display_name, self._last_rehearsal)
        if sink.kind is not DestinationKind.LOCAL_TEST:
            checks.append(rehearsal_check(self._last_rehearsal))
        result = PreflightResult(sink_id=sink.sink_id, destination=sink.display_name, checks=tuple(checks))
        if sink.sink_id == self._selected:
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
                f"The stream to {self.sink(self._pending.sink_id).display_name} is already starting; "
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
        for unsubscribe in self._sink_unsubscribers:
            unsubscribe()
        self._sink_unsubscribers.clear()
        for sink in self._sinks.values():
            try:
                await sink.close()
            except Exception:
                log.exception("closing sink %s failed", sink.sink_id)

    # -- following OBS ---------------------------------------------------------------------------

    def _active_name(self) -> str | None:
        if self._active is not None and self._active in self._sinks:
            return self._sinks[self._active].display_name
        return None

    def _on_snapshot(self, snap: ObsSnapshot) -> None:
        phase, previous = snap.stream.phase, self._last_phase
        self._last_phase = phase
        pending = self._pending
        start_failed = False
        if pending is not None:
            name = self.sink(pending.sink_id).display_name
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
        active = self._sinks.get(self._active) if self._active is not None else None
        status = OutputStatus(
            phase=phase,
            message=self._message,
            selected=self._selected,
            destinations=self.destinations(),
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
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("output status listener failed")


def _check(name: str, status: CheckStatus, sentence: str) -> PreflightCheck:
    return PreflightCheck(name=name, status=status, sentence=sentence)


def _failure_sentence(destination: str, exc: Exception) -> str:
    if isinstance(exc, (GoLiveError, SinkError)):
        return str(exc)
    if isinstance(exc, ObsRequestError):
        return f"OBS refused to start the stream to {destination}: {exc.comment or exc}"
    if isinstance(exc, ObsError):
        return f"Could not start the stream to {destination}: {exc}"
    return f"Could not start the stream to {destination}: {type(exc).__name__}: {exc}"


def _orientation(width: int, height: int) -> Orientation:
    return Orientation.VERTICAL if height > width else Orientation.LANDSCAPE


def output_checks(
    facts: ObsOutputFacts, profile: OutputProfile, destination: str, rehearsal: ReceivedStreamInfo | None
) -> list[PreflightCheck]:
    """Orientation, resolution, frame rate, bitrate and keyframe interval against ``profile``."""
    checks: list[PreflightCheck] = []
    size = f"{facts.width}x{facts.height}"
    orientation = _orientation(facts.width, facts.height)
    if profile.orientation is Orientation.ANY or profile.orientation is orientation:
        checks.append(_check("orientation", CheckStatus.PASS, f"OBS sends a {orientation.value} picture ({size})."))
    else:
        fix = "vertical 9:16" if profile.orientation is Orientation.VERTICAL else "landscape 16:9"
        checks.append(
            _check(
                "orientation",
                CheckStatus.WARN,
                f"OBS sends a {orientation.value} picture ({size}) but {destination} expects "
                f"{profile.orientation.value}: switch the canvas to {fix} in the Scenes panel.",
            )
        )
    if profile.recommended_size is not None:
        want_w, want_h = profile.recommended_size
        if facts.width * facts.height < want_w * want_h:
            checks.append(
                _check(
                    "resolution",
                    CheckStatus.WARN,
                    f"OBS sends {size}; {destination} recommends at least {want_w}x{want_h}.",
                )
            )
        else:
            checks.append(_check("resolution", CheckStatus.PASS, f"Output resolution {size}."))
    else:
        checks.append(_check("resolution", CheckStatus.PASS, f"Output resolution {size}."))
    fps = f"{facts.fps:g} fps"
    if profile.max_fps is not None and facts.fps > profile.max_fps:
        checks.append(
            _check("frame_rate", CheckStatus.FAIL, f"OBS sends {fps}; {destination} takes at most {profile.max_fps:g}.")
        )
    elif profile.min_fps is not None and facts.fps < profile.min_fps:
        checks.append(
            _check(
                "frame_rate",
                CheckStatus.WARN,
                f"OBS sends {fps}; {destination} recommends at least {profile.min_fps:g} fps (Settings > Video).",
            )
        )
    else:
        checks.append(_check("frame_rate", CheckStatus.PASS, f"Frame rate {fps}."))
    checks.append(_bitrate_check(facts, profile, destination, rehearsal))
    checks.append(_keyframe_check(facts, profile, destination, rehearsal))
    return checks


def _bitrate_check(
    facts: ObsOutputFacts, profile: OutputProfile, destination: str, rehearsal: ReceivedStreamInfo | None
) -> PreflightCheck:
    measured = ""
    if rehearsal is not None and rehearsal.video_bitrate_kbps:
        measured = f" (last rehearsal measured {rehearsal.video_bitrate_kbps:.0f} kbps)"
    if facts.bitrate_kbps is None:
        status = CheckStatus.WARN if profile.max_bitrate_kbps or profile.min_bitrate_kbps else CheckStatus.PASS
        return _check(
            "bitrate",
            status,
            f"OBS's output mode is {facts.mode}: check the video bitrate in Settings > Output{measured}.",
        )
    rate = f"{facts.bitrate_kbps} kbps"
    if profile.max_bitrate_kbps is not None and facts.bitrate_kbps > profile.max_bitrate_kbps:
        return _check(
            "bitrate",
            CheckStatus.FAIL,
            f"Video bitrate {rate}; {destination} takes at most {profile.max_bitrate_kbps} kbps "
            f"(Settings > Output){measured}.",
        )
    if profile.min_bitrate_kbps is not None and facts.bitrate_kbps < profile.min_bitrate_kbps:
        return _check(
            "bitrate",
            CheckStatus.WARN,
            f"Video bitrate {rate}; {destination} recommends at least {profile.min_bitrate_kbps} kbps "
            f"(Settings > Output){measured}.",
        )
    return _check("bitrate", CheckStatus.PASS, f"Video bitrate {rate}{measured}.")


def _keyframe_check(
    facts: ObsOutputFacts, profile: OutputProfile, destination: str, rehearsal: ReceivedStreamInfo | None
) -> PreflightCheck:
    interval = facts.keyframe_interval_s
    origin = f"OBS's setting ({facts.keyframe_source})"
    # A rehearsal at the same frame rate measured what OBS really sends: that beats any estimate.
    if rehearsal is not None and rehearsal.fps and abs(rehearsal.fps - facts.fps) < 1:
        if rehearsal.keyframe_interval_s is not None:
            interval, origin = rehearsal.keyframe_interval_s, "measured in the last rehearsal"
        elif rehearsal.seconds_since_keyframe > (interval or 0.0):
            # Only one keyframe arrived: the interval is at least the time waited for the next.
            interval = rehearsal.seconds_since_keyframe
            origin = "or more: the last rehearsal saw no second keyframe"
    limit = profile.max_keyframe_interval_s
    advice = (
        "set the keyframe interval to "
        f"{profile.recommended_keyframe_interval_s or 2:g} s (OBS Settings > Output, Advanced mode, "
        "or keyint in the x264 options of Simple mode)."
    )
    if interval is None:
        status = CheckStatus.WARN if limit is not None else CheckStatus.PASS
        return _check("keyframe_interval", status, f"Keyframe interval unknown ({facts.mode} output mode): {advice}")
    text = f"Keyframes every {interval:.1f} s, {origin}"
    if limit is not None and interval > limit + 0.05:
        return _check(
            "keyframe_interval", CheckStatus.FAIL, f"{text}; {destination} needs at most {limit:g} s: {advice}"
        )
    return _check("keyframe_interval", CheckStatus.PASS, f"{text}.")


def rehearsal_check(rehearsal: ReceivedStreamInfo | None) -> PreflightCheck:
    if rehearsal is None:
        return _check(
            "rehearsal",
            CheckStatus.WARN,
            "No rehearsal yet: stream to the local test server first to see what OBS really sends.",
        )
    parts = [
        f"{rehearsal.video_codec or '?'} {rehearsal.width or '?'}x{rehearsal.height or '?'}",
        f"{rehearsal.fps:g} fps" if rehearsal.fps else "? fps",
    ]
    if rehearsal.video_bitrate_kbps:
        parts.append(f"{rehearsal.video_bitrate_kbps:.0f} kbps")
    if rehearsal.audio_codec:
        parts.append(f"{rehearsal.audio_codec} {rehearsal.audio_sample_rate or '?'} Hz")
    return _check("rehearsal", CheckStatus.PASS, "Last rehearsal received " + ", ".join(parts) + ".")
