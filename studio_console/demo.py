"""Every demo-mode choice in one place: the managed OBS, the demo catalog and queue, the rehearsal audience.

Demo mode makes a rehearsal studio out of this PC with no account anywhere. Nothing here runs
without ``--demo``: the producer's own OBS, catalog and chat are never touched by these defaults.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets as pysecrets
import time
from typing import Any

from studio_console.domain.catalog import Catalog
from studio_console.obs.discovery import current_system, install_hint
from studio_console.obs.launcher import ObsConfig, ObsProcess, launch_obs, obs_executable
from studio_console.settings.model import ChatSourceConfig
from studio_console.settings.paths import AppPaths
from studio_console.settings.secrets import SecretStore

log = logging.getLogger(__name__)

# The keyring entry of the random WebSocket password the demo OBS is started with.
DEMO_OBS_PASSWORD = "demo-obs-password"
# The starter scene that stays clean of cards.
DEMO_EXCLUDED_SCENES = ("Be right back",)
DEMO_QUEUE_LENGTH = 6
REHEARSAL_CHAT_RATE = 2.0


def demo_obs_password(secrets: SecretStore) -> str:
    password = secrets.get(DEMO_OBS_PASSWORD)
    if not password:
        password = pysecrets.token_urlsafe(18)
        secrets.set(DEMO_OBS_PASSWORD, password)
    return password


def demo_queue(catalog: Catalog) -> list[str]:
    return [p.sku for p in catalog.products[:DEMO_QUEUE_LENGTH]]


def rehearsal_audience(catalog: Catalog) -> ChatSourceConfig:
    """A rehearsal audience asking about the catalog's products by their short codes."""
    codes = tuple(p.short_code for p in catalog.products if p.short_code)
    options: dict[str, Any] = {"rate_per_s": REHEARSAL_CHAT_RATE, "seed": int(time.time())}
    if codes:
        options["short_codes"] = codes
    return ChatSourceConfig(kind="rehearsal", options=options)


class ManagedObs:
    """The OBS instance the app starts (demo mode, or *Launch OBS*) and restarts, with its own configuration."""

    def __init__(self, paths: AppPaths, port: int, password: str) -> None:
        self.config = ObsConfig(home=paths.demo_obs_home, port=port, password=password)
        self.process: ObsProcess | None = None

    async def ensure_running(self) -> bool:
        if obs_executable() is None:
            raise FileNotFoundError(install_hint(current_system()))
        loop = asyncio.get_running_loop()
        if self.process is None or not self.process.running():
            self.config.home.mkdir(parents=True, exist_ok=True)
            old_display = self.process.display if self.process is not None else None
            # STUDIO_CONSOLE_OBS_HEADLESS=1 keeps OBS's own window off the screen (own Xvfb).
            headless = True if os.environ.get("STUDIO_CONSOLE_OBS_HEADLESS") == "1" else None
            self.process = await loop.run_in_executor(
                None, lambda: launch_obs(self.config, display=old_display, headless=headless)
            )
        await loop.run_in_executor(None, self.process.wait_port, 60.0)
        return True

    async def stop(self) -> None:
        if self.process is not None:
            process, self.process = self.process, None
            await asyncio.get_running_loop().run_in_executor(None, process.stop)
