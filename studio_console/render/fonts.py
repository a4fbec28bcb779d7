"""Fonts for on-air graphics, found by file and cached; colour emoji from Noto Color Emoji when it is installed."""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import subprocess
import sys
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from PIL.ImageFont import FreeTypeFont

from studio_console.assets import resources_dir

log = logging.getLogger(__name__)

DEFAULT_FAMILY = "DejaVu Sans"
# Noto Color Emoji is a bitmap (CBDT) font: FreeType only loads it at its one strike size.
EMOJI_FILES = ("NotoColorEmoji.ttf",)
EMOJI_STRIKE = 109
_EMOJI_CACHE_SIZE = 256

# Known families whose file names do not follow "FamilyName.ttf" / "FamilyName-Bold.ttf".
_KNOWN_FILES: dict[str, tuple[str, str]] = {
    "dejavu sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "dejavu sans condensed": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
    "dejavu serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "liberation sans": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
}

# One emoji as drawn: a flag (two regional indicators), a keycap, or a pictograph with its
# modifiers (variation selector, skin tone, tag sequence) and any zero-width-joined followers.
# Text-default symbols (U+2600-27BF and friends) count as emoji only with U+FE0F.
_PICTOGRAPH = "[\U0001f000-\U0001faff]"
_TEXT_DEFAULT = "[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299]"  # noqa: E501
_MODIFIERS = "(?:\ufe0f|[\U0001f3fb-\U0001f3ff]|[\U000e0020-\U000e007f])*"
_ONE = f"(?:{_PICTOGRAPH}{_MODIFIERS}|{_TEXT_DEFAULT}\ufe0f{_MODIFIERS})"
EMOJI = re.compile(
    f"[\U0001f1e6-\U0001f1ff]{{2}}|[0-9#*]\ufe0f?\u20e3|{_ONE}(?:\u200d(?:{_ONE}|{_TEXT_DEFAULT}{_MODIFIERS}))*"
)
# Left over outside an emoji (or everywhere when no emoji font is installed): text fonts draw these
# as boxes, so they are not drawn.
_EMOJI_ONLY = re.compile("[\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]")
_NOT_TEXT = re.compile(f"{_PICTOGRAPH}|\u200d|{_EMOJI_ONLY.pattern}")

RGBA = tuple[int, int, int, int]
# One card is drawn at a time in the process: ProductShow draws on the loop while chat cards are drawn
# on worker threads, and the cached FreeType faces they share are not made for concurrent use.
# Re-entrant: a canvas rendering draws its card inside. PNG encoding (zlib) runs outside it.
DRAWING = threading.RLock()


def font_dirs() -> list[Path]:
    """Where fonts are looked for, first match wins: the project's own folder, then the system's."""
    home = Path.home()
    dirs = [
        resources_dir() / "fonts",
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".local" / "share" / "fonts",
        home / ".fonts",
    ]
    if sys.platform == "darwin":
        dirs += [home / "Library" / "Fonts", Path("/Library/Fonts"), Path("/System/Library/Fonts")]
    if sys.platform == "win32":
        dirs.append(Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts")
    return dirs


@lru_cache(maxsize=1)
def font_files() -> dict[str, Path]:
    """Every font file in ``font_dirs()``, keyed by lower-case file name (read once per process)."""
    found: dict[str, Path] = {}
    for folder in font_dirs():
        for root, _dirs, names in os.walk(folder):
            for name in names:
                if name.lower().endswith((".ttf", ".otf", ".ttc")):
                    found.setdefault(name.lower(), Path(root) / name)
    return found


def font_path(family: str, bold: bool = False) -> Path | None:
    """The file of ``family`` (bold or regular): by its usual file name, else as fontconfig matches it
    (Qt's choice too, substitutes included), else DejaVu Sans's, else None."""
    files = font_files()
    for candidate in _file_names(family, bold):
        path = files.get(candidate.lower())
        if path is not None:
            return path
    matched = _fontconfig_match(family, bold)
    if matched is not None:
        return matched
    for candidate in _file_names(DEFAULT_FAMILY, bold):
        path = files.get(candidate.lower())
        if path is not None:
            return path
    return None


@lru_cache(maxsize=64)
def _fontconfig_match(family: str, bold: bool) -> Path | None:
    """The file fontconfig's ``fc-match`` picks for ``family``, where fontconfig is installed."""
    tool = shutil.which("fc-match")
    if tool is None or not family.strip():
        return None
    pattern = family.replace(":", " ").replace("-", " ") + (":bold" if bold else "")
    try:
        done = subprocess.run([tool, "-f", "%{file}", pattern], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("fc-match failed for %r: %s", family, exc)
        return None
    path = Path(done.stdout.strip())
    if done.returncode != 0 or not path.is_file() or path.suffix.lower() not in (".ttf", ".otf", ".ttc"):
        return None
    return path


def _file_names(family: str, bold: bool) -> list[str]:
    known = _KNOWN_FILES.get(family.strip().lower())
    if known is not None:
        return [known[1] if bold else known[0]]
    stem = family.replace(" ", "")
    if bold:
        return [f"{stem}-Bold{ext}" for ext in (".ttf", ".otf")]
    return [f"{stem}{suffix}{ext}" for suffix in ("", "-Regular") for ext in (".ttf", ".otf")]


@lru_cache(maxsize=1)
def emoji_font() -> FreeTypeFont | None:
    """Noto Color Emoji at its strike size, or None when it is not installed (emoji are then left out)."""
    files = font_files()
    for name in EMOJI_FILES:
        path = files.get(name.lower())
        if path is None:
            continue
        try:
            return ImageFont.truetype(str(path), EMOJI_STRIKE)
        except OSError as exc:
            log.warning("cannot load the emoji font %s: %s", path, exc)
    return None


class Face:
    """One font at one pixel size: measures and draws a line of plain text, emoji in colour when it can."""

    def __init__(self, font: FreeTypeFont, pixels: int, emoji: FreeTypeFont | None) -> None:
        self.font = font
        self.pixels = pixels
        self.ascent, self.descent = font.getmetrics()
        self._emoji = emoji
        # As Qt scales a bitmap emoji: its line height (ascent + descent at the strike) becomes one em.
        self._emoji_scale = pixels / sum(emoji.getmetrics()) if emoji is not None else 0.0

    @property
    def height(self) -> float:
        """Ascent plus descent, as Qt's ``QFontMetricsF.height()``."""
        return float(self.ascent + self.descent)

    def runs(self, text: str) -> list[tuple[str, bool]]:
        """``text`` split into (piece, is_emoji); without an emoji font the emoji are dropped."""
        runs: list[tuple[str, bool]] = []
        start = 0
        for match in EMOJI.finditer(text):
            if match.start() > start:
                runs.append((text[start : match.start()], False))
            if self._emoji is not None:
                runs.append((match.group(), True))
            else:  # what a text font can draw of it: "❤️" keeps its heart, "1️⃣" its digit
                runs.append((_NOT_TEXT.sub("", match.group()), False))
            start = match.end()
        if start < len(text):
            runs.append((text[start:], False))
        return [(_EMOJI_ONLY.sub("", piece), False) if not emoji else (piece, True) for piece, emoji in runs]

    def length(self, text: str) -> float:
        """The advance width of ``text`` in pixels."""
        if text.isascii():
            return float(self.font.getlength(text))
        return sum(self._run_length(piece, emoji) for piece, emoji in self.runs(text))

    def _run_length(self, piece: str, emoji: bool) -> float:
        if emoji:
            assert self._emoji is not None
            return float(self._emoji.getlength(piece)) * self._emoji_scale
        return float(self.font.getlength(piece)) if piece else 0.0

    def draw(self, image: Image.Image, x: float, baseline: float, text: str, fill: RGBA) -> float:
        """Draw ``text`` with its baseline at ``baseline``; returns the width drawn."""
        draw = ImageDraw.Draw(image)
        if text.isascii():
            draw.text((x, baseline), text, font=self.font, fill=fill, anchor="ls")
            return float(self.font.getlength(text))
        start = x
        for piece, emoji in self.runs(text):
            if not piece:
                continue
            if emoji:
                glyph, glyph_ascent = self._emoji_image(piece)
                paste_over(image, glyph, round(x), round(baseline - glyph_ascent))
            else:
                draw.text((x, baseline), piece, font=self.font, fill=fill, anchor="ls")
            x += self._run_length(piece, emoji)
        return x - start

    def _emoji_image(self, cluster: str) -> tuple[Image.Image, float]:
        key = (cluster, self.pixels)
        with _EMOJI_LOCK:
            cached = _EMOJI_IMAGES.get(key)
            if cached is not None:
                _EMOJI_IMAGES.move_to_end(key)
                return cached
        assert self._emoji is not None
        ascent, descent = self._emoji.getmetrics()
        width = max(1, math.ceil(self._emoji.getlength(cluster)))
        big = Image.new("RGBA", (width, ascent + descent), (0, 0, 0, 0))
        ImageDraw.Draw(big).text((0, ascent), cluster, font=self._emoji, anchor="ls", embedded_color=True)
        scale = self._emoji_scale
        size = (max(1, round(width * scale)), max(1, round((ascent + descent) * scale)))
        made = (big.resize(size, Image.Resampling.LANCZOS), ascent * scale)
        with _EMOJI_LOCK:
            _EMOJI_IMAGES[key] = made
            while len(_EMOJI_IMAGES) > _EMOJI_CACHE_SIZE:
                _EMOJI_IMAGES.popitem(last=False)
        return made


_EMOJI_IMAGES: OrderedDict[tuple[str, int], tuple[Image.Image, float]] = OrderedDict()
_EMOJI_LOCK = threading.Lock()


@lru_cache(maxsize=512)
def face(family: str, pixels: int, bold: bool = False) -> Face:
    """``family`` at ``pixels`` (the em size, as Qt's ``setPixelSize``), cached for the process."""
    pixels = max(1, pixels)
    path = font_path(family, bold)
    font: object
    if path is not None:
        font = ImageFont.truetype(str(path), pixels)
    else:
        if family == DEFAULT_FAMILY or not bold:
            log.info("no font file for %r: using Pillow's built-in font", family)
        font = ImageFont.load_default(pixels)
    if not isinstance(font, FreeTypeFont):
        raise RuntimeError("Pillow was built without FreeType; on-air cards need it to draw text")
    return Face(font, pixels, emoji_font())


def paste_over(image: Image.Image, layer: Image.Image, x: int, y: int) -> None:
    """Composite the RGBA ``layer`` over ``image`` at (x, y), clipped to the image (x, y may be negative)."""
    left, top = max(0, -x), max(0, -y)
    right = min(layer.width, image.width - x)
    bottom = min(layer.height, image.height - y)
    if right <= left or bottom <= top:
        return
    part = layer if (left, top, right, bottom) == (0, 0, *layer.size) else layer.crop((left, top, right, bottom))
    image.alpha_composite(part, (x + left, y + top))
