"""What the overlay rooms need from the outside: card pictures drawn for a canvas, and the OBS overlay."""

from __future__ import annotations

from typing import NamedTuple, Protocol

from studio_console.domain.chat import ChatMessage


class PlacedPicture(NamedTuple):
    """A card picture cropped to its rectangle, and where that rectangle sits on the canvas."""

    png: bytes
    x: int
    y: int
    width: int
    height: int


class ChatCardRenderer(Protocol):
    """Draws chat cards for OBS: a featured comment, a gift/follow/cheer alert."""

    def comment(self, message: ChatMessage, canvas_w: int, canvas_h: int) -> PlacedPicture: ...

    def alert(self, message: ChatMessage, canvas_w: int, canvas_h: int) -> PlacedPicture: ...


class OverlaySlots(Protocol):
    """The part of OverlayService that puts pictures on air (tests pass a hand-written fake)."""

    scene_name: str

    async def canvas_size(self) -> tuple[int, int]: ...

    async def show(self, slot: str, png: bytes, position: tuple[int, int] = (0, 0)) -> None: ...

    async def hide(self, slot: str) -> None: ...

    def is_visible(self, slot: str) -> bool: ...
