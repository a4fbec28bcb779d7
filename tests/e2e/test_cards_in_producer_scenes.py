"""The producer's own OBS (its own scenes, no demo mode, nothing set up): cards show on whatever is on air.

The scene collection is the test's own (Alpha, Bravo, Charlie, and one made during the show); no scene
is chosen for cards. ``on_air`` in the remote API is true only when OBS's program picture shows the card.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from obswebsocket import requests
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from studio_console.domain.card import CardLayout, CardRect, card_rect
from tests.e2e.test_app_with_obs import App, make_app
from tests.e2e.test_product_cards import remove_overlay
from tests.helpers.screens import changed_fraction, program_screenshot
from tests.helpers.servers import RunningObs

CANVAS = (640, 360)
SKU = "ceramic-pour-over-set"


@pytest.fixture
def app(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, obs: RunningObs, tmp_path: Path) -> Iterator[App]:
    remove_overlay(obs)
    with make_app(qtbot, qloop, obs, tmp_path) as running:
        yield running
    remove_overlay(obs)


def obs_call(obs: RunningObs, request: object) -> None:
    client = obs.client()
    try:
        client.call(request)
    finally:
        client.disconnect()


def frame(app: App) -> QImage:
    return app.loop.run_until_complete(program_screenshot(app.core.session, *CANVAS))


def card_fraction(app: App, blank: QImage) -> float:
    return changed_fraction(blank, frame(app), card_rect(CardLayout.LOWER_THIRD, *CANVAS))


def on_program(app: App, obs: RunningObs, scene: str) -> None:
    obs_call(obs, requests.SetCurrentProgramScene(sceneName=scene))
    app.wait(lambda: app.core.session.snapshot.program_scene == scene, what=f"{scene} on program")


def wait_card(app: App, blank: QImage, shown: bool, what: str) -> None:
    deadline = time.monotonic() + 10
    while (card_fraction(app, blank) > 0.3) != shown:
        assert time.monotonic() < deadline, what
        app.loop.run_until_complete(asyncio.sleep(0.1))


def test_card_shows_in_the_producers_own_scenes_and_never_in_an_excluded_one(app: App, obs: RunningObs) -> None:
    blanks = {}
    for scene in ("Alpha", "Bravo", "Charlie"):
        on_program(app, obs, scene)
        blanks[scene] = frame(app)
    on_program(app, obs, "Alpha")
    status, body = app.api("POST", "/api/v1/product/pin", {"sku": SKU})
    assert status == 200, body
    wait_card(app, blanks["Alpha"], True, "the pinned card never reached OBS's program output in Alpha")
    status, state = app.api("GET", "/api/v1/state")
    assert state["products"]["on_air"] is True and state["products"]["problem"] is None

    # A scene made in OBS during the show gets the cards too.
    obs_call(obs, requests.CreateScene(sceneName="Delta"))
    app.wait(lambda: "Delta" in app.core.session.snapshot.scenes, what="the new scene")
    app.wait(lambda: app.core.placement is not None and app.core.placement.covers("Delta"), what="Delta covered")
    on_program(app, obs, "Delta")
    blank_delta = blanks["Alpha"]  # Delta is empty: the same black canvas
    wait_card(app, blank_delta, True, "the card does not show in a scene made during the show")

    # The producer excludes Charlie: switching there takes the card off air, and the API says why.
    assert app.core.placement is not None
    app.loop.run_until_complete(app.core.placement.exclude("Charlie"))
    on_program(app, obs, "Charlie")
    wait_card(app, blanks["Charlie"], False, "the card shows in a scene the producer excluded")
    status, state = app.api("GET", "/api/v1/state")
    assert state["products"]["on_air"] is False
    assert "'Charlie'" in state["products"]["problem"]
    assert app.core.settings.saved.products.card_excluded_scenes == ["Charlie"]

    # The one-click fix puts it back.
    app.loop.run_until_complete(app.core.placement.include("Charlie"))
    wait_card(app, blanks["Charlie"], True, "the card did not come back after including the scene")
    status, state = app.api("GET", "/api/v1/state")
    assert state["products"]["on_air"] is True


def test_featured_comment_is_not_claimed_on_air_in_an_excluded_scene(app: App, obs: RunningObs) -> None:
    assert app.core.placement is not None
    status, body = app.api("POST", "/api/v1/chat/messages", {"platform": "tiktok", "user": "ana", "text": "link?"})
    assert status == 201, body
    status, _ = app.api("POST", "/api/v1/chat/feature", {"id": body["id"]})
    assert status == 200
    assert app.core.chat_on_air is not None
    chat_on_air = app.core.chat_on_air
    app.wait(lambda: chat_on_air.featured_on_air, what="featured comment in its slot")
    status, state = app.api("GET", "/api/v1/state")
    assert state["chat"]["featured_on_air"] is True and state["chat"]["featured_problem"] is None
    app.loop.run_until_complete(app.core.placement.exclude("Bravo"))
    on_program(app, obs, "Bravo")
    status, state = app.api("GET", "/api/v1/state")
    assert state["chat"]["featured_on_air"] is False
    assert "'Bravo'" in state["chat"]["featured_problem"]


def test_gift_alert_is_only_claimed_on_air_where_program_shows_it(app: App, obs: RunningObs) -> None:
    from studio_console.domain.chat import ChatKind, ChatMessage

    assert app.core.placement is not None and app.core.chat is not None and app.core.chat_on_air is not None
    chat, chat_on_air = app.core.chat, app.core.chat_on_air
    blank = frame(app)

    def gift(n: int) -> None:
        chat.ingest(
            ChatMessage(
                source_id="tiktok",
                platform="tiktok",
                message_id=f"gift-{n}",
                kind=ChatKind.GIFT,
                user_id="u1",
                display_name="maria",
                gift_name="Rose",
                gift_count=5,
            )
        )

    app.do(lambda: gift(1))
    app.wait(lambda: chat_on_air.alert_on_air, what="the gift alert in its slot")
    top = CardRect(0, 0, CANVAS[0], CANVAS[1] // 3)  # alerts sit at the top of the canvas
    assert changed_fraction(blank, frame(app), top) > 0.02, "the alert is not in OBS's program picture"
    _, state = app.api("GET", "/api/v1/state")
    assert state["chat"]["alert_on_air"] is True

    app.loop.run_until_complete(app.core.placement.exclude("Bravo"))
    on_program(app, obs, "Bravo")
    app.do(lambda: gift(2))
    app.wait(lambda: chat_on_air.alert_on_air, what="the second alert in its slot")
    _, state = app.api("GET", "/api/v1/state")
    assert state["chat"]["alert_on_air"] is False  # Bravo does not show the overlay
