"""What reaches an on-air chat card is cleaned, capped and always says who said it."""

from __future__ import annotations

import asyncio

from studio_console.domain.card import CardLayout
from studio_console.domain.chat import ChatHubSnapshot, ChatKind, ChatMessage
from studio_console.domain.viewer_text import BIDI_CONTROLS, ON_AIR_NAME_CHARS, ON_AIR_TEXT_CHARS
from studio_console.kernel.tasks import TaskRunner
from studio_console.services.overlay.chat_on_air import ChatOnAir
from studio_console.services.overlay.ports import PlacedPicture
from tests.helpers.chat import message


class RecordingRenderer:
    def __init__(self) -> None:
        self.drawn: list[ChatMessage] = []

    def comment(self, message: ChatMessage, canvas_w: int, canvas_h: int) -> PlacedPicture:
        self.drawn.append(message)
        return PlacedPicture(b"png", 10, 500, 300, 100)

    def alert(self, message: ChatMessage, canvas_w: int, canvas_h: int) -> PlacedPicture:
        self.drawn.append(message)
        return PlacedPicture(b"png", 10, 10, 300, 100)


class Slots:
    scene_name = "Overlay"

    def __init__(self) -> None:
        self.visible: set[str] = set()

    async def canvas_size(self) -> tuple[int, int]:
        return 1280, 720

    async def show(self, slot: str, png: bytes, position: tuple[int, int] = (0, 0)) -> None:
        self.visible.add(slot)

    async def hide(self, slot: str) -> None:
        self.visible.discard(slot)

    def is_visible(self, slot: str) -> bool:
        return slot in self.visible


def test_featured_comments_and_alerts_go_on_air_cleaned_and_signed() -> None:
    renderer = RecordingRenderer()

    async def main() -> None:
        on_air = ChatOnAir(
            Slots(),
            renderer,
            TaskRunner(),
            layout=lambda: CardLayout.LOWER_THIRD,
            alerts_enabled=lambda: True,
            alert_seconds=lambda: 0.0,
        )
        featured = message("price is now $0.99 " + "W" * 10_000, display_name="\u200b\u202e", user_name="", user_id="")
        on_air.on_snapshot(ChatHubSnapshot(featured=featured))
        on_air.on_alert(message("", kind=ChatKind.GIFT, display_name="\u202eevil" + "x" * 500, gift_name="\ud800rose"))
        for _ in range(100):
            if len(renderer.drawn) == 2:
                break
            await asyncio.sleep(0.01)

    asyncio.run(main())
    comment, alert = renderer.drawn
    assert comment.name == "A viewer"  # the card always says a viewer wrote it
    assert len(comment.text) <= ON_AIR_TEXT_CHARS
    assert len(alert.name) <= ON_AIR_NAME_CHARS
    for drawn in (comment, alert):
        for text in (drawn.name, drawn.text, drawn.gift_name or ""):
            assert not any(ch in BIDI_CONTROLS for ch in text)
            text.encode("utf-8")
