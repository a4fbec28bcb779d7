"""Renders resources/icons/studio-console.svg to the PNG sizes desktops ask for and a Windows .ico.

Run ``python packaging/make_icons.py`` after changing the SVG; the output is committed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "studio-console.svg"))
    if not renderer.isValid():
        print("the SVG does not parse", file=sys.stderr)
        return 1
    for size in SIZES:
        if not render(renderer, size).save(str(ICONS / f"studio-console-{size}.png")):
            print(f"could not write the {size} px PNG", file=sys.stderr)
            return 1
    if b"ico" in [bytes(f.data()) for f in QImageWriter.supportedImageFormats()]:
        # Qt's ICO writer stores one image per file; the 256 px one scales down well on Windows.
        render(renderer, 256).save(str(ICONS / "studio-console.ico"), "ico")
    print(f"wrote {len(SIZES)} PNGs to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
