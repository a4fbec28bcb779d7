"""Lifecycle with the real app as a subprocess: the OBS it started never outlives it, even after kill -9."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from studio_console.obs.launcher import VirtualDisplay, free_port
from tests.helpers.processes import alive, command_of, descendants


def start_demo(tmp_path: Path, env: dict[str, str], *extra: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio_console",
            "--demo",
            "--config-dir",
            str(tmp_path / "studio"),
            "--obs-port",
            str(free_port()),
            "--remote-port",
            "0",
            *extra,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert app.stderr is not None
        for line in app.stderr:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return app, lines


def wait_for_line(lines: queue.Queue[str], pattern: str, seen: list[str], timeout_s: float = 90) -> re.Match[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matching {pattern!r}:\n" + "".join(seen[-60:]))


def wait_gone(pids: set[int], timeout_s: float = 15) -> set[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left:
            return set()
        time.sleep(0.2)
    return {pid for pid in pids if alive(pid)}


@pytest.mark.parametrize("mode", ["window", "headless"])
def test_kill_9_of_the_app_leaves_no_obs(xvfb: VirtualDisplay, tmp_path: Path, mode: str) -> None:
    # The app's window on the session's Xvfb (or no window: --headless); OBS on its own Xvfb, which must go too.
    env = {**os.environ, "STUDIO_CONSOLE_OBS_HEADLESS": "1", "DISPLAY": xvfb.display, "QT_QPA_PLATFORM": "xcb"}
    app, lines = start_demo(tmp_path, env, *(["--headless"] if mode == "headless" else []))
    seen: list[str] = []
    children: set[int] = set()
    try:
        obs_pid = int(wait_for_line(lines, r"started OBS \((?:[^)]*, )?pid (\d+)\)", seen).group(1))
        wait_for_line(lines, r"OBS connection connected", seen)
        children = descendants(app.pid)
        assert obs_pid in children
        assert any(command_of(pid).startswith(("Xvfb", "/usr/bin/Xvfb")) for pid in children), children
        app.send_signal(signal.SIGKILL)
        app.wait(10)
        left = wait_gone(children)
        assert left == set(), {pid: command_of(pid) for pid in left}
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
        if app.stderr is not None:
            app.stderr.close()
        for pid in children:  # whatever the tether did not end, so the next test starts clean
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_second_instance_with_the_same_folder_starts_no_second_api_server(
    xvfb: VirtualDisplay, tmp_path: Path
) -> None:
    env = {**os.environ, "DISPLAY": xvfb.display, "QT_QPA_PLATFORM": "xcb"}
    obs_port = str(free_port())  # nothing answers there: no OBS is needed for this
    command = [sys.executable, "-m", "studio_console", "--config-dir", str(tmp_path), "--obs-port", obs_port]
    first = subprocess.Popen(
        [*command, "--remote-port", "0"], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    first_lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert first.stderr is not None
        for line in first.stderr:
            first_lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    try:
        wait_for_line(first_lines, r"remote-control API listening", seen)
        second = subprocess.run(
            [*command, "--remote-port", "0", "--quit-after", "5"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert "remote-control API listening" not in second.stderr, second.stderr
        assert "already runs" in second.stderr, second.stderr
        assert second.returncode == 0
        assert first.poll() is None  # the first goes on
    finally:
        first.terminate()
        first.wait(30)
        if first.stderr is not None:
            first.stderr.close()
