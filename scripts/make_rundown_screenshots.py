"""Draws the README's pictures of the Rundown panel and the host view (offscreen Qt, a scripted show)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio_console.domain.card import card_for  # noqa: E402
from studio_console.domain.chat import ChatMessage  # noqa: E402
from studio_console.domain.rundown import Cue, CueKind, EndAction, FlashSale, PriceReveal, Rundown  # noqa: E402
from studio_console.qt.views.host_view import HostView  # noqa: E402
from studio_console.qt.views.rundown_panel import RundownPanel  # noqa: E402
from studio_console.services.products.catalog_io import demo_catalog_path, import_json  # noqa: E402
from studio_console.services.rundown.service import RundownService  # noqa: E402
from studio_console.services.rundown.timer import Clock  # noqa: E402

OUT = ROOT / "resources" / "screenshots"


class Scripted:
    """A clock the script moves: the show below runs in no time."""

    def __init__(self) -> None:
        self.mono = 0.0
        self.start = datetime(2026, 12, 4, 19, 52).astimezone()

    def wall(self) -> datetime:
        from datetime import timedelta

        return self.start + timedelta(seconds=self.mono)

    async def never(self, _seconds: float) -> None:
        await asyncio.Event().wait()


def rundown() -> Rundown:
    return Rundown(
        title="Friday cosy night",
        cues=(
            Cue(title="Doors open", kind=CueKind.PREHEAT, duration_s=480, scene="Be right back",
                target_time=time(20, 0), teaser_skus=("canvas-market-tote", "wireless-earbuds-pro")),
            Cue(title="Welcome and giveaway rules", duration_s=180, scene="Host", colour="#42A5F5"),
            Cue(title="Canvas market tote", kind=CueKind.PRODUCT, duration_s=300, scene="Product close-up",
                sku="canvas-market-tote", price_action=FlashSale(deal_price=Decimal("24.00"), countdown_s=120),
                talking_points=("Holds 20 kg: show the groceries", "Machine washable at 40 °C",
                                "Only 4 left: say it twice")),
            Cue(title="Wireless earbuds pro", kind=CueKind.PRODUCT, duration_s=360, scene="Split",
                sku="wireless-earbuds-pro", price_action=PriceReveal(after_s=30)),
            Cue(title="Break", kind=CueKind.BREAK, duration_s=120, scene="Be right back", end_action=EndAction.NEXT),
            Cue(title="Viewer questions", duration_s=240, scene="Host"),
        ),
    )  # fmt: skip


async def scripted_show(clock: Scripted) -> RundownService:
    service = RundownService(None, rundown(), clock=Clock(lambda: clock.mono, clock.wall), sleep=clock.never)
    await service.go(0)
    clock.mono += 470
    await service.go(1)
    clock.mono += 215
    await service.go(2)
    clock.mono += 236
    return service


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    clock = Scripted()
    service = asyncio.run(scripted_show(clock))
    state = service.state
    OUT.mkdir(parents=True, exist_ok=True)

    panel = RundownPanel()
    panel.resize(720, 860)
    panel.show_state(state)
    panel.list.setCurrentRow(3)
    panel.message_edit.setText("show the pink one")
    panel.show()
    app.processEvents()
    panel.grab().save(str(OUT / "rundown-panel.png"))

    catalog = import_json(demo_catalog_path()).catalog
    product = catalog.find("canvas-market-tote")
    assert product is not None
    card = card_for(product[0], product[1], deal_price=Decimal("24.00"), flash_seconds_left=57)
    view = HostView()
    view.resize(1920, 1080)
    view.show_rundown(state)
    view.show_card(card)
    view.set_questions(
        [
            ChatMessage(source_id="r", platform="tiktok", message_id="1", display_name="maya.k",
                        text="does it fit a 15 inch laptop?"),
            ChatMessage(source_id="r", platform="youtube", message_id="2", display_name="Jon B",
                        text="is the strap adjustable <b>?</b>"),
        ]
    )  # fmt: skip
    view.set_message("wrap up in one minute")
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.show()
    app.processEvents()
    view.grab().scaled(960, 540, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation).save(
        str(OUT / "host-view.png")
    )
    print("wrote", OUT / "rundown-panel.png", "and", OUT / "host-view.png")


if __name__ == "__main__":
    main()
