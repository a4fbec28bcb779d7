"""Keeps a connection to OBS alive for a whole show: connect, full resync, live state mirror, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, overload

from studio_console.domain.obs_state import (
    AudioInput,
    ConnectionStatus,
    ObsSnapshot,
)
from studio_console.kernel.backoff import Backoff
from studio_console.kernel.listeners import Listeners
from studio_console.obs import translate
from studio_console.obs.client import BatchResult, ObsClient
from studio_console.obs.errors import (
    ObsAuthFailed,
    ObsConnectionLost,
    ObsError,
    ObsNotAnswering,
    ObsNotConnected,
    ObsNotRunning,
    ObsTimeout,
    ObsUnsupportedVersion,
)
from studio_console.obs.events import ObsEvent, translate_event
from studio_console.obs.protocol import NO_RETRY_CLOSE_CODES, BatchExecution, CloseCode, Subscription
from studio_console.obs.requests import Outcome, Request

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
SnapshotListener = Callable[[ObsSnapshot], None]
EventListener = Callable[[str, JsonDict], None]
TypedEventListener = Callable[[ObsEvent], None]
R = TypeVar("R")
A = TypeVar("A")
B = TypeVar("B")
# Called when nothing answers on the port; returns True when it started OBS (demo mode).
NotRunningHook = Callable[[], Awaitable[bool]]

# The reason the liveness check gives when it drops a connection to an OBS that stopped answering.
NOT_ANSWERING_REASON = "OBS is not answering"


class ObsSession:
    """The app's one link to OBS. Listeners are called on the asyncio loop.

    Requests made while disconnected fail at once with ObsNotConnected: nothing is queued, so a
    reconnect never replays stale actions.
    """

    def __init__(
        self,
        host: str,
        port: int,
        password: str | None,
        *,
        request_timeout: float = 5.0,
        backoff: Backoff | None = None,
        on_not_running: NotRunningHook | None = None,
        stats_interval_s: float = 1.0,
        connect_timeout: float = 3.0,
        liveness_interval_s: float = 0.5,
        liveness_timeout_s: float = 0.6,
    ) -> None:
        self.host = host
        self.port = port
        self._password = password
        self.request_timeout = request_timeout
        self.backoff = backoff or Backoff()
        self.on_not_running = on_not_running
        self.stats_interval_s = stats_interval_s
        self.connect_timeout = connect_timeout
        # Two probes in a row must go unanswered: worst case interval + 2 x timeout (1.7 s) from the
        # moment OBS stops answering, and one long stall of the app's own loop is not mistaken for it.
        self.liveness_interval_s = liveness_interval_s
        self.liveness_timeout_s = liveness_timeout_s
        self._not_answering = False
        self.snapshot = ObsSnapshot()
        self._listeners: Listeners[[ObsSnapshot]] = Listeners("listeners")
        self._typed_listeners: Listeners[[ObsEvent]] = Listeners("typed")
        self._client: ObsClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._meters = False
        self._resyncing: list[tuple[str, JsonDict]] | None = None
        self._side_tasks: set[asyncio.Task[Any]] = set()

    # -- observers ---------------------------------------------------------------------------------

    def subscribe(self, listener: SnapshotListener) -> Callable[[], None]:
        """Call ``listener(snapshot)`` on every change; returns a function that unsubscribes."""
        return self._listeners.add(listener)

    def subscribe_obs_events(self, listener: TypedEventListener) -> Callable[[], None]:
        """Call ``listener(event)`` with each typed event (obs/events.py); returns a function that unsubscribes."""
        return self._typed_listeners.add(listener)

    def _publish(self, snapshot: ObsSnapshot) -> None:
        if snapshot == self.snapshot:
            return
        self.snapshot = snapshot
        self._listeners.notify(snapshot)

    def _set_connection(self, status: ConnectionStatus, message: str, **extra: Any) -> None:
        previous = self.snapshot.connection
        if status is not previous.status or message != previous.message:
            log.info("OBS connection %s: %s", status.value, message)
        conn = self.snapshot.connection.model_copy(update={"status": status, "message": message, **extra})
        update: dict[str, Any] = {"connection": conn}
        if status is not ConnectionStatus.CONNECTED:
            update["stats"] = None
        self._publish(self.snapshot.model_copy(update=update))

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="obs-session")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._drop_client()
        self._set_connection(ConnectionStatus.STOPPED, "OBS not connected")

    def set_password(self, password: str | None) -> None:
        """New password (the operator typed it): try again at once."""
        self._password = password
        self.retry_now()

    def set_address(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.retry_now()

    def retry_now(self) -> None:
        """Try to connect again at once (the Reconnect action); restarts the loop if it ever ended."""
        self._wake.set()
        task = self._task
        if task is not None and task.done() and not self._stopping:
            if not task.cancelled() and task.exception() is not None:
                log.error("the OBS connection loop had ended: %r", task.exception())
            self._task = None
            self.start()

    async def _sleep_or_wake(self, seconds: float | None) -> None:
        # The wake flag is cleared when an attempt starts, so a Reconnect pressed while an attempt
        # was under way is not lost: the sleep after it returns at once.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _set_not_answering(self, detail: str, attempts: int) -> None:
        self._not_answering = True
        self._set_connection(
            ConnectionStatus.NOT_ANSWERING,
            f"{NOT_ANSWERING_REASON} at {self.host}:{self.port} ({detail}); reconnecting when it answers",
            attempts=attempts,
        )

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            self._wake.clear()
            where = f"{self.host}:{self.port}"
            if not self._not_answering:  # keep "not answering" on screen while it is retried
                status = ConnectionStatus.RECONNECTING if attempt else ConnectionStatus.CONNECTING
                self._set_connection(status, f"Connecting to OBS at {where}…", attempts=attempt)
            try:
                closed = await self._connect_once()
            except ObsNotRunning as exc:
                self._not_answering = False
                if self.on_not_running is not None and await self._launch():
                    continue
                attempt += 1
                self._set_connection(ConnectionStatus.DISCONNECTED, f"OBS not connected: {exc}", attempts=attempt)
                await self._sleep_or_wake(self.backoff.delay(attempt))
                continue
            except (ObsAuthFailed, ObsUnsupportedVersion) as exc:
                self._not_answering = False
                failed = (
                    ConnectionStatus.AUTH_FAILED if isinstance(exc, ObsAuthFailed) else ConnectionStatus.UNSUPPORTED
                )
                hint = (
                    " Enter the password from OBS (Tools > WebSocket Server Settings)."
                    if failed is ConnectionStatus.AUTH_FAILED
                    else ""
                )
                self._set_connection(failed, f"{exc}.{hint}")
                log.warning("OBS connection needs the operator: %s", exc)
                await self._sleep_or_wake(None)  # no retry loop until the operator acts
                attempt = 0
                continue
            except ObsNotAnswering as exc:
                attempt += 1
                log.warning("%s", exc)
                self._set_not_answering("it accepts connections but sends nothing", attempt)
                await self._sleep_or_wake(self.backoff.delay(attempt))
                continue
            except ObsError as exc:  # ObsConnectError and anything else the OBS layer raised
                self._not_answering = False
                attempt += 1
                log.warning("connecting to OBS failed: %s", exc)
                self._set_connection(ConnectionStatus.DISCONNECTED, f"OBS not connected: {exc}", attempts=attempt)
                await self._sleep_or_wake(self.backoff.delay(attempt))
                continue
            except Exception as exc:
                # A malformed answer (KeyError, ValueError...) or a socket error nobody wrapped: the
                # loop must survive it, or the status would freeze and Reconnect would do nothing.
                self._not_answering = False
                attempt += 1
                log.exception("connecting to OBS failed unexpectedly")
                self._set_connection(
                    ConnectionStatus.DISCONNECTED,
                    f"OBS not connected: its answer could not be used ({type(exc).__name__}: {exc}); retrying",
                    attempts=attempt,
                )
                await self._sleep_or_wake(self.backoff.delay(attempt))
                continue
            attempt = 0
            self._not_answering = False
            code, reason = await closed
            await self._drop_client(NOT_ANSWERING_REASON if reason == NOT_ANSWERING_REASON else None)
            if self._stopping:
                break
            attempt = 1
            if reason == NOT_ANSWERING_REASON and code is None:
                log.warning("OBS stopped answering; dropped the connection and reconnecting")
                self._set_not_answering("no answer to two probes in a row", attempt)
            elif code in NO_RETRY_CLOSE_CODES:
                self._set_connection(
                    ConnectionStatus.UNSUPPORTED
                    if code != CloseCode.AUTHENTICATION_FAILED
                    else ConnectionStatus.AUTH_FAILED,
                    f"OBS ended the session (code {code}: {reason}); reconnect from the OBS menu",
                )
                await self._sleep_or_wake(None)
                continue
            elif code == CloseCode.SESSION_INVALIDATED:
                log.warning("OBS ended this session (code 4011 %s); reconnecting", reason)
                self._set_connection(
                    ConnectionStatus.DISCONNECTED,
                    "OBS ended this session (code 4011: another client or OBS closed it); reconnecting…",
                    attempts=attempt,
                )
            else:
                log.warning("lost the connection to OBS (code %s %s); reconnecting", code, reason)
                self._set_connection(ConnectionStatus.DISCONNECTED, "OBS disconnected: reconnecting…", attempts=attempt)
            await self._sleep_or_wake(self.backoff.delay(attempt))

    async def _launch(self) -> bool:
        assert self.on_not_running is not None
        self._set_connection(ConnectionStatus.CONNECTING, "Starting OBS…")
        try:
            return await self.on_not_running()
        except Exception as exc:
            log.error("could not start OBS: %s", exc)
            self._set_connection(ConnectionStatus.DISCONNECTED, f"Could not start OBS: {exc}")
            await self._sleep_or_wake(self.backoff.cap_s)
            return False

    async def _connect_once(self) -> asyncio.Future[tuple[int | None, str]]:
        loop = asyncio.get_running_loop()
        closed: asyncio.Future[tuple[int | None, str]] = loop.create_future()
        subscriptions = Subscription.ALL | (Subscription.INPUT_VOLUME_METERS if self._meters else 0)
        client = ObsClient(
            self.host,
            self.port,
            self._password,
            subscriptions=subscriptions,
            request_timeout=self.request_timeout,
            connect_timeout=self.connect_timeout,
        )
        client.on_event = self._on_event

        def on_closed(code: int | None, reason: str) -> None:
            if not closed.done():
                closed.set_result((code, reason))

        client.on_closed = on_closed
        info = await client.connect()
        self._client = client
        try:
            await self.resync()
            version = await client.request("GetVersion")
        except BaseException:
            await self._drop_client()
            raise
        self._set_connection(
            ConnectionStatus.CONNECTED,
            f"Connected to OBS {version.get('obsVersion', '?')} at {self.host}:{self.port}",
            obs_version=version.get("obsVersion"),
            websocket_version=info.get("obsWebSocketVersion"),
            attempts=0,
        )
        log.info("connected to OBS %s (obs-websocket %s)", version.get("obsVersion"), info.get("obsWebSocketVersion"))
        self._spawn(self._poll_stats(client), "obs-stats")
        self._spawn(self._watch_liveness(client, closed), "obs-liveness")
        return closed

    async def _watch_liveness(self, client: ObsClient, closed: asyncio.Future[tuple[int | None, str]]) -> None:
        """Probe OBS twice a second; two unanswered probes in a row end the connection as not answering.

        The stats poll cannot tell: its requests wait the full request timeout (5 s) and a failed
        poll only leaves the last figures on screen.
        """
        missed = 0
        while client.connected and not closed.done():
            started = time.monotonic()
            try:
                await client.probe(self.liveness_timeout_s)
            except ObsTimeout:
                missed += 1
                log.info(
                    "OBS did not answer a liveness probe within %.1f s (%d in a row)", self.liveness_timeout_s, missed
                )
                if missed >= 2:
                    if not closed.done():
                        closed.set_result((None, NOT_ANSWERING_REASON))
                    return
                continue  # probe again at once
            except (ObsConnectionLost, ObsNotConnected):
                return
            missed = 0
            await asyncio.sleep(max(0.0, self.liveness_interval_s - (time.monotonic() - started)))

    async def _drop_client(self, why: str | None = None) -> None:
        for task in list(self._side_tasks):
            task.cancel()
        for task in list(self._side_tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        client, self._client = self._client, None
        if client is not None:
            await client.close(why or "connection closed by the app")

    def _spawn(self, coro: Awaitable[Any], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    # -- state mirror ------------------------------------------------------------------------------

    async def resync(self) -> None:
        """Read everything the app mirrors from OBS in one batch and replace the snapshot."""
        self._resyncing = []
        try:
            results = await self._batch(translate.RESYNC_REQUESTS)
            by_type = {r.request_type: r.raise_for_status() for r in results}
            scenes = by_type["GetSceneList"]
            transitions = by_type["GetSceneTransitionList"]
            audio = await self._read_audio(by_type["GetInputList"], by_type["GetSpecialInputs"])
            stream, record = by_type["GetStreamStatus"], by_type["GetRecordStatus"]
            snap = self.snapshot.model_copy(
                update={
                    "scenes": translate.scene_names(scenes.get("scenes")),
                    "program_scene": scenes.get("currentProgramSceneName"),
                    "preview_scene": scenes.get("currentPreviewSceneName"),
                    "studio_mode": bool(by_type["GetStudioModeEnabled"].get("studioModeEnabled")),
                    "transitions": tuple(t["transitionName"] for t in transitions.get("transitions", [])),
                    "transition": transitions.get("currentSceneTransitionName"),
                    "transition_duration_ms": _current_duration(by_type["GetCurrentSceneTransition"]),
                    "audio_inputs": audio,
                    "stream": translate.output_state(
                        bool(stream.get("outputActive")), self.snapshot.stream, bool(stream.get("outputReconnecting"))
                    ),
                    "record": translate.output_state(bool(record.get("outputActive")), self.snapshot.record),
                    "video": translate.video_settings(by_type["GetVideoSettings"]),
                }
            )
            buffered, self._resyncing = self._resyncing, None
            # Events that crossed the resync are replayed on top: each sets state, so order is enough.
            for event_type, data in buffered:
                snap = translate.apply_event(snap, event_type, data) or snap
            self._publish(snap)
        finally:
            self._resyncing = None

    async def _read_audio(self, input_list: JsonDict, special: JsonDict) -> tuple[AudioInput, ...]:
        names = translate.audio_input_names(input_list, special)
        if not names:
            return ()
        calls: list[tuple[str, JsonDict | None]] = []
        for name, _kind in names:
            calls += [("GetInputMute", {"inputName": name}), ("GetInputVolume", {"inputName": name})]
        results = await self._batch(calls)
        audio = []
        for i, (name, kind) in enumerate(names):
            mute, volume = results[2 * i], results[2 * i + 1]
            if not (mute.ok and volume.ok):
                continue
            audio.append(
                AudioInput(
                    name=name,
                    kind=kind,
                    muted=bool(mute.data.get("inputMuted")),
                    volume_mul=float(volume.data.get("inputVolumeMul", 1.0)),
                    volume_db=float(volume.data.get("inputVolumeDb", 0.0)),
                )
            )
        return tuple(audio)

    async def _refresh_audio(self) -> None:
        try:
            results = await self._batch([("GetInputList", None), ("GetSpecialInputs", None)])
            audio = await self._read_audio(results[0].raise_for_status(), results[1].raise_for_status())
        except ObsError as exc:
            log.debug("audio list refresh failed: %s", exc)
            return
        self._publish(self.snapshot.model_copy(update={"audio_inputs": audio}))

    async def _refresh_transition(self) -> None:
        try:
            current = await self._request("GetCurrentSceneTransition")
        except ObsError as exc:
            log.debug("transition refresh failed: %s", exc)
            return
        self._publish(self.snapshot.model_copy(update={"transition_duration_ms": _current_duration(current)}))

    async def refresh_video(self) -> None:
        data = await self._request("GetVideoSettings")
        self._publish(self.snapshot.model_copy(update={"video": translate.video_settings(data)}))

    def _on_event(self, event_type: str, data: JsonDict) -> None:
        if self._resyncing is not None:
            self._resyncing.append((event_type, data))
        else:
            updated = translate.apply_event(self.snapshot, event_type, data)
            if updated is not None:
                self._publish(updated)
            if event_type in translate.AUDIO_LIST_EVENTS:
                self._spawn(self._refresh_audio(), "obs-audio-refresh")
            elif event_type == "CurrentSceneTransitionChanged":
                self._spawn(self._refresh_transition(), "obs-transition-refresh")
        if self._typed_listeners:
            self._publish_typed(event_type, data)

    def _publish_typed(self, event_type: str, data: JsonDict) -> None:
        try:
            event = translate_event(event_type, data)
        except (TypeError, ValueError) as exc:
            log.warning("ignored a malformed %s event from OBS: %s", event_type, exc)
            return
        if event is None:
            return
        self._typed_listeners.notify(event)

    async def _poll_stats(self, client: ObsClient) -> None:
        """GetStats and output status once a second; the next poll waits for the previous answer."""
        calls: list[tuple[str, JsonDict | None]] = [
            ("GetStats", None),
            ("GetStreamStatus", None),
            ("GetRecordStatus", None),
        ]
        while client.connected:
            started = time.monotonic()
            try:
                results = await client.batch(calls)
                stats, stream, record = (r.raise_for_status() for r in results)
            except ObsError as exc:
                log.debug("stats poll failed: %s", exc)
            else:
                self._publish(self.snapshot.model_copy(update={"stats": translate.stats(stats, stream, record)}))
            await asyncio.sleep(max(0.05, self.stats_interval_s - (time.monotonic() - started)))

    # -- requests ----------------------------------------------------------------------------------

    def _require_client(self) -> ObsClient:
        client = self._client
        if client is None or not client.connected:
            raise ObsNotConnected("OBS is not connected")
        return client

    async def call(self, request: Request[R], *, timeout: float | None = None) -> R:
        """Send one request; returns its typed answer, raises ObsRequestError with OBS's status."""
        return request.parse(await self._require_client().request(request.request_type, request.data(), timeout))

    @overload
    async def call_batch(
        self,
        requests: tuple[Request[A], Request[B]],
        *,
        execution: BatchExecution = ...,
        halt_on_failure: bool = ...,
        timeout: float | None = ...,
    ) -> tuple[Outcome[A], Outcome[B]]: ...

    @overload
    async def call_batch(
        self,
        requests: Sequence[Request[R]],
        *,
        execution: BatchExecution = ...,
        halt_on_failure: bool = ...,
        timeout: float | None = ...,
    ) -> tuple[Outcome[R], ...]: ...

    async def call_batch(
        self,
        requests: Sequence[Request[Any]],
        *,
        execution: BatchExecution = BatchExecution.SERIAL_REALTIME,
        halt_on_failure: bool = False,
        timeout: float | None = None,
    ) -> tuple[Outcome[Any], ...]:
        """Several requests OBS executes in order as one message; one outcome per request sent.

        With ``halt_on_failure`` OBS stops at the first failure and the outcomes end there.
        ``SERIAL_FRAME`` applies the whole batch inside one video frame.
        """
        results = await self._batch(
            [(r.request_type, r.data()) for r in requests],
            execution=execution,
            halt_on_failure=halt_on_failure,
            timeout=timeout,
        )
        return tuple(
            Outcome(request, True, result.code, None, request.parse(result.data))
            if result.ok
            else Outcome(request, False, result.code, result.comment)
            for request, result in zip(requests, results, strict=False)
        )

    async def call_all(self, requests: Sequence[Request[R]], concurrency: int = 16) -> list[R | ObsError]:
        """Many independent requests, ``concurrency`` at a time, answers (or errors) in request order.

        A fixed pool of workers instead of one task per request keeps the UI loop responsive:
        gathering 1,000 tasks at once stalls a qasync loop for tens of milliseconds by itself.
        """
        results: list[R | ObsError] = [ObsNotConnected("not sent")] * len(requests)
        queue = iter(enumerate(requests))

        async def worker() -> None:
            for index, request in queue:
                try:
                    results[index] = await self.call(request)
                except ObsError as exc:
                    results[index] = exc

        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(requests))))))
        return results

    # Raw obs-websocket requests: only the OBS layer itself names request types.

    async def _request(self, request_type: str, data: JsonDict | None = None, timeout: float | None = None) -> JsonDict:
        return await self._require_client().request(request_type, data, timeout)

    async def _batch(
        self,
        requests: Sequence[tuple[str, JsonDict | None]],
        *,
        execution: BatchExecution = BatchExecution.SERIAL_REALTIME,
        halt_on_failure: bool = False,
        timeout: float | None = None,
    ) -> list[BatchResult]:
        return await self._require_client().batch(
            requests, execution=execution, halt_on_failure=halt_on_failure, timeout=timeout
        )

    async def set_meters(self, enabled: bool) -> None:
        """Turn the high-volume InputVolumeMeters events on or off (they cost OBS and us CPU)."""
        self._meters = enabled
        client = self._client
        if client is not None and client.connected:
            mask = Subscription.ALL | (Subscription.INPUT_VOLUME_METERS if enabled else 0)
            await client.reidentify(mask)


def _current_duration(transition: JsonDict) -> int | None:
    """Duration of the current transition; None for fixed ones such as Cut."""
    if transition.get("transitionFixed"):
        return None
    value = transition.get("transitionDuration")
    return int(value) if value is not None else None
