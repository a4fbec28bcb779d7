"""The relay: forwards the packets the local test server receives to every destination turned on (no re-encode)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from studio_console.adapters.sinks.local_test_server.publish_io import (
    CertificateRefused,
    PublishConnection,
    PublishUnavailable,
)
from studio_console.domain.stream import RelayDestinationStatus, RelayState, RelayTarget
from studio_console.kernel.backoff import Backoff
from studio_console.kernel.listeners import add_listener
from studio_console.logs import secrets as secret_registry

if TYPE_CHECKING:
    from av.container import OutputContainer
    from av.packet import Packet
    from av.stream import Stream

log = logging.getLogger(__name__)

# Packets an output may fall behind before the receiver drops for it (~4 s of 30 fps video + audio).
QUEUE_PACKETS = 300
# A destination that will not come back is retried this slowly at most.
RELAY_BACKOFF = Backoff(first_s=0.5, factor=2.0, cap_s=8.0, jitter=0.2)
_STATUS_INTERVAL_S = 1.0
# FLV's time base: what the outputs write and what the rebasing counts in.
_MS = Fraction(1, 1000)
# Errors no retry can mend (a protocol this FFmpeg lacks, a malformed URL): the destination fails.
_PERMANENT = ("Protocol not found", "Invalid argument", "No such file")

StatusListener = Callable[[RelayDestinationStatus], None]


@dataclass(frozen=True)
class RelayedPacket:
    """An immutable copy of one received packet, shared by every output's queue (each builds its own av.Packet)."""

    session: int
    is_video: bool
    data: bytes
    pts: int | None
    dts: int | None
    time_base: Fraction
    is_keyframe: bool


class RelaySession:
    """One publish from OBS: the input streams outputs copy their codec headers from, while it lasts.

    The receiving thread closes its container when the publisher goes; ``lock`` keeps an output from
    copying a template at that moment, and ``closed`` tells it to wait for the next session.
    """

    def __init__(self, number: int, streams: Sequence[Stream]) -> None:
        self.number = number
        self.streams = list(streams)
        self.lock = threading.Lock()
        self.closed = False
        self.fingerprint = _fingerprint(streams)


def _fingerprint(streams: Sequence[Stream]) -> tuple[object, ...]:
    """What must match for an open output to carry on across an OBS reconnect (same codec headers)."""
    parts: list[object] = []
    for stream in streams:
        ctx = stream.codec_context
        extradata = bytes(ctx.extradata) if ctx.extradata else b""
        parts.append(
            (
                stream.type,
                ctx.name,
                getattr(ctx, "width", 0),
                getattr(ctx, "height", 0),
                getattr(ctx, "sample_rate", 0),
                extradata,
            )
        )
    return tuple(parts)


class _Output:
    """One destination: its own thread, bounded queue and FLV connection; it never blocks anyone else."""

    def __init__(self, relay: Relay, target: RelayTarget, generation: int) -> None:
        self.relay = relay
        self.target = target
        self.generation = generation
        self.queue: queue.Queue[RelayedPacket | None] = queue.Queue(maxsize=QUEUE_PACKETS)
        self.stop_event = threading.Event()
        # Written by the output thread, read by the receiver: only enqueue while connected.
        self.accepting = False
        # Written by the receiver after a drop: the next packet sent must be a video keyframe.
        self.resync = True
        self.dropped = 0
        self.thread = threading.Thread(target=self._run, name=f"relay-{target.destination_id}", daemon=True)

    # -- the receiver's side (never blocks) -------------------------------------------------------

    def offer(self, packet: RelayedPacket) -> None:
        if not self.accepting:
            return
        if self.resync:
            if not (packet.is_video and packet.is_keyframe):
                return
            self.resync = False
        try:
            self.queue.put_nowait(packet)
        except queue.Full:
            self.dropped += 1
            self.resync = True  # a hole in the stream: start again from a keyframe

    # -- the output thread ----------------------------------------------------------------------------

    def _post(self, status: RelayDestinationStatus) -> None:
        self.relay._post(self.target.destination_id, self.generation, status)

    def _status(self, state: RelayState, **fields: Any) -> RelayDestinationStatus:
        return RelayDestinationStatus(
            destination_id=self.target.destination_id,
            display_name=self.target.display_name,
            state=state,
            packets_dropped=self.dropped,
            **fields,
        )

    def _run(self) -> None:
        import av

        attempt = 0
        connections = 0
        sent = 0
        last_error: str | None = None
        # Output timestamps keep increasing across reconnects of either side.
        self.last_out_ms = -1
        self._post(self._status(RelayState.PREPARING))
        while not self.stop_event.is_set():
            session = self.relay.wait_for_session(self.stop_event)
            if session is None:
                break
            try:
                container, streams = self._open(av, session)
            except Exception as exc:
                last_error = _describe(exc)
                if _is_permanent(exc, last_error):
                    log.warning("relay to %s failed for good: %s", self.target.display_name, last_error)
                    self._post(
                        self._status(
                            RelayState.FAILED,
                            last_error=last_error,
                            attempt=attempt,
                            reconnects=max(0, connections - 1),
                            packets_sent=sent,
                        )
                    )
                    return
                attempt += 1
                if not self._wait_retry(attempt, last_error, connections, sent):
                    break
                continue
            connections += 1
            attempt = 0
            try:
                sent = self._pump(session, container, streams, connections, sent)
                last_error = None
            except Exception as exc:
                last_error = _describe(exc)
                log.info("relay to %s lost: %s", self.target.display_name, last_error)
                if _is_permanent(exc, last_error):
                    self.accepting = False
                    _close(container, self.connection)
                    self._post(
                        self._status(
                            RelayState.FAILED,
                            last_error=last_error,
                            reconnects=max(0, connections - 1),
                            packets_sent=sent,
                        )
                    )
                    return
            finally:
                self.accepting = False
                _close(container, self.connection)
            if self.stop_event.is_set():
                break
            if last_error is not None:
                attempt += 1
                if not self._wait_retry(attempt, last_error, connections, sent):
                    break
        self.accepting = False
        self._post(self._status(RelayState.STOPPED, reconnects=max(0, connections - 1), packets_sent=sent))

    def _wait_retry(self, attempt: int, error: str, connections: int, sent: int) -> bool:
        delay = RELAY_BACKOFF.delay(attempt)
        self._post(
            self._status(
                RelayState.RETRYING,
                attempt=attempt,
                next_retry_at=time.time() + delay,
                last_error=error,
                reconnects=max(0, connections - 1),
                packets_sent=sent,
            )
        )
        return not self.stop_event.wait(delay)

    def _open(self, av: Any, session: RelaySession) -> tuple[OutputContainer, dict[bool, Stream]]:
        # A live connection cannot seek back to patch duration and size into the header;
        # every packet leaves as soon as it is muxed.
        flv_options = {"flvflags": "no_duration_filesize", "flush_packets": "1"}
        # FFmpeg's own rtmp/rtmps, opened outside PyAV so TLS is verified and the GIL is free (publish_io.py).
        opened = PublishConnection(self.target.url, ca_file=self.target.ca_file, stop_event=self.stop_event)
        connection: PublishConnection | None = opened
        try:
            opened.open()
        except PublishUnavailable:
            if not self.target.url.lower().startswith("rtmp://"):
                raise  # RTMPS is never streamed unverified
            # Plain RTMP has nothing to verify: PyAV's own way still works (it holds the GIL while connecting).
            log.warning("relay to %s: publishing through PyAV directly", self.target.display_name)
            connection = None
        try:
            container: OutputContainer = av.open(
                connection if connection is not None else self.target.url, "w", format="flv", options=flv_options
            )
        except BaseException:
            if connection is not None:
                connection.close()
            raise
        self.connection = connection
        try:
            with session.lock:
                if session.closed:
                    raise ConnectionError("OBS's stream ended while connecting")
                streams = {s.type == "video": container.add_stream_from_template(s) for s in session.streams}
            # The FLV header goes out now: a destination that drops the publish at once is a retry, not live.
            container.start_encoding()
            self.session_fingerprint = session.fingerprint
            self.session_number = session.number
        except BaseException:
            _close(container, connection)
            raise
        return container, streams

    def _pump(
        self,
        session: RelaySession,
        container: OutputContainer,
        streams: dict[bool, Stream],
        connections: int,
        sent: int,
    ) -> int:
        import av

        # Drain what queued for an earlier connection: this one starts at a fresh keyframe.
        with contextlib.suppress(queue.Empty):
            while True:
                self.queue.get_nowait()
        self.resync = True
        self.accepting = True
        offset: int | None = None
        last_dts: dict[bool, int] = {}
        live_since: float | None = None
        window_bytes = 0
        window_start = time.monotonic()
        self._post(self._status(RelayState.PREPARING, reconnects=max(0, connections - 1), packets_sent=sent))
        while not self.stop_event.is_set():
            try:
                item = self.queue.get(timeout=0.5)
            except queue.Empty:
                if self.relay.current_session_number() != self.session_number and self.relay.session_is_incompatible(
                    self.session_fingerprint
                ):
                    raise ConnectionError("OBS came back with other codec settings: reconnecting") from None
                continue
            if item is None:
                break
            if item.session != self.session_number:
                # OBS reconnected: same codec headers carry on in this connection, rebased after what was sent.
                if self.relay.session_is_incompatible(self.session_fingerprint):
                    raise ConnectionError("OBS came back with other codec settings: reconnecting")
                self.session_number = item.session
                offset = None
            if item.dts is None:
                continue
            dts_ms = int(item.dts * item.time_base / _MS)
            pts_ms = int(item.pts * item.time_base / _MS) if item.pts is not None else dts_ms
            if offset is None:
                if not (item.is_video and item.is_keyframe):
                    continue
                # A rejoin starts near 0; an OBS reconnect continues one frame after the last packet.
                offset = (self.last_out_ms + 1 if self.last_out_ms >= 0 else 0) - dts_ms
            out_dts = dts_ms + offset
            if out_dts < 0 or out_dts <= last_dts.get(item.is_video, -1):
                continue  # FLV needs increasing timestamps per stream
            last_dts[item.is_video] = out_dts
            target = streams.get(item.is_video)
            if target is None:
                continue
            packet: Packet[Any] = av.Packet(item.data)
            packet.stream = target
            packet.time_base = _MS
            packet.dts = out_dts
            packet.pts = max(out_dts, pts_ms + offset)
            packet.is_keyframe = item.is_keyframe
            container.mux(packet)
            self.last_out_ms = max(self.last_out_ms, out_dts)
            sent += 1
            window_bytes += len(item.data)
            now = time.monotonic()
            if live_since is None:
                live_since = now
            if now - window_start >= _STATUS_INTERVAL_S:
                kbps = window_bytes * 8 / 1000 / (now - window_start)
                window_bytes, window_start = 0, now
                self._post(
                    self._status(
                        RelayState.LIVE,
                        bitrate_kbps=round(kbps, 1),
                        packets_sent=sent,
                        reconnects=max(0, connections - 1),
                        live_s=round(now - live_since, 1),
                    )
                )
            elif sent == 1:
                self._post(self._status(RelayState.LIVE, packets_sent=sent, reconnects=max(0, connections - 1)))
        return sent


def _close(container: OutputContainer, connection: PublishConnection | None) -> None:
    """The trailer first (it writes through the connection), then the publish itself."""
    if connection is not None:
        connection.finish()
    with contextlib.suppress(Exception):
        container.close()
    if connection is not None:
        with contextlib.suppress(Exception):
            connection.close()


def _is_permanent(exc: BaseException, described: str) -> bool:
    import av

    if isinstance(exc, PublishUnavailable | CertificateRefused | av.error.ProtocolNotFoundError):
        return True
    return any(marker in described for marker in _PERMANENT)


def _describe(exc: BaseException) -> str:
    """The error in one sentence, without the URL (it carries the stream key)."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return secret_registry.redact(str(text))


class Relay:
    """Forwards one received stream to many destinations; each output lives and fails on its own.

    The receiving thread calls ``begin_session``/``feed``/``end_session``; the app (loop thread) calls
    ``start``/``stop`` and reads ``statuses``. Output threads only post to the loop; posts from an
    output that has since been stopped or restarted are dropped.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outputs: dict[str, _Output] = {}
        self._generations: dict[str, int] = {}
        self._statuses: dict[str, RelayDestinationStatus] = {}
        self._listeners: list[StatusListener] = []
        self._session_cond = threading.Condition()
        self._session: RelaySession | None = None
        self._session_number = 0

    # -- the app's side (loop thread) ---------------------------------------------------------------

    @property
    def statuses(self) -> tuple[RelayDestinationStatus, ...]:
        return tuple(self._statuses.values())

    def status(self, destination_id: str) -> RelayDestinationStatus | None:
        return self._statuses.get(destination_id)

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        return add_listener(self._listeners, listener)

    def start(self, target: RelayTarget) -> None:
        """Begin relaying to ``target`` (restarting it if it runs); returns at once."""
        self._loop = asyncio.get_running_loop()
        secret_registry.add(target.url)
        self.stop(target.destination_id)
        generation = self._generations.get(target.destination_id, 0) + 1
        self._generations[target.destination_id] = generation
        output = _Output(self, target, generation)
        self._outputs[target.destination_id] = output
        self._set(
            RelayDestinationStatus(
                destination_id=target.destination_id, display_name=target.display_name, state=RelayState.PREPARING
            )
        )
        output.thread.start()

    def stop(self, destination_id: str) -> None:
        """Stop relaying to one destination; the others carry on. Returns at once (its thread ends on its own)."""
        output = self._outputs.pop(destination_id, None)
        if output is None:
            return
        self._generations[destination_id] = self._generations.get(destination_id, 0) + 1
        output.stop_event.set()
        with contextlib.suppress(queue.Full):
            output.queue.put_nowait(None)
        with self._session_cond:
            self._session_cond.notify_all()
        previous = self._statuses.get(destination_id)
        self._set(
            RelayDestinationStatus(
                destination_id=destination_id,
                display_name=output.target.display_name,
                state=RelayState.STOPPED,
                packets_sent=previous.packets_sent if previous else 0,
                packets_dropped=output.dropped,
                reconnects=previous.reconnects if previous else 0,
            )
        )

    def stop_all(self) -> None:
        for destination_id in list(self._outputs):
            self.stop(destination_id)

    def join(self, timeout_s: float = 15.0) -> None:
        """For shutdown and tests: wait (blocking) until stopped outputs' threads have ended."""
        deadline = time.monotonic() + timeout_s
        for thread in [t for t in threading.enumerate() if t.name.startswith("relay-")]:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _set(self, status: RelayDestinationStatus) -> None:
        self._statuses[status.destination_id] = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("relay status listener failed")

    def _post(self, destination_id: str, generation: int, status: RelayDestinationStatus) -> None:
        loop = self._loop
        if loop is None:
            return

        def deliver() -> None:
            if self._generations.get(destination_id) == generation and destination_id in self._outputs:
                self._set(status)

        with contextlib.suppress(RuntimeError):  # the loop has closed
            loop.call_soon_threadsafe(deliver)

    # -- the receiving thread's side --------------------------------------------------------------

    def begin_session(self, streams: Sequence[Stream]) -> RelaySession:
        with self._session_cond:
            self._session_number += 1
            self._session = RelaySession(self._session_number, streams)
            self._session_cond.notify_all()
            return self._session

    def end_session(self, session: RelaySession) -> None:
        """Before the input container closes: no output may copy its streams from now on."""
        with session.lock:
            session.closed = True
        with self._session_cond:
            if self._session is session:
                self._session = None

    def feed(self, session: RelaySession, packet: Packet[Any], is_video: bool) -> None:
        outputs = [o for o in self._outputs.values() if o.accepting]
        if not outputs or packet.time_base is None:
            return
        item = RelayedPacket(
            session.number,
            is_video,
            bytes(packet),
            packet.pts,
            packet.dts,
            Fraction(packet.time_base),
            bool(packet.is_keyframe),
        )
        for output in outputs:
            output.offer(item)

    # -- the outputs' side ------------------------------------------------------------------------------

    def wait_for_session(self, stop_event: threading.Event) -> RelaySession | None:
        with self._session_cond:
            while not stop_event.is_set():
                session = self._session
                if session is not None and not session.closed:
                    return session
                self._session_cond.wait(0.5)
        return None

    def current_session_number(self) -> int:
        return self._session_number

    def session_is_incompatible(self, fingerprint: tuple[object, ...]) -> bool:
        session = self._session
        return session is not None and session.fingerprint != fingerprint
