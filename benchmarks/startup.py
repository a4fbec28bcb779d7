"""Benchmark: time from launching ``studio-console`` (no OBS running, under Xvfb) to its window being shown,
against a bare PySide6 QMainWindow started the same way."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from _common import ROOT, emit, summary_ms

from studio_console.obs.launcher import VirtualDisplay, free_port

RUNS = 5
PEER = """
import sys, time
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QTimer
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1280, 800); w.show()
print("window shown", flush=True)
QTimer.singleShot(300, app.quit)
app.exec()
"""


def time_to_line(args: list[str], env: dict[str, str], marker: str) -> tuple[float, int]:
    started = time.monotonic()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    assert proc.stdout is not None
    seen = float("nan")
    for line in proc.stdout:
        if marker in line and seen != seen:
            seen = time.monotonic() - started
    code = proc.wait(timeout=60)
    return seen, code


def main() -> None:
    display = VirtualDisplay.start()
    env = {**os.environ, "DISPLAY": display.display, "QT_QPA_PLATFORM": "xcb"}
    app_times, peer_times, exit_codes = [], [], []
    try:
        for _ in range(RUNS):
            cfg = tempfile.mkdtemp(prefix="bench-startup-")
            seconds, code = time_to_line(
                [
                    sys.executable,
                    "-m",
                    "studio_console",
                    "--config-dir",
                    cfg,
                    "--obs-port",
                    str(free_port()),
                    "--quit-after",
                    "1",
                ],
                env,
                "window shown",
            )
            app_times.append(seconds)
            exit_codes.append(code)
            peer_seconds, _ = time_to_line([sys.executable, "-c", PEER], env, "window shown")
            peer_times.append(peer_seconds)
    finally:
        display.stop()
    app_s, peer_s = summary_ms(app_times), summary_ms(peer_times)
    emit(
        {
            "benchmark": "startup",
            "runs": RUNS,
            "studio_console_to_window": app_s,
            "bare_qmainwindow_to_window": peer_s,
            "p50_ratio_vs_bare_qt": round(app_s["p50_ms"] / peer_s["p50_ms"], 3),
            "clean_exit_codes": exit_codes,
            "target_ms": 2000,
        }
    )


if __name__ == "__main__":
    main()
