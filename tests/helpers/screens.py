"""Screenshots of OBS's program output as QImages, and pixel comparisons inside and outside a rectangle."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QImage

from studio_console.domain.card import CardRect
from studio_console.obs.requests import GetCurrentProgramScene, GetSourceScreenshot
from studio_console.obs.session import ObsSession


async def program_screenshot(session: ObsSession, width: int, height: int) -> QImage:
    """The program scene as OBS renders it now, at canvas size (PNG: no compression noise)."""
    scene = await session.call(GetCurrentProgramScene())
    raw = await session.call(GetSourceScreenshot(scene, "png", width=width, height=height))
    assert raw, "OBS sent no screenshot"
    image = QImage.fromData(raw).convertToFormat(QImage.Format.Format_RGB32)
    assert (image.width(), image.height()) == (width, height), (image.width(), image.height())
    return image


def _differs(a: QImage, b: QImage, x: int, y: int, tolerance: int) -> bool:
    pa, pb = a.pixel(x, y), b.pixel(x, y)
    return any(abs(((pa >> s) & 0xFF) - ((pb >> s) & 0xFF)) > tolerance for s in (0, 8, 16))


def changed_fraction(a: QImage, b: QImage, rect: CardRect, tolerance: int = 6, step: int = 2) -> float:
    """Share of pixels inside ``rect`` (sampled every ``step`` px) that differ between two frames."""
    total = changed = 0
    for y in range(rect.y, rect.y + rect.height, step):
        for x in range(rect.x, rect.x + rect.width, step):
            total += 1
            changed += _differs(a, b, x, y, tolerance)
    return changed / max(1, total)


def changed_outside(a: QImage, b: QImage, rect: CardRect, tolerance: int = 6, step: int = 2) -> int:
    """Pixels outside ``rect`` (sampled every ``step`` px) that differ between two frames."""
    inside = QRect(rect.x, rect.y, rect.width, rect.height)
    count = 0
    for y in range(0, a.height(), step):
        for x in range(0, a.width(), step):
            if not inside.contains(x, y):
                count += _differs(a, b, x, y, tolerance)
    return count
