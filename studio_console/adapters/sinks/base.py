"""The Sink protocol and its capability protocols: a destination describes itself and yields OBS's stream settings.

Go-live talks to sinks only through these protocols (``Sink``, ``HasHealth``, ``HasThumbnails``,
``Records``, ``LocalReceiver``), never through a concrete class.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from studio_console.domain.stream import (
    CheckStatus,
    DestinationKind,
    LocalServerStatus,
    PreflightCheck,
    ReceivedStreamInfo,
    RelayDestinationStatus,
    RelayTarget,
    StreamTarget,
    Thumbnail,
)
from studio_console.domain.stream_keys import stream_key_problem
from studio_console.kernel.listeners import Listeners
from studio_console.settings.secrets import stream_key_name

log = logging.getLogger(__name__)

RTMP_SCHEMES = ("rtmp", "rtmps")
# How a stream key appears in any text the app shows: nothing of it, only that it is set.
KEY_MASK = "••••••••"


class SecretReader(Protocol):
    """The part of SecretStore a sink needs (a test passes a dict-backed fake)."""

    def get(self, name: str) -> str | None: ...


class SinkError(Exception):
    """A sink cannot produce stream settings; the message is a sentence for the operator."""


class MissingStreamKey(SinkError):
    """No stream key is stored for a destination that needs one."""


class SinkOptions(BaseModel):
    """Base of every sink's options model: saved in the settings file, so it never holds a key."""

    model_config = ConfigDict(extra="ignore", frozen=True)


@dataclass(frozen=True)
class StreamServiceSettings:
    """Where OBS is to stream; go-live sends it to OBS. ``repr`` never shows the key."""

    server: str
    key: str = field(repr=False)
    service_type: str = "rtmp_custom"


def mask_key(key: str | None) -> str:
    """The text a UI may show for a stream key: a fixed mask, or an empty string when none is set."""
    return KEY_MASK if key else ""


def rtmp_url_problem(url: str) -> str | None:
    """A sentence saying what is wrong with an RTMP(S) server URL, or None when it looks usable."""
    if not url.strip():
        return "No server URL is set."
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "The server URL cannot be read."
    if parts.scheme.lower() not in RTMP_SCHEMES:
        return "The server URL must start with rtmp:// or rtmps://."
    if not parts.hostname:
        return "The server URL has no host name."
    if parts.username or parts.password:
        return "The server URL must not contain a user name or password."
    return stream_key_problem(url)


@runtime_checkable
class Sink(Protocol):
    """A stream destination. The go-live service applies what it describes to OBS."""

    @property
    def sink_id(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def kind(self) -> DestinationKind: ...

    @property
    def is_real_audience(self) -> bool:
        """True when viewers can see this stream: going live then needs an explicit confirmation."""
        ...

    @property
    def options(self) -> SinkOptions: ...

    @property
    def needs_key(self) -> bool: ...

    @property
    def server_editable(self) -> bool: ...

    def target(self) -> StreamTarget: ...

    async def prepare(self) -> None:
        """Get ready to receive (the local test server starts listening); remote sinks do nothing."""
        ...

    async def stream_settings(self, secrets: SecretReader) -> StreamServiceSettings:
        """Server and key for OBS; the key is read from ``secrets`` now, at apply time."""
        ...

    def preflight(self, secrets: SecretReader) -> tuple[PreflightCheck, ...]:
        """The sink's own checks (URL, key, server running); OBS's settings are checked by the service."""
        ...

    async def close(self) -> None: ...


# -- capabilities: a sink has them when it implements the methods (checked with isinstance) --------


@runtime_checkable
class HasHealth(Protocol):
    """A sink that measures something of its own and says when that changed."""

    def health(self) -> LocalServerStatus | None:
        """The sink's own figures (the local test server's state and what it received)."""
        ...

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` on the loop thread when health() changes; returns an unsubscribe function."""
        ...


@runtime_checkable
class LocalReceiver(HasHealth, Protocol):
    """A sink that receives the stream on this PC: what it measured counts as the last rehearsal."""

    def received(self) -> ReceivedStreamInfo | None: ...


@runtime_checkable
class HasThumbnails(Protocol):
    """A sink that shows the picture it receives."""

    def subscribe_thumbnails(self, listener: Callable[[Thumbnail], None]) -> Callable[[], None]: ...

    def set_thumbnails(self, enabled: bool) -> None:
        """Thumbnails on or off (off saves decoding every received frame)."""
        ...


@runtime_checkable
class Records(Protocol):
    """A sink that can record what it receives."""

    def start_recording(self, path: Path) -> None: ...

    def stop_recording(self) -> None: ...


class SinkFactory(Protocol):
    """What an entry point in the ``studio_console.sinks`` group loads: a sink class.

    One factory builds any number of destination instances (two YouTube channels, three custom
    servers), each with its own ``sink_id`` (the instance id) and display name.
    """

    @property
    def sink_type_id(self) -> str: ...

    @property
    def default_display_name(self) -> str: ...

    @property
    def options_model(self) -> type[SinkOptions]: ...

    def __call__(
        self, options: SinkOptions | None = None, *, sink_id: str | None = None, display_name: str | None = None
    ) -> Sink: ...


class SinkBase:
    """Shared plumbing for sinks: options, identity, listeners. Subclasses set the class attributes."""

    sink_type_id: ClassVar[str] = ""
    default_display_name: ClassVar[str] = ""
    options_model: ClassVar[type[SinkOptions]] = SinkOptions
    destination_kind: ClassVar[DestinationKind] = DestinationKind.CUSTOM_RTMP
    # Where the "add a destination" menu lists this kind (lower first).
    listing_order: ClassVar[int] = 100

    def __init__(
        self, options: SinkOptions | None = None, *, sink_id: str | None = None, display_name: str | None = None
    ) -> None:
        self._options = options if options is not None else self.options_model()
        if not isinstance(self._options, self.options_model):
            raise TypeError(f"{type(self).__name__} needs {self.options_model.__name__}, got {type(options).__name__}")
        self._sink_id = sink_id or self.sink_type_id
        self._display_name = (display_name or "").strip()
        self._listeners: Listeners[[]] = Listeners("listeners")

    @property
    def sink_id(self) -> str:
        return self._sink_id

    @property
    def display_name(self) -> str:
        return self._display_name or self.default_display_name

    @property
    def kind(self) -> DestinationKind:
        return self.destination_kind

    @property
    def options(self) -> SinkOptions:
        return self._options

    @property
    def key_name(self) -> str:
        """Name of this sink's stream key in the secret store."""
        return stream_key_name(self.sink_id)

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def _notify(self) -> None:
        self._listeners.notify()

    async def prepare(self) -> None:
        return None

    async def close(self) -> None:
        return None


def options_from_settings(factory: SinkFactory, raw: Mapping[str, Any] | None) -> SinkOptions:
    """The sink's options from the settings file; invalid options fall back to defaults (and are logged)."""
    try:
        return factory.options_model.model_validate(dict(raw or {}))
    except ValidationError as exc:
        log.error("options of sink %r are invalid, using defaults: %s", factory.sink_type_id, exc)
        return factory.options_model()


def key_check(sink: Sink, secrets: SecretReader) -> PreflightCheck:
    """PASS when the sink needs no key or one is stored; FAIL naming the destination otherwise."""
    if not sink.needs_key:
        return PreflightCheck(name="stream_key", status=CheckStatus.PASS, sentence="No stream key is needed.")
    if secrets.get(stream_key_name(sink.sink_id)):
        return PreflightCheck(name="stream_key", status=CheckStatus.PASS, sentence="A stream key is stored.")
    return PreflightCheck(
        name="stream_key",
        status=CheckStatus.FAIL,
        sentence=f"No stream key for {sink.display_name}: paste it in the key field of the Output panel.",
    )


class RelayControls(Protocol):
    """Forwarding the stream a local receiver gets to further destinations, one output each."""

    @property
    def statuses(self) -> tuple[RelayDestinationStatus, ...]: ...

    def status(self, destination_id: str) -> RelayDestinationStatus | None: ...

    def subscribe(self, listener: Callable[[RelayDestinationStatus], None]) -> Callable[[], None]: ...

    def start(self, target: RelayTarget) -> None: ...

    def stop(self, destination_id: str) -> None: ...

    def stop_all(self) -> None: ...


@runtime_checkable
class HasRelay(Protocol):
    """A sink that receives OBS's stream on this PC and can forward it (the local test server)."""

    @property
    def relay(self) -> RelayControls: ...
