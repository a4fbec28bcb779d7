"""Shared helpers for the benchmark scripts: a private OBS, percentiles, the closing JSON line."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.helpers.servers import RunningObs, start_obs  # noqa: E402


def private_obs() -> RunningObs:
    """A headless OBS on a free port with its own configuration, for this benchmark only."""
    return start_obs(Path(tempfile.mkdtemp(prefix="bench-obs-")))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {
        "p50_ms": round(percentile(ms, 50), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(max(ms), 3) if ms else float("nan"),
        "mean_ms": round(statistics.fmean(ms), 3) if ms else float("nan"),
        "n": len(ms),
    }


def emit(result: dict[str, object]) -> None:
    """The one JSON line every benchmark ends with."""
    print(json.dumps(result, sort_keys=True))
