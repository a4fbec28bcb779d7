"""The real app in demo mode as a process (its own OBS), for tests that kill, signal or inspect it from outside."""

from __future__ import annotations

import json
import os
import re
import secrets as pysecrets
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from studio_console.obs.launcher import VirtualDisplay, free_port
from studio_console.settings.paths import AppPaths
from studio_console.settings.secrets import REMOTE_TOKEN, SecretStore, stream_key_name


class DemoApp:
    """``studio-console --demo`` as a process; its stderr lines are kept."""

    def __init__(self, config: Path, display: VirtualDisplay, *, obs_port: int | None = None) -> None:
        self.config = config
        self.paths = AppPaths.under(config)
        self.paths.ensure()
        store = SecretStore.open(self.paths.config_dir, self.paths.custom_root)
        # Set before the first start, as an operator would have typed them on an earlier day; a second
        # instance on the same folder finds them there.
        if store.get(REMOTE_TOKEN) is None:
            store.set(stream_key_name("twitch"), "live_" + pysecrets.token_hex(12))
            store.set(stream_key_name("youtube"), "-".join(pysecrets.token_hex(2) for _ in range(5)))
            store.set(REMOTE_TOKEN, pysecrets.token_urlsafe(24))
        self.twitch_key = store.get(stream_key_name("twitch")) or ""
        self.youtube_key = store.get(stream_key_name("youtube")) or ""
        self.token = store.get(REMOTE_TOKEN) or ""
        self.obs_port = obs_port or free_port()
        self.remote_port = free_port()
        env = {**os.environ, "DISPLAY": display.display, "QT_QPA_PLATFORM": "xcb", "STUDIO_CONSOLE_SECRETS": "file"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "studio_console",
                "--demo",
                "--config-dir",
                str(config),
                "--obs-port",
                str(self.obs_port),
                "--remote-port",
                str(self.remote_port),
            ],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self.connected = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if "connected to OBS" in line:
                self.connected.set()

    def obs_pids(self) -> list[int]:
        return [
            int(m.group(1)) for line in self.lines if (m := re.search(r"started OBS \((?:[^)]*, )?pid (\d+)\)", line))
        ]

    def api(self, method: str, path: str, token: str | None = None) -> tuple[int, str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.remote_port}{path}",
            method=method,
            headers={"Authorization": f"Bearer {token or self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def state(self, token: str | None = None) -> dict[str, Any]:
        status, body = self.api("GET", "/api/v1/state", token)
        assert status == 200, body
        answer: dict[str, Any] = json.loads(body)
        return answer

    def stop(self) -> None:
        """SIGTERM and wait: the app shuts down in order (and stops the OBS it started)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(timeout=5)
