"""The run of show on a real OBS with its own scene collection: each cue's scene and card land in one frame."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest
from obswebsocket import requests
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from studio_console.domain.card import CardLayout, CardRect, card_rect
from studio_console.domain.rundown import Cue, CueKind, EndAction, FlashSale, Rundown, TimerPhase
from studio_console.obs.requests import SetCurrentProgramScene
from studio_console.render.card_renderer import CardRenderer
from studio_console.services.overlay.scene import OverlayService
from studio_console.services.products.catalog_io import demo_catalog_path, import_json
from studio_console.services.products.show import ProductShow
from studio_console.services.rundown.service import RundownService
from studio_console.services.rundown.stage import ShowStage
from tests.e2e.conftest import reset_obs
from tests.e2e.test_app_with_obs import make_app
from tests.e2e.test_product_cards import call, connected_session, remove_overlay, wait_for, wait_for_frame
from tests.helpers.screens import changed_fraction, program_screenshot
from tests.helpers.servers import RunningObs

# A full-canvas colour per scene, so a screenshot tells which scene is on program.
SCENE_COLOURS = {"Alpha": 0xFF2030C0, "Bravo": 0xFF20A040, "Charlie": 0xFFC04020}  # OBS reads ABGR
BACKDROP = "Rundown backdrop"


def rgb_of(abgr: int) -> tuple[int, int, int]:
    return abgr & 0xFF, (abgr >> 8) & 0xFF, (abgr >> 16) & 0xFF


def remove_backdrops(obs: RunningObs) -> None:
    """Take the backdrops out of the shared OBS: their scene items first (OBS 29 keeps a removed input
    drawn in scenes for a while otherwise), then the inputs."""
    client = obs.client()
    try:
        for scene in SCENE_COLOURS:
            items = client.call(requests.GetSceneItemList(sceneName=scene)).datain.get("sceneItems", [])
            for item in items:
                if str(item.get("sourceName", "")).startswith(BACKDROP):
                    client.call(requests.RemoveSceneItem(sceneName=scene, sceneItemId=item["sceneItemId"]))
        for scene in SCENE_COLOURS:
            client.call(requests.RemoveInput(inputName=f"{BACKDROP} {scene}"))
    finally:
        client.disconnect()


@pytest.fixture(scope="module")
def coloured_scenes(shared_obs: RunningObs) -> Iterator[None]:
    # Once per module: OBS 29 keeps a removed input listed (its name taken) for a while when it is
    # not on program, so removing and re-creating it between tests fails.
    reset_obs(shared_obs)  # the base scenes exist before the first test's reset
    for scene, colour in SCENE_COLOURS.items():
        call(
            shared_obs,
            requests.CreateInput(
                sceneName=scene,
                inputName=f"{BACKDROP} {scene}",
                inputKind="color_source_v3",
                inputSettings={"color": colour, "width": 640, "height": 360},
                sceneItemEnabled=True,
            ),
        )
    yield
    remove_backdrops(shared_obs)


@pytest.fixture(autouse=True)
def no_overlay_left(obs: RunningObs) -> Iterator[None]:
    remove_overlay(obs)
    yield
    remove_overlay(obs)


def scene_colour_at(frame: QImage, x: int, y: int) -> str | None:
    pixel = QColor(frame.pixel(x, y))
    for scene, colour in SCENE_COLOURS.items():
        r, g, b = rgb_of(colour)
        if max(abs(pixel.red() - r), abs(pixel.green() - g), abs(pixel.blue() - b)) <= 8:
            return scene
    return None


def plain_backdrop(scene: str) -> QImage:
    image = QImage(640, 360, QImage.Format.Format_RGB32)
    r, g, b = rgb_of(SCENE_COLOURS[scene])
    image.fill(QColor(r, g, b))
    return image


def card_shown(frame: QImage, scene: str, rect: CardRect) -> float:
    return changed_fraction(plain_backdrop(scene), frame, rect)


# One planned second each: every cue overruns while the test looks at it.
RUNDOWN = Rundown(
    title="e2e",
    cues=(
        Cue(id="tote", title="Tote", kind=CueKind.PRODUCT, duration_s=1, scene="Alpha", sku="canvas-market-tote"),
        Cue(
            id="buds",
            title="Earbuds",
            kind=CueKind.PRODUCT,
            duration_s=1,
            scene="Bravo",
            sku="wireless-earbuds-pro",
            price_action=FlashSale(deal_price=Decimal("19.99"), countdown_s=30),
        ),
        Cue(id="talk", title="Q&A", kind=CueKind.SEGMENT, duration_s=1, scene="Charlie", end_action=EndAction.HOLD),
    ),
)


def test_each_cue_puts_its_scene_and_card_on_program_in_one_go(
    obs: RunningObs, coloured_scenes: None, tmp_path: Path, qapp: object
) -> None:
    async def main() -> None:
        session = await connected_session(obs)
        overlay = OverlayService(session, tmp_path)
        await overlay.install()
        await overlay.nest_into(list(SCENE_COLOURS))
        show = ProductShow(overlay, CardRenderer(), import_json(demo_catalog_path()).catalog)
        service = RundownService(ShowStage(show, lambda: session.snapshot.scenes), RUNDOWN)
        rect = card_rect(CardLayout.LOWER_THIRD, 640, 360)
        try:
            await service.go(0)
            # The first screenshot after go() shows the new scene and its card: one serial-frame batch.
            frame = await program_screenshot(session, 640, 360)
            assert scene_colour_at(frame, 630, 10) == "Alpha"
            assert card_shown(frame, "Alpha", rect) > 0.5
            tote = frame

            await service.next()
            frame = await program_screenshot(session, 640, 360)
            assert scene_colour_at(frame, 630, 10) == "Bravo"
            assert card_shown(frame, "Bravo", rect) > 0.5
            assert show.state.flash_sale is not None and show.state.pinned_sku == "wireless-earbuds-pro"
            # The flash sale counts down on the card in program output.
            await wait_for_frame(session, lambda f: changed_fraction(frame, f, rect) > 0.0, "the countdown")
            assert changed_fraction(tote, frame, rect) > 0.05  # another product's card

            await service.next()
            frame = await program_screenshot(session, 640, 360)
            assert scene_colour_at(frame, 630, 10) == "Charlie"
            assert card_shown(frame, "Charlie", rect) == 0.0  # a segment without a product: no card
            state = service.state
            assert state.timer.current is not None and state.timer.current.title == "Q&A"
            assert state.problem is None
            # Left to overrun: overtime, and the live cue's overage soon outweighs what earlier cues saved.
            await wait_for(lambda: service.state.timer.phase is TimerPhase.OVERTIME, what="overtime")
            await wait_for(lambda: service.state.timer.over_under_s > 0, what="a positive over/under")
            state = service.state
            live_over = state.timer.overtime_s
            finished = sum(r.over_under_s or 0 for r in state.records[:2])
            assert state.timer.over_under_s == pytest.approx(finished + live_over, abs=0.05)
        finally:
            await service.close()
            await show.close()
            overlay.close()
            await session.stop()

    asyncio.run(main())


def test_a_preheat_teaser_has_no_price_and_an_unknown_scene_changes_nothing(
    obs: RunningObs, coloured_scenes: None, tmp_path: Path, qapp: object
) -> None:
    preheat = Rundown(
        cues=(
            Cue(
                id="pre",
                title="Doors",
                kind=CueKind.PREHEAT,
                duration_s=600,
                scene="Bravo",
                target_time=time(23, 59),
                teaser_skus=("canvas-market-tote",),
            ),
            Cue(id="nope", title="Missing scene", duration_s=60, scene="No such scene", sku="canvas-market-tote"),
        )
    )

    async def main() -> None:
        session = await connected_session(obs)
        overlay = OverlayService(session, tmp_path)
        await overlay.install()
        await overlay.nest_into(list(SCENE_COLOURS))
        show = ProductShow(overlay, CardRenderer(), import_json(demo_catalog_path()).catalog)
        service = RundownService(ShowStage(show, lambda: session.snapshot.scenes), preheat)
        rect = card_rect(CardLayout.LOWER_THIRD, 640, 360)
        try:
            await show.pin("canvas-market-tote")
            await session.call(SetCurrentProgramScene("Bravo"))
            priced = await program_screenshot(session, 640, 360)
            await service.go(0)
            teaser = await program_screenshot(session, 640, 360)
            assert scene_colour_at(teaser, 630, 10) == "Bravo"
            assert card_shown(teaser, "Bravo", rect) > 0.3
            assert changed_fraction(priced, teaser, rect) > 0.02  # drawn without the price and code
            assert show.desired_card() is not None and show.desired_card().teaser  # type: ignore[union-attr]
            with pytest.raises(Exception, match="no scene named 'No such scene'"):
                await service.go(1)
            after = await program_screenshot(session, 640, 360)
            assert scene_colour_at(after, 630, 10) == "Bravo"
            assert service.state.problem is not None
        finally:
            await service.close()
            await show.close()
            overlay.close()
            await session.stop()

    asyncio.run(main())


RUNDOWN_CSV = (
    "title,kind,duration,scene,sku,deal_price,countdown_s,end_action,talking_points\n"
    "Tote,product,0:01,Alpha,canvas-market-tote,,,hold,Holds 20 kg | Washable\n"
    "Earbuds,product,0:01,Bravo,wireless-earbuds-pro,19.99,30,hold,\n"
    "Q&A,segment,1,Charlie,,,,hold,\n"
)


def test_the_app_runs_a_rundown_imported_through_the_api(
    coloured_scenes: None, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, obs: RunningObs, tmp_path: Path
) -> None:
    csv_path = tmp_path / "friday.csv"
    csv_path.write_text(RUNDOWN_CSV, encoding="utf-8")
    rect = card_rect(CardLayout.LOWER_THIRD, 640, 360)
    with make_app(qtbot, qloop, obs, tmp_path / "app") as app:
        session = app.core.session

        def screenshot() -> QImage:
            return app.loop.run_until_complete(program_screenshot(session, 640, 360))

        status, body = app.api("POST", "/api/v1/rundown/import", {"path": str(csv_path)})
        assert status == 200 and body["imported"] == 3 and body["failed"] == 0, body
        assert app.shell.rundown_panel.list.count() == 3

        status, body = app.api("POST", "/api/v1/rundown/go", {"index": 0})
        assert status == 200, body
        frame = screenshot()
        assert scene_colour_at(frame, 630, 10) == "Alpha" and card_shown(frame, "Alpha", rect) > 0.5
        status, state = app.api("GET", "/api/v1/state")
        section = state["rundown"]
        assert section["current"] == {"index": 0, "title": "Tote", "kind": "product"}
        assert section["next"]["title"] == "Earbuds"
        assert section["remaining_s"] <= 1 and section["projected_end"] is not None
        assert state["products"]["pinned_sku"] == "canvas-market-tote"

        status, body = app.api("POST", "/api/v1/rundown/next")
        assert status == 200 and body["rundown"]["current"]["index"] == 1
        frame = screenshot()
        assert scene_colour_at(frame, 630, 10) == "Bravo" and card_shown(frame, "Bravo", rect) > 0.5
        status, state = app.api("GET", "/api/v1/state")
        assert state["products"]["flash_sale"]["deal_price"] == "19.99"
        app.loop.run_until_complete(
            wait_for_frame(session, lambda f: changed_fraction(frame, f, rect) > 0.0, "the flash-sale countdown")
        )

        status, body = app.api("POST", "/api/v1/rundown/next")
        assert status == 200 and body["rundown"]["current"]["title"] == "Q&A"
        frame = screenshot()
        assert scene_colour_at(frame, 630, 10) == "Charlie" and card_shown(frame, "Charlie", rect) == 0.0

        assert app.core.rundown is not None
        service = app.core.rundown.service
        app.wait(lambda: service.state.timer.phase is TimerPhase.OVERTIME, what="overtime")
        # The API rounds to tenths: wait for a whole second over.
        app.wait(lambda: service.state.timer.over_under_s > 1, what="a positive over/under")
        status, state = app.api("GET", "/api/v1/state")
        section = state["rundown"]
        assert section["phase"] == "overtime" and section["over_under_s"] > 0
        assert section["remaining_s"] < 0 and section["current"]["index"] == 2
        # The panel follows: locked while live, the live cue marked.
        panel = app.shell.rundown_panel
        app.wait(lambda: panel.state.locked and panel.list.item(2).text().startswith("▶"), what="the panel")

        status, body = app.api("POST", "/api/v1/rundown/go", {"index": 9})
        assert status == 404
        status, body = app.api("POST", "/api/v1/rundown/import", {"path": str(csv_path)})
        assert status == 409 and "locked" in body["error"]
        status, body = app.api("POST", "/api/v1/rundown/end")
        assert status == 200 and body["rundown"]["ended"] and not body["rundown"]["locked"]
