"""Building sinks from configured destinations in one call, for callers not yet moved to the destination registry.

The go-live room's ``Destinations`` registry (services/golive/destinations.py) is the way to build
and change destinations; this keeps ``load_sinks`` working for the composition root until it moves
there. Sink types come from entry points only (adapters/sinks/discovery.py), built-ins included.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from studio_console.adapters.registry import PluginEntry
from studio_console.adapters.sinks.base import Sink, SinkFactory
from studio_console.adapters.sinks.discovery import build_sink, discover_sink_types
from studio_console.settings.model import DestinationConfig

log = logging.getLogger(__name__)

DEFAULT_SINK_ID = "local_test_server"


@dataclass
class LoadedSinks:
    """Every sink that could be built, and why the others are unavailable (shown greyed out)."""

    sinks: dict[str, Sink] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def load_sinks(
    configured: Mapping[str, DestinationConfig | Mapping[str, Any]] | None = None,
    entries: Mapping[str, PluginEntry[SinkFactory]] | None = None,
) -> LoadedSinks:
    """Build the configured destinations (by id), or one of each installed sink type when none are given.

    A value may be a DestinationConfig or, as in schema 2, plain options keyed by sink type. A
    destination whose type failed to load, is not installed or fails to build is listed as
    unavailable with the reason; it never stops the others.
    """
    types = discover_sink_types(entries)
    configs = dict(configured or {}) or {name: DestinationConfig(id=name, sink_type=name) for name in types}
    loaded = LoadedSinks()
    for destination_id, value in configs.items():
        if isinstance(value, DestinationConfig):
            config = value
        else:
            config = DestinationConfig(id=destination_id, sink_type=destination_id, options=dict(value))
        entry = types.get(config.sink_type)
        if entry is None or entry.plugin is None:
            reason = entry.error if entry is not None else None
            loaded.unavailable[destination_id] = reason or f"the sink type {config.sink_type!r} is not installed"
            continue
        try:
            loaded.sinks[destination_id] = build_sink(entry.plugin, destination_id, config.display_name, config.options)
        except Exception as exc:  # a broken plugin must not take the app down
            log.error("sink %r could not be created: %s: %s", destination_id, type(exc).__name__, exc)
            loaded.unavailable[destination_id] = f"{type(exc).__name__}: {exc}"
    return loaded
