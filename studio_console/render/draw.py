"""Drawing pieces shared by the cards: colours as Qt reads them, anti-aliased rounded shapes, text in a box, PNG."""

from __future__ import annotations

import io
import math
from functools import lru_cache

from PIL import Image, ImageDraw

from studio_console.render.fonts import RGBA, Face, paste_over

# zlib level 1: an overlay PNG is read once from a local disk, so encoding time matters more than size.
PNG_COMPRESS_LEVEL = 1
# Rounded edges are drawn this many times larger and scaled down: Pillow's own shapes are not
# anti-aliased.
_SUPERSAMPLE = 4


def rgba(colour: str) -> RGBA:
    """``#RRGGBB`` or ``#AARRGGBB`` (alpha first, as Qt reads it) as an (r, g, b, a) tuple."""
    digits = colour.lstrip("#")
    if len(digits) == 6:
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), 255)
    if len(digits) == 8:
        return (int(digits[2:4], 16), int(digits[4:6], 16), int(digits[6:8], 16), int(digits[0:2], 16))
    raise ValueError(f"{colour!r} is not a colour like #RRGGBB or #AARRGGBB")


@lru_cache(maxsize=256)
def _corner(radius: int) -> Image.Image:
    """A quarter disc of ``radius`` (top-left corner), anti-aliased, as an L mask."""
    big = Image.new("L", (radius * _SUPERSAMPLE, radius * _SUPERSAMPLE), 0)
    ImageDraw.Draw(big).ellipse((0, 0, 2 * radius * _SUPERSAMPLE - 1, 2 * radius * _SUPERSAMPLE - 1), fill=255)
    return big.resize((radius, radius), Image.Resampling.BOX)


@lru_cache(maxsize=256)
def rounded_mask(width: int, height: int, radius: float) -> Image.Image:
    """An L mask of a ``width`` x ``height`` rectangle with anti-aliased corners of ``radius``."""
    mask = Image.new("L", (max(1, width), max(1, height)), 255)
    r = min(round(radius), width // 2, height // 2)
    if r < 1:
        return mask
    corner = _corner(r)
    mask.paste(corner, (0, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (width - r, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, height - r))
    mask.paste(corner.transpose(Image.Transpose.ROTATE_180), (width - r, height - r))
    return mask


def fill_rounded(
    image: Image.Image, left: float, top: float, width: float, height: float, radius: float, colour: RGBA
) -> None:
    """Paint a rounded rectangle over ``image`` (source-over), snapped to whole pixels."""
    x0, y0 = round(left), round(top)
    w, h = round(left + width) - x0, round(top + height) - y0
    if w < 1 or h < 1:
        return
    layer = Image.new("RGBA", (w, h), colour)
    mask = rounded_mask(w, h, radius)
    if colour[3] != 255:
        mask = Image.eval(mask, lambda v: v * colour[3] // 255)
    layer.putalpha(mask)
    paste_over(image, layer, x0, y0)


def fill_rect(image: Image.Image, left: float, top: float, width: float, height: float, colour: RGBA) -> None:
    """Paint a plain rectangle over ``image`` (source-over)."""
    fill_rounded(image, left, top, width, height, 0, colour)


def text_in_box(
    image: Image.Image,
    face: Face,
    text: str,
    left: float,
    top: float,
    width: float,
    height: float,
    colour: RGBA,
    *,
    centred: bool = False,
    strike: bool = False,
) -> float:
    """One line of ``text``, elided to ``width``, centred vertically in the box; returns the width drawn."""
    shown = elide(face, text, width)
    advance = face.length(shown)
    x = left + (width - advance) / 2 if centred else left
    baseline = top + (height - face.height) / 2 + face.ascent
    face.draw(image, x, baseline, shown, colour)
    if strike and shown:
        # Where Qt puts DejaVu's strike-out line: a third of an em above the baseline, an em/14 thick.
        thickness = max(1, round(face.pixels / 14))
        y = round(baseline - face.pixels * 0.33 - thickness / 2)
        fill_rect(image, x, y, advance, thickness, colour)
    return advance


ELLIPSIS = "\u2026"


def elide(face: Face, text: str, width: float) -> str:
    """``text`` cut with an ellipsis at the right so it fits ``width`` (an empty string when nothing fits)."""
    if face.length(text) <= width:
        return text
    if face.length(ELLIPSIS) > width:
        return ""
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if face.length(text[:mid].rstrip() + ELLIPSIS) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + ELLIPSIS


def wrap_lines(face: Face, text: str, width: float, max_lines: int) -> tuple[str, ...]:
    """Break ``text`` at spaces (inside a word only when it is wider than a line) into at most
    ``max_lines`` lines of ``width``; the last line is elided when text remains."""
    if max_lines <= 0 or width <= 1:
        return ()
    words = text.split()
    lines: list[str] = []
    while words and len(lines) < max_lines:
        line = ""
        while words:
            candidate = f"{line} {words[0]}" if line else words[0]
            if face.length(candidate) <= width:
                line = candidate
                words.pop(0)
                continue
            if not line:  # a word wider than a line is broken where it stops fitting
                cut = _fitting_prefix(face, words[0], width)
                line, words[0] = words[0][:cut], words[0][cut:]
            break
        lines.append(line)
    if words:
        lines[-1] = elide(face, " ".join([lines[-1], *words]), width)
    return tuple(lines)


def _fitting_prefix(face: Face, word: str, width: float) -> int:
    low, high = 1, len(word)
    while low < high:
        mid = (low + high + 1) // 2
        if face.length(word[:mid]) <= width:
            low = mid
        else:
            high = mid - 1
    return low


def pill(
    image: Image.Image,
    face: Face,
    text: str,
    x: float,
    centre_y: float,
    background: RGBA,
    foreground: RGBA,
    *,
    align_right: bool = False,
    centred: bool = False,
) -> float:
    """A pill with ``text``, anchored at ``x`` (left edge, right edge or centre); returns its width."""
    height = face.height * 1.3
    width = face.length(text) + height * 0.8
    left = x - width if align_right else (x - width / 2 if centred else x)
    top = centre_y - height / 2
    fill_rounded(image, left, top, width, height, height / 2, background)
    text_in_box(image, face, text, left, top, width, height, foreground, centred=True)
    return width


def png(image: Image.Image, compress_level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """``image`` encoded as PNG."""
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=compress_level)
    return out.getvalue()


def ceil_box(left: float, top: float, width: float, height: float) -> tuple[int, int, int, int]:
    """The whole-pixel (x, y, w, h) covering a fractional box (Qt's ``toAlignedRect``)."""
    x0, y0 = math.floor(left), math.floor(top)
    return x0, y0, math.ceil(left + width) - x0, math.ceil(top + height) - y0
