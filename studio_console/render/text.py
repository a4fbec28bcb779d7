"""Viewer and product text made safe to draw: control and bidi-override characters removed (small, replaceable)."""

from __future__ import annotations

import re

# Line and paragraph breaks become spaces: a card decides its own lines.
_BREAKS = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")
# C0/C1 controls, bidi embeddings, overrides and isolates (they can reverse the rest of a card), the
# Arabic letter mark, byte-order marks and interlinear annotation marks. Zero-width joiners stay:
# emoji sequences need them.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]")


def drawable_text(text: str) -> str:
    """``text`` with breaks turned into spaces and control/bidi-override characters removed."""
    return _INVISIBLE.sub("", _BREAKS.sub(" ", text))
