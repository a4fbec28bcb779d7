"""The only writer of settings: ``update`` -> a ``changed`` event -> a debounced, off-thread atomic save.

What is saved and what this run uses are kept apart: command-line overrides (``--obs-port``,
``--remote-port``, ``--log-level``) shape ``effective`` and are never written to the file. Every
section is an immutable value from the services' point of view: an update replaces the section with
a validated copy, so a listener that kept the old one never sees it change under its feet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from studio_console.kernel.listeners import Listeners
from studio_console.settings.model import Settings
from studio_console.settings.store import SettingsSaveError, SettingsStore

log = logging.getLogger(__name__)

SAVE_DELAY_S = 0.5


@dataclass(frozen=True)
class Overrides:
    """Values given on the command line for this run only."""

    obs_host: str | None = None
    obs_port: int | None = None
    remote_port: int | None = None
    log_level: str | None = None

    def apply(self, saved: Settings) -> Settings:
        obs: dict[str, Any] = {}
        if self.obs_host:
            obs["host"] = self.obs_host
        if self.obs_port:
            obs["port"] = self.obs_port
        update: dict[str, Any] = {}
        if obs:
            update["obs"] = saved.obs.model_validate({**saved.obs.model_dump(), **obs})
        if self.remote_port is not None:
            update["remote"] = saved.remote.model_validate({**saved.remote.model_dump(), "port": self.remote_port})
        if self.log_level:
            update["log_level"] = self.log_level
        return saved.model_copy(update=update) if update else saved


class SettingsKeeper:
    """Owns the settings of a running app.

    Listeners of ``changed`` get the names of the sections that changed and the new effective settings.
    Saves happen ``SAVE_DELAY_S`` after the last update, in a worker thread (the file is fsynced);
    ``flush()`` saves now (quit, preset switch). A failed save keeps the previous file intact and is
    reported through ``save_failed``; the next update tries again.
    """

    def __init__(self, store: SettingsStore, saved: Settings, overrides: Overrides | None = None) -> None:
        self.store = store
        self.overrides = overrides or Overrides()
        self._saved = saved
        self._effective = self.overrides.apply(saved)
        self.changed: Listeners[[frozenset[str], Settings]] = Listeners("settings changed")
        self.save_failed: Listeners[[SettingsSaveError]] = Listeners("settings save failed")
        self._dirty = False
        self._save_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def saved(self) -> Settings:
        """What is (or is about to be) in the settings file."""
        return self._saved

    @property
    def effective(self) -> Settings:
        """What this run uses: the saved settings with the command-line overrides."""
        return self._effective

    def update(self, section: str, **changes: Any) -> Settings:
        """Replace fields of one section (``update("products", card_layout="side_panel")``), validated."""
        current = getattr(self._saved, section)
        if isinstance(current, BaseModel):
            value: Any = type(current).model_validate({**current.model_dump(), **changes})
        else:
            if set(changes) != {"value"}:
                raise TypeError(f"settings.{section} is a plain value: use update({section!r}, value=...)")
            value = changes["value"]
        return self.replace({section: value})

    def replace(self, sections: dict[str, Any]) -> Settings:
        """Replace whole sections at once (one event, one save); values are validated by the model."""
        raw = self._saved.model_dump()
        for name, value in sections.items():
            raw[name] = value.model_dump() if isinstance(value, BaseModel) else value
        self._saved = Settings.model_validate(raw)
        self._effective = self.overrides.apply(self._saved)
        self._schedule_save()
        self.changed.notify(frozenset(sections), self._effective)
        return self._effective

    def _schedule_save(self) -> None:
        self._dirty = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a script or a sync test): save now
            self._save_now()
            return
        if self._save_task is None or self._save_task.done():
            self._save_task = loop.create_task(self._save_later(), name="settings-save")

    async def _save_later(self) -> None:
        await asyncio.sleep(SAVE_DELAY_S)
        await self.flush()

    async def flush(self) -> None:
        """Save now if anything changed since the last save."""
        async with self._lock:
            if not self._dirty:
                return
            self._dirty = False
            snapshot = self._saved
            try:
                await asyncio.to_thread(self.store.save, snapshot)
            except SettingsSaveError as exc:
                self._dirty = True
                log.error("%s", exc)
                self.save_failed.notify(exc)

    def _save_now(self) -> None:
        self._dirty = False
        try:
            self.store.save(self._saved)
        except SettingsSaveError as exc:
            self._dirty = True
            log.error("%s", exc)
            self.save_failed.notify(exc)

    async def close(self) -> None:
        """Save what is pending and stop the delayed save."""
        task, self._save_task = self._save_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()

    def subscribe(self, listener: Callable[[frozenset[str], Settings], object]) -> Callable[[], None]:
        return self.changed.add(listener)
