"""SIGTERM and SIGHUP end the real app (demo mode, its own OBS) in order: layout saved, no OBS left behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from studio_console.obs.launcher import VirtualDisplay, free_port

# The launcher's line: "started OBS (PATH, pid 123) on websocket port 4455".
STARTED_OBS = re.compile(r"started OBS \((?:[^)]*, )?pid (\d+)\)")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for every purpose but the process table.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_quit_signal_saves_layout_and_stops_the_obs_the_app_started(
    xvfb: VirtualDisplay, tmp_path: Path, signum: signal.Signals
) -> None:
    env = {**os.environ, "DISPLAY": xvfb.display, "QT_QPA_PLATFORM": "xcb", "STUDIO_CONSOLE_SECRETS": "file"}
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio_console",
            "--demo",
            "--config-dir",
            str(tmp_path),
            "--obs-port",
            str(free_port()),
            "--remote-port",
            "0",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert app.stderr is not None
    lines: list[str] = []
    connected = threading.Event()

    def read() -> None:
        assert app.stderr is not None
        for line in app.stderr:
            lines.append(line)
            if "connected to OBS" in line:
                connected.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert connected.wait(90), "demo mode never connected to its OBS:\n" + "".join(lines[-40:])
        obs_pids = [
            int(m.group(1)) for line in lines if (m := re.search(r"started OBS \((?:[^)]*, )?pid (\d+)\)", line))
        ]
        assert obs_pids, "".join(lines)
        app.send_signal(signum)
        assert app.wait(timeout=60) == 0, "".join(lines[-40:])
    finally:
        if app.poll() is None:
            app.kill()
    reader.join(timeout=5)
    text = "".join(lines)
    assert f"{signum.name} received" in text and "Studio Console stopped" in text, text[-3000:]
    # An orderly stop: nothing failed on the way out (widgets torn down after the loop closed once did).
    assert "Traceback" not in text and "never awaited" not in text, text[-3000:]
    deadline = time.monotonic() + 10
    while any(pid_alive(pid) for pid in obs_pids):
        assert time.monotonic() < deadline, f"OBS {obs_pids} outlived the app after {signum.name}"
        time.sleep(0.1)
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert saved["window"]["geometry_b64"] and saved["window"]["dock_state_b64"]
