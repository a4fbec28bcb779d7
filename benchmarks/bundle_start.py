"""Benchmark: build time of the desktop bundle, and its demo-mode start (launch to OBS connected and the demo
catalog loaded, via GET /api/v1/state) against the same app started from the source venv."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, emit, summary_ms

from tests.helpers.installed_app import demo_ready, start_demo

RUNS = 3


def time_to_ready(command: list[str]) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
        started = time.monotonic()
        run = start_demo(command, Path(tmp))
        try:
            run.wait_until(demo_ready, timeout=180)
            return time.monotonic() - started
        finally:
            run.stop()


def main() -> None:
    dist = Path(tempfile.mkdtemp(prefix="bench-bundle-dist-"))
    started = time.monotonic()
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "build_bundle.sh")],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "BUNDLE_DIST": str(dist)},
    )
    build_s = time.monotonic() - started
    bundle = [str(dist / "studio-console" / "studio-console")]
    source = [sys.executable, "-m", "studio_console"]
    # Alternating, so a busy moment on the shared machine does not land on one side only. Each run starts
    # its own demo OBS on its own Xvfb (STUDIO_CONSOLE_OBS_HEADLESS=1), as a producer's demo would.
    bundle_s, source_s = [], []
    for _ in range(RUNS):
        bundle_s.append(time_to_ready(bundle))
        source_s.append(time_to_ready(source))
    files = [f for f in (dist / "studio-console").rglob("*") if f.is_file() and not f.is_symlink()]
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    bundle_summary, source_summary = summary_ms(bundle_s), summary_ms(source_s)
    emit(
        {
            "benchmark": "bundle_start",
            "build_s": round(build_s, 1),
            "bundle_size_mb": round(size_mb, 1),
            "bundle_ready": bundle_summary,
            "source_venv_ready": source_summary,
            "ratio_bundle_to_source_p50": round(bundle_summary["p50_ms"] / source_summary["p50_ms"], 2),
        }
    )


if __name__ == "__main__":
    main()
