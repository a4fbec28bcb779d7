"""The registry of configured destination instances: add, rename, remove, select, options and keys.

Several instances may share one sink type (two YouTube channels, three custom RTMP servers); each
has its own id, name, options and stream key (``stream_key_name(id)`` in the keyring). The go-live
service locks the registry while a stream runs or starts (``lock``/``is_locked``) and follows its
``changed`` event: the registry never calls back into the start/stop logic.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, Protocol

from studio_console.adapters.registry import PluginEntry
from studio_console.adapters.sinks.base import SecretReader, Sink, SinkFactory, rtmp_url_problem
from studio_console.adapters.sinks.discovery import SinkTypes, build_sink, discover_sink_types, type_name
from studio_console.domain.stream import DestinationInfo, DestinationKind, SinkTypeInfo
from studio_console.kernel.listeners import Listeners
from studio_console.services.golive.errors import DestinationLocked, GoLiveError, UnknownDestination
from studio_console.settings.model import DESTINATION_ID_PATTERN, DestinationConfig, OutputSettings
from studio_console.settings.secrets import stream_key_name

log = logging.getLogger(__name__)

ChangeListener = Callable[[], None]
_ID_PATTERN = re.compile(DESTINATION_ID_PATTERN)


class SecretKeeper(SecretReader, Protocol):
    """The part of SecretStore the registry uses (a test passes a dict-backed fake)."""

    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class OutputSaver(Protocol):
    """Keeps the output section after a change (the settings keeper's update, or a save)."""

    def __call__(self, output: OutputSettings) -> None: ...


class Destinations:
    """Configured destination instances, each built from its sink type (an entry point).

    An instance whose sink type is missing or fails to build stays in the list, unavailable with
    the reason, and is saved back unchanged. Listeners are called on the loop after every change.
    """

    def __init__(
        self,
        output: OutputSettings,
        types: SinkTypes,
        secrets: SecretKeeper,
        *,
        save: OutputSaver | None = None,
    ) -> None:
        self.secrets = secrets
        self._types: SinkTypes = dict(types)
        self._save = save
        self._configs: dict[str, DestinationConfig] = {}
        self._sinks: dict[str, Sink] = {}
        self._problems: dict[str, str] = {}
        self._key_set: dict[str, bool] = {}
        self._listeners: Listeners[[]] = Listeners("listeners")
        # Instances handed in already built whose class is not the registered one for their type.
        self._instance_factories: dict[str, SinkFactory] = {}
        self._lock_reason: str | None = None
        self._locked_ids: frozenset[str] = frozenset()
        for config in output.destinations:
            self._configs[config.id] = config.model_copy(deep=True)
            self._build(config.id)
        self._selected = output.destination if output.destination in self._sinks else next(iter(self._sinks), "")

    @classmethod
    def open(
        cls,
        output: OutputSettings,
        secrets: SecretKeeper,
        *,
        save: OutputSaver | None = None,
        entries: Mapping[str, PluginEntry[SinkFactory]] | None = None,
    ) -> Destinations:
        """The registry for ``output``, with sink types found through entry points (or ``entries``)."""
        return cls(output, discover_sink_types(entries), secrets, save=save)

    @classmethod
    def from_sinks(
        cls,
        sinks: Mapping[str, Sink],
        secrets: SecretKeeper,
        output: OutputSettings | None = None,
        *,
        unavailable: Mapping[str, str] | None = None,
        save: OutputSaver | None = None,
        types: SinkTypes | None = None,
    ) -> Destinations:
        """A registry over sinks built elsewhere (tests, older callers), in their order.

        A sink class is its own factory: an options change rebuilds the instance with its own class.
        Names and options of unavailable instances come from ``output`` when it lists them. New
        instances can be of any type in ``types`` (default: the installed ones).
        """
        output = output or OutputSettings(destinations=[])
        known = discover_sink_types() if types is None else types
        registry = cls(OutputSettings(destination=output.destination, destinations=[]), known, secrets, save=save)
        for sink_id, sink in sinks.items():
            factory: SinkFactory = type(sink)  # type: ignore[assignment]  # every sink class is its own factory
            sink_type = str(getattr(factory, "sink_type_id", "") or sink_id)
            if registry._types.get(sink_type, PluginEntry("", "", None)).plugin is not factory:
                # The built instance's own class rebuilds it (a test's fake, a plugin of the same name).
                registry._instance_factories[sink_id] = factory
            saved = output.instance(sink_id)
            registry._configs[sink_id] = DestinationConfig(
                id=sink_id,
                sink_type=sink_type,
                display_name=saved.display_name if saved is not None else "",
                options=sink.options.model_dump(mode="json"),
            )
            registry._sinks[sink_id] = sink
            registry._key_set[sink_id] = registry._key_stored(sink)
        for sink_id, reason in (unavailable or {}).items():
            saved = output.instance(sink_id)
            registry._configs[sink_id] = saved or DestinationConfig(id=sink_id, sink_type=sink_id)
            registry._problems[sink_id] = reason
        registry._selected = output.destination if output.destination in sinks else next(iter(sinks), "")
        return registry

    def require_available(self) -> None:
        """Raise ValueError naming why when no destination can be used (the go-live service needs one)."""
        if not self._sinks:
            reasons = "; ".join(f"{i}: {why}" for i, why in self._problems.items()) or "none is configured"
            raise ValueError(f"the go-live service needs at least one available destination ({reasons})")

    def _key_stored(self, sink: Sink) -> bool:
        return sink.needs_key and bool(self.secrets.get(stream_key_name(sink.sink_id)))

    def _build(self, destination_id: str) -> Sink | None:
        """Build (or rebuild) one instance from its config; on failure it is unavailable with the reason."""
        config = self._configs[destination_id]
        self._sinks.pop(destination_id, None)
        self._problems.pop(destination_id, None)
        entry = self._types.get(config.sink_type)
        factory = self._instance_factories.get(destination_id) or (entry.plugin if entry is not None else None)
        if factory is None:
            reason = entry.error if entry is not None and entry.error else None
            self._problems[destination_id] = reason or f"the sink type {config.sink_type!r} is not installed"
            log.warning("stream destination %s is unavailable: %s", destination_id, self._problems[destination_id])
            return None
        try:
            sink = build_sink(factory, destination_id, config.display_name, config.options)
        except Exception as exc:  # a broken plugin must not take the app down
            log.error("stream destination %r could not be created: %s: %s", destination_id, type(exc).__name__, exc)
            self._problems[destination_id] = f"{type(exc).__name__}: {exc}"
            return None
        self._sinks[destination_id] = sink
        self._key_set[destination_id] = self._key_stored(sink)
        return sink

    # -- reading ---------------------------------------------------------------------------------

    def __contains__(self, destination_id: object) -> bool:
        return destination_id in self._configs

    def ids(self) -> tuple[str, ...]:
        return tuple(self._configs)

    def sinks(self) -> Iterator[Sink]:
        """The available instances, in the listed order."""
        return iter(tuple(self._sinks.values()))

    def get(self, destination_id: str) -> Sink:
        sink = self._sinks.get(destination_id)
        if sink is None:
            reason = self._problems.get(destination_id)
            detail = f" ({reason})" if reason else ""
            raise UnknownDestination(f"The destination {destination_id!r} is not available{detail}.")
        return sink

    def find(self, destination_id: str | None) -> Sink | None:
        return self._sinks.get(destination_id) if destination_id is not None else None

    def name(self, destination_id: str) -> str:
        sink = self._sinks.get(destination_id)
        if sink is not None:
            return sink.display_name
        config = self._configs.get(destination_id)
        return (config.display_name if config is not None else "") or destination_id

    @property
    def selected_id(self) -> str:
        return self._selected

    @property
    def selected(self) -> Sink:
        return self._sinks[self._selected]

    def key_set(self, destination_id: str) -> bool:
        return self._key_set.get(destination_id, False)

    def infos(self) -> tuple[DestinationInfo, ...]:
        infos: list[DestinationInfo] = []
        for destination_id, config in self._configs.items():
            sink = self._sinks.get(destination_id)
            if sink is None:
                infos.append(
                    DestinationInfo(
                        sink_id=destination_id,
                        display_name=self.name(destination_id),
                        sink_type=config.sink_type,
                        kind=DestinationKind.CUSTOM_RTMP,
                        is_real_audience=True,
                        available=False,
                        unavailable_reason=self._problems.get(destination_id),
                    )
                )
                continue
            infos.append(
                DestinationInfo(
                    sink_id=destination_id,
                    display_name=sink.display_name,
                    sink_type=config.sink_type,
                    kind=sink.kind,
                    is_real_audience=sink.is_real_audience,
                    server_url=sink.target().server_url,
                    server_editable=sink.server_editable,
                    needs_key=sink.needs_key,
                    key_set=self._key_set.get(destination_id, False),
                )
            )
        return tuple(infos)

    def types(self) -> tuple[SinkTypeInfo, ...]:
        """The kinds of destination that can be added, in menu order."""
        return tuple(
            SinkTypeInfo(
                sink_type=name,
                display_name=type_name(entry),
                available=entry.plugin is not None,
                unavailable_reason=entry.error,
            )
            for name, entry in self._types.items()
        )

    def output(self) -> OutputSettings:
        """The output section as it stands (what is saved)."""
        return OutputSettings(
            destination=self._selected, destinations=[c.model_copy(deep=True) for c in self._configs.values()]
        )

    def subscribe(self, listener: ChangeListener) -> Callable[[], None]:
        """``listener()`` after every change of the list, a name, options, a key or the selection."""
        return self._listeners.add(listener)

    # -- the lock (set by the go-live service) ------------------------------------------------

    def lock(self, reason: str, destination_ids: Collection[str]) -> None:
        """While a stream runs or starts: no other selection, no change to ``destination_ids``."""
        self._lock_reason, self._locked_ids = reason, frozenset(destination_ids)

    def unlock(self) -> None:
        self._lock_reason, self._locked_ids = None, frozenset()

    def is_locked(self, destination_id: str | None = None) -> bool:
        """Whether the selection (no id) or that destination is locked by a running or starting stream."""
        if self._lock_reason is None:
            return False
        return destination_id is None or destination_id in self._locked_ids

    @property
    def lock_reason(self) -> str | None:
        return self._lock_reason

    def _refuse_if_locked(self, destination_id: str, doing: str) -> None:
        if self.is_locked(destination_id):
            raise DestinationLocked(f"Stop the stream before {doing}: {self._lock_reason}.")

    # -- changing ------------------------------------------------------------------------------

    def select(self, destination_id: str) -> None:
        """Choose where the next stream goes. Refused while a stream runs or starts."""
        if destination_id == self._selected:
            return
        sink = self.get(destination_id)
        if self.is_locked():
            raise DestinationLocked(f"Stop the stream before changing the destination: {self._lock_reason}.")
        self._selected = destination_id
        log.info("stream destination: %s", sink.display_name)
        self._changed(save=True)

    def add(self, sink_type: str, display_name: str = "", options: Mapping[str, Any] | None = None) -> str:
        """A new instance of ``sink_type``; returns its id (the type's name, then ``-2``, ``-3``...)."""
        entry = self._types.get(sink_type)
        if entry is None:
            raise UnknownDestination(f"There is no kind of destination called {sink_type!r}.")
        if entry.plugin is None:
            raise UnknownDestination(f"{type_name(entry)} cannot be added: {entry.error or 'it failed to load'}.")
        destination_id = self._new_id(sink_type)
        self._configs[destination_id] = DestinationConfig(
            id=destination_id, sink_type=sink_type, display_name=display_name.strip(), options=dict(options or {})
        )
        # A freed id may be reused: the new instance must not inherit an old key.
        self.secrets.delete(stream_key_name(destination_id))
        sink = self._build(destination_id)
        if sink is None:
            reason = self._problems.pop(destination_id, "it could not be built")
            del self._configs[destination_id]
            raise GoLiveError(f"{type_name(entry)} cannot be added: {reason}")
        self._configs[destination_id] = self._configs[destination_id].model_copy(
            update={"options": sink.options.model_dump(mode="json")}
        )
        log.info("stream destination added: %s (%s)", sink.display_name, destination_id)
        self._changed(save=True)
        return destination_id

    def _new_id(self, sink_type: str) -> str:
        base = sink_type if _ID_PATTERN.match(sink_type) else "destination"
        candidate, number = base, 1
        while candidate in self._configs:
            number += 1
            candidate = f"{base}-{number}"
        return candidate

    async def rename(self, destination_id: str, display_name: str) -> None:
        """A new name for an instance (empty: the sink type's own name)."""
        if destination_id not in self._configs:
            raise UnknownDestination(f"There is no destination {destination_id!r}.")
        name = display_name.strip()
        if len(name) > 80:
            raise GoLiveError("A destination name has at most 80 characters.")
        self._refuse_if_locked(destination_id, f"renaming {self.name(destination_id)}")
        config = self._configs[destination_id]
        if config.display_name == name:
            return
        self._configs[destination_id] = config.model_copy(update={"display_name": name})
        await self._rebuild(destination_id)
        self._changed(save=True)

    async def remove(self, destination_id: str) -> None:
        """Forget an instance and its stream key; the selection moves on when it was selected."""
        if destination_id not in self._configs:
            raise UnknownDestination(f"There is no destination {destination_id!r}.")
        name = self.name(destination_id)
        self._refuse_if_locked(destination_id, f"removing {name}")
        if destination_id == self._selected and self.is_locked():
            raise DestinationLocked(f"Stop the stream before removing {name}: {self._lock_reason}.")
        others = [i for i in self._sinks if i != destination_id]
        if destination_id in self._sinks and not others:
            raise GoLiveError(f"{name} is the only destination left: add another before removing it.")
        sink = self._sinks.pop(destination_id, None)
        del self._configs[destination_id]
        self._instance_factories.pop(destination_id, None)
        self._problems.pop(destination_id, None)
        self._key_set.pop(destination_id, None)
        self.secrets.delete(stream_key_name(destination_id))
        if sink is not None:
            await _close(sink)
        if destination_id == self._selected:
            self._selected = others[0]
        log.info("stream destination removed: %s (%s)", name, destination_id)
        self._changed(save=True)

    async def set_options(self, destination_id: str, changes: Mapping[str, Any]) -> None:
        """Change an instance's options (validated by its sink type's model), rebuild it and save them."""
        sink = self.get(destination_id)
        self._refuse_if_locked(destination_id, f"changing {sink.display_name}")
        options_model = type(sink.options)
        try:
            options = options_model.model_validate({**sink.options.model_dump(), **changes})
        except ValueError as exc:
            raise GoLiveError(f"{sink.display_name}: invalid options ({exc})") from exc
        config = self._configs[destination_id]
        self._configs[destination_id] = config.model_copy(update={"options": options.model_dump(mode="json")})
        await self._rebuild(destination_id)
        self._changed(save=True)

    async def _rebuild(self, destination_id: str) -> None:
        old = self._sinks.get(destination_id)
        if old is not None:
            await _close(old)
        self._build(destination_id)

    async def set_server_url(self, destination_id: str, url: str) -> None:
        """A new server URL for an instance whose server is editable (TikTok, Twitch ingest, custom)."""
        sink = self.get(destination_id)
        if not sink.server_editable:
            raise GoLiveError(f"The server of {sink.display_name} is fixed.")
        url = url.strip()
        problem = rtmp_url_problem(url) if url else None
        if problem is not None:
            raise GoLiveError(f"{sink.display_name}: {problem}")
        key = self.secrets.get(stream_key_name(destination_id))
        if key and key in url:
            # The URL is saved in the settings file: a key pasted into it would end up there.
            raise GoLiveError(
                f"{sink.display_name}: the server URL contains the stream key. Enter the URL without it; "
                "the key goes in the key field."
            )
        await self.set_options(destination_id, {"server_url": url})

    def set_stream_key(self, destination_id: str, key: str) -> None:
        """Store (or, when empty, forget) an instance's stream key in the keyring. The key is never logged."""
        sink = self.get(destination_id)
        name = stream_key_name(destination_id)
        key = key.strip()
        if key:
            self.secrets.set(name, key)
        else:
            self.secrets.delete(name)
        self._key_set[destination_id] = bool(key)
        log.info("stream key for %s %s", sink.display_name, "stored" if key else "removed")
        self._changed(save=False)

    def _changed(self, *, save: bool) -> None:
        if save and self._save is not None:
            try:
                self._save(self.output())
            except Exception:
                log.exception("saving the output settings failed")
        self._listeners.notify()

    async def close(self) -> None:
        """Close every instance (the local test server stops listening)."""
        for sink in tuple(self._sinks.values()):
            await _close(sink)


async def _close(sink: Sink) -> None:
    try:
        await sink.close()
    except Exception:
        log.exception("closing sink %s failed", sink.sink_id)
