"""Where the cards show: the overlay goes into every scene of the producer's collection but the excluded ones.

A studio's OBS has its own scenes, made before the app ever ran and added to during the show. By
default the overlay scene is nested (one locked item the app owns, nothing else of theirs touched)
into every scene, including scenes created later; the producer excludes the few that must stay clean
("Be right back", a full-screen video). Round-1 settings that named the chosen scenes keep working
as "only these scenes".

The placement also knows the truth about the picture: a card is on air only when the scene on
program shows the overlay, and when it does not, ``problem_for`` names the scene and the fix.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from studio_console.domain.obs_state import ObsSnapshot
from studio_console.kernel.listeners import Listeners
from studio_console.kernel.tasks import TaskRunner
from studio_console.obs.session import ObsSession
from studio_console.services.overlay.scene import OverlayService
from studio_console.settings.model import ProductSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlacementRule:
    """Which scenes show cards: all but ``excluded``, or (round-1 settings) only ``chosen``."""

    excluded: frozenset[str] = frozenset()
    chosen: frozenset[str] | None = None

    @classmethod
    def from_settings(cls, products: ProductSettings) -> PlacementRule:
        if products.card_scenes_mode == "chosen":
            return cls(excluded=frozenset(products.card_excluded_scenes), chosen=frozenset(products.card_scenes))
        return cls(excluded=frozenset(products.card_excluded_scenes))

    def wants(self, scene: str) -> bool:
        if scene in self.excluded:
            return False
        return self.chosen is None or scene in self.chosen


class CardPlacement:
    """Keeps the overlay nested where the rule wants it, as scenes come and go in OBS.

    Listeners of ``changed`` are told when the covered scenes change (the on-air truth may change).
    """

    def __init__(
        self,
        session: ObsSession,
        overlay: OverlayService,
        tasks: TaskRunner,
        rule: PlacementRule,
        save_rule: Callable[[PlacementRule], None],
    ) -> None:
        self.session = session
        self.overlay = overlay
        self.tasks = tasks
        self.rule = rule
        self._save_rule = save_rule
        self._covered: set[str] = set()
        self._known_scenes: tuple[str, ...] = ()
        self._connected = False
        self.changed: Listeners[[]] = Listeners("card placement")
        self._unsubscribe = session.subscribe(self._on_snapshot)

    def close(self) -> None:
        self._unsubscribe()

    # -- truth ------------------------------------------------------------------------------------

    def covers(self, scene: str | None) -> bool:
        """Does ``scene`` show the overlay (as far as the app knows from what it did and OBS reported)?"""
        return scene is not None and (scene == self.overlay.scene_name or scene in self._covered)

    def problem_for(self, snapshot: ObsSnapshot, what: str = "cards") -> str | None:
        """A sentence when the scene on program (or preview, in studio mode) does not show the overlay."""
        program = snapshot.program_scene
        if program is not None and not self.covers(program):
            if not self.rule.wants(program):
                return f"Scene '{program}' is excluded from {what} (Tools > Scenes that show cards)."
            return f"Scene '{program}' does not show {what} yet."
        return None

    def shows_on_program(self, snapshot: ObsSnapshot) -> bool:
        return self.covers(snapshot.program_scene)

    @property
    def covered_scenes(self) -> frozenset[str]:
        return frozenset(self._covered)

    # -- changes ----------------------------------------------------------------------------------

    def scenes_wanted(self, scenes: Iterable[str]) -> list[str]:
        return [s for s in scenes if s != self.overlay.scene_name and self.rule.wants(s)]

    async def set_rule(self, rule: PlacementRule) -> None:
        """The producer changed which scenes show cards: save it and apply it to OBS now."""
        self.rule = rule
        self._save_rule(rule)
        await self.apply()

    async def exclude(self, scene: str, excluded: bool = True) -> None:
        names = set(self.rule.excluded)
        (names.add if excluded else names.discard)(scene)
        await self.set_rule(PlacementRule(excluded=frozenset(names), chosen=self.rule.chosen))

    async def include(self, scene: str) -> None:
        """The one-click fix for "scene X does not show cards"."""
        chosen = self.rule.chosen
        if chosen is not None:
            chosen = chosen | {scene}
        await self.set_rule(PlacementRule(excluded=self.rule.excluded - {scene}, chosen=chosen))

    async def apply(self) -> None:
        """Nest into every wanted scene and out of every scene no longer wanted (only the app's item)."""
        scenes = [s for s in self.session.snapshot.scenes if s != self.overlay.scene_name]
        wanted = self.scenes_wanted(scenes)
        unwanted = [s for s in scenes if s not in wanted]
        if unwanted:
            await self.overlay.remove_from(unwanted)
        await self.overlay.nest_into(wanted)
        self._covered = set(wanted)
        self.changed.notify()

    def _on_snapshot(self, snapshot: ObsSnapshot) -> None:
        connected = snapshot.connection.connected
        was_connected, self._connected = self._connected, connected
        if not connected:
            if self._covered:
                self._covered = set()
                self.changed.notify()
            return
        scenes = tuple(s for s in snapshot.scenes if s != self.overlay.scene_name)
        if not was_connected or scenes != self._known_scenes:
            # New scenes made in OBS during the show get the cards too; a restarted OBS is checked again.
            self._known_scenes = scenes
            self.tasks.latest("card-placement", self._apply_logged)

    async def _apply_logged(self) -> None:
        try:
            await self.apply()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("could not place the cards: %s", exc)
            raise
