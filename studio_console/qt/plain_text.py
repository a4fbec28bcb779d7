"""Viewer text drawn with QPainter as plain text: wrapping with eliding, and platform badges."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF, QTextLayout, QTextOption
from PySide6.QtWidgets import QLabel, QWidget

# Badges and the layout limit are Qt-free (on-air cards use them too); re-exported for the views.
from studio_console.domain.chat_text import MAX_LAYOUT_CHARS, PLATFORM_BADGES, platform_badge

__all__ = ["MAX_LAYOUT_CHARS", "PLATFORM_BADGES", "format_duration", "plain_label", "platform_badge", "wrap_plain"]


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel that never reads its text as HTML (text may come from OBS, products or viewers)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def format_duration(seconds: float) -> str:
    """H:MM:SS for durations on air."""
    total = max(0, int(seconds))
    return f"{total // 3600:d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def wrap_plain(
    text: str, font: QFont, width: float, max_lines: int, max_chars: int = MAX_LAYOUT_CHARS
) -> tuple[str, ...]:
    """Break ``text`` into at most ``max_lines`` lines of ``width``; the last one elided when text remains."""
    if max_lines <= 0 or width <= 1:
        return ()
    sample = text[:max_chars]
    # QTextLayout counts UTF-16 units; Python counts code points. Map between them through UTF-16 bytes.
    encoded = sample.encode("utf-16-le")
    layout = QTextLayout(sample, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    spans: list[tuple[int, int]] = []
    while len(spans) < max_lines:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        spans.append((line.textStart(), line.textLength()))
    layout.endLayout()

    def piece(start: int, end: int | None) -> str:
        chunk = encoded[start * 2 : None if end is None else end * 2]
        return chunk.decode("utf-16-le", "ignore")

    lines = [piece(start, start + length).rstrip("\n") for start, length in spans]
    if spans:
        last_start, last_length = spans[-1]
        more = last_start + last_length < len(encoded) // 2 or len(text) > len(sample)
        if more:
            rest = piece(last_start, None).replace("\n", " ")
            lines[-1] = QFontMetricsF(font).elidedText(rest, Qt.TextElideMode.ElideRight, width)
    return tuple(lines)
