"""Starts an installed Studio Console (a wheel's entry point or the bundle) in demo mode and asks its remote API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio_console.obs.launcher import free_port

TOKEN_ENV = "STUDIO_CONSOLE_TEST_TOKEN"
TOKEN = "demo-run-token-0123456789abcdef"


@dataclass
class DemoRun:
    """One app process in demo mode with its own config folder, OBS port and remote-API port."""

    process: subprocess.Popen[bytes]
    root: Path
    remote_port: int
    log_path: Path

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.remote_port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def wait_until(self, ready: Any, timeout: float) -> dict[str, Any]:
        """Poll ``GET /api/v1/state`` until ``ready(state)``; raise with the app's log when it never is."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the app exited with {self.process.returncode}:\n{self.log()}")
            try:
                status, last = self.api("GET", "/api/v1/state")
            except OSError:
                status = 0
            if status == 200 and ready(last):
                return dict(last)
            time.sleep(0.1)
        raise AssertionError(f"not ready within {timeout:.0f} s; last state {last}\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]

    def stop(self) -> bool:
        """End the app (SIGTERM: its orderly shutdown stops the demo OBS), else kill it and what it left.

        Returns whether the app ended by itself within 30 s.
        """
        orderly = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                orderly = False
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for pid in _processes_configured_under(self.root):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return orderly


def _processes_configured_under(root: Path) -> list[int]:
    """Processes whose XDG_CONFIG_HOME lies under ``root``: the demo OBS (Linux /proc)."""
    marker = f"XDG_CONFIG_HOME={root}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if any(item.startswith(marker) for item in environ.split(b"\0")):
            found.append(int(entry.name))
    return found


def start_demo(command: list[str], root: Path, extra_env: dict[str, str] | None = None) -> DemoRun:
    """Run ``command`` (the app) with ``--demo`` in ``root``, its working directory, off the checkout."""
    remote_port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(
        {
            "QT_QPA_PLATFORM": "offscreen",
            "STUDIO_CONSOLE_OBS_HEADLESS": "1",  # the demo OBS on its own Xvfb
            "STUDIO_CONSOLE_SECRETS": "file",  # never the developer's keyring
            TOKEN_ENV: TOKEN,
            **(extra_env or {}),
        }
    )
    log_path = root / "app.log"
    argv = [
        *command,
        "--demo",
        "--config-dir",
        str(root / "config"),
        "--obs-port",
        str(free_port()),
        "--remote-port",
        str(remote_port),
        "--remote-token-env",
        TOKEN_ENV,
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            argv,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return DemoRun(process, root, remote_port, log_path)


def demo_ready(state: dict[str, Any]) -> bool:
    """OBS connected and the demo catalog's queue (six products) loaded."""
    return state.get("connection") == "connected" and len(state.get("products", {}).get("queue", [])) == 6
