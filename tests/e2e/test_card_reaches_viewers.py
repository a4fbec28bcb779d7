"""What a viewer would see: the pinned product card in the picture the local test server received."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from studio_console.domain.card import CardLayout, card_rect
from studio_console.domain.obs_state import OutputPhase
from studio_console.domain.stream import Thumbnail
from studio_console.obs.session import ObsSession
from studio_console.render.card_renderer import CardRenderer
from studio_console.services.golive.destinations import Destinations
from studio_console.services.golive.service import GoLiveService
from studio_console.services.overlay.scene import OverlayService
from studio_console.services.products.catalog_io import demo_catalog_path, import_json
from studio_console.services.products.show import ProductShow
from studio_console.settings.model import Settings
from studio_console.settings.secrets import SecretStore
from tests.e2e.test_product_cards import remove_overlay
from tests.helpers.screens import changed_fraction
from tests.helpers.servers import RunningObs

PRODUCT = "ceramic-pour-over-set"


@pytest.fixture
def clean_overlay(obs: RunningObs) -> Iterator[None]:
    remove_overlay(obs)
    yield
    remove_overlay(obs)


def picture(thumbnail: Thumbnail) -> QImage:
    image = QImage.fromData(thumbnail.jpeg)
    assert not image.isNull()
    return image.scaled(640, 360, Qt.AspectRatioMode.IgnoreAspectRatio).convertToFormat(QImage.Format.Format_RGB32)


async def until(condition: object, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def test_received_stream_shows_the_pinned_card(
    obs: RunningObs, clean_overlay: None, tmp_path: Path, qapp: object
) -> None:
    thumbnails: list[tuple[float, Thumbnail]] = []
    rect = card_rect(CardLayout.LOWER_THIRD, 640, 360)

    async def main() -> tuple[QImage, QImage]:
        session = ObsSession("127.0.0.1", obs.port, obs.password)
        session.start()
        await until(lambda: session.snapshot.connection.connected, what="connection")
        settings = Settings()
        secrets = SecretStore.open(tmp_path)
        golive = GoLiveService(session, secrets, Destinations.open(settings.output, secrets))
        overlay = OverlayService(session, tmp_path)
        show = ProductShow(overlay, CardRenderer(), import_json(demo_catalog_path()).catalog)
        golive.subscribe_thumbnails(lambda t: thumbnails.append((time.monotonic(), t)))
        try:
            await overlay.install()
            await overlay.nest_into(["Alpha"])
            await golive.start()
            await until(lambda: golive.status.phase is OutputPhase.LIVE, what="live")
            await until(lambda: len(thumbnails) >= 2, what="received pictures")
            before = picture(thumbnails[-1][1])
            pinned_at = time.monotonic()
            await show.pin(PRODUCT)
            # Pictures are at least 1 s apart and the stream has its own latency: take the first
            # received picture that shows a change in the card's region.
            await until(
                lambda: any(
                    t > pinned_at and changed_fraction(before, picture(th), rect, tolerance=24) > 0.3
                    for t, th in thumbnails
                ),
                timeout=30,
                what="the card in the received stream",
            )
            after = next(
                picture(th)
                for t, th in thumbnails
                if t > pinned_at and changed_fraction(before, picture(th), rect, tolerance=24) > 0.3
            )
            return before, after
        finally:
            await show.close()
            overlay.close()
            if session.snapshot.stream.phase is not OutputPhase.STOPPED:
                await golive.stop()
                await until(lambda: session.snapshot.stream.phase is OutputPhase.STOPPED, what="stopped")
            await golive.shutdown()
            await session.stop()

    before, after = asyncio.run(main())
    assert changed_fraction(before, after, rect, tolerance=24) > 0.3
    # Outside the card the received picture is as before (compression noise aside).
    top_band = rect._replace(y=0, height=max(1, rect.y - 20)) if rect.y > 40 else None
    if top_band is not None:
        assert changed_fraction(before, after, top_band, tolerance=24) < 0.05
