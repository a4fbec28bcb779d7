"""The overlay follows OBS's typed events: a removed or renamed part means rebuild; visibility is mirrored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from studio_console.obs import events
from studio_console.services.overlay.scene import DEFAULT_SCENE, OverlayService
from tests.helpers.fake_obs_session import FakeObsSession


@pytest.fixture
def overlay(tmp_path: Path) -> tuple[OverlayService, FakeObsSession]:
    session = FakeObsSession()
    service = OverlayService(session, tmp_path)  # type: ignore[arg-type]
    for number, slot in enumerate(service._slots.values(), start=1):
        slot.item_id = number
    service._installed = True
    return service, session


@pytest.mark.parametrize(
    "event",
    [
        events.SceneRemoved(DEFAULT_SCENE),
        events.SceneNameChanged(DEFAULT_SCENE, "Renamed"),
        events.SceneItemRemoved(DEFAULT_SCENE, 1, f"{DEFAULT_SCENE} - product_card"),
        events.InputRemoved(f"{DEFAULT_SCENE} - alert"),
        events.InputNameChanged(f"{DEFAULT_SCENE} - featured_comment", "Mine now"),
    ],
)
def test_a_removed_or_renamed_part_means_reinstall(
    overlay: tuple[OverlayService, FakeObsSession], event: events.ObsEvent
) -> None:
    service, session = overlay
    session.emit(event)
    assert not service.installed


@pytest.mark.parametrize(
    "event",
    [
        events.SceneRemoved("Host"),
        events.SceneNameChanged("Host", "Studio"),
        events.SceneItemRemoved("Host", 1, "Camera"),
        events.InputRemoved("Camera"),
        events.InputNameChanged("Camera", "Cam"),
        events.InputVolumeMeters({}),
    ],
)
def test_other_sources_leave_the_overlay_alone(
    overlay: tuple[OverlayService, FakeObsSession], event: events.ObsEvent
) -> None:
    service, session = overlay
    session.emit(event)
    assert service.installed


def test_visibility_follows_obs(overlay: tuple[OverlayService, FakeObsSession]) -> None:
    service, session = overlay
    session.emit(events.SceneItemEnableStateChanged(DEFAULT_SCENE, 1, True))
    assert service.is_visible("product_card") and not service.is_visible("alert")
    session.emit(events.SceneItemEnableStateChanged("Host", 1, False))  # another scene's item 1
    assert service.is_visible("product_card")
    session.emit(events.SceneItemEnableStateChanged(DEFAULT_SCENE, 1, False))
    assert not service.is_visible("product_card")
    service.close()
    session.emit(events.SceneRemoved(DEFAULT_SCENE))
    assert service.installed  # closed: no longer listening


def test_after_a_collection_switch_the_rebuilt_overlay_nests_only_into_scenes_obs_has(tmp_path: Path) -> None:
    """The remembered scenes of the old collection are not asked for (no "cannot nest" into a scene now gone)."""
    session = FakeObsSession()
    session.snapshot = session.snapshot.model_copy(update={"scenes": ("Alpha", "Bravo")})
    service = OverlayService(session, tmp_path)  # type: ignore[arg-type]

    async def scenario() -> None:
        await service.nest_into(["Alpha", "Bravo"])
        assert {d["sceneName"] for r, d in session.requests if r == "CreateSceneItem" and d} >= {"Alpha", "Bravo"}
        # The producer switches to a collection without the overlay and with other scenes.
        session.snapshot = session.snapshot.model_copy(update={"scenes": ("Main",)})
        session.requests.clear()
        session.emit(events.SceneRemoved(DEFAULT_SCENE))  # as the switch reports it: rebuild
        assert not service.installed
        await service.nest_into(["Main"])
        asked = {d.get("sceneName") for r, d in session.requests if r in ("GetSceneItemList", "CreateSceneItem") and d}
        assert "Main" in asked and not asked & {"Alpha", "Bravo"}, asked

    asyncio.run(scenario())
