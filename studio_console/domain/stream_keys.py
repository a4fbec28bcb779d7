"""Spotting a stream key pasted into a server URL, so it never reaches the settings file or the API."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

# Key shapes the big platforms hand out (as shown in their dashboards, November 2026).
_KEY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Twitch", re.compile(r"^live_\d+_[A-Za-z0-9]{8,}$")),
    ("a live_ key", re.compile(r"^live_[A-Za-z0-9_-]{6,}$")),
    ("Kick", re.compile(r"^sk_[A-Za-z0-9_-]{6,}$")),
    ("Restream", re.compile(r"^re_\d+_[A-Za-z0-9]{6,}$")),
    ("Facebook", re.compile(r"^FB-\d{6,}-\d+-[A-Za-z0-9_-]{6,}$")),
    ("YouTube", re.compile(r"^[A-Za-z0-9]{4}(?:-[A-Za-z0-9]{4}){3,4}$")),
    ("TikTok", re.compile(r"^stream-\d{6,}", re.IGNORECASE)),
)

# Ingest hosts whose URL ends at the application name; anything after it is a key.
# Values: how many path segments the server URL itself has.
_PLATFORM_HOSTS: tuple[tuple[str, str, int], ...] = (
    ("YouTube", "youtube.com", 1),  # rtmps://a.rtmps.youtube.com/live2
    ("Twitch", "live-video.net", 1),  # rtmp://<ingest>.contribute.live-video.net/app
    ("Twitch", "twitch.tv", 1),
    ("Facebook", "facebook.com", 1),  # rtmps://live-api-s.facebook.com:443/rtmp
    ("Instagram", "instagram.com", 1),
    ("TikTok", "tiktokcdn.com", 1),  # rtmp://push-rtmp-<region>.tiktokcdn.com/game
    ("TikTok", "tiktokcdn-us.com", 1),
    ("TikTok", "tiktokv.com", 1),
    ("Kick", "kick.com", 1),
    ("Restream", "restream.io", 1),
)

# A long last segment mixing letters and digits, the shape of most keys (custom servers too).
_GENERIC_MIN_LENGTH = 20


def _looks_random(segment: str) -> bool:
    if len(segment) < _GENERIC_MIN_LENGTH:
        return False
    letters = sum(c.isalpha() for c in segment)
    digits = sum(c.isdigit() for c in segment)
    return letters >= 4 and digits >= 4


def stream_key_problem(url: str) -> str | None:
    """A sentence when ``url`` seems to carry a stream key, else None. The key is never quoted."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    segments = [unquote(s) for s in parts.path.split("/") if s]
    host = (parts.hostname or "").lower()
    advice = "enter the server URL without it and paste the key in the stream key field."
    for segment in segments[1:] + ([parts.query] if parts.query else []):
        for platform, pattern in _KEY_PATTERNS:
            if pattern.search(segment):
                return f"The server URL contains the stream key, or what looks like one ({platform}): {advice}"
    for platform, suffix, depth in _PLATFORM_HOSTS:
        if host == suffix or host.endswith("." + suffix):
            if len(segments) > depth or parts.query:
                return f"The server URL has more than {platform}'s server address, likely the stream key: {advice}"
            return None
    if len(segments) >= 2 and _looks_random(segments[-1]):
        return f"The server URL ends with what looks like a stream key: {advice}"
    return None


KEY_MASK = "•••"


def redact_stream_key(url: str) -> str:
    """``url`` with what looks like a key replaced by a mask (the server part kept), else unchanged."""
    if stream_key_problem(url) is None:
        return url
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return KEY_MASK
    segments = [s for s in parts.path.split("/") if s]
    app = f"/{segments[0]}" if segments else ""
    return f"{parts.scheme}://{parts.netloc}{app}/{KEY_MASK}"


def scrub_stream_keys(value: Any) -> Any:
    """A JSON-like value with every RTMP(S) URL string passed through ``redact_stream_key``."""
    if isinstance(value, dict):
        return {k: scrub_stream_keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_stream_keys(v) for v in value]
    if isinstance(value, str) and value[:8].lower().startswith(("rtmp://", "rtmps://")):
        return redact_stream_key(value)
    return value
