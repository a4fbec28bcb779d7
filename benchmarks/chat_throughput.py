"""Chat panel throughput against a naive one-row-at-a-time QListWidget, and resident memory over a long flood.

Run: python benchmarks/chat_throughput.py [--step-seconds 5] [--flood-seconds 600] [--flood-rate 200]
Ends by printing one JSON line. Both widgets get the same stream through the same path as the app:
a message per "source" event, through the ChatHub (de-duplication, moderation, buyer intent), into the widget,
on a qasync loop. A rate is sustained when, over a step, the UI loop's lag (lateness of a 16 ms timer) has a
p99 of at most 8 ms, ingest-to-paint has a p99 of at most 150 ms, and the feed kept up with the rate.

Two arrival patterns are measured: one message per event-loop wake-up (a socket read per message: Qt
delivers repaint requests between messages, so a naive list repaints per row), and bursts of messages per
5 ms tick (several messages per read: Qt coalesces the naive list's repaints too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import PySide6
import qasync
from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QListWidget,
    QListWidgetItem,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from studio_console.adapters.chat.rehearsal import RehearsalAudience, RehearsalOptions
from studio_console.app import freeze_startup_heap
from studio_console.domain.chat import ChatMessage
from studio_console.qt.models.chat_model import ChatModel, plain_line
from studio_console.qt.views.chat_panel import ChatPanel
from studio_console.services.chat.hub import ChatHub

LAG_P99_LIMIT_MS = 8.0
PAINT_P99_LIMIT_MS = 150.0
PROBE_INTERVAL_MS = 16
FEED_TICK_MS = 5
CAPACITY = 2000
CATALOG = {"A1": "SKU-A1", "A2": "SKU-A2", "B7": "SKU-B7", "C12": "SKU-C12"}
WIDGET_SIZE = (480, 800)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


class MessageStream:
    """Rehearsal chat with fresh ids (``b<seq>``), so nothing is dropped as a duplicate."""

    def __init__(self) -> None:
        audience = RehearsalAudience(RehearsalOptions(seed=11, short_codes=tuple(CATALOG)))
        generator = audience.generate()
        self.pool = [next(generator) for _ in range(5000)]
        self.seq = 0

    def next(self) -> ChatMessage:
        self.seq += 1
        base = self.pool[self.seq % len(self.pool)]
        # A copy with a new id stands in for the source parsing a new line.
        return base.model_copy(update={"message_id": f"b{self.seq}"})


@dataclass
class Tracker:
    """Ingest times in arrival order; a paint of message N settles every message up to N."""

    pending: deque[tuple[int, float]] = field(default_factory=deque)
    latencies: list[float] = field(default_factory=list)

    def ingested(self, seq: int) -> None:
        self.pending.append((seq, time.perf_counter()))

    def painted(self, seq: int) -> None:
        now = time.perf_counter()
        pending = self.pending
        while pending and pending[0][0] <= seq:
            self.latencies.append(now - pending.popleft()[1])

    def settle_unpainted(self) -> int:
        now = time.perf_counter()
        left = len(self.pending)
        while self.pending:
            self.latencies.append(now - self.pending.popleft()[1])
        return left


def seq_of(message: ChatMessage) -> int:
    return int(message.message_id[1:]) if message.message_id.startswith("b") else -1


class Target:
    """A widget under test fed through a ChatHub."""

    name = ""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.hub = ChatHub(product_lookup=CATALOG.get)

    def ingest(self, message: ChatMessage) -> None:
        self.tracker.ingested(seq_of(message))
        self.hub.ingest(message)

    def reset(self, stream: MessageStream) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class PanelTarget(Target):
    name = "chat_panel"

    def __init__(self, tracker: Tracker) -> None:
        super().__init__(tracker)
        self.model = ChatModel(capacity=CAPACITY)
        self.panel = ChatPanel(self.model)
        self.panel.resize(*WIDGET_SIZE)
        self.panel.delegate.on_painted = lambda m: tracker.painted(seq_of(m))
        self.hub.subscribe(self.model.append)
        self.hub.subscribe_snapshot(self.panel.show_snapshot)
        self.panel.show()

    def reset(self, stream: MessageStream) -> None:
        """Start each step from a full scrollback, as in a running show."""
        self.hub = ChatHub(product_lookup=CATALOG.get)
        self.hub.subscribe(self.model.append)
        self.hub.subscribe_snapshot(self.panel.show_snapshot)
        self.model.clear()
        self.model.append_many(stream.next() for _ in range(CAPACITY))
        self.model.flush()

    def close(self) -> None:
        self.panel.close()
        self.panel.deleteLater()


class RecordingDelegate(QStyledItemDelegate):
    def __init__(self, on_paint: Callable[[int], None]) -> None:
        super().__init__()
        self.on_paint = on_paint

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().paint(painter, option, index)
        self.on_paint(int(index.data(Qt.ItemDataRole.UserRole)))


class NaiveList(QListWidget):
    """What a first version would do: one item and one scroll per message, oldest removed one by one."""

    def __init__(self, on_paint: Callable[[int], None]) -> None:
        super().__init__()
        # Its best simple setting: without uniform sizes every insert lays out every row (PLATFORM_FACTS).
        self.setUniformItemSizes(True)
        self.recording_delegate = RecordingDelegate(on_paint)
        self.setItemDelegate(self.recording_delegate)

    def append(self, message: ChatMessage) -> None:
        item = QListWidgetItem(plain_line(message))
        item.setData(Qt.ItemDataRole.UserRole, seq_of(message))
        self.addItem(item)
        if self.count() > CAPACITY:
            self.takeItem(0)
        self.scrollToBottom()


class NaiveTarget(Target):
    name = "naive_list_widget"

    def __init__(self, tracker: Tracker) -> None:
        super().__init__(tracker)
        self.widget = NaiveList(tracker.painted)
        self.widget.resize(*WIDGET_SIZE)
        self.hub.subscribe(self.widget.append)
        self.widget.show()

    def reset(self, stream: MessageStream) -> None:
        self.hub = ChatHub(product_lookup=CATALOG.get)
        self.hub.subscribe(self.widget.append)
        self.widget.clear()
        for _ in range(CAPACITY):
            message = stream.next()
            item = QListWidgetItem(plain_line(message))
            item.setData(Qt.ItemDataRole.UserRole, -1)
            self.widget.addItem(item)
        self.widget.scrollToBottom()

    def close(self) -> None:
        self.widget.close()
        self.widget.deleteLater()


@dataclass
class StepResult:
    rate: float
    achieved: float
    lag_p99_ms: float
    lag_max_ms: float
    paint_p99_ms: float
    paint_p50_ms: float
    unpainted: int
    messages: int

    @property
    def ok(self) -> bool:
        return (
            self.lag_p99_ms <= LAG_P99_LIMIT_MS
            and self.paint_p99_ms <= PAINT_P99_LIMIT_MS
            and self.achieved >= 0.97 * self.rate
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate": round(self.rate, 1),
            "achieved": round(self.achieved, 1),
            "lag_p99_ms": round(self.lag_p99_ms, 2),
            "lag_max_ms": round(self.lag_max_ms, 2),
            "paint_p50_ms": round(self.paint_p50_ms, 1),
            "paint_p99_ms": round(self.paint_p99_ms, 1),
            "ok": self.ok,
        }


def mode_name(single_arrivals: bool) -> str:
    return "one_message_per_wakeup" if single_arrivals else "bursts_per_5ms_tick"


def quiet_offscreen_warnings(kind: QtMsgType, _context: object, text: str) -> None:
    # The offscreen platform warns on every top-level size-hint change; nothing to act on here.
    if "propagateSizeHints" not in text:
        print(text, file=sys.stderr)


def precise_timer(interval_ms: int, slot: Callable[[], None]) -> QTimer:
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer


async def settle(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def run_step(
    target: Target, stream: MessageStream, rate: float, seconds: float, single_arrivals: bool
) -> StepResult:
    target.reset(stream)
    await settle(0.4)
    tracker = target.tracker
    tracker.pending.clear()
    tracker.latencies.clear()
    lags: list[float] = []
    started = time.perf_counter()
    last_probe = started
    warmup_until = started + 0.3

    def probe() -> None:
        nonlocal last_probe
        now = time.perf_counter()
        if now > warmup_until:
            lags.append(max(0.0, (now - last_probe) * 1000 - PROBE_INTERVAL_MS))
        last_probe = now

    sent = 0
    # At most 50 ms of messages per tick: a loop that stalls shows up as falling behind the rate.
    per_tick_cap = max(1, int(rate * 0.05))

    def feed() -> None:
        nonlocal sent
        due = int((time.perf_counter() - started) * rate)
        for _ in range(min(due - sent, per_tick_cap)):
            target.ingest(stream.next())
            sent += 1
            if single_arrivals:
                # What the loop does between two socket reads: deliver posted events (repaint requests).
                QCoreApplication.sendPostedEvents()

    probe_timer = precise_timer(PROBE_INTERVAL_MS, probe)
    feed_timer = precise_timer(FEED_TICK_MS, feed)
    probe_timer.start()
    feed_timer.start()
    await asyncio.sleep(seconds)
    feed_timer.stop()
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0.4)  # let the last batch paint
    probe_timer.stop()
    unpainted = tracker.settle_unpainted()
    latencies_ms = [x * 1000 for x in tracker.latencies]
    return StepResult(
        rate=rate,
        achieved=sent / elapsed,
        lag_p99_ms=percentile(lags, 0.99),
        lag_max_ms=max(lags, default=0.0),
        paint_p99_ms=percentile(latencies_ms, 0.99),
        paint_p50_ms=percentile(latencies_ms, 0.5),
        unpainted=unpainted,
        messages=sent,
    )


async def sustained_rate(
    target: Target, stream: MessageStream, seconds: float, max_rate: float, single_arrivals: bool
) -> dict[str, Any]:
    """Double the rate until a step fails, then bisect between the last pass and the first failure."""
    steps: list[StepResult] = []
    best: StepResult | None = None
    rate = 50.0
    failed_at: float | None = None
    while rate <= max_rate:
        step = await run_step(target, stream, rate, seconds, single_arrivals)
        steps.append(step)
        print(f"  {target.name} ({mode_name(single_arrivals)}): {json.dumps(step.as_dict())}", file=sys.stderr)
        if not step.ok:
            failed_at = rate
            break
        best = step
        rate *= 2
    if failed_at is not None:
        low = best.rate if best else 0.0
        high = failed_at
        for _ in range(3):
            mid = (low + high) / 2
            if mid < 10:
                break
            step = await run_step(target, stream, mid, seconds, single_arrivals)
            steps.append(step)
            print(f"  {target.name} ({mode_name(single_arrivals)}): {json.dumps(step.as_dict())}", file=sys.stderr)
            if step.ok:
                best, low = step, mid
            else:
                high = mid
    return {
        "sustained_msgs_per_s": round(best.rate, 1) if best else 0.0,
        "at_sustained": best.as_dict() if best else None,
        "first_failure": next((s.as_dict() for s in steps if not s.ok), None),
        "capped_by_max_rate": failed_at is None,
    }


async def flood(stream: MessageStream, rate: float, seconds: float, sample_every_s: float) -> dict[str, Any]:
    """The whole panel fed at ``rate`` for ``seconds``; resident memory sampled as it goes."""
    tracker = Tracker()
    target = PanelTarget(tracker)
    samples: list[tuple[float, float]] = []
    started = time.perf_counter()
    sent = 0

    def feed() -> None:
        nonlocal sent
        due = int((time.perf_counter() - started) * rate)
        for _ in range(due - sent):
            target.ingest(stream.next())
            sent += 1
        # Paint bookkeeping is not measured here; keep its queue from growing.
        tracker.pending.clear()
        tracker.latencies.clear()

    feed_timer = precise_timer(FEED_TICK_MS * 4, feed)
    feed_timer.start()
    next_sample = started
    while (now := time.perf_counter()) - started < seconds:
        if now >= next_sample:
            samples.append((now - started, rss_mb()))
            next_sample += sample_every_s
        await asyncio.sleep(min(1.0, sample_every_s))
    feed_timer.stop()
    samples.append((time.perf_counter() - started, rss_mb()))
    target.close()
    half = [s for s in samples if s[0] >= seconds / 2]
    slope = 0.0
    if len(half) >= 2:
        xs = [t / 60 for t, _ in half]
        ys = [m for _, m in half]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        denominator = sum((x - mean_x) ** 2 for x in xs) or 1.0
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / denominator
    quarter = next((m for t, m in samples if t >= seconds / 4), samples[0][1])
    return {
        "rate_msgs_per_s": rate,
        "seconds": seconds,
        "messages": sent,
        "rss_start_mb": round(samples[0][1], 1),
        "rss_at_quarter_mb": round(quarter, 1),
        "rss_end_mb": round(samples[-1][1], 1),
        "rss_max_mb": round(max(m for _, m in samples), 1),
        "rss_growth_second_half_mb_per_min": round(slope, 3),
        "samples": [[round(t, 1), round(m, 1)] for t, m in samples[:: max(1, len(samples) // 20)]],
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    stream = MessageStream()
    result: dict[str, Any] = {
        "benchmark": "chat_throughput",
        "qt_platform": QApplication.platformName(),
        "pyside6": PySide6.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "step_seconds": args.step_seconds,
        "limits": {"lag_p99_ms": LAG_P99_LIMIT_MS, "ingest_to_paint_p99_ms": PAINT_P99_LIMIT_MS},
        "scrollback": CAPACITY,
    }
    freeze_startup_heap()  # as the app does once its window is up
    for single_arrivals in () if args.skip_throughput else (True, False):
        mode = mode_name(single_arrivals)
        section: dict[str, Any] = {}
        targets: Iterator[type[Target]] = iter((PanelTarget, NaiveTarget))
        for target_type in targets:
            target = target_type(Tracker())
            await settle(0.5)
            section[target.name] = await sustained_rate(
                target, stream, args.step_seconds, args.max_rate, single_arrivals
            )
            target.close()
            await settle(0.3)
        panel_rate = section["chat_panel"]["sustained_msgs_per_s"]
        naive_rate = section["naive_list_widget"]["sustained_msgs_per_s"]
        section["ratio_panel_to_naive"] = round(panel_rate / naive_rate, 1) if naive_rate else None
        result[mode] = section
    result["rss_before_flood_mb"] = round(rss_mb(), 1)
    if args.flood_seconds > 0:
        print(f"  flood: {args.flood_rate} msg/s for {args.flood_seconds} s", file=sys.stderr)
        result["flood"] = await flood(stream, args.flood_rate, args.flood_seconds, args.sample_every)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step-seconds", type=float, default=5.0, help="length of each rate step")
    parser.add_argument("--max-rate", type=float, default=100_000.0, help="stop doubling the rate here")
    parser.add_argument("--flood-seconds", type=float, default=600.0, help="memory flood duration (0 skips it)")
    parser.add_argument("--flood-rate", type=float, default=200.0, help="messages per second during the flood")
    parser.add_argument("--skip-throughput", action="store_true", help="only the memory flood (a cold process)")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between memory samples")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    # Closing one widget under test must not end the run.
    app.setQuitOnLastWindowClosed(False)
    qInstallMessageHandler(quiet_offscreen_warnings)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        result = loop.run_until_complete(main_async(args))
    finally:
        loop.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
