"""Chat sources: where live chat comes from (built-ins, and plugins in the "studio_console.chat_sources" group)."""

from __future__ import annotations

from typing import Any

from studio_console.adapters.registry import CHAT_SOURCE_GROUP, PluginEntry, discover


def builtin_chat_sources() -> dict[str, Any]:
    """The source classes that ship with the app, by entry-point name (each is a ChatSourceFactory)."""
    from studio_console.adapters.chat.rehearsal import RehearsalAudience
    from studio_console.adapters.chat.tiktok import TikTokSource
    from studio_console.adapters.chat.twitch_irc import TwitchIrcSource
    from studio_console.adapters.chat.youtube import YouTubeChatSource

    return {
        "twitch": TwitchIrcSource,
        "youtube": YouTubeChatSource,
        "tiktok": TikTokSource,
        "rehearsal": RehearsalAudience,
    }


def discover_chat_sources() -> dict[str, PluginEntry[Any]]:
    """Built-in sources plus every installed plugin; a broken plugin is listed as unavailable."""
    return discover(CHAT_SOURCE_GROUP, builtin_chat_sources())
