"""The sinks that ship with the app, and building every available sink from the saved output settings."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from studio_console.adapters.registry import SINK_GROUP, PluginEntry, discover
from studio_console.adapters.sinks.base import Sink, SinkFactory, options_from_settings
from studio_console.adapters.sinks.external import CustomRtmpSink, TikTokLiveSink, TwitchSink, YouTubeLiveSink
from studio_console.adapters.sinks.local_test_server import LocalTestServerSink

log = logging.getLogger(__name__)

DEFAULT_SINK_ID = LocalTestServerSink.sink_type_id


def builtin_sinks() -> dict[str, SinkFactory]:
    """Built-in sink classes by id, in the order the destination picker lists them."""
    classes: tuple[SinkFactory, ...] = (
        LocalTestServerSink,
        TikTokLiveSink,
        YouTubeLiveSink,
        TwitchSink,
        CustomRtmpSink,
    )
    return {cls.sink_type_id: cls for cls in classes}


@dataclass
class LoadedSinks:
    """Every sink that could be built, and why the others are unavailable (shown greyed out)."""

    sinks: dict[str, Sink] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def load_sinks(
    sink_options: Mapping[str, Mapping[str, Any]] | None = None,
    entries: Mapping[str, PluginEntry[SinkFactory]] | None = None,
) -> LoadedSinks:
    """Built-ins plus entry-point plugins, each built with its options from the settings file.

    A plugin that fails to load or to build is listed as unavailable with the reason; it never
    stops the others.
    """
    options = sink_options or {}
    found = entries if entries is not None else discover(SINK_GROUP, builtin_sinks())
    loaded = LoadedSinks()
    for name, entry in found.items():
        factory = entry.plugin
        if factory is None:
            loaded.unavailable[name] = entry.error or "failed to load"
            continue
        try:
            loaded.sinks[name] = factory(options_from_settings(factory, options.get(name)), sink_id=name)
        except Exception as exc:  # a broken plugin must not take the app down
            log.error("sink %r could not be created: %s: %s", name, type(exc).__name__, exc)
            loaded.unavailable[name] = f"{type(exc).__name__}: {exc}"
    return loaded
