"""Entry-point discovery of plugins (sinks, chat sources); a plugin that fails to load shows as unavailable."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

SINK_GROUP = "studio_console.sinks"
CHAT_SOURCE_GROUP = "studio_console.chat_sources"

T = TypeVar("T")


@dataclass(frozen=True)
class PluginEntry(Generic[T]):
    """One discovered plugin: its loaded object, or why it is unavailable."""

    name: str
    value: str
    plugin: T | None
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.plugin is not None


def discover(group: str, builtins: dict[str, T] | None = None) -> dict[str, PluginEntry[T]]:
    """Built-in plugins plus every entry point in ``group``; load failures are logged, never raised."""
    found: dict[str, PluginEntry[T]] = {
        name: PluginEntry(name, f"builtin:{name}", plugin) for name, plugin in (builtins or {}).items()
    }
    eps: tuple[EntryPoint, ...] = tuple(entry_points(group=group))
    for ep in eps:
        if ep.name in found and found[ep.name].value.startswith("builtin:"):
            continue  # a built-in of the same name wins; entry points of the package itself land here
        try:
            plugin: T = ep.load()
        except Exception as exc:  # a broken plugin must not take the app down
            log.error("plugin %r (%s) failed to load: %s: %s", ep.name, ep.value, type(exc).__name__, exc)
            found[ep.name] = PluginEntry(ep.name, ep.value, None, f"{type(exc).__name__}: {exc}")
            continue
        found[ep.name] = PluginEntry(ep.name, ep.value, plugin)
    return found
