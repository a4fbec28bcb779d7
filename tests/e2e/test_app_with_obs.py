"""The real core and Qt shell on a qasync loop, driving a real OBS: clicks, shortcuts, crashes, remote control."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from obswebsocket import requests
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from studio_console.cli import LaunchOptions
from studio_console.core import StudioCore
from studio_console.domain.card import CardRect
from studio_console.qt.main_window import MainWindow
from studio_console.qt.shell import QtShell
from studio_console.render.chat_cards import comment_card_rect
from studio_console.services.overlay.ports import PlacedPicture
from studio_console.services.products.catalog_io import CatalogStore, demo_catalog_path, import_json
from studio_console.settings.paths import AppPaths
from studio_console.settings.secrets import OBS_PASSWORD, REMOTE_TOKEN, SecretStore
from studio_console.settings.store import SettingsStore
from tests.e2e.test_product_cards import remove_overlay
from tests.helpers.screens import changed_fraction, program_screenshot
from tests.helpers.servers import RunningObs

TOKEN = "test-token-0123456789abcdef"


@dataclass
class App:
    core: StudioCore
    shell: QtShell
    loop: asyncio.AbstractEventLoop

    @property
    def window(self) -> MainWindow:
        return self.shell.window

    def wait(self, predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> float:
        """Run the qasync loop until ``predicate()`` holds; returns the seconds it took."""

        async def poll() -> float:
            started = time.monotonic()
            while not predicate():
                if time.monotonic() - started > timeout:
                    raise AssertionError(f"timed out waiting for {what}")
                await asyncio.sleep(0.005)
            return time.monotonic() - started

        return self.loop.run_until_complete(poll())

    def do(self, action: Callable[[], object]) -> None:
        """Run a UI action inside the running loop, as Qt delivers a real click in the app."""

        async def inside() -> None:
            action()
            await asyncio.sleep(0)

        self.loop.run_until_complete(inside())

    def api(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = TOKEN
    ) -> tuple[int, Any]:
        port = self.core.remote_server.bound_port if self.core.remote_server else None
        assert port is not None
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )

        def call() -> tuple[int, Any]:
            try:
                with urllib.request.urlopen(request, timeout=10) as resp:
                    return resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as err:
                return err.code, json.loads(err.read())

        # The server runs on this loop: call it from a worker thread while the loop runs.
        return self.loop.run_until_complete(self.loop.run_in_executor(None, call))


@contextlib.contextmanager
def make_app(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, obs: RunningObs, tmp_dir: Path) -> Iterator[App]:
    """The app as the producer runs it against their own OBS: no demo mode, the core joined to the Qt shell."""
    options = LaunchOptions(obs_port=obs.port, remote_port=0, config_dir=tmp_dir)
    paths = AppPaths.under(tmp_dir)
    paths.ensure()
    secrets = SecretStore.open(paths.config_dir, paths.custom_root)
    secrets.set(OBS_PASSWORD, obs.password)
    secrets.set(REMOTE_TOKEN, TOKEN)
    CatalogStore(paths.data_dir).save(import_json(demo_catalog_path()).catalog)
    store = SettingsStore(paths.settings_file)
    core = StudioCore(options, paths, store, store.load().settings, secrets=secrets)
    shell = QtShell(core)
    qtbot.addWidget(shell.window)
    shell.show()
    qloop.run_until_complete(core.start())  # as the app does: inside the running loop
    app = App(core, shell, qloop)
    app.wait(lambda: core.session.snapshot.connection.connected, what="connection")
    app.wait(lambda: core.remote_server is not None and core.remote_server.bound_port is not None, what="api")
    assert core.placement is not None
    placement = core.placement
    app.wait(lambda: placement.shows_on_program(core.session.snapshot), what="cards placed in the program scene")
    try:
        yield app
    finally:
        shell.close()
        qloop.run_until_complete(core.close())


@pytest.fixture
def app(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, obs: RunningObs, tmp_path: Path) -> Iterator[App]:
    remove_overlay(obs)
    with make_app(qtbot, qloop, obs, tmp_path) as running:
        yield running
    remove_overlay(obs)


def program_of(obs: RunningObs) -> str:
    client = obs.client()
    try:
        return str(client.call(requests.GetCurrentProgramScene()).datain["currentProgramSceneName"])
    finally:
        client.disconnect()


def test_click_in_app_switches_obs_and_obs_switch_updates_app(app: App, obs: RunningObs, qtbot: QtBot) -> None:
    panel = app.shell.scene_panel
    app.wait(lambda: set(panel.tiles) == {"Alpha", "Bravo", "Charlie"}, what="scene tiles")
    app.do(lambda: qtbot.mouseClick(panel.tiles["Bravo"], Qt.MouseButton.LeftButton))
    app.wait(lambda: panel.tiles["Bravo"].role == "program", what="program mark")
    assert program_of(obs) == "Bravo"

    client = obs.client()
    try:
        client.call(requests.SetCurrentProgramScene(sceneName="Charlie"))
    finally:
        client.disconnect()
    took = app.wait(lambda: panel.tiles["Charlie"].role == "program", what="switch made in OBS")
    assert panel.tiles["Bravo"].role == ""
    print(f"switch made in OBS shown in the app after {took * 1000:.1f} ms")


def test_thumbnails_arrive(app: App) -> None:
    panel = app.shell.scene_panel
    # A wait, not a timing claim: OBS answers screenshots slowly when the shared machine is loaded.
    app.wait(
        lambda: all(not t.icon().isNull() for t in panel.tiles.values()),
        timeout=45,
        what="a thumbnail on every scene tile",
    )


def test_remote_control_api(app: App, obs: RunningObs) -> None:
    status, body = app.api("POST", "/api/v1/scene", {"name": "Charlie"}, token=None)
    assert status == 401
    status, body = app.api("POST", "/api/v1/scene", {"name": "Charlie"}, token="wrong-token-wrong-token")
    assert status == 401
    assert program_of(obs) == "Alpha"

    status, body = app.api("POST", "/api/v1/scene", {"name": "Charlie", "target": "program"})
    assert (status, body["ok"]) == (200, True)
    assert program_of(obs) == "Charlie"

    status, body = app.api("POST", "/api/v1/scene", {"name": "Nope"})
    assert status == 404 and "Nope" in body["error"]
    status, body = app.api("POST", "/api/v1/scene", {"scene": "Alpha"})
    assert status == 422 and "name" in body["error"]
    status, body = app.api("POST", "/api/v1/take")
    assert status == 409 and "studio mode" in body["error"]

    app.wait(lambda: app.core.session.snapshot.program_scene == "Charlie", what="program event")
    status, state = app.api("GET", "/api/v1/state")
    assert status == 200
    assert state["connection"] == "connected"
    assert state["program_scene"] == "Charlie"
    assert state["scenes"] == ["Alpha", "Bravo", "Charlie"]
    assert state["stream"] == "stopped" and state["record"] == "stopped"

    client = obs.client()
    try:
        client.call(requests.SetStudioModeEnabled(studioModeEnabled=True))
    finally:
        client.disconnect()
    app.wait(lambda: app.core.session.snapshot.studio_mode, what="studio mode")
    status, _ = app.api("POST", "/api/v1/scene", {"name": "Bravo", "target": "preview"})
    assert status == 200
    app.wait(lambda: app.core.session.snapshot.preview_scene == "Bravo", what="preview")
    status, _ = app.api("POST", "/api/v1/take")
    assert status == 200
    app.wait(lambda: app.core.session.snapshot.program_scene == "Bravo", what="take")
    assert program_of(obs) == "Bravo"


def test_app_survives_obs_crash_and_restart(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, own_obs: RunningObs, tmp_path: Path
) -> None:
    with make_app(qtbot, qloop, own_obs, tmp_path) as app:
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(16)
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        timer.start()
        killed = time.monotonic()
        own_obs.kill()
        shown = app.wait(
            lambda: "OBS" in app.window.connection_label.text() and not app.core.session.connected,
            what="disconnected status",
        )
        print(f"disconnected shown {shown * 1000:.0f} ms after SIGKILL: {app.window.connection_label.text()!r}")
        assert not app.shell.scene_panel.isEnabled()
        # The UI keeps running while OBS is gone.
        app.loop.run_until_complete(asyncio.sleep(0.5))
        assert len([t for t in ticks if t > killed]) >= 10
        app.loop.run_until_complete(app.loop.run_in_executor(None, own_obs.restart))
        app.wait(lambda: app.core.session.connected, timeout=30, what="reconnect")
        app.wait(lambda: app.shell.scene_panel.isEnabled(), what="panel enabled again")
        assert app.window.connection_label.text().startswith("Connected to OBS")
        timer.stop()


def test_remote_stream_start_is_for_rehearsals_only(app: App) -> None:
    golive = app.core.golive
    assert golive is not None and golive.selected.sink_id == "local_test_server"
    status, body = app.api("POST", "/api/v1/stream/start", token=None)
    assert status == 401
    status, body = app.api("POST", "/api/v1/stream/start")
    assert status == 200, body
    try:
        app.wait(lambda: golive.status.phase.value == "live", timeout=30, what="live on the local test server")
        app.wait(
            lambda: (
                golive.status.local_server is not None
                and golive.status.local_server.info is not None
                and golive.status.local_server.info.fps is not None
            ),
            timeout=30,
            what="received figures",
        )
        status, state = app.api("GET", "/api/v1/state")
        assert state["stream"] == "live"
        received = state["output"]["local_server"]["info"]
        assert (received["video_codec"], received["width"], received["height"]) == ("h264", 640, 360)
        assert state["output"]["active_sink"] == "local_test_server"
        status, body = app.api("POST", "/api/v1/stream/start")
        assert status == 409  # already live: no second start
    finally:
        status, body = app.api("POST", "/api/v1/stream/stop")
        assert status == 200
        app.wait(lambda: app.core.session.snapshot.stream.phase.value == "stopped", timeout=30, what="stopped")

    golive.select("twitch")
    status, body = app.api("POST", "/api/v1/stream/start")
    assert status == 409 and body.get("needs_confirmation") is True
    assert "confirmation in the app" in body["error"]
    assert app.core.session.snapshot.stream.phase.value == "stopped"
    golive.select("local_test_server")


def test_remote_product_endpoints(app: App, tmp_path: Path) -> None:
    status, body = app.api("POST", "/api/v1/product/pin", {"sku": "no-such-thing"})
    assert status == 404 and "no-such-thing" in body["error"]
    status, body = app.api("POST", "/api/v1/product/pin", {"sku": "ceramic-pour-over-set"})
    assert status == 200, body
    status, state = app.api("GET", "/api/v1/state")
    assert state["products"]["pinned_sku"] == "ceramic-pour-over-set"
    assert state["products"]["on_air"] is True

    status, body = app.api("POST", "/api/v1/flash-sale", {"price": "1.00", "seconds": 5})
    assert status == 422 and "seconds" in body["error"]
    status, body = app.api("POST", "/api/v1/flash-sale", {"price": "19.00", "seconds": 60})
    assert status == 200, body
    assert body["flash_sale"]["seconds_left"] <= 60 and body["flash_sale"]["deal_price"] == "19.00"
    status, state = app.api("GET", "/api/v1/state")
    assert state["products"]["flash_sale"]["sku"] == "ceramic-pour-over-set"

    shop = tmp_path / "tonight.csv"
    shop.write_text(
        "sku,title,price,compare_at_price,stock,currency\n"
        "mug-01,Stoneware Mug,18.00,24.00,40,USD\n"
        "mug-02,Broken Mug,free,,3,USD\n"
    )
    status, body = app.api("POST", "/api/v1/catalog/import", {"path": str(shop)})
    assert status == 200, body
    assert body["imported"] == 1 and body["failed"] == 1
    failures = [e for e in body["errors"] if e["severity"] == "error"]
    assert [(e["line"], e["field"]) for e in failures] == [(3, "price")]
    status, body = app.api("POST", "/api/v1/catalog/import", {"path": str(tmp_path / "missing.csv")})
    assert status == 404

    status, body = app.api("POST", "/api/v1/product/unpin")
    assert status == 200
    status, state = app.api("GET", "/api/v1/state")
    assert state["products"]["pinned_sku"] is None


def test_featured_comment_appears_in_program_output(app: App) -> None:
    session = app.core.session
    assert app.core.placement is not None and app.core.chat_on_air is not None
    app.loop.run_until_complete(app.core.placement.apply())
    before = app.loop.run_until_complete(program_screenshot(session, 640, 360))
    status, body = app.api(
        "POST",
        "/api/v1/chat/messages",
        {"platform": "tiktok", "user": "<b>maria</b>", "text": "Is it dishwasher safe?"},
    )
    assert status == 201, body
    message_id = body["id"]
    app.wait(lambda: app.shell.chat_model.row_of(message_id) is not None, what="message in the chat panel")
    status, body = app.api("POST", "/api/v1/chat/feature", {"id": message_id})
    assert status == 200, body
    assert body["featured"]["user"] == "<b>maria</b>"  # viewer text stays literal

    # The card's place: lower left, above where a lower-third product card would be.
    comment = comment_card_rect(640, 360, 1)
    picture = PlacedPicture(b"", comment.x, comment.y, comment.width, comment.height)
    x, y = app.core.chat_on_air._above_product_card(picture, 640, 360)
    region = CardRect(x, y, comment.width, comment.height)

    def shown() -> bool:
        frame = app.loop.run_until_complete(program_screenshot(session, 640, 360))
        return changed_fraction(before, frame, region) > 0.3

    deadline = time.monotonic() + 10
    while not shown():
        assert time.monotonic() < deadline, "the featured comment never appeared in OBS's program output"
    status, state = app.api("GET", "/api/v1/state")
    assert state["chat"]["featured"]["id"] == message_id

    status, _ = app.api("POST", "/api/v1/chat/unfeature")
    assert status == 200
    deadline = time.monotonic() + 10
    while shown():
        assert time.monotonic() < deadline, "the featured comment stayed on air after unfeature"
    status, body = app.api("POST", "/api/v1/chat/feature", {"id": "no-such-id"})
    assert status == 404
