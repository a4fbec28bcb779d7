"""A real Shopify export with CDN picture URLs, imported through the remote API into the producer's own OBS.

The pictures come from a real HTTP server on loopback (Shopify's CDN stands in); one answers with an
HTML page and one with a 50 MB body. The import succeeds, each bad picture is a warning on its product,
and the pinned card shows the downloaded picture in OBS's program output.
"""

from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from studio_console.core import Problem
from studio_console.domain.card import CardLayout, card_rect
from tests.e2e.test_app_with_obs import App, make_app
from tests.e2e.test_product_cards import remove_overlay
from tests.helpers.picture_server import PictureServer, png_bytes, serve_pictures
from tests.helpers.screens import program_screenshot
from tests.helpers.servers import RunningObs
from tests.unit.test_catalog_import import SHOPIFY_COLUMNS, shopify_row

GREEN = (0, 210, 40)


@pytest.fixture
def cdn() -> Iterator[PictureServer]:
    with serve_pictures() as server:
        server.pictures["/s/files/1/tee.png"] = png_bytes(GREEN, (400, 400))
        yield server


@pytest.fixture
def app(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, obs: RunningObs, tmp_path: Path) -> Iterator[App]:
    remove_overlay(obs)
    with make_app(qtbot, qloop, obs, tmp_path / "studio") as running:
        yield running
    remove_overlay(obs)


def write_export(path: Path, cdn: PictureServer) -> Path:
    rows = [
        shopify_row(
            handle="green-tee",
            title="Green Tee",
            sku="TEE-G",
            qty="12",
            price="19.00",
            image=cdn.url("/s/files/1/tee.png?v=17"),
            position="1",
        ),
        shopify_row(
            handle="mug",
            title="Stoneware Mug",
            sku="MUG-1",
            qty="5",
            price="12.00",
            image=cdn.url("/page.html"),
            position="1",
        ),
        shopify_row(
            handle="cap", title="Cap", sku="CAP-1", qty="9", price="15.00", image=cdn.url("/big"), position="1"
        ),
    ]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=SHOPIFY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def green_share(app: App) -> float:
    image = app.loop.run_until_complete(program_screenshot(app.core.session, 640, 360))
    rect = card_rect(CardLayout.LOWER_THIRD, 640, 360)
    total = green = 0
    for y in range(rect.y, rect.y + rect.height, 2):
        for x in range(rect.x, rect.x + rect.width, 2):
            colour = QColor(image.pixel(x, y))
            total += 1
            green += abs(colour.red() - GREEN[0]) < 40 and abs(colour.green() - GREEN[1]) < 40 and colour.blue() < 90
    return green / max(1, total)


def test_shopify_export_pictures_reach_the_card_in_program_output(app: App, cdn: PictureServer, tmp_path: Path) -> None:
    problems: list[Problem] = []
    app.core.problems.add(problems.append)
    export = write_export(tmp_path / "products_export.csv", cdn)

    status, body = app.api("POST", "/api/v1/catalog/import", {"path": str(export)})
    assert status == 200, body
    assert body["imported"] == 3, body  # a bad picture never costs the product

    assert app.core.products is not None
    show = app.core.products.show

    def picture_of(sku: str) -> str | None:
        found = show.catalog.find(sku)
        if found is None:
            return None
        product, variant = found
        return (variant.image if variant is not None and variant.image else None) or product.image

    app.wait(
        lambda: (picture_of("TEE-G") or "").startswith(str(app.core.paths.data_dir)),
        timeout=20,
        what="the CDN picture downloaded and set on the product",
    )
    assert Path(picture_of("TEE-G") or "").read_bytes() == cdn.pictures["/s/files/1/tee.png"]
    app.wait(
        lambda: len([p for p in problems if p.title == "Product picture"]) >= 2,
        timeout=30,
        what="a warning per bad picture",
    )
    warnings = " ".join(p.text for p in problems if p.title == "Product picture")
    assert "'Stoneware Mug'" in warnings and "'Cap'" in warnings  # each warning names its product
    assert cdn.big_bytes_sent.get("/big", 0) < 20 * 1024 * 1024  # the cap stopped the 50 MB body early

    before = green_share(app)
    status, body = app.api("POST", "/api/v1/product/pin", {"sku": "TEE-G"})
    assert status == 200, body
    deadline = time.monotonic() + 10
    while green_share(app) < before + 0.05:
        assert time.monotonic() < deadline, "the downloaded picture never showed on the card in program output"
        app.loop.run_until_complete(asyncio.sleep(0.1))
    status, state = app.api("GET", "/api/v1/state")
    assert state["products"]["on_air"] is True and state["products"]["pinned_sku"] == "TEE-G"
