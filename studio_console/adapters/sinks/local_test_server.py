"""The default sink: an RTMP server inside the app (FFmpeg through PyAV) that shows what OBS really sends.

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
from collections import deque
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from studio_console.adapters.sinks.base import (
    SecretReader,
    SinkBase,
    SinkError,
    SinkOptions,
    StreamServiceSettings,
)
from studio_console.domain.stream import (
    CheckStatus,
    DestinationKind,
    LocalServerState,
    LocalServerStatus,
    PreflightCheck,
    ReceivedStreamInfo,
    StreamTarget,
    Thumbnail,
)
from studio_console.kernel.listeners import add_listener
from studio_console.logs import secrets as secret_registry

if TYPE_CHECKING:
    from av.container import InputContainer, OutputContainer
    from av.packet import Packet
    from av.stream import Stream
    from av.video.codeccontext import VideoCodecContext
    from av.video.frame import VideoFrame

log = logging.getLogger(__name__)

APP_NAME = "live"
# FFmpeg's own warning when a publisher uses another stream name than the one we listen for.
_WRONG_STREAM_NAME = "Unexpected stream"
# How long the receiving thread may hand the loop nothing while a stream arrives.
_STATUS_INTERVAL_S = 1.0
_MEASURE_WINDOW_S = 4.0

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


class _StreamMeter:
    """Figures of one publish session, computed from packet sizes and timestamps (stream time)."""

    def __init__(self, video: Stream | None, audio: Stream | None) -> None:
        self.video = video
        self.audio = audio
        self.video_window: deque[tuple[float, int]] = deque()
        self.audio_window: deque[tuple[float, int]] = deque()
        self.keyframe_times: deque[float] = deque(maxlen=2)
        self.keyframes = 0
        self.first_time: float | None = None
        self.last_time = 0.0
        self.received_bytes = 0

    @staticmethod
    def _seconds(packet: Packet[Any]) -> float | None:
        stamp = packet.pts if packet.pts is not None else packet.dts
        if stamp is None or packet.time_base is None:
            return None
        return float(stamp * packet.time_base)

    def add(self, packet: Packet[Any]) -> None:
        self.received_bytes += packet.size
        at = self._seconds(packet)
        if at is None:
            return
        if self.first_time is None:
            self.first_time = at
        self.last_time = max(self.last_time, at)
        if self.video is not None and packet.stream_index == self.video.index:
            self.video_window.append((at, packet.size))
            if packet.is_keyframe:
                self.keyframes += 1
                self.keyframe_times.append(at)
            _trim(self.video_window, at)
        elif self.audio is not None and packet.stream_index == self.audio.index:
            self.audio_window.append((at, packet.size))
            _trim(self.audio_window, at)

    def info(self) -> ReceivedStreamInfo:
        video_ctx: Any = self.video.codec_context if self.video is not None else None
        audio_ctx: Any = self.audio.codec_context if self.audio is not None else None
        fps = _rate(self.video_window)
        if fps is None and self.video is not None and self.video.average_rate:
            fps = float(self.video.average_rate)
        interval = None
        if len(self.keyframe_times) == 2:
            interval = self.keyframe_times[1] - self.keyframe_times[0]
        since_key = self.last_time - self.keyframe_times[-1] if self.keyframe_times else self._received_s()
        channels = None
        if audio_ctx is not None:
            layout = getattr(audio_ctx, "layout", None)
            channels = int(layout.nb_channels) if layout is not None else None
        return ReceivedStreamInfo(
            video_codec=video_ctx.name if video_ctx is not None else None,
            width=int(video_ctx.width) if video_ctx is not None and video_ctx.width else None,
            height=int(video_ctx.height) if video_ctx is not None and video_ctx.height else None,
            fps=round(fps, 2) if fps is not None else None,
            video_bitrate_kbps=_kbps(self.video_window),
            keyframe_interval_s=round(interval, 3) if interval is not None else None,
            seconds_since_keyframe=round(max(0.0, since_key), 3),
            keyframes=self.keyframes,
            audio_codec=audio_ctx.name if audio_ctx is not None else None,
            audio_sample_rate=int(audio_ctx.sample_rate) if audio_ctx is not None and audio_ctx.sample_rate else None,
            audio_channels=channels,
            audio_bitrate_kbps=_kbps(self.audio_window),
            received_s=round(self._received_s(), 3),
            received_bytes=self.received_bytes,
        )

    def _received_s(self) -> float:
        return self.last_time - self.first_time if self.first_time is not None else 0.0


def _trim(window: deque[tuple[float, int]], now: float) -> None:
    while window and window[0][0] < now - _MEASURE_WINDOW_S:
        window.popleft()


def _span(window: deque[tuple[float, int]]) -> float:
    return window[-1][0] - window[0][0] if len(window) >= 2 else 0.0


def _rate(window: deque[tuple[float, int]]) -> float | None:
    span = _span(window)
    return (len(window) - 1) / span if span > 0 else None


def _kbps(window: deque[tuple[float, int]]) -> float | None:
    span = _span(window)
    if span <= 0:
        return None
    # The last packet's bytes belong after the span's end.
    payload = sum(size for _, size in window) - window[-1][1]
    return round(payload * 8 / 1000 / span, 1)


class _ThumbnailMaker:
    """Decodes the received video and turns a frame into JPEG bytes when one is due."""

    def __init__(self, codec: VideoCodecContext, width: int, interval_s: float) -> None:
        self.codec = codec
        self.width = width
        self.interval_s = interval_s
        self.synced = False
        self.last_made = float("-inf")
        self._encoder: Any = None
        self._encoder_size: tuple[int, int] | None = None

    def feed(self, packet: Packet[Any], stream_time: float) -> Thumbnail | None:
        import av

        if not self.synced:
            if not packet.is_keyframe:
                return None  # a P-frame without its keyframe only decodes to garbage
            self.synced = True
        try:
            frames = self.codec.decode(packet)
        except av.error.FFmpegError as exc:
            log.debug("thumbnail decode failed (%s); waiting for the next keyframe", exc)
            self.synced = False
            return None
        now = time.monotonic()
        if not frames or now - self.last_made < self.interval_s:
            return None
        self.last_made = now
        return self._jpeg(frames[-1], stream_time)

    def _jpeg(self, frame: VideoFrame, stream_time: float) -> Thumbnail:
        import av

        width = self.width if 0 < self.width < frame.width else frame.width
        height = max(2, round(frame.height * width / frame.width / 2) * 2)
        width -= width % 2
        if self._encoder_size != (width, height):
            encoder: Any = av.CodecContext.create("mjpeg", "w")
            encoder.width, encoder.height = width, height
            encoder.pix_fmt = "yuvj420p"
            encoder.time_base = Fraction(1, 25)
            self._encoder, self._encoder_size = encoder, (width, height)
        small = frame.reformat(width=width, height=height, format="yuvj420p")
        data = b"".join(bytes(p) for p in self._encoder.encode(small))
        return Thumbnail(jpeg=data, width=width, height=height, stream_time_s=round(stream_time, 3))


class _Recorder:
    """Remuxes the received packets into a file (no re-encoding), from the first video keyframe on."""

    def __init__(self, path: Path, streams: Sequence[Stream]) -> None:
        import av

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.output: OutputContainer = av.open(str(path), "w")
        self.streams = {s.index: self.output.add_stream_from_template(s) for s in streams}
        self.has_video = any(s.type == "video" for s in streams)
        self.started = not self.has_video

    def write(self, packet: Packet[Any], is_video: bool) -> None:
        if not self.started:
            if not (is_video and packet.is_keyframe):
                return
            self.started = True
        target = self.streams.get(packet.stream_index)
        if target is None:
            return
        packet.stream = target
        self.output.mux(packet)

    def close(self) -> None:
        try:
            self.output.close()
        except Exception as exc:  # a half-written file must not take the receiver down
            log.warning("closing the recording %s failed: %s", self.path, exc)


def _unused_path(path: Path) -> Path:
    """``path``, or ``name-2.mkv``, ``name-3.mkv``… when taken: a new publish never overwrites a recording."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


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
        self._listeners: list[StatusListener] = []
        self._thumb_listeners: list[ThumbnailListener] = []
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
        return add_listener(self._listeners, listener)

    def subscribe_thumbnails(self, listener: ThumbnailListener) -> Callable[[], None]:
        return add_listener(self._thumb_listeners, listener)

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
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("local test server status listener failed")

    def _set_thumbnail(self, thumbnail: Thumbnail) -> None:
        self._last_thumbnail = thumbnail
        for listener in list(self._thumb_listeners):
            try:
                listener(thumbnail)
            except Exception:
                log.exception("thumbnail listener failed")

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
        meter = _StreamMeter(video, audio)
        thumbs: _ThumbnailMaker | None = None
        if video is not None:
            codec = video.codec_context
            # One decoding thread and no non-reference frames: a thumbnail needs no more.
            codec.thread_count = 1
            codec.thread_type = "NONE"
            codec.skip_frame = "NONREF"
            thumbs = _ThumbnailMaker(codec, self.thumbnail_width, self.thumbnail_interval_s)
        recorder: _Recorder | None = None
        record_generation = -1
        streams = [s for s in (video, audio) if s is not None]
        last_status = 0.0
        reason = "Publisher disconnected; listening again"
        log.info("local test server: a publisher is sending (%s)", ", ".join(s.codec_context.name for s in streams))
        try:
            for packet in container.demux(*streams):
                if stop_event.is_set():
                    reason = "Local test server stopped"
                    break
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream marker
                meter.add(packet)
                is_video = video is not None and packet.stream_index == video.index
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
            if recorder is not None:
                recorder.close()
            container.close()
            self._drain_log(ffmpeg_log)
        info = meter.info() if meter.first_time is not None else last_info
        if not stop_event.is_set():
            self._post(run_id, self._set_status, self._listening_status(reason, info, time.thread_time()))
        return info

    def _open_recorder(self, wanted: Path, streams: Sequence[Stream]) -> _Recorder | None:
        path = _unused_path(wanted)
        try:
            recorder = _Recorder(path, streams)
        except Exception as exc:
            log.error("cannot record the local test stream to %s: %s", path, exc)
            return None
        log.info("recording the local test stream to %s", path)
        return recorder

    def _receiving_status(self, info: ReceivedStreamInfo, recorder: _Recorder | None) -> LocalServerStatus:
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


class LocalTestServerOptions(SinkOptions):
    # 0: a free port is picked on the first start and kept while the app runs.
    port: int = Field(default=0, ge=0, le=65535)
    thumbnails: bool = True
    thumbnail_interval_s: float = Field(default=1.0, gt=0, le=2.0)
    # Width of the thumbnail in pixels; 0 keeps the received size (pixel checks of what viewers see).
    thumbnail_width: int = Field(default=320, ge=0)


class LocalTestServerSink(SinkBase):
    """The default destination: a rehearsal that never leaves this PC."""

    sink_type_id = "local_test_server"
    default_display_name = "Local test server (this PC)"
    options_model = LocalTestServerOptions
    destination_kind = DestinationKind.LOCAL_TEST

    def __init__(self, options: SinkOptions | None = None, *, sink_id: str | None = None) -> None:
        super().__init__(options, sink_id=sink_id)
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

    def health(self) -> LocalServerStatus | None:
        return self.server.status

    def subscribe_thumbnails(self, listener: ThumbnailListener) -> Callable[[], None]:
        return self.server.subscribe_thumbnails(listener)

    async def close(self) -> None:
        await self.server.stop()
