"""The upload the relay really sustained: measured from the destinations' sent bitrates, kept in a file."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from studio_console.domain.stream import RelayDestinationStatus, RelayState, UploadMeasurement
from studio_console.settings.atomic import corrupt_aside_path, write_text_atomic

log = logging.getLogger(__name__)

UPLOAD_FILE = "relay-upload.json"
# "Sustained" means the mean over at least this long: one second's figure swings with every keyframe.
SUSTAINED_WINDOW_S = 10.0
_FORMAT = 1


@dataclass(frozen=True)
class LoadedUpload:
    measurement: UploadMeasurement | None
    # A sentence for the operator when the file could not be used (it was kept aside).
    notice: str | None = None


class UploadStore:
    """``relay-upload.json`` in the app's data folder: the last rehearsal's measurement, written atomically."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / UPLOAD_FILE

    def load(self) -> LoadedUpload:
        """The saved measurement; a file that cannot be read is moved aside (never fatal) and said so."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return LoadedUpload(None)
        except OSError as exc:
            return LoadedUpload(None, f"{self.path}: cannot be read ({exc}); the upload counts as never measured.")
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("format") != _FORMAT:
                raise ValueError(f"field 'format': expected {_FORMAT}")
            measurement = UploadMeasurement.model_validate(data.get("last_rehearsal"))
        except json.JSONDecodeError as exc:
            problem = f"line {exc.lineno}: {exc.msg}"
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "last_rehearsal"
            problem = f"field 'last_rehearsal.{field}': {first['msg']}"
        except ValueError as exc:
            problem = str(exc)
        else:
            return LoadedUpload(measurement)
        aside = corrupt_aside_path(self.path)
        kept = ""
        with contextlib.suppress(OSError):
            self.path.replace(aside)
            kept = f" It was kept as {aside.name}."
        log.warning("upload measurement file %s is unusable (%s)", self.path, problem)
        return LoadedUpload(
            None, f"{self.path} ({problem}) could not be used; the upload counts as never measured.{kept}"
        )

    def save(self, measurement: UploadMeasurement) -> None:
        """Blocking (fsync): call it off the loop. Raises OSError; the previous file is then unchanged."""
        data = {"format": _FORMAT, "last_rehearsal": measurement.model_dump(mode="json")}
        write_text_atomic(self.path, json.dumps(data, indent=2) + "\n")


class UploadMeter:
    """Follows the relay's statuses and finds, per session, the highest total sustained over the window.

    A session runs from the first destination started until none is running. The total at any moment
    is the sum of the bitrates the live destinations last reported (each about once a second); it is
    averaged over time, and the best full window of the session is the measurement. ``on_measured``
    gets it when the session ends, and while it runs when it rose (at most every ``save_every_s``),
    so a crash mid-show keeps what was measured.
    """

    save_every_s = 30.0

    def __init__(
        self,
        on_measured: Callable[[UploadMeasurement], None],
        is_real_audience: Callable[[str], bool],
        *,
        window_s: float = SUSTAINED_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._on_measured = on_measured
        self._is_real = is_real_audience
        self.window_s = window_s
        self._clock = clock
        self._wall = wall
        self._latest: dict[str, RelayDestinationStatus] = {}
        # (time, total kbps from then on, live destinations) while the session runs.
        self._samples: deque[tuple[float, float, int]] = deque()
        self._session_start: float | None = None
        self._real_in_session = False
        self._best: UploadMeasurement | None = None
        self._reported: UploadMeasurement | None = None
        self._last_report = 0.0

    @property
    def best(self) -> UploadMeasurement | None:
        """The best window of the running (or last) session so far."""
        return self._best

    def on_status(self, status: RelayDestinationStatus) -> None:
        now = self._clock()
        self._latest[status.destination_id] = status
        running = [s for s in self._latest.values() if s.state not in (RelayState.STOPPED, RelayState.FAILED)]
        if not running:
            self._end_session(now)
            return
        if self._session_start is None:
            self._session_start, self._best, self._reported = now, None, None
            self._last_report = now
            self._real_in_session = False
            self._samples.clear()
        live = [s for s in running if s.state is RelayState.LIVE]
        self._real_in_session |= any(self._is_real(s.destination_id) for s in live)
        total = sum(s.bitrate_kbps for s in live)
        self._samples.append((now, total, len(live)))
        self._measure(now)
        if self._best is not None and self._best != self._reported and now - self._last_report >= self.save_every_s:
            self._report(now)

    def _measure(self, now: float) -> None:
        """The mean total over [now - window, now], once the session has lasted a whole window."""
        assert self._session_start is not None
        start = now - self.window_s
        if start < self._session_start or not self._samples:
            return
        while len(self._samples) > 1 and self._samples[1][0] <= start:
            self._samples.popleft()
        area = 0.0
        most = 0
        for (t0, kbps, count), nxt in zip(self._samples, [*list(self._samples)[1:], None], strict=True):
            t_end = nxt[0] if nxt is not None else now
            span = max(0.0, t_end - max(t0, start))
            area += kbps * span
            if span > 0:
                most = max(most, count)
        if self._samples[0][0] > start:
            return  # the window is not covered by samples yet
        mean = area / self.window_s
        if self._best is None or mean > self._best.kbps:
            self._best = UploadMeasurement(
                kbps=round(mean, 1),
                measured_at=self._wall(),
                window_s=self.window_s,
                destinations=most,
                rehearsal=not self._real_in_session,
            )

    def finish(self) -> UploadMeasurement | None:
        """The app quits: end the session now; returns its measurement when not yet handed to ``on_measured``."""
        now = self._clock()
        if self._session_start is not None:
            self._end_session(now, report=False)
        return self._best if self._best is not None and self._best != self._reported else None

    def _end_session(self, now: float, *, report: bool = True) -> None:
        if self._session_start is None:
            return
        # The last state held until now: count it before the session closes.
        if self._samples:
            self._samples.append((now, 0.0, 0))
            self._measure(now)
        self._session_start = None
        self._samples.clear()
        if self._best is not None:
            final = self._best.model_copy(update={"measured_at": self._wall(), "rehearsal": not self._real_in_session})
            self._best = final
            if report:
                self._report(now)

    def _report(self, now: float) -> None:
        assert self._best is not None
        self._reported, self._last_report = self._best, now
        try:
            self._on_measured(self._best)
        except Exception:
            log.exception("recording the upload measurement failed")
