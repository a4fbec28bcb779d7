"""The local test server: an RTMP server inside the app (FFmpeg through PyAV) that shows what OBS really sends.

FFmpeg's RTMP listen mode accepts one publisher per ``av.open`` and only *warns* when the published
stream name differs from the one in its URL. The random stream name is this server's token, so the
receiving thread captures FFmpeg's log while it opens the connection and drops a publisher whose
stream name was wrong: such a stream is never shown as ours.

Blocking PyAV work runs in one thread per server. It hands immutable results (status, thumbnails)
to the asyncio loop with ``call_soon_threadsafe``; all state the app reads lives on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio_console.adapters.sinks.base import SinkError
from studio_console.adapters.sinks.local_test_server.meter import StreamMeter
from studio_console.adapters.sinks.local_test_server.recorder import Recorder, unused_path
from studio_console.adapters.sinks.local_test_server.relay import Relay
from studio_console.adapters.sinks.local_test_server.thumbnails import ThumbnailMaker
from studio_console.domain.stream import (
    LocalServerState,
    LocalServerStatus,
    ReceivedStreamInfo,
    Thumbnail,
)
from studio_console.kernel.listeners import Listeners
from studio_console.logs import secrets as secret_registry

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.stream import Stream

log = logging.getLogger(__name__)

APP_NAME = "live"
# FFmpeg's own warning when a publisher uses another stream name than the one we listen for.
_WRONG_STREAM_NAME = "Unexpected stream"
# How long the receiving thread may hand the loop nothing while a stream arrives.
_STATUS_INTERVAL_S = 1.0

StatusListener = Callable[[LocalServerStatus], None]
ThumbnailListener = Callable[[Thumbnail], None]


def _ensure_ffmpeg_warnings() -> None:
    """PyAV drops FFmpeg's log by default; the wrong-stream-name warning is needed to refuse publishers.

    Checked before every listen, so another part of the process turning FFmpeg's log down cannot
    silently switch the key check off.
    """
    import av.logging

    level = av.logging.get_level()
    if level is None or level < av.logging.WARNING:
        av.logging.set_level(av.logging.WARNING)


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` (a socket in TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def pick_free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LocalServerError(SinkError):
    """The local test server could not start; the message says why."""


class LocalTestServer:
    """An RTMP server on 127.0.0.1 that receives one publisher at a time and measures what arrives.

    ``start()``/``stop()`` may be called any number of times; the port and stream key stay the same
    for the life of the object, so OBS reconnects to a restarted server on its own. Listeners are
    called on the asyncio loop that called ``start()``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        thumbnails: bool = True,
        thumbnail_interval_s: float = 1.0,
        thumbnail_width: int = 320,
        listen_cycle_s: int = 20,
        read_timeout_s: float = 5.0,
    ) -> None:
        self.host = host
        self._port: int | None = port or None
        self.key = secrets.token_urlsafe(12)
        secret_registry.add(self.key)
        self.thumbnail_interval_s = thumbnail_interval_s
        self.thumbnail_width = thumbnail_width
        # FFmpeg stops waiting for a publisher after this long and we listen again: stop() and a
        # stalled client are then bounded without interrupting a handshake in progress.
        self.listen_cycle_s = listen_cycle_s
        self.read_timeout_s = read_timeout_s
        self._thumbnails = thumbnails
        self._status = LocalServerStatus(thumbnails=thumbnails, port=self._port, host=host)
        self._last_thumbnail: Thumbnail | None = None
        self._listeners: Listeners[[LocalServerStatus]] = Listeners("listeners")
        self._thumb_listeners: Listeners[[Thumbnail]] = Listeners("thumb")
        self._thread: threading.Thread | None = None
        # Each start() gets a new run id: posts from an earlier run's thread are dropped.
        self._run_id = 0
        self._stop_event = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        # start() and stop() may be awaited by several callers at once: one at a time.
        self._lifecycle = asyncio.Lock()
        self._record_lock = threading.Lock()
        self._record_path: Path | None = None
        self._record_generation = 0
        # Counters the receiving thread owns; copies travel in each status.
        self._rejected = 0
        self._sessions = 0
        # Forwards what arrives to every destination turned on (one output thread each).
        self.relay = Relay()

    # -- what the app reads (loop thread) -----------------------------------------------------------

    @property
    def port(self) -> int | None:
        return self._port

    @property
    def server_url(self) -> str:
        """What OBS's "Server" field gets; the stream key goes in its "Stream Key" field."""
        return f"rtmp://{self.host}:{self._port or 0}/{APP_NAME}"

    @property
    def publish_url(self) -> str:
        return f"{self.server_url}/{self.key}"

    @property
    def status(self) -> LocalServerStatus:
        return self._status

    @property
    def last_thumbnail(self) -> Thumbnail | None:
        return self._last_thumbnail

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def thumbnails(self) -> bool:
        return self._thumbnails

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        return self._listeners.add(listener)

    def subscribe_thumbnails(self, listener: ThumbnailListener) -> Callable[[], None]:
        return self._thumb_listeners.add(listener)

    def set_thumbnails(self, enabled: bool) -> None:
        """Thumbnails cost a decode of every frame; off, the server only demuxes and measures."""
        self._thumbnails = enabled  # read by the receiving thread at the next packet
        self._set_status(self._status.model_copy(update={"thumbnails": enabled}))

    def start_recording(self, path: Path) -> None:
        """Write what arrives to ``path`` (.mkv or .flv) from the next keyframe on; later publishes add -2, -3…"""
        if path.suffix.lower() not in (".mkv", ".flv"):
            path = path.with_suffix(".mkv")
        with self._record_lock:
            self._record_path = path
            self._record_generation += 1

    def stop_recording(self) -> None:
        with self._record_lock:
            self._record_path = None
            self._record_generation += 1

    # -- lifecycle (loop thread) ------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1; returns once the port accepts connections. Idempotent."""
        async with self._lifecycle:
            await self._start()

    async def _start(self) -> None:
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        if self._port is None:
            self._port = pick_free_port(self.host)
        if not port_is_free(self.host, self._port):
            message = f"Port {self._port} on {self.host} is in use: choose another port for the local test server."
            self._set_status(self._status.model_copy(update={"state": LocalServerState.FAILED, "message": message}))
            raise LocalServerError(message)
        self._stop_event = threading.Event()
        self._run_id += 1
        thread = threading.Thread(
            target=self._run, args=(self._run_id, self._stop_event), name=f"local-rtmp-{self._port}", daemon=True
        )
        self._thread = thread
        thread.start()
        deadline = time.monotonic() + 10.0
        while port_is_free(self.host, self._port):
            if not thread.is_alive() or time.monotonic() > deadline:
                self._stop_event.set()
                self._thread = None
                await asyncio.to_thread(self._wait_for_exit, thread)
                message = f"The local test server could not listen on {self.host}:{self._port}."
                self._set_status(self._failed(message, self._status.info))
                raise LocalServerError(message)
            await asyncio.sleep(0.02)
        self._set_status(
            self._listening_status(
                f"Listening on {self.host}:{self._port}", self._status.info, self._status.cpu_seconds
            )
        )
        log.info("local test server listening on %s:%s", self.host, self._port)

    async def stop(self) -> None:
        """Stop listening (a publisher is dropped; OBS then reconnects when the server comes back)."""
        async with self._lifecycle:
            await self._stop()

    async def _stop(self) -> None:
        self.relay.stop_all()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop_event.set()
        await asyncio.to_thread(self._wait_for_exit, thread)
        self._set_status(
            self._status.model_copy(update={"state": LocalServerState.STOPPED, "message": "Local test server stopped"})
        )
        log.info("local test server on port %s stopped", self._port)

    def _wait_for_exit(self, thread: threading.Thread) -> None:
        # The thread may sit in FFmpeg's accept(): a connection that closes at once wakes it. It may
        # also be just about to accept again, so knock until it has gone.
        while thread.is_alive():
            with contextlib.suppress(OSError), socket.create_connection((self.host, self._port or 0), timeout=0.5):
                pass
            thread.join(0.2)

    # -- handing results to the loop -----------------------------------------------------------------

    def _post(self, run_id: int, callback: Callable[[Any], None], value: Any) -> None:
        """From the receiving thread: run ``callback(value)`` on the loop, unless that run has ended."""
        loop = self._loop
        if loop is None:
            return

        def deliver() -> None:
            if run_id == self._run_id and self._thread is not None:
                callback(value)

        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening any more
            loop.call_soon_threadsafe(deliver)

    def _set_status(self, status: LocalServerStatus) -> None:
        if status == self._status:
            return
        self._status = status
        self._listeners.notify(status)

    def _set_thumbnail(self, thumbnail: Thumbnail) -> None:
        self._last_thumbnail = thumbnail
        self._thumb_listeners.notify(thumbnail)

    def _listening_status(self, message: str, info: ReceivedStreamInfo | None, cpu_seconds: float) -> LocalServerStatus:
        return LocalServerStatus(
            state=LocalServerState.LISTENING,
            message=message,
            host=self.host,
            port=self._port,
            info=info,
            rejected_publishes=self._rejected,
            publish_sessions=self._sessions,
            thumbnails=self._thumbnails,
            cpu_seconds=cpu_seconds,
        )

    # -- the receiving thread --------------------------------------------------------------------

    def _run(self, run_id: int, stop_event: threading.Event) -> None:
        import av

        failures = 0
        last_info: ReceivedStreamInfo | None = None
        url = f"rtmp://{self.host}:{self._port}/{APP_NAME}/{self.key}"
        options = {
            "listen": "1",
            "timeout": str(self.listen_cycle_s),  # FFmpeg's accept() timeout, in seconds
            "analyzeduration": "1000000",
            "probesize": "262144",
        }
        while not stop_event.is_set():
            _ensure_ffmpeg_warnings()
            opened_at = time.monotonic()
            with av.logging.Capture() as ffmpeg_log:
                try:
                    container = av.open(url, options=options, timeout=(self.listen_cycle_s + 15.0, self.read_timeout_s))
                except av.error.TimeoutError:
                    failures = 0
                    continue  # nobody published in this cycle: listen again
                except (av.error.FFmpegError, OSError) as exc:
                    if stop_event.is_set():
                        break
                    # An error at once, again and again, means we cannot listen at all (port taken).
                    failures = failures + 1 if time.monotonic() - opened_at < 0.5 else 0
                    log.debug("local test server: a connection failed during the handshake: %s", exc)
                    if failures >= 5:
                        message = f"Cannot listen on {self.host}:{self._port}: {exc}"
                        self._post(run_id, self._set_status, self._failed(message, last_info))
                        return
                    continue
                failures = 0
                if stop_event.is_set():
                    container.close()
                    break
                if any(_WRONG_STREAM_NAME in message for _, _, message in ffmpeg_log):
                    container.close()
                    self._rejected += 1
                    log.warning("local test server refused a publish with a wrong stream key")
                    self._post(
                        run_id,
                        self._set_status,
                        self._listening_status(
                            "Refused a publisher with a wrong stream key; listening", last_info, time.thread_time()
                        ),
                    )
                    continue
                ffmpeg_log.clear()
                self._sessions += 1
                last_info = self._receive(run_id, stop_event, container, ffmpeg_log, last_info)

    def _failed(self, message: str, info: ReceivedStreamInfo | None) -> LocalServerStatus:
        return self._listening_status(message, info, self._status.cpu_seconds).model_copy(
            update={"state": LocalServerState.FAILED}
        )

    def _receive(
        self,
        run_id: int,
        stop_event: threading.Event,
        container: InputContainer,
        ffmpeg_log: list[tuple[int, str, str]],
        last_info: ReceivedStreamInfo | None,
    ) -> ReceivedStreamInfo | None:
        import av

        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        meter = StreamMeter(video, audio)
        thumbs: ThumbnailMaker | None = None
        if video is not None:
            codec = video.codec_context
            # One decoding thread and no non-reference frames: a thumbnail needs no more.
            codec.thread_count = 1
            codec.thread_type = "NONE"
            codec.skip_frame = "NONREF"
            thumbs = ThumbnailMaker(codec, self.thumbnail_width, self.thumbnail_interval_s)
        recorder: Recorder | None = None
        record_generation = -1
        streams = [s for s in (video, audio) if s is not None]
        last_status = 0.0
        reason = "Publisher disconnected; listening again"
        log.info("local test server: a publisher is sending (%s)", ", ".join(s.codec_context.name for s in streams))
        relay_session = self.relay.begin_session(streams)
        try:
            for packet in container.demux(*streams):
                if stop_event.is_set():
                    reason = "Local test server stopped"
                    break
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream marker
                meter.add(packet)
                is_video = video is not None and packet.stream_index == video.index
                self.relay.feed(relay_session, packet, is_video)
                if is_video and thumbs is not None:
                    if self._thumbnails:
                        thumb = thumbs.feed(packet, meter.last_time - (meter.first_time or 0.0))
                        if thumb is not None:
                            self._post(run_id, self._set_thumbnail, thumb)
                    else:
                        thumbs.synced = False
                with self._record_lock:
                    wanted, generation = self._record_path, self._record_generation
                if generation != record_generation:
                    record_generation = generation
                    if recorder is not None:
                        recorder.close()
                        recorder = None
                    if wanted is not None:
                        recorder = self._open_recorder(wanted, streams)
                if recorder is not None:
                    recorder.write(packet, is_video)
                now = time.monotonic()
                if now - last_status >= _STATUS_INTERVAL_S:
                    last_status = now
                    self._post(run_id, self._set_status, self._receiving_status(meter.info(), recorder))
                    self._drain_log(ffmpeg_log)
        except (av.error.FFmpegError, OSError) as exc:
            # EOF, a reset, or no packet within read_timeout_s: the publisher is gone.
            log.info("local test server: publisher gone (%s)", type(exc).__name__)
        finally:
            self.relay.end_session(relay_session)
            if recorder is not None:
                recorder.close()
            container.close()
            self._drain_log(ffmpeg_log)
        info = meter.info() if meter.first_time is not None else last_info
        if not stop_event.is_set():
            self._post(run_id, self._set_status, self._listening_status(reason, info, time.thread_time()))
        return info

    def _open_recorder(self, wanted: Path, streams: Sequence[Stream]) -> Recorder | None:
        path = unused_path(wanted)
        try:
            recorder = Recorder(path, streams)
        except Exception as exc:
            log.error("cannot record the local test stream to %s: %s", path, exc)
            return None
        log.info("recording the local test stream to %s", path)
        return recorder

    def _receiving_status(self, info: ReceivedStreamInfo, recorder: Recorder | None) -> LocalServerStatus:
        size = f"{info.width}x{info.height}" if info.width else "?"
        fps = f"{info.fps:g} fps" if info.fps else "? fps"
        return LocalServerStatus(
            state=LocalServerState.RECEIVING,
            message=f"Receiving {info.video_codec or '?'} {size} {fps}",
            host=self.host,
            port=self._port,
            info=info,
            rejected_publishes=self._rejected,
            publish_sessions=self._sessions,
            recording_path=str(recorder.path) if recorder is not None else None,
            thumbnails=self._thumbnails,
            cpu_seconds=round(time.thread_time(), 4),
        )

    @staticmethod
    def _drain_log(ffmpeg_log: list[tuple[int, str, str]]) -> None:
        # FFmpeg's warnings stay out of the app log unless debugging (they can be chatty per frame).
        for _level, name, message in ffmpeg_log:
            if _WRONG_STREAM_NAME not in message:  # it names another publisher's key and ours
                log.debug("ffmpeg %s: %s", name, message.strip())
        ffmpeg_log.clear()
