"""The Qt bridges only translate: core listeners become view updates, view intents become core calls.

A real StudioCore (no OBS answering: nothing here needs one) with its real services; the views are the
real panels. Failures of intents must reach the core's problems channel, never raise into Qt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio_console.core import Problem, StudioCore
from studio_console.domain.chat import ChatMessage
from studio_console.domain.show import ShowState
from studio_console.qt.bridges.chat_bridge import ChatBridge
from studio_console.qt.bridges.obs_bridge import ObsBridge
from studio_console.qt.bridges.products_bridge import ProductsBridge
from studio_console.qt.models.chat_model import ChatModel
from studio_console.qt.views.audio_strip import AudioStrip
from studio_console.qt.views.chat_panel import ChatPanel
from studio_console.qt.views.products_panel import ProductsPanel
from studio_console.qt.views.scene_panel import ScenePanel
from studio_console.qt.views.show_controls import ShowControls
from tests.helpers.offline_core import offline_core
from tests.helpers.picture_server import png_bytes


@pytest.fixture
def core(tmp_path: Path, qloop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch) -> Iterator[StudioCore]:
    studio, _paths = offline_core(tmp_path, monkeypatch)

    async def build() -> None:
        studio.products = await studio.build_products()
        studio.chat = studio.build_chat(studio.products.show)

    qloop.run_until_complete(build())
    yield studio
    qloop.run_until_complete(studio.close())


def settle(qloop: asyncio.AbstractEventLoop) -> None:
    qloop.run_until_complete(asyncio.sleep(0.05))


def test_obs_bridge_turns_pictures_into_thumbnails_and_clicks_into_switcher_calls(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, core: StudioCore
) -> None:
    panel, controls, strip = ScenePanel(core.settings.effective.shortcuts), ShowControls(), AudioStrip()
    for widget in (panel, controls, strip):
        qtbot.addWidget(widget)
    bridge = ObsBridge(core, panel, controls, strip)
    with qtbot.waitSignal(bridge.thumbnail_ready, timeout=2000) as thumbnail:
        core.thumbnail_images.notify("Host", png_bytes((10, 200, 30), (192, 108)))
    assert thumbnail.args[0] == "Host" and not thumbnail.args[1].isNull()
    with qtbot.assertNotEmitted(bridge.thumbnail_ready):
        core.thumbnail_images.notify("Host", b"not a picture")  # dropped, never a crash

    problems: list[Problem] = []
    core.problems.add(problems.append)
    panel.scene_requested.emit("Host")  # OBS is not connected: the switcher reports, Qt never sees it
    settle(qloop)
    assert problems and problems[-1].transient and "not connected" in problems[-1].text.lower()
    bridge.close()


def test_products_bridge_shows_the_core_state_and_sends_pins_to_the_show(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, core: StudioCore
) -> None:
    panel = ProductsPanel()
    qtbot.addWidget(panel)
    bridge = ProductsBridge(core, panel)
    assert panel.count_label.text().startswith("12")  # the catalog reached the panel
    core.products_changed.notify(ShowState(pinned_sku="ceramic-pour-over-set", pinned_title="Pour-Over", on_air=True))
    QApplication.processEvents()
    assert panel.on_air_label.text() == "On air: Pour-Over"

    problems: list[Problem] = []
    core.problems.add(problems.append)
    panel.pin_requested.emit("ceramic-pour-over-set")
    settle(qloop)
    assert problems, "a pin that cannot reach OBS must be reported"
    assert bridge.core is core


def test_chat_bridge_feeds_the_model_and_blocking_a_user_is_saved(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, core: StudioCore
) -> None:
    model = ChatModel(capacity=100)
    panel = ChatPanel(model)
    qtbot.addWidget(panel)
    bridge = ChatBridge(core, model, panel)
    assert core.chat is not None
    core.chat.ingest(
        ChatMessage(
            source_id="bridge", platform="tiktok", message_id="m1", user_id="ana", display_name="ana", text="hi"
        )
    )
    model.flush()
    assert model.row_of("m1") is not None
    panel.block_user_requested.emit("tiktok", "ana")
    assert "tiktok:ana" in core.settings.saved.chat.rules.blocked_users
    bridge.close()
