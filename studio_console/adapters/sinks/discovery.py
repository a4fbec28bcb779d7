"""Finding sink types through the ``studio_console.sinks`` entry points (built-ins too) and building instances."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from studio_console.adapters.registry import SINK_GROUP, PluginEntry, discover
from studio_console.adapters.sinks.base import Sink, SinkFactory, options_from_settings

log = logging.getLogger(__name__)

SinkTypes = dict[str, PluginEntry[SinkFactory]]

NO_SINK_TYPES = (
    f"No stream destinations are installed: no entry point in the {SINK_GROUP!r} group was found. "
    "Install Studio Console as a package (pip install -e .) so its built-in destinations register."
)


def listing_order(entry: PluginEntry[SinkFactory]) -> int:
    order = getattr(entry.plugin, "listing_order", 100)
    return order if isinstance(order, int) else 100


def discover_sink_types(entries: Mapping[str, PluginEntry[SinkFactory]] | None = None) -> SinkTypes:
    """Every installed sink type by entry-point name, in the order the "add a destination" menu lists them.

    The built-ins are entry points of this package like any plugin. A plugin that fails to load is
    kept with the reason (shown as unavailable); it never stops the others.
    """
    found = dict(entries) if entries is not None else discover(SINK_GROUP)
    if not found:
        log.error("%s", NO_SINK_TYPES)
    return dict(sorted(found.items(), key=lambda item: (listing_order(item[1]), item[0])))


def build_sink(
    factory: SinkFactory, destination_id: str, display_name: str = "", raw_options: Mapping[str, Any] | None = None
) -> Sink:
    """One destination instance of ``factory``; options that do not validate fall back to defaults (logged)."""
    options = options_from_settings(factory, raw_options)
    if not display_name:
        # Plugins written before destinations had names take only options and sink_id.
        return factory(options, sink_id=destination_id)
    return factory(options, sink_id=destination_id, display_name=display_name)


def type_name(entry: PluginEntry[SinkFactory]) -> str:
    """How a sink type is called in menus: its default display name, or the entry-point name."""
    name = getattr(entry.plugin, "default_display_name", "") if entry.plugin is not None else ""
    return name if isinstance(name, str) and name else entry.name
