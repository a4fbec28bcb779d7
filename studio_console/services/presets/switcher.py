"""Switching the studio from one creator's preset to the next, in a safe order, with progress.

Order: refuse while a real audience watches; stop chat; switch OBS's scene collection and profile (and
wait for OBS to report it before anything else is sent); rebuild the overlay and card placement; load
products and queue; apply the brand; select destinations; start chat. A failure stops the switch there,
says which steps were applied and which were not, and never leaves chat stopped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from studio_console.domain.catalog import Catalog
from studio_console.domain.presets import (
    Preset,
    PresetBrand,
    PresetChatSource,
    SwitchProgress,
    SwitchResult,
    SwitchStep,
)
from studio_console.domain.rundown import Rundown
from studio_console.kernel.listeners import Listeners
from studio_console.services.presets.store import PresetError, PresetStore

log = logging.getLogger(__name__)


class PresetRefused(Exception):
    """The switch was not started (live to a real audience, another switch running, unknown preset)."""


class SwitchFailed(Exception):
    """A step failed; ``result`` says what was switched and what was not."""

    def __init__(self, result: SwitchResult) -> None:
        super().__init__(result.message)
        self.result = result


class CollectionSwitcher(Protocol):
    """OBS's scene collections and profiles (obs/collections.py)."""

    async def switch_collection(self, name: str) -> bool: ...
    async def switch_profile(self, name: str) -> bool: ...


class StudioPorts(Protocol):
    """What a switch changes in the running studio; core.py implements it over the real services."""

    async def stop_chat(self) -> None: ...

    async def start_chat(self, sources: tuple[PresetChatSource, ...] | None, blocked_words: tuple[str, ...]) -> None:
        """Start the preset's sources; ``None`` starts again the sources that ``stop_chat`` stopped."""
        ...

    async def rebuild_overlay(self, excluded_scenes: tuple[str, ...]) -> None: ...
    async def load_products(self, preset_name: str, catalog: Catalog, queue: tuple[str, ...]) -> None: ...
    async def load_rundown(self, rundown: Rundown | None) -> None: ...
    async def apply_brand(self, brand: PresetBrand) -> None: ...
    async def apply_destinations(self, preset: Preset) -> None: ...


# Returns a sentence saying why a switch must not run now, or None.
LiveCheck = Callable[[], str | None]


class PresetSwitcher:
    """Applies presets. Listeners: ``progress(SwitchProgress)`` per step, ``finished(SwitchResult)``."""

    def __init__(
        self,
        store: PresetStore,
        ports: StudioPorts,
        collections: CollectionSwitcher | None,
        live_check: LiveCheck,
    ) -> None:
        self.store = store
        self.ports = ports
        self.collections = collections
        self.live_check = live_check
        self.progress: Listeners[[SwitchProgress]] = Listeners("preset switch progress")
        self.finished: Listeners[[SwitchResult]] = Listeners("preset switch finished")
        self.active: str | None = None
        self.last_result: SwitchResult | None = None
        self._running: str | None = None

    @property
    def switching(self) -> str | None:
        return self._running

    def state(self) -> dict[str, object]:
        """The remote API's ``preset`` section."""
        last = self.last_result
        return {
            "active": self.active,
            "switching": self._running,
            "presets": self.store.names(),
            "last": last.model_dump(mode="json") if last is not None else None,
        }

    def _steps(self, preset: Preset) -> list[SwitchStep]:
        steps = [SwitchStep.STOP_CHAT]
        if preset.obs_scene_collection:
            steps.append(SwitchStep.OBS_COLLECTION)
        if preset.obs_profile:
            steps.append(SwitchStep.OBS_PROFILE)
        steps += [
            SwitchStep.OVERLAY,
            SwitchStep.PRODUCTS,
            SwitchStep.RUNDOWN,
            SwitchStep.BRAND,
            SwitchStep.DESTINATIONS,
            SwitchStep.START_CHAT,
        ]
        return steps

    async def switch(self, name: str) -> SwitchResult:
        """Apply the preset ``name``; raises PresetRefused before any change, SwitchFailed after some."""
        if self._running is not None:
            raise PresetRefused(f"The preset {self._running!r} is being switched to; wait for it to finish.")
        reason = self.live_check()
        if reason is not None:
            raise PresetRefused(reason)
        try:
            preset = await asyncio.to_thread(self.store.load, name)
            catalog = await asyncio.to_thread(self.store.load_catalog, preset.name)
        except PresetError as exc:
            raise PresetRefused(str(exc)) from exc
        if self.collections is None and (preset.obs_scene_collection or preset.obs_profile):
            raise PresetRefused(
                "This preset names an OBS scene collection or profile, but OBS cannot be switched here."
            )
        self._running = preset.name
        started = time.monotonic()
        steps = self._steps(preset)
        done: list[SwitchStep] = []
        try:
            for index, step in enumerate(steps):
                self.progress.notify(SwitchProgress(preset=preset.name, step=step, index=index, total=len(steps)))
                await self._run(step, preset, catalog)
                done.append(step)
                self.progress.notify(
                    SwitchProgress(preset=preset.name, step=step, index=index, total=len(steps), done=True)
                )
        except Exception as exc:
            failed = steps[len(done)]
            result = await self._failed(preset, steps, done, failed, exc, time.monotonic() - started)
            raise SwitchFailed(result) from exc
        finally:
            self._running = None
        result = SwitchResult(
            preset=preset.name,
            ok=True,
            switched=tuple(done),
            message=f"Switched to {preset.name}.",
            seconds=time.monotonic() - started,
        )
        self.active = preset.name
        self._finish(result)
        return result

    async def _run(self, step: SwitchStep, preset: Preset, catalog: Catalog) -> None:
        if step is SwitchStep.STOP_CHAT:
            await self.ports.stop_chat()
        elif step is SwitchStep.OBS_COLLECTION:
            assert self.collections is not None and preset.obs_scene_collection
            await self.collections.switch_collection(preset.obs_scene_collection)
        elif step is SwitchStep.OBS_PROFILE:
            assert self.collections is not None and preset.obs_profile
            await self.collections.switch_profile(preset.obs_profile)
        elif step is SwitchStep.OVERLAY:
            await self.ports.rebuild_overlay(preset.excluded_scenes)
        elif step is SwitchStep.PRODUCTS:
            await self.ports.load_products(preset.name, catalog, preset.queue)
        elif step is SwitchStep.RUNDOWN:
            await self.ports.load_rundown(preset.rundown)
        elif step is SwitchStep.BRAND:
            await self.ports.apply_brand(preset.brand)
        elif step is SwitchStep.DESTINATIONS:
            await self.ports.apply_destinations(preset)
        elif step is SwitchStep.START_CHAT:
            await self.ports.start_chat(preset.chat_sources, preset.blocked_words)

    async def _failed(
        self,
        preset: Preset,
        steps: list[SwitchStep],
        done: list[SwitchStep],
        failed: SwitchStep,
        exc: Exception,
        seconds: float,
    ) -> SwitchResult:
        not_done = steps[len(done) :]
        chat_note = ""
        if SwitchStep.STOP_CHAT in done and failed is not SwitchStep.START_CHAT:
            # Chat is never left stopped: the sources that ran before come back.
            try:
                await self.ports.start_chat(None, ())
                chat_note = " Chat was restarted with the previous sources."
            except Exception as restart_exc:
                log.warning("could not restart the previous chat sources: %s", restart_exc)
                chat_note = f" Chat could not be restarted ({restart_exc})."
        applied = [s for s in done if s is not SwitchStep.STOP_CHAT]
        if applied:
            # Part of the new preset is on: the studio is neither the old preset nor the new one.
            self.active = None
        message = (
            f"Switching to {preset.name} failed at {failed.value}: {exc}. "
            f"Switched: {', '.join(s.value for s in applied) or 'nothing'}. "
            f"Not switched: {', '.join(s.value for s in not_done)}.{chat_note}"
        )
        log.warning("%s", message)
        result = SwitchResult(
            preset=preset.name,
            ok=False,
            switched=tuple(applied),
            not_switched=tuple(not_done),
            message=message,
            seconds=seconds,
        )
        self._finish(result)
        return result

    def _finish(self, result: SwitchResult) -> None:
        self.last_result = result
        self.finished.notify(result)
