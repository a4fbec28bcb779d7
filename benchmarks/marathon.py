"""Benchmark: a whole show day, compressed in time, against a real OBS, the real core and window, the local test server.

Run: python benchmarks/marathon.py [--hours 12] [--speed 26] [--trace-stalls]
(the default, 12 show-hours at 26x, takes about 29 minutes of wall time)

The script plays a show day in show-time (``--speed`` show-seconds per wall-second): chat averaging
5 messages per show-second from a scripted platform source (plus one message through the remote API every
2 wall-seconds), a flood of 500 msg/s (wall clock: a flood is a load peak, compressing it would measure
something else) once per show-hour, a product pinned every 30 show-seconds, a flash sale every 10
show-minutes, scene switches, a cue change of the run of show every 5 show-minutes (through the remote API: a
cue switches scene and card), a featured comment and a stock change now and then, and spread over the day
10 OBS kills and restarts, 5 sink drops (the local test server stops for 3 s; OBS reconnects) and 2
chat-source stalls (the platform goes silent; the watchdog reconnects). Fewer faults for shorter days, at
least one of each.

Sampled every wall-second: resident memory, open fds, OS threads, asyncio tasks, and the obs-websocket
sessions OBS sees. Sessions are counted from the kernel's socket tables: ESTABLISHED rows of
/proc/net/tcp and /proc/net/tcp6 whose *local* port is OBS's websocket port are the server ends of OBS's
sessions (the benchmark opens no websocket of its own during the show, so every one is the app's). UI
loop lag is the lateness of a 5 ms precise QTimer. Countdown drift: each change of a flash sale's seconds
left (and its end) is stamped with the wall clock (time.time) and compared with the start + duration.

With ``--trace-stalls`` a watcher thread takes the UI thread's stack whenever the lag probe is more than
15 ms late, and the result counts stalls by where the UI thread was (to explain lag, not to measure it:
the watcher costs a little itself).

Peer in the same run: the UI loop lag of the same app, connected and idle, for 20 s before the show.
Ends with one JSON line: slopes per show-hour (least squares over the samples after the first show-hour;
after the first half for a day of 1.5 hours or less) and maxima, and whether each goal holds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import gc
import json
import os
import random
import sys
import tempfile
import threading
import time
import traceback
import tracemalloc
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from _common import emit, percentile

os.environ["STUDIO_CONSOLE_SECRETS"] = "file"  # never a developer's real keyring

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from studio_console.adapters.chat.base import ChatSourceOptions, ReconnectingChatSource
from studio_console.app import freeze_startup_heap
from studio_console.cli import LaunchOptions
from studio_console.core import StudioCore
from studio_console.domain.card import card_for
from studio_console.domain.chat import ChatKind, ChatMessage, SourceStatus
from studio_console.domain.obs_status import OutputPhase
from studio_console.domain.rundown import Cue, Rundown
from studio_console.domain.show import ShowState
from studio_console.logs import setup_logging
from studio_console.qt.event_loop import StudioEventLoop
from studio_console.qt.shell import QtShell
from studio_console.services.products.catalog_io import CatalogStore, demo_catalog_path, import_json
from studio_console.settings.paths import AppPaths
from studio_console.settings.secrets import OBS_PASSWORD, REMOTE_TOKEN, SecretStore
from studio_console.settings.store import SettingsStore
from tests.helpers.servers import RunningObs, start_obs

TOKEN = "marathon-token-0123456789abcdef"
SCENES = ("Alpha", "Bravo", "Charlie")
CHAT_RATE_PER_SHOW_S = 5.0
FLOOD_RATE_PER_WALL_S = 500.0
FLOOD_WALL_S = 10.0
PIN_EVERY_SHOW_S = 30.0
FLASH_EVERY_SHOW_S = 600.0
SCENE_EVERY_SHOW_S = 90.0
FEATURE_EVERY_SHOW_S = 120.0
STOCK_EVERY_SHOW_S = 60.0
CUE_EVERY_SHOW_S = 300.0
SINK_DOWN_WALL_S = 3.0
STALE_AFTER_S = 4.0
SAMPLE_EVERY_S = 1.0
LAG_TIMER_MS = 5
IDLE_PEER_S = 20.0
SETTLE_AFTER_RECONNECT_S = 3.0
GOALS = {"rss_slope_mb_per_hour": 5.0, "countdown_drift_s": 1.0, "ui_lag_p99_ms": 8.0}
WORDS = (
    "is the blue one back?",
    "price?",
    "link please",
    "what size is the model wearing",
    "does it come in black",
    "sold! {code}",
    "{code} how much",
    "I want {code}",
    "shipping to Canada?",
    "love it",
    "❤️❤️❤️",
    "<b>bold</b> <img src=/etc/passwd>",
    "\u202eesrever",
    "Z̷̢̛a̵l̶g̸o̴ text",
    "more colours?",
)


class ScriptedPlatform(ReconnectingChatSource):
    """A platform chat the script feeds; a stall makes it silent until the watchdog reconnects."""

    platform: ClassVar[str] = "tiktok"
    title: ClassVar[str] = "Scripted audience (marathon benchmark)"
    options_model: ClassVar[type[ChatSourceOptions]] = ChatSourceOptions

    def __init__(self) -> None:
        super().__init__(
            ChatSourceOptions(source_id="scripted", stale_after_s=STALE_AFTER_S, backoff_first_s=0.3, backoff_cap_s=2)
        )
        self._queue: asyncio.Queue[list[ChatMessage]] | None = None
        self.silent_until = 0.0
        self.sessions = 0

    async def _run_session(self) -> None:
        self.sessions += 1
        queue: asyncio.Queue[list[ChatMessage]] = asyncio.Queue()
        self._queue = queue
        self._live("scripted audience")
        try:
            while True:
                batch = await queue.get()
                self._alive()
                for message in batch:
                    self._emit(message)
        finally:
            if self._queue is queue:
                self._queue = None

    def feed(self, batch: list[ChatMessage]) -> bool:
        """Deliver a batch unless the platform is silent (stalled) or reconnecting."""
        if self._queue is None or time.monotonic() < self.silent_until:
            return False
        self._queue.put_nowait(batch)
        return True


class LagHistogram:
    """UI-loop lateness in 0.1 ms bins (to 2 s; beyond counts in the last): constant memory, however long the run.

    The first version kept every tick in a list: 200 ticks a second grew the benchmark's own memory by
    ~75 MB per wall-hour, which a real-time run would have charged to the app.
    """

    BIN_MS = 0.1
    BINS = 20_000

    def __init__(self) -> None:
        self.counts = [0] * self.BINS
        self.n = 0
        self.max_ms = 0.0

    def add(self, late_s: float) -> None:
        ms = late_s * 1000
        self.counts[min(self.BINS - 1, int(ms / self.BIN_MS))] += 1
        self.n += 1
        if ms > self.max_ms:
            self.max_ms = ms

    def merged(self, other: LagHistogram) -> LagHistogram:
        both = LagHistogram()
        both.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        both.n = self.n + other.n
        both.max_ms = max(self.max_ms, other.max_ms)
        return both

    def percentile(self, pct: float) -> float:
        """The upper edge of the bin holding the pct-th tick (nan when empty)."""
        if self.n == 0:
            return float("nan")
        wanted = pct / 100 * self.n
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= wanted and count:
                return (index + 1) * self.BIN_MS
        return self.max_ms


@dataclass
class Sample:
    wall_s: float
    show_h: float
    rss_mb: float
    fds: int
    threads: int
    tasks: int
    obs_sessions: int
    obs_connected: bool
    chat_rows: int


@dataclass
class Figures:
    samples: list[Sample] = field(default_factory=list)
    lag_by_show_hour: dict[int, LagHistogram] = field(default_factory=dict)
    idle_lag: LagHistogram = field(default_factory=LagHistogram)
    sessions_after_reconnect: list[int] = field(default_factory=list)
    reconnect_s: list[float] = field(default_factory=list)
    sink_recovered_s: list[float | None] = field(default_factory=list)
    stall_recovered_s: list[float | None] = field(default_factory=list)
    drift_s: list[float] = field(default_factory=list)
    drift_detail: list[tuple[float, int, float]] = field(default_factory=list)  # (show hour, seconds left, drift)
    counts: dict[str, int] = field(default_factory=dict)
    load_1min: list[float] = field(default_factory=list)  # the machine's load average, sampled with the rest
    stalls: dict[str, list[float]] = field(default_factory=dict)  # where the UI thread was -> lateness (ms)
    failures: dict[str, list[str]] = field(default_factory=dict)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def fail(self, name: str, text: str) -> None:
        self.count(f"{name}_failed")
        kept = self.failures.setdefault(name, [])
        if len(kept) < 5:
            kept.append(text[:300])


# -- what the kernel says ------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def os_threads() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def established_server_ends(port: int) -> int:
    """ESTABLISHED TCP connections whose local port is ``port`` (the server side: what OBS sees)."""
    wanted = f"{port:04X}"
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                next(fh)
                for line in fh:
                    parts = line.split()
                    if parts[3] == "01" and parts[1].rsplit(":", 1)[1] == wanted:
                        count += 1
        except FileNotFoundError:
            continue
    return count


def slope_per_hour(points: list[tuple[float, float]]) -> float | None:
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


class GcPauses:
    """How long the garbage collector held the interpreter, per generation (gc.callbacks: cheap, always on)."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.total_ms = [0.0, 0.0, 0.0]
        self.max_ms = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info["generation"]
        ms = (time.perf_counter() - self._started) * 1000
        self.count[generation] += 1
        self.total_ms[generation] += ms
        self.max_ms[generation] = max(self.max_ms[generation], ms)

    def summary(self) -> dict[str, Any]:
        return {
            f"gen{g}": {"n": self.count[g], "total_ms": round(self.total_ms[g], 1), "max_ms": round(self.max_ms[g], 2)}
            for g in range(3)
        }


class StallWatcher(threading.Thread):
    """Takes the UI thread's stack when the lag probe is late, and counts stalls by where it was."""

    STALL_S = 0.015
    POLL_S = 0.002

    def __init__(self, marathon: Marathon) -> None:
        super().__init__(name="marathon-stall-watcher", daemon=True)
        self.marathon = marathon
        self.ui_thread = threading.main_thread().ident
        self.stopping = threading.Event()

    def run(self) -> None:
        sampled_tick = -1.0
        while not self.stopping.wait(self.POLL_S):
            last = self.marathon._last_tick
            late = time.monotonic() - last - LAG_TIMER_MS / 1000
            if late < self.STALL_S or last == sampled_tick or self.marathon._idle:
                continue
            sampled_tick = last  # one stack per stall
            frame = sys._current_frames().get(self.ui_thread or 0)
            if frame is None:
                continue
            self.marathon.figures.stalls.setdefault(where(frame), []).append(late * 1000)


def short_path(filename: str) -> str:
    return filename.split("site-packages/")[-1].split("studio_console/")[-1]


def where(frame: Any) -> str:
    """The innermost frames of the UI thread's stack worth naming (the project's, then the libraries')."""
    stack = traceback.extract_stack(frame)
    ours = [f for f in stack if "studio_console" in f.filename or "benchmarks" in f.filename]
    innermost = stack[-1]
    picked = ours[-2:] if ours else []

    def name(f: traceback.FrameSummary) -> str:
        return f"{short_path(f.filename)}:{f.lineno} {f.name}"

    parts = [name(f) for f in picked]
    if not picked or innermost is not picked[-1]:
        parts.append(name(innermost))
    return " > ".join(parts)


# -- the show -------------------------------------------------------------------------------------


class Marathon:
    def __init__(self, obs: RunningObs, workdir: Path, hours: float, speed: float, seed: int) -> None:
        self.obs = obs
        self.workdir = workdir
        self.hours = hours
        self.speed = speed
        self.random = random.Random(seed)
        self.figures = Figures()
        self.loop = asyncio.get_event_loop()
        self.core: StudioCore | None = None
        self.shell: QtShell | None = None
        self.source = ScriptedPlatform()
        self.show_started = 0.0
        self.flood_until = 0.0
        self.obs_down = False
        self.sale_running = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_tick = 0.0
        self._idle = True
        self._message_no = 0
        self._users = [f"viewer{i:05d}" for i in range(20_000)]
        self.samples_out: Any = None
        self.trace_stalls = False
        self.trace_memory = False
        self.gc_pauses = GcPauses()
        self._memory_at_fit: tracemalloc.Snapshot | None = None
        self.memory_growth: list[dict[str, Any]] = []

    # -- time --

    def show_s(self) -> float:
        return (time.monotonic() - self.show_started) * self.speed

    async def until_show(self, show_s: float) -> None:
        delay = (show_s - self.show_s()) / self.speed
        if delay > 0:
            await asyncio.sleep(delay)

    def spawn(self, coro: Any, name: str) -> None:
        task = self.loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> float | None:
        started = time.monotonic()
        while not predicate():
            if time.monotonic() - started > timeout:
                return None
            await asyncio.sleep(0.02)
        return time.monotonic() - started

    # -- the app, as make_app in tests/e2e/test_app_with_obs.py builds it --

    async def open_app(self) -> None:
        config = self.workdir / "app"
        options = LaunchOptions(obs_port=self.obs.port, remote_port=0, config_dir=config)
        paths = AppPaths.under(config)
        paths.ensure()
        setup_logging(paths.log_dir, "INFO", to_stderr=False)  # as app.py does: the rotating log file
        secrets = SecretStore.open(paths.config_dir, paths.custom_root)
        secrets.set(OBS_PASSWORD, self.obs.password)
        secrets.set(REMOTE_TOKEN, TOKEN)
        CatalogStore(paths.data_dir).save(import_json(demo_catalog_path()).catalog)
        store = SettingsStore(paths.settings_file)
        core = StudioCore(options, paths, store, store.load().settings, secrets=secrets)
        shell = QtShell(core)
        shell.show()
        await core.start()
        freeze_startup_heap()  # as app.py does after start
        self.core, self.shell = core, shell
        assert core.chat is not None
        core.chat.add_source(self.source)
        self.source.start()
        if await self.wait_for(lambda: core.session.snapshot.connection.connected, 60) is None:
            raise RuntimeError("the app never connected to OBS")
        await self.wait_for(lambda: core.remote_server is not None and core.remote_server.bound_port is not None, 10)

    async def close_app(self) -> None:
        core, shell = self.core, self.shell
        if core is None or shell is None:
            return
        if core.golive is not None:
            with contextlib.suppress(Exception):
                await core.golive.stop()
        shell.close()
        await core.close()
        shell.window.close()

    def fit_from(self) -> float:
        """The show hour from which slopes are fitted (warm-up excluded)."""
        return 1.0 if self.hours > 1.5 else self.hours / 2

    def note_memory_growth(self) -> None:
        """Where Python memory grew between the fit start and now (with ``--trace-memory``)."""
        if self._memory_at_fit is None:
            return
        now = tracemalloc.take_snapshot()
        ignored = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen*")]
        stats = now.filter_traces(ignored).compare_to(self._memory_at_fit.filter_traces(ignored), "traceback")
        for stat in stats[:15]:
            frames = [f"{short_path(f.filename)}:{f.lineno}" for f in stat.traceback]
            self.memory_growth.append(
                {"kb": round(stat.size_diff / 1024, 1), "blocks": stat.count_diff, "where": " < ".join(frames[:4])}
            )

    def load_rundown(self) -> None:
        """A run of show of eight cues, each a scene and a product card, as a producer's CSV would give."""
        assert self.core is not None and self.core.rundown is not None and self.core.products is not None
        products = self.core.products.show.catalog.products
        cue_s = max(1, round(CUE_EVERY_SHOW_S / self.speed))  # the rundown's timers run on the wall clock
        cues = tuple(
            Cue(title=f"Segment {i + 1}", duration_s=cue_s, scene=SCENES[i % len(SCENES)], sku=products[i].sku)
            for i in range(min(8, len(products)))
        )
        self.core.rundown.service.set_rundown(Rundown(title="Marathon day", cues=cues))

    # -- remote API (from a worker thread, as Companion would from another process) --

    async def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        assert self.core is not None and self.core.remote_server is not None
        port = self.core.remote_server.bound_port
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )

        def call() -> tuple[int, Any]:
            try:
                with urllib.request.urlopen(request, timeout=15) as resp:
                    return resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as err:
                return err.code, json.loads(err.read() or b"{}")

        return await self.loop.run_in_executor(None, call)

    async def api_step(self, name: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            status, answer = await self.api(method, path, body)
        except Exception as exc:  # the show goes on; the count says how often
            self.figures.fail(name, f"{type(exc).__name__}: {exc}")
            return None
        if status >= 300:
            # 503 while OBS is away is the app telling the truth, not a failure of the show.
            self.figures.count(f"{name}_{status}")
            if status != 503:
                self.figures.fail(name, f"{status} {answer}")
            return None
        self.figures.count(name)
        return answer

    # -- probes --

    def start_lag_probe(self) -> QTimer:
        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(LAG_TIMER_MS)
        self._last_tick = time.monotonic()

        def tick() -> None:
            now = time.monotonic()
            late = max(0.0, now - self._last_tick - LAG_TIMER_MS / 1000)
            self._last_tick = now
            if self._idle:
                self.figures.idle_lag.add(late)
            else:
                hour = int(self.show_s() / 3600)
                histogram = self.figures.lag_by_show_hour.get(hour)
                if histogram is None:
                    histogram = self.figures.lag_by_show_hour[hour] = LagHistogram()
                histogram.add(late)

        timer.timeout.connect(tick)
        timer.start()
        return timer

    async def sampler(self) -> None:
        assert self.core is not None and self.shell is not None
        core, shell = self.core, self.shell
        while True:
            sample = Sample(
                wall_s=time.monotonic() - self.show_started,
                show_h=self.show_s() / 3600,
                rss_mb=rss_mb(),
                fds=open_fds(),
                threads=os_threads(),
                tasks=len(asyncio.all_tasks()),
                obs_sessions=established_server_ends(self.obs.port),
                obs_connected=core.session.snapshot.connection.connected,
                chat_rows=shell.chat_model.rowCount() if shell.chat_model is not None else 0,
            )
            self.figures.samples.append(sample)
            if self.trace_memory and self._memory_at_fit is None and sample.show_h >= self.fit_from():
                self._memory_at_fit = tracemalloc.take_snapshot()
            self.figures.load_1min.append(os.getloadavg()[0])
            if self.samples_out is not None:  # as it goes: a run that dies still leaves its figures
                self.samples_out.write(json.dumps(sample.__dict__) + "\n")
                self.samples_out.flush()
            if len(self.figures.samples) % 60 == 0:
                print(
                    f"show hour {sample.show_h:.2f}: rss {sample.rss_mb:.1f} MB, fds {sample.fds}, "
                    f"threads {sample.threads}, tasks {sample.tasks}, obs sessions {sample.obs_sessions}",
                    file=sys.stderr,
                    flush=True,
                )
            await asyncio.sleep(SAMPLE_EVERY_S)

    def on_show(self, sales: dict[str, Any]) -> Callable[[ShowState], None]:
        """Stamps every change of the running sale's seconds left, and its end, with the wall clock."""

        def listener(state: ShowState) -> None:
            sale = sales.get("current")
            if sale is None:
                return
            now = time.time()
            if state.flash_sale is None:
                self.figures.drift_s.append(now - (sale["t0"] + sale["seconds"]))
                self.note_drift(0)
                sales["current"] = None
                self.sale_running = False
                return
            left = state.flash_sale.seconds_left
            if left != sale["left"]:
                sale["left"] = left
                self.figures.drift_s.append(now - (sale["t0"] + sale["seconds"] - left))
                self.note_drift(left)

        return listener

    def note_drift(self, left: int) -> None:
        self.figures.drift_detail.append((round(self.show_s() / 3600, 3), left, round(self.figures.drift_s[-1], 3)))

    # -- chat --

    def make_message(self, codes: list[str]) -> ChatMessage:
        self._message_no += 1
        user = self._users[min(len(self._users) - 1, int(self.random.paretovariate(1.2)) * 7 % len(self._users))]
        text = self.random.choice(WORDS).format(code=self.random.choice(codes) if codes else "A1")
        if self._message_no % 997 == 0:
            text = "x" * 10_000
        return ChatMessage(
            source_id="scripted",
            platform="tiktok",
            message_id=f"m{self._message_no}",
            kind=ChatKind.COMMENT,
            user_id=f"tiktok:{user}",
            user_name=user,
            display_name=user,
            text=text,
        )

    async def chat_feed(self, codes: list[str]) -> None:
        owed = 0.0
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            rate = FLOOD_RATE_PER_WALL_S if now < self.flood_until else CHAT_RATE_PER_SHOW_S * self.speed
            owed += rate * (now - last)
            last = now
            n = int(owed)
            owed -= n
            batch = [self.make_message(codes) for _ in range(n)]
            if batch and self.source.feed(batch):
                self.figures.count("chat_messages", n)
            elif batch:
                self.figures.count("chat_messages_lost_to_silence", n)

    async def api_chat(self) -> None:
        while True:
            await asyncio.sleep(2.0)
            await self.api_step(
                "api_chat", "POST", "/api/v1/chat/messages", {"platform": "shop", "user": "ana", "text": "link?"}
            )
            if self._message_no % 3 == 0:
                await self.api_step("api_state", "GET", "/api/v1/state")

    # -- faults --

    async def kill_obs(self) -> None:
        assert self.core is not None
        session = self.core.session
        self.obs_down = True
        self.obs.kill()
        self.figures.count("obs_kills")
        await self.wait_for(lambda: not session.snapshot.connection.connected, 10)
        started = time.monotonic()
        # Not RunningObs.restart(): its readiness check opens a websocket session of its own.
        self.obs.process = await self.loop.run_in_executor(None, self.obs.process.restart)
        took = await self.wait_for(lambda: session.snapshot.connection.connected, 120)
        if took is None:
            self.figures.fail("obs_reconnect", "not reconnected within 120 s of the restart")
            self.obs_down = False
            return
        self.figures.reconnect_s.append(time.monotonic() - started)
        await asyncio.sleep(SETTLE_AFTER_RECONNECT_S)
        self.figures.sessions_after_reconnect.append(established_server_ends(self.obs.port))
        self.obs_down = False
        missing = [s for s in SCENES if s not in session.snapshot.scenes]
        for scene in missing:  # OBS killed before it saved its collection
            with contextlib.suppress(Exception):
                await session.request("CreateScene", {"sceneName": scene})
        self.figures.count("scenes_recreated", len(missing))
        await self.go_live("stream_restarts")

    async def go_live(self, name: str) -> None:
        assert self.core is not None and self.core.golive is not None
        golive = self.core.golive
        try:
            await golive.start()
        except Exception as exc:
            self.figures.fail(name, f"{type(exc).__name__}: {exc}")
            return
        if await self.wait_for(lambda: golive.status.phase is OutputPhase.LIVE, 60) is None:
            self.figures.fail(name, f"not live within 60 s: {golive.status.message}")
            return
        self.figures.count(name)

    async def drop_sink(self) -> None:
        assert self.core is not None and self.core.golive is not None
        golive = self.core.golive
        if self.obs_down or golive.status.phase is not OutputPhase.LIVE:
            self.figures.count("sink_drops_skipped")
            return
        server = golive.sink("local_test_server").server  # type: ignore[attr-defined]
        await server.stop()
        self.figures.count("sink_drops")
        await asyncio.sleep(SINK_DOWN_WALL_S)
        await server.start()
        back = time.monotonic()
        took = await self.wait_for(
            lambda: (
                golive.status.phase is OutputPhase.LIVE
                and golive.status.local_server is not None
                and golive.status.local_server.state.value == "receiving"
            ),
            60,
        )
        self.figures.sink_recovered_s.append(None if took is None else time.monotonic() - back)
        if took is None:
            self.figures.fail("sink_recovery", f"{golive.status.phase.value}: {golive.status.message}")
            if golive.status.phase is OutputPhase.STOPPED:
                await self.go_live("stream_restarts")

    async def stall_chat(self) -> None:
        self.figures.count("chat_stalls")
        self.source.silent_until = time.monotonic() + STALE_AFTER_S + 2.0
        silenced = time.monotonic()
        await self.wait_for(lambda: self.source.state.status is not SourceStatus.LIVE, STALE_AFTER_S + 10)
        took = await self.wait_for(
            lambda: time.monotonic() >= self.source.silent_until and self.source.state.status is SourceStatus.LIVE,
            STALE_AFTER_S + 30,
        )
        self.figures.stall_recovered_s.append(None if took is None else time.monotonic() - silenced)

    # -- the producer's script --

    def script(self) -> list[tuple[float, str]]:
        total = self.hours * 3600
        events: list[tuple[float, str]] = []

        def every(step: float, kind: str, offset: float = 0.0) -> None:
            t = offset
            while t < total:
                events.append((t, kind))
                t += step

        def spread(n: int, kind: str, phase: float) -> None:
            for i in range(n):
                events.append(((i + phase) / n * total, kind))

        every(PIN_EVERY_SHOW_S, "pin", 5)
        every(FLASH_EVERY_SHOW_S, "flash", FLASH_EVERY_SHOW_S / 2)
        every(SCENE_EVERY_SHOW_S, "scene", 45)
        every(FEATURE_EVERY_SHOW_S, "feature", 60)
        every(STOCK_EVERY_SHOW_S, "stock", 20)
        every(CUE_EVERY_SHOW_S, "cue", 150)
        every(3600, "flood", 1500)
        spread(max(1, round(10 * self.hours / 12)), "obs_kill", 0.5)
        spread(max(1, round(5 * self.hours / 12)), "sink_drop", 0.35)  # not on an OBS kill (0.5 of 10)
        spread(max(1, round(2 * self.hours / 12)), "chat_stall", 0.8)
        return sorted(events)

    async def producer(self) -> None:
        assert self.core is not None and self.core.products is not None and self.core.chat is not None
        core = self.core
        show = core.products.show
        skus = [p.sku for p in show.catalog.products]
        flash_wall_s = FLASH_EVERY_SHOW_S / self.speed
        sale_seconds = int(max(10, min(300, flash_wall_s * 0.5)))
        sales: dict[str, Any] = {"current": None}
        unsubscribe = show.subscribe(self.on_show(sales))
        scene_no = 0
        cue_no = 0
        try:
            for at, kind in self.script():
                await self.until_show(at)
                if kind == "pin" and not self.sale_running:
                    await self.api_step("pins", "POST", "/api/v1/product/pin", {"sku": self.random.choice(skus)})
                elif kind == "flash" and not self.sale_running:
                    product = self.random.choice(show.catalog.products)
                    sku = product.sku
                    price = f"{max(0.01, float(card_for(product).price) * 0.5):.2f}"
                    self.sale_running = True
                    sales["current"] = {"t0": time.time(), "seconds": sale_seconds, "left": sale_seconds}
                    try:
                        await show.start_flash_sale(sku, price, sale_seconds)
                        self.figures.count("flash_sales")
                    except Exception as exc:
                        # OBS away: the sale still runs in the app; the card follows when OBS is back.
                        if show.state.flash_sale is None:
                            sales["current"] = None
                            self.sale_running = False
                        self.figures.fail("flash_sales", f"{type(exc).__name__}: {exc}")
                elif kind == "scene":
                    scene_no += 1
                    await self.api_step("scene_switches", "POST", "/api/v1/scene", {"name": SCENES[scene_no % 3]})
                elif kind == "feature":
                    recent = self.shell.chat_model.rowCount() if self.shell and self.shell.chat_model else 0
                    snapshot = core.chat.snapshot
                    questions = snapshot.questions if snapshot is not None else ()
                    if questions:
                        await self.api_step(
                            "features", "POST", "/api/v1/chat/feature", {"id": questions[-1].message_id}
                        )
                    elif recent:
                        self.figures.count("features_skipped")
                elif kind == "stock" and not self.sale_running:  # a sold-out product would end the sale early
                    pinned = show.state.pinned_sku
                    product = next((p for p in show.catalog.products if p.sku == pinned), None)
                    if product is not None and len(product.variants) > 1:
                        pinned = product.variants[0].sku  # stock is per variant
                    if pinned and product is not None:
                        stock = product.variants[0].stock
                        delta = 5 if stock is not None and stock <= 2 else self.random.choice((-1, -1, 1))  # restocks
                        try:
                            await show.adjust_stock(pinned, delta)
                            self.figures.count("stock_changes")
                        except Exception as exc:
                            self.figures.fail("stock_changes", f"{type(exc).__name__}: {exc}")
                elif kind == "cue" and not self.sale_running:  # a cue pins its product: not mid-sale
                    cues = len(core.rundown.service.rundown.cues) if core.rundown is not None else 0
                    if cues:
                        # next, and round again from the first cue at the end of the run of show
                        if cue_no % cues == 0:
                            await self.api_step("cue_changes", "POST", "/api/v1/rundown/go", {"index": 0})
                        else:
                            await self.api_step("cue_changes", "POST", "/api/v1/rundown/next")
                        cue_no += 1
                elif kind == "flood":
                    self.flood_until = time.monotonic() + FLOOD_WALL_S
                    self.figures.count("floods")
                elif kind == "obs_kill":
                    self.spawn(self.kill_obs(), "marathon-obs-kill")
                elif kind == "sink_drop":
                    self.spawn(self.drop_sink(), "marathon-sink-drop")
                elif kind == "chat_stall":
                    self.spawn(self.stall_chat(), "marathon-chat-stall")
            await self.until_show(self.hours * 3600)
            for task in list(self._tasks):  # a restart still under way finishes before the count
                with contextlib.suppress(Exception):
                    await task
        finally:
            unsubscribe()

    async def run(self) -> None:
        await self.open_app()
        assert self.core is not None and self.core.products is not None
        lag_timer = self.start_lag_probe()
        await asyncio.sleep(IDLE_PEER_S)
        codes = [p.short_code for p in self.core.products.show.catalog.products if p.short_code]
        self.load_rundown()
        watcher = StallWatcher(self) if self.trace_stalls else None
        if watcher is not None:
            watcher.start()
        if self.trace_memory:
            tracemalloc.start(4)
        gc.callbacks.append(self.gc_pauses)  # the show's collections only (not start-up's)
        self.show_started = time.monotonic()
        self._idle = False
        await self.go_live("stream_starts")
        helpers = [
            self.loop.create_task(self.sampler(), name="marathon-sampler"),
            self.loop.create_task(self.chat_feed(codes), name="marathon-chat"),
            self.loop.create_task(self.api_chat(), name="marathon-api-chat"),
        ]
        try:
            await self.producer()
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            lag_timer.stop()
            with contextlib.suppress(ValueError):
                gc.callbacks.remove(self.gc_pauses)
            if self.trace_memory:
                self.note_memory_growth()
                tracemalloc.stop()
            if watcher is not None:
                watcher.stopping.set()
            self.figures.count("chat_rows_at_end", self.shell.chat_model.rowCount() if self.shell else 0)
            await self.close_app()


# -- the result line ------------------------------------------------------------------------------


def result_of(marathon: Marathon, wall_s: float) -> dict[str, Any]:
    f = marathon.figures
    hours = marathon.hours
    fit_from = marathon.fit_from()
    fitted = [s for s in f.samples if s.show_h >= fit_from]
    steady = [s for s in fitted if s.obs_connected]

    def slope(metric: str, samples: list[Sample]) -> float | None:
        value = slope_per_hour([(s.show_h, float(getattr(s, metric))) for s in samples])
        return None if value is None else round(value, 3)

    def first_last(metric: str) -> dict[str, float]:
        if not fitted:
            return {}
        return {"at_fit_start": getattr(fitted[0], metric), "at_end": getattr(f.samples[-1], metric)}

    lag = LagHistogram()
    for histogram in f.lag_by_show_hour.values():
        lag = lag.merged(histogram)
    hourly_p99 = {str(h): round(v.percentile(99), 2) for h, v in sorted(f.lag_by_show_hour.items())}
    drift = [abs(d) for d in f.drift_s]
    connected_sessions = [s.obs_sessions for s in f.samples if s.obs_connected]
    rss_slope = slope("rss_mb", fitted)
    show_p99 = lag.percentile(99)
    idle_p99 = f.idle_lag.percentile(99)
    result: dict[str, Any] = {
        "benchmark": "marathon",
        "show_hours": hours,
        "speed": marathon.speed,
        "wall_minutes": round(wall_s / 60, 1),
        "fit_from_show_hour": fit_from,
        "samples": len(f.samples),
        "slopes_per_show_hour": {
            "rss_mb": rss_slope,
            "fds": slope("fds", steady),
            "threads": slope("threads", steady),
            "asyncio_tasks": slope("tasks", steady),
        },
        "slopes_per_show_hour_second_half": {
            "rss_mb": slope("rss_mb", [s for s in f.samples if s.show_h >= hours / 2]),
            "fds": slope("fds", [s for s in steady if s.show_h >= hours / 2]),
        },
        "fitted_range": {m: first_last(m) for m in ("rss_mb", "fds", "threads", "tasks")},
        "maxima": {
            "rss_mb": round(max((s.rss_mb for s in f.samples), default=0), 1),
            "fds": max((s.fds for s in f.samples), default=0),
            "threads": max((s.threads for s in f.samples), default=0),
            "asyncio_tasks": max((s.tasks for s in f.samples), default=0),
            "obs_sessions_while_connected": max(connected_sessions, default=0),
            "countdown_drift_s": round(max(drift, default=0), 4),
            "ui_lag_ms": round(lag.max_ms, 1),
        },
        "obs_sessions_after_each_reconnect": f.sessions_after_reconnect,
        "obs_sessions_sampled_while_connected": {str(n): connected_sessions.count(n) for n in set(connected_sessions)},
        "reconnect_after_restart_s": [round(x, 1) for x in f.reconnect_s],
        "sink_recovered_s": [None if x is None else round(x, 1) for x in f.sink_recovered_s],
        "chat_stall_recovered_s": [None if x is None else round(x, 1) for x in f.stall_recovered_s],
        "countdown_drift_s": {
            "p50": round(percentile(drift, 50), 4),
            "p99": round(percentile(drift, 99), 4),
            "max": round(max(drift, default=0), 4),
            "n": len(drift),
            "worst": sorted(f.drift_detail, key=lambda d: -abs(d[2]))[:5],
        },
        "ui_lag_ms": {
            "p50": round(lag.percentile(50), 2),
            "p99": round(show_p99, 2),
            "max": round(lag.max_ms, 1),
            "n": lag.n,
            "bin_ms": LagHistogram.BIN_MS,
            "p99_per_show_hour": hourly_p99,
        },
        "peer_idle_app_ui_lag_ms": {"p50": round(f.idle_lag.percentile(50), 2), "p99": round(idle_p99, 2)},
        "ui_lag_p99_ratio_show_to_idle": round(show_p99 / idle_p99, 2) if idle_p99 > 0 else None,
        "machine_load_1min": {
            "min": round(min(f.load_1min, default=0), 2),
            "p50": round(percentile(f.load_1min, 50), 2),
            "max": round(max(f.load_1min, default=0), 2),
        },
        "counts": dict(sorted(f.counts.items())),
        "stalls_over_15_ms_by_site": stall_table(f.stalls),
        "gc_pauses": marathon.gc_pauses.summary(),
        "python_memory_growth_since_fit_start": marathon.memory_growth,
        "failures": f.failures,
        "chat_source_sessions": marathon.source.sessions,
    }
    worst_hour_p99 = max(hourly_p99.values(), default=show_p99)
    result["goals"] = {
        "rss_slope_under_5_mb_per_show_hour": rss_slope is not None and rss_slope < GOALS["rss_slope_mb_per_hour"],
        "one_obs_session_after_every_reconnect": bool(f.sessions_after_reconnect)
        and all(n == 1 for n in f.sessions_after_reconnect),
        "countdown_drift_under_1_s": bool(drift) and max(drift) < GOALS["countdown_drift_s"],
        "ui_lag_p99_under_8_ms_every_show_hour": worst_hour_p99 < GOALS["ui_lag_p99_ms"],
    }
    return result


def stall_table(stalls: dict[str, list[float]]) -> list[dict[str, Any]]:
    rows = [
        {"site": site, "n": len(ms), "ms_total": round(sum(ms), 1), "ms_max": round(max(ms), 1)}
        for site, ms in stalls.items()
    ]
    return sorted(rows, key=lambda r: -r["ms_total"])[:15]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=12.0, help="show hours to play (default 12)")
    parser.add_argument("--speed", type=float, default=26.0, help="show-seconds per wall-second (default 26)")
    parser.add_argument("--trace-stalls", action="store_true", help="count UI stalls over 15 ms by stack site")
    parser.add_argument(
        "--trace-memory", action="store_true", help="tracemalloc: where Python memory grew (slows the app)"
    )
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--samples-out", type=Path, help="also write every sample as JSON lines here")
    args = parser.parse_args()
    faulthandler.enable()  # a crash in C code (Qt, FFmpeg) still leaves a traceback on stderr
    workdir = Path(tempfile.mkdtemp(prefix="bench-marathon-"))
    app = QApplication.instance() or QApplication([])
    loop = StudioEventLoop(app)
    asyncio.set_event_loop(loop)
    obs = start_obs(workdir / "obs")
    started = time.monotonic()
    marathon: Marathon | None = None
    try:
        client = obs.client()  # the producer's own scene collection, set up before the app connects
        try:
            from obswebsocket import requests

            for scene in SCENES:
                client.call(requests.CreateScene(sceneName=scene))
            client.call(requests.SetCurrentProgramScene(sceneName=SCENES[0]))
        finally:
            client.disconnect()
        marathon = Marathon(obs, workdir, args.hours, args.speed, args.seed)
        marathon.trace_stalls = args.trace_stalls
        marathon.trace_memory = args.trace_memory
        if args.samples_out:
            marathon.samples_out = args.samples_out.open("w")
        loop.run_until_complete(marathon.run())
    finally:
        obs.stop()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    assert marathon is not None
    if marathon.samples_out is not None:
        marathon.samples_out.close()
    print(f"threads left at exit: {[t.name for t in threading.enumerate()]}", file=sys.stderr)
    emit(result_of(marathon, time.monotonic() - started))


if __name__ == "__main__":
    main()
