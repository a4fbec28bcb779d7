"""Chat labels shown wherever chat appears: platform badges (letters, colour) for the Qt views and on-air cards."""

from __future__ import annotations

# Only this much of a text is laid out: a few lines never need more, and a 10,000-character
# line must not cost a full layout on every repaint.
MAX_LAYOUT_CHARS = 600

PLATFORM_BADGES: dict[str, tuple[str, str]] = {
    "tiktok": ("TT", "#e91e63"),
    "twitch": ("TW", "#9146ff"),
    "youtube": ("YT", "#e53935"),
    "rehearsal": ("RH", "#607d8b"),
    "external": ("EX", "#455a64"),
}


def platform_badge(platform: str) -> tuple[str, str]:
    """The badge's letters and colour (``#rrggbb``) for ``platform``; unknown platforms get their first letters."""
    return PLATFORM_BADGES.get(platform, (platform[:2].upper() or "??", "#757575"))
