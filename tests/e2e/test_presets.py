"""Creator presets against a real OBS with its own scene collections, the remote API and a real nginx-rtmp.

Two presets differ in brand, products, destination, chat source and OBS scene collection. Switching
A -> B through ``POST /api/v1/preset`` changes OBS's scene collection, the card drawn for B's product
(B's panel colour in OBS's program picture), the selected destination and the chat sources. While live
to nginx-rtmp (a custom RTMP destination: a real audience) a switch is refused. B's export holds none
of the secrets the test set.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from obswebsocket import requests as obs_requests
from PIL import Image
from pytestqt.qtbot import QtBot

from studio_console.cli import LaunchOptions
from studio_console.core import StudioCore
from studio_console.domain.card import CardLayout, Theme, card_rect
from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.domain.obs_status import OutputPhase
from studio_console.domain.presets import (
    Preset,
    PresetBrand,
    PresetChatSource,
    PresetDestination,
    preset_stream_key_name,
)
from studio_console.services.obs_control.thumbnails import ScreenshotFeed
from studio_console.settings.paths import AppPaths
from studio_console.settings.secrets import OBS_PASSWORD, REMOTE_TOKEN, SecretStore
from studio_console.settings.store import SettingsStore
from tests.helpers.servers import NginxRtmp, RunningObs

TOKEN = "preset-e2e-token-0123456789"
B_KEY = "ben-live-StreamKey-93kQ"
PANEL_A = (30, 58, 138)
PANEL_B = (15, 150, 60)


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#FF" + "".join(f"{c:02X}" for c in rgb)


def product(sku: str, title: str) -> Product:
    return Product(
        sku=sku,
        title=title,
        short_code=sku.replace("-", ""),
        variants=(Variant(sku=f"{sku}-1", options={"Size": "One"}, price=Decimal("19.00"), stock=40),),
    )


PRESET_A = Preset(
    name="Anna Linen",
    creator="Anna",
    brand=PresetBrand(theme=Theme(panel=hex_colour(PANEL_A)), card_layout=CardLayout.LOWER_THIRD),
    queue=("A-TEE",),
    destinations=(PresetDestination(sink_id="local_test_server"),),
    selected_destination="local_test_server",
    chat_sources=(
        PresetChatSource(
            kind="twitch", options={"source_id": "twitch-anna", "channel": "anna", "host": "127.0.0.1", "port": 9}
        ),
    ),
    obs_scene_collection="Show A",
)
PRESET_B = Preset(
    name="Ben Gadgets",
    creator="Ben",
    brand=PresetBrand(theme=Theme(panel=hex_colour(PANEL_B)), card_layout=CardLayout.LOWER_THIRD),
    queue=("B-MUG",),
    chat_sources=(
        PresetChatSource(
            kind="twitch", options={"source_id": "twitch-ben", "channel": "ben", "host": "127.0.0.1", "port": 9}
        ),
    ),
    blocked_words=("scam",),
    obs_scene_collection="Show B",
)


def make_collections(obs: RunningObs) -> str:
    """Two scene collections with a scene each, made through the OBS client; returns the one OBS started in."""
    client = obs.client()
    try:
        start = client.call(obs_requests.GetSceneCollectionList()).datain["currentSceneCollectionName"]
        for collection, scene in (("Show A", "A Main"), ("Show B", "B Main")):
            client.call(obs_requests.CreateSceneCollection(sceneCollectionName=collection))
            wait_for_collection(client, collection)
            client.call(obs_requests.CreateScene(sceneName=scene))
            client.call(obs_requests.SetCurrentProgramScene(sceneName=scene))
        client.call(obs_requests.SetCurrentSceneCollection(sceneCollectionName=start))
        wait_for_collection(client, start)
        return str(start)
    finally:
        client.disconnect()


def wait_for_collection(client: Any, name: str, timeout: float = 30.0) -> None:
    started = time.monotonic()
    while client.call(obs_requests.GetSceneCollectionList()).datain["currentSceneCollectionName"] != name:
        assert time.monotonic() - started < timeout, f"OBS never switched to {name}"
        time.sleep(0.1)


def current_collection(obs: RunningObs) -> str:
    client = obs.client()
    try:
        return str(client.call(obs_requests.GetSceneCollectionList()).datain["currentSceneCollectionName"])
    finally:
        client.disconnect()


async def until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def distance(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    return max(abs(x - y) for x, y in zip(a, b, strict=False))


@pytest.fixture
def studio_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STUDIO_CONSOLE_SECRETS", "file")
    return tmp_path / "studio"


def test_switching_presets_through_the_api_changes_obs_card_destination_and_chat(
    own_obs: RunningObs, nginx_rtmp: NginxRtmp, studio_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_collections(own_obs)
    paths = AppPaths.under(studio_root)
    paths.ensure()
    secrets = SecretStore.open(paths.config_dir, paths.custom_root)
    secrets.set(OBS_PASSWORD, own_obs.password)
    secrets.set(REMOTE_TOKEN, TOKEN)
    store = SettingsStore(paths.settings_file)
    options = LaunchOptions(obs_port=own_obs.port, remote_port=0, config_dir=studio_root, headless=True)
    core = StudioCore(options, paths, store, store.load().settings, secrets=secrets)
    core.preset_store.save(PRESET_A, Catalog(products=(product("A-TEE", "Anna's Linen Tee"),)))
    feed = ScreenshotFeed(core.session, lambda *_: None, width=640)

    def api(method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        assert core.remote_server is not None
        request = urllib.request.Request(
            f"http://127.0.0.1:{core.remote_server.bound_port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    async def card_colour() -> tuple[int, int, int]:
        """The median colour of a strip inside the card's right edge in OBS's program picture."""
        scene = core.session.snapshot.program_scene
        assert scene
        shot = await feed.capture(scene)
        assert shot, "OBS sent no screenshot"
        image = Image.open(io.BytesIO(shot)).convert("RGB").resize((640, 360))
        rect = card_rect(CardLayout.LOWER_THIRD, 640, 360)
        strip = [
            image.getpixel((x, y))
            for x in range(rect.x + rect.width - 10, rect.x + rect.width - 4)
            for y in range(rect.y + rect.height // 3, rect.y + 2 * rect.height // 3)
        ]
        channels = [sorted(p[i] for p in strip)[len(strip) // 2] for i in range(3)]  # type: ignore[index]
        return channels[0], channels[1], channels[2]

    async def main() -> None:
        await core.start()
        try:
            await until(lambda: core.session.snapshot.connection.connected, "OBS connection")
            assert core.golive is not None and core.chat is not None and core.products is not None
            # Destinations are instances: Ben's nginx-rtmp is one the studio added (id chosen by go-live).
            rtmp_id = core.golive.add_destination("custom_rtmp", "Ben's RTMP")
            await core.golive.set_server_url(rtmp_id, nginx_rtmp.url)
            preset_b = PRESET_B.model_copy(
                update={"destinations": (PresetDestination(sink_id=rtmp_id),), "selected_destination": rtmp_id}
            )
            core.preset_store.save(preset_b, Catalog(products=(product("B-MUG", "Ben's Smart Mug"),)))
            core.preset_store.set_day_order([PRESET_A.name, PRESET_B.name])
            secrets.set(preset_stream_key_name(PRESET_B.name, rtmp_id), B_KEY)

            status, body = await asyncio.to_thread(api, "POST", "/api/v1/preset", {"name": PRESET_A.name})
            assert status == 200, body
            assert current_collection(own_obs) == "Show A"
            assert core.golive.status.selected == "local_test_server"
            assert "twitch-anna" in core.chat.sources

            status, body = await asyncio.to_thread(api, "POST", "/api/v1/preset", {"name": PRESET_B.name})
            assert status == 200, body
            assert body["preset"]["ok"] is True
            assert current_collection(own_obs) == "Show B"
            assert core.golive.status.selected == rtmp_id
            assert "twitch-ben" in core.chat.sources and "twitch-anna" not in core.chat.sources
            assert [c.options["channel"] for c in core.settings.saved.chat.sources] == ["ben"]
            assert core.chat.rules.blocked_words == ("scam",)
            assert [p.sku for p in core.products.show.catalog.products] == ["B-MUG"]
            status, state = await asyncio.to_thread(api, "GET", "/api/v1/state")
            assert state["preset"]["active"] == PRESET_B.name, state["preset"]

            assert core.session.snapshot.program_scene == "B Main"
            status, body = await asyncio.to_thread(api, "POST", "/api/v1/product/pin", {"sku": "B-MUG"})
            assert status == 200, body
            started = time.monotonic()
            while distance(colour := await card_colour(), PANEL_B) > 30:
                assert time.monotonic() - started < 20, f"B's card never showed B's brand (saw {colour})"
                await asyncio.sleep(0.2)
            assert distance(colour, PANEL_A) > 60

            # Live to a real audience (nginx-rtmp as a custom RTMP destination): switching is refused.
            golive = core.golive
            await golive.start(golive.request_confirmation().token)
            await until(lambda: golive.status.phase is OutputPhase.LIVE, "live on nginx-rtmp")
            await until(lambda: f"<name>{B_KEY}</name>" in nginx_rtmp.stat_xml(), "nginx received B's key")
            status, body = await asyncio.to_thread(api, "POST", "/api/v1/preset", {"name": PRESET_A.name})
            assert status == 409, body
            assert "real audience" in json.dumps(body)
            assert current_collection(own_obs) == "Show B"
            await golive.stop()
            await until(lambda: core.session.snapshot.stream.phase is OutputPhase.STOPPED, "stream stopped")

            export = tmp_path / "ben.preset.json"
            core.preset_store.export(PRESET_B.name, export)
            text = export.read_text()
            for secret in (B_KEY, TOKEN, own_obs.password):
                assert secret not in text
            for path in core.preset_store.folder.iterdir():
                assert B_KEY not in path.read_text()
        finally:
            await core.close()

    with caplog.at_level(logging.WARNING, logger="studio_console.services.overlay"):
        asyncio.run(main())
    # After each collection switch the overlay nests into the new collection's scenes only.
    stale = [r.getMessage() for r in caplog.records if "cannot nest the overlay" in r.getMessage()]
    assert not stale, stale


def test_the_presets_dock_lists_the_days_shows_and_switches_from_a_click(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, obs: RunningObs, tmp_path: Path
) -> None:
    from tests.e2e.test_app_with_obs import make_app
    from tests.e2e.test_product_cards import remove_overlay

    remove_overlay(obs)
    try:
        with make_app(qtbot, qloop, obs, tmp_path / "studio") as app:
            app.wait(lambda: app.shell.presets is not None, timeout=20, what="the Presets dock")
            store = app.core.preset_store
            plain = PRESET_A.model_copy(update={"obs_scene_collection": None, "chat_sources": ()})
            store.save(plain, Catalog(products=(product("A-TEE", "Anna's Linen Tee"),)))
            store.save(Preset(name="Cara Cooks"))
            store.set_day_order(["Cara Cooks", plain.name])
            app.shell.presets.refresh()
            picker = app.shell.preset_picker
            assert picker.names() == ["Cara Cooks", plain.name]
            picker.list.setCurrentRow(1)
            picker.switch_button.click()
            app.wait(lambda: app.core.presets is not None and app.core.presets.active == plain.name, timeout=30)
            app.wait(lambda: "Switched to" in picker.progress_label.text(), what="the switch's result shown")
            assert picker.active_label.text() == f"On air: {plain.name}"
            assert app.core.products is not None
            assert [p.sku for p in app.core.products.show.catalog.products] == ["A-TEE"]
    finally:
        remove_overlay(obs)
