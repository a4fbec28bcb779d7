"""Product cards on a real OBS: overlay installed once, pin/unpin seen in program output, flash sale, 9:16."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from obswebsocket import requests

from studio_console.domain.card import CardLayout, card_rect
from studio_console.obs.requests import SetCurrentProgramScene
from studio_console.obs.session import ObsSession
from studio_console.render.card_renderer import CardRenderer
from studio_console.services.overlay.scene import DEFAULT_SCENE, DEFAULT_SLOTS, OverlayService
from studio_console.services.products.catalog_io import demo_catalog_path, import_json
from studio_console.services.products.show import ProductShow
from tests.helpers.screens import changed_fraction, changed_outside, program_screenshot
from tests.helpers.servers import RunningObs

PRODUCT = "canvas-market-tote"  # one variant, 4 left, a compare-at price: every line of the card


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.01)


async def connected_session(obs: RunningObs) -> ObsSession:
    session = ObsSession("127.0.0.1", obs.port, obs.password)
    session.start()
    await wait_for(lambda: session.snapshot.connection.connected, what="connection")
    return session


def call(obs: RunningObs, request: Any) -> dict[str, Any]:
    client = obs.client()
    try:
        response = client.call(request)
        assert response.status, response.datain
        return dict(response.datain)
    finally:
        client.disconnect()


def remove_overlay(obs: RunningObs) -> None:
    """Leave the shared OBS as the fixture expects it: no overlay scene, no item nesting it.

    OBS 29 keeps a removed scene alive (unlisted, its name taken, still drawn) while other scenes nest
    it, so the fixture's RemoveScene alone would leave the card behind for the next test.
    """
    client = obs.client()
    try:
        for scene in client.call(requests.GetSceneList()).datain["scenes"]:
            name = scene["sceneName"]
            for item in client.call(requests.GetSceneItemList(sceneName=name)).datain.get("sceneItems", []):
                if item["sourceName"] == DEFAULT_SCENE:
                    client.call(requests.RemoveSceneItem(sceneName=name, sceneItemId=item["sceneItemId"]))
        client.call(requests.RemoveScene(sceneName=DEFAULT_SCENE))
        for slot in DEFAULT_SLOTS:
            client.call(requests.RemoveInput(inputName=f"{DEFAULT_SCENE} - {slot}"))
        client.call(requests.RemoveInput(inputName="Host camera"))
    finally:
        client.disconnect()


@pytest.fixture(autouse=True)
def no_overlay_left(obs: RunningObs) -> Iterator[None]:
    remove_overlay(obs)
    yield
    remove_overlay(obs)


def input_names(obs: RunningObs) -> list[str]:
    return [i["inputName"] for i in call(obs, requests.GetInputList())["inputs"]]


def items_of(obs: RunningObs, scene: str) -> list[dict[str, Any]]:
    return list(call(obs, requests.GetSceneItemList(sceneName=scene))["sceneItems"])


def test_install_twice_creates_no_duplicates_and_leaves_producer_sources_alone(obs: RunningObs, tmp_path: Path) -> None:
    call(
        obs,
        requests.CreateInput(
            sceneName="Alpha",
            inputName="Host camera",
            inputKind="color_source_v3",
            inputSettings={"color": 0xFF336699, "width": 320, "height": 180},
            sceneItemEnabled=True,
        ),
    )
    host_before = items_of(obs, "Alpha")
    host_settings = call(obs, requests.GetInputSettings(inputName="Host camera"))["inputSettings"]

    async def main() -> None:
        session = await connected_session(obs)
        try:
            overlay = OverlayService(session, tmp_path)
            await overlay.install()
            await overlay.install()
            assert await overlay.nest_into(["Alpha", "Bravo"]) == ["Alpha", "Bravo"]
            assert await overlay.nest_into(["Alpha", "Bravo"]) == []
            # Repairs: a slot input deleted in OBS, a duplicate item of another slot; a new service
            # (the app restarted) installs over what exists.
            call(obs, requests.RemoveInput(inputName=overlay.input_name("alert")))
            # OBS answers a removal before it has finished it (on its video thread).
            await wait_for(lambda: overlay.input_name("alert") not in input_names(obs), what="the input removal")
            call(obs, requests.CreateSceneItem(sceneName=DEFAULT_SCENE, sourceName=overlay.input_name("product_card")))
            again = OverlayService(session, tmp_path)
            await again.install()
            await again.nest_into(["Alpha"])
            overlay.close()
            again.close()
        finally:
            await session.stop()

    asyncio.run(main())
    scenes = [s["sceneName"] for s in call(obs, requests.GetSceneList())["scenes"]]
    assert scenes.count(DEFAULT_SCENE) == 1
    inputs = [i["inputName"] for i in call(obs, requests.GetInputList())["inputs"]]
    ours = sorted(name for name in inputs if name.startswith(DEFAULT_SCENE))
    assert ours == [f"{DEFAULT_SCENE} - {slot}" for slot in ("alert", "featured_comment", "product_card")]
    overlay_items = items_of(obs, DEFAULT_SCENE)
    assert sorted(i["sourceName"] for i in overlay_items) == ours
    assert all(i["inputKind"] == "image_source" and i["sceneItemLocked"] for i in overlay_items)
    alpha = items_of(obs, "Alpha")
    assert [i["sourceName"] for i in alpha] == ["Host camera", DEFAULT_SCENE]
    assert alpha[0] == host_before[0]  # same item, same transform, same visibility
    assert call(obs, requests.GetInputSettings(inputName="Host camera"))["inputSettings"] == host_settings
    assert [i["sourceName"] for i in items_of(obs, "Bravo")] == [DEFAULT_SCENE]
    assert items_of(obs, "Charlie") == []


async def start_show(obs: RunningObs, tmp_path: Path) -> tuple[ObsSession, OverlayService, ProductShow]:
    session = await connected_session(obs)
    overlay = OverlayService(session, tmp_path)
    await overlay.install()
    await overlay.nest_into(session.snapshot.scenes)
    catalog = import_json(demo_catalog_path()).catalog
    show = ProductShow(overlay, CardRenderer(), catalog)
    return session, overlay, show


def test_pinned_card_appears_in_program_output_and_unpin_removes_it(
    obs: RunningObs, tmp_path: Path, qapp: object
) -> None:
    async def main() -> None:
        session, overlay, show = await start_show(obs, tmp_path)
        try:
            rect = card_rect(CardLayout.LOWER_THIRD, 640, 360)
            empty = await program_screenshot(session, 640, 360)
            await show.pin(PRODUCT)
            # The first screenshot after pin() already shows the card: the serial-frame batch puts
            # the new picture and the visible item into the same video frame.
            pinned = await program_screenshot(session, 640, 360)
            assert changed_fraction(empty, pinned, rect) > 0.5
            assert changed_outside(empty, pinned, rect) == 0
            assert show.state.on_air and show.state.pinned_sku == PRODUCT

            await show.pin("wireless-earbuds-pro")  # another product replaces the card in place
            await wait_for_frame(session, lambda f: changed_fraction(pinned, f, rect) > 0.05, "the second card")

            await show.unpin()  # returns once OBS no longer draws the card
            unpinned = await program_screenshot(session, 640, 360)
            assert changed_fraction(empty, unpinned, rect, tolerance=0, step=1) == 0.0
            assert not show.state.on_air

            await session.call(SetCurrentProgramScene("Bravo"))
            await show.pin(PRODUCT)  # the overlay is nested into every scene: the card follows the program
            on_bravo = await program_screenshot(session, 640, 360)
            assert changed_fraction(empty, on_bravo, rect) > 0.5
        finally:
            await show.close()
            overlay.close()
            await session.stop()

    asyncio.run(main())


async def wait_for_frame(session: ObsSession, predicate: Callable[[Any], bool], what: str) -> Any:
    video = session.snapshot.video
    assert video is not None
    deadline = time.monotonic() + 10
    while True:
        frame = await program_screenshot(session, video.base_width, video.base_height)
        if predicate(frame):
            return frame
        if time.monotonic() > deadline:
            raise AssertionError(f"OBS never showed {what}")
        await asyncio.sleep(0.05)


def test_running_flash_sale_changes_the_card_between_screenshots(obs: RunningObs, tmp_path: Path, qapp: object) -> None:
    async def main() -> None:
        session, overlay, show = await start_show(obs, tmp_path)
        try:
            rect = card_rect(CardLayout.LOWER_THIRD, 640, 360)
            empty = await program_screenshot(session, 640, 360)
            await show.pin(PRODUCT)
            regular = await program_screenshot(session, 640, 360)
            await show.start_flash_sale(PRODUCT, "12.99", 30)
            sale = show.state.flash_sale
            assert sale is not None and sale.seconds_left == 30
            first = await wait_for_frame(session, lambda f: changed_fraction(regular, f, rect) > 0.01, "the sale card")
            # A second later the countdown has moved on: the card on air changed again.
            second = await wait_for_frame(session, lambda f: changed_fraction(first, f, rect) > 0.0, "the countdown")
            assert changed_outside(empty, second, rect) == 0
            assert show.state.flash_sale is not None and show.state.flash_sale.seconds_left < 30
            await show.stop_flash_sale()
            back = await wait_for_frame(
                session, lambda f: changed_fraction(regular, f, rect, tolerance=0, step=1) == 0.0, "the regular card"
            )
            assert changed_fraction(empty, back, rect) > 0.5
        finally:
            await show.close()
            overlay.close()
            await session.stop()

    asyncio.run(main())


def test_vertical_canvas_gets_the_vertical_layout(obs: RunningObs, tmp_path: Path, qapp: object) -> None:
    def set_canvas(width: int, height: int) -> None:
        call(
            obs,
            requests.SetVideoSettings(baseWidth=width, baseHeight=height, outputWidth=width, outputHeight=height),
        )

    async def main() -> None:
        session, overlay, show = await start_show(obs, tmp_path)
        try:
            await show.pin(PRODUCT)
            set_canvas(360, 640)
            await session.refresh_video()  # what the app's orientation switch does after SetVideoSettings
            rect = card_rect(CardLayout.LOWER_THIRD, 360, 640)
            assert rect != card_rect(CardLayout.LOWER_THIRD, 640, 360)
            # The canvas change alone re-renders the pinned card for 9:16.
            pinned = await wait_for_frame(session, lambda f: _card_only_in(f, rect), "the vertical card")
            await show.unpin()
            unpinned = await program_screenshot(session, 360, 640)
            assert changed_fraction(unpinned, pinned, rect) > 0.5
            assert changed_outside(unpinned, pinned, rect) == 0
            await show.set_layout(CardLayout.SIDE_PANEL)
            await show.pin(PRODUCT)
            side = await program_screenshot(session, 360, 640)
            side_rect = card_rect(CardLayout.SIDE_PANEL, 360, 640)
            assert changed_fraction(unpinned, side, side_rect) > 0.5
            assert changed_outside(unpinned, side, side_rect) == 0
        finally:
            await show.close()
            overlay.close()
            await session.stop()

    try:
        asyncio.run(main())
    finally:
        set_canvas(640, 360)  # the OBS fixture is shared by the whole test session


def _card_only_in(frame: Any, rect: Any) -> bool:
    """The Alpha scene is black: the card is the only thing drawn, and all of it lies in ``rect``."""
    black = frame.copy()
    black.fill(0xFF000000)
    return changed_fraction(black, frame, rect) > 0.5 and changed_outside(black, frame, rect) == 0


def test_overlay_removed_in_obs_is_rebuilt_and_nested_again(obs: RunningObs, tmp_path: Path, qapp: object) -> None:
    async def main() -> None:
        session, overlay, show = await start_show(obs, tmp_path)
        try:
            rect = card_rect(CardLayout.LOWER_THIRD, 640, 360)
            empty = await program_screenshot(session, 640, 360)
            await show.pin(PRODUCT)
            # The producer deletes the overlay scene in OBS; OBS 29 keeps drawing it where it is nested.
            call(obs, requests.RemoveScene(sceneName=DEFAULT_SCENE))
            await wait_for(lambda: not overlay.installed, what="the overlay to notice")
            await show.pin("cork-yoga-mat")
            pinned = await program_screenshot(session, 640, 360)
            assert changed_fraction(empty, pinned, rect) > 0.5 and changed_outside(empty, pinned, rect) == 0
            scenes = [s["sceneName"] for s in call(obs, requests.GetSceneList())["scenes"]]
            assert scenes.count(DEFAULT_SCENE) == 1
            for scene in ("Alpha", "Bravo", "Charlie"):
                assert [i["sourceName"] for i in items_of(obs, scene)].count(DEFAULT_SCENE) == 1
            await show.unpin()
            unpinned = await program_screenshot(session, 640, 360)
            assert changed_fraction(empty, unpinned, rect, tolerance=0, step=1) == 0.0
        finally:
            await show.close()
            overlay.close()
            await session.stop()

    asyncio.run(main())
