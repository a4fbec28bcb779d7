"""Card placement: the overlay goes into every scene but the excluded ones, new scenes too, and tells the truth."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from studio_console.domain.obs_state import ConnectionState, ConnectionStatus
from studio_console.kernel.tasks import TaskRunner
from studio_console.services.overlay.placement import CardPlacement, PlacementRule
from studio_console.settings.model import ProductSettings
from tests.helpers.fake_obs_session import FakeObsSession

OVERLAY = "Studio Console Overlay"


class NestingOverlay:
    """The two calls placement makes on the overlay, recorded; the scenes it is nested in, kept."""

    scene_name = OVERLAY

    def __init__(self) -> None:
        self.nested: set[str] = set()
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    async def nest_into(self, scenes: Iterable[str]) -> list[str]:
        added = [s for s in scenes if s not in self.nested]
        self.nested |= set(added)
        self.calls.append(("nest", tuple(added)))
        return added

    async def remove_from(self, scenes: Iterable[str]) -> list[str]:
        removed = [s for s in scenes if s in self.nested]
        self.nested -= set(removed)
        self.calls.append(("remove", tuple(removed)))
        return removed


def connected(session: FakeObsSession, scenes: tuple[str, ...], program: str) -> None:
    session.publish(
        session.snapshot.model_copy(
            update={
                "connection": ConnectionState(status=ConnectionStatus.CONNECTED, message="Connected"),
                "scenes": (*scenes, OVERLAY),
                "program_scene": program,
            }
        )
    )


async def settle(tasks: TaskRunner) -> None:
    for _ in range(5):
        await asyncio.sleep(0)
    while tasks.pending:
        await asyncio.sleep(0.001)


def make(rule: PlacementRule) -> tuple[FakeObsSession, NestingOverlay, CardPlacement, TaskRunner, list[PlacementRule]]:
    session = FakeObsSession()
    session.publish(session.snapshot.model_copy(update={"connection": ConnectionState()}))
    overlay = NestingOverlay()
    tasks = TaskRunner()
    saved: list[PlacementRule] = []
    placement = CardPlacement(session, overlay, tasks, rule, saved.append)  # type: ignore[arg-type]
    return session, overlay, placement, tasks, saved


def test_every_scene_of_the_producer_shows_cards_but_the_excluded_ones() -> None:
    async def scenario() -> None:
        session, overlay, placement, tasks, _ = make(PlacementRule(excluded=frozenset({"Be right back"})))
        connected(session, ("Intro", "Host", "Be right back"), program="Intro")
        await settle(tasks)
        assert overlay.nested == {"Intro", "Host"}
        assert placement.covers("Intro") and placement.covers("Host") and not placement.covers("Be right back")
        assert placement.problem_for(session.snapshot) is None

        connected(session, ("Intro", "Host", "Be right back"), program="Be right back")
        problem = placement.problem_for(session.snapshot)
        assert problem is not None and "'Be right back'" in problem and "excluded" in problem
        assert not placement.shows_on_program(session.snapshot)

    asyncio.run(scenario())


def test_a_scene_made_in_obs_during_the_show_gets_the_cards_too() -> None:
    async def scenario() -> None:
        session, overlay, placement, tasks, _ = make(PlacementRule())
        connected(session, ("Intro",), program="Intro")
        await settle(tasks)
        connected(session, ("Intro", "Giveaway"), program="Giveaway")
        await settle(tasks)
        assert overlay.nested == {"Intro", "Giveaway"}
        assert placement.shows_on_program(session.snapshot)

    asyncio.run(scenario())


def test_one_click_fix_includes_the_scene_and_saves_the_rule() -> None:
    async def scenario() -> None:
        session, overlay, placement, tasks, saved = make(PlacementRule(excluded=frozenset({"Outro"})))
        connected(session, ("Intro", "Outro"), program="Outro")
        await settle(tasks)
        assert not placement.shows_on_program(session.snapshot)
        await placement.include("Outro")
        assert placement.shows_on_program(session.snapshot) and "Outro" in overlay.nested
        assert saved[-1].excluded == frozenset()
        await placement.exclude("Intro")
        assert "Intro" not in overlay.nested and saved[-1].excluded == frozenset({"Intro"})

    asyncio.run(scenario())


def test_nothing_is_on_air_while_obs_is_away() -> None:
    async def scenario() -> None:
        session, _, placement, tasks, _ = make(PlacementRule())
        connected(session, ("Intro",), program="Intro")
        await settle(tasks)
        assert placement.covers("Intro")
        session.publish(session.snapshot.model_copy(update={"connection": ConnectionState()}))
        assert not placement.covers("Intro")

    asyncio.run(scenario())


def test_round_one_choice_is_kept_as_only_these_scenes() -> None:
    rule = PlacementRule.from_settings(ProductSettings(card_scenes_mode="chosen", card_scenes=["Host"]))
    assert rule.wants("Host") and not rule.wants("Intro")
    everywhere = PlacementRule.from_settings(ProductSettings(card_excluded_scenes=["Outro"]))
    assert everywhere.wants("Intro") and not everywhere.wants("Outro")
