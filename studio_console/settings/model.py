"""The settings model: versioned, validated, and free of secrets (those live in the keyring)."""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from studio_console.domain.chat import ChatRules
from studio_console.domain.money import normalise_locale, system_locale

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class _Section(BaseModel):
    # Unknown keys are ignored so a settings file from a newer version still loads.
    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class ObsSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=4455, ge=1, le=65535)
    request_timeout_s: float = Field(default=5.0, gt=0, le=120)


class RemoteControlSettings(_Section):
    enabled: bool = True
    port: int = Field(default=8765, ge=0, le=65535)


class WindowSettings(_Section):
    geometry_b64: str = ""
    dock_state_b64: str = ""
    # The screen the host view goes full screen on (Qt's screen name); empty: the last screen.
    host_view_screen: str = ""


# Option names that would hold a secret: such values belong in the keyring, never in this file.
_SECRET_OPTION = re.compile(r"(?:^|_)(?:key|streamkey|secret|token|password|passwd)(?:$|_)", re.IGNORECASE)


def drop_secret_options(owner: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` without secret-looking names: those values belong in the keyring."""
    kept = {name: value for name, value in options.items() if not _SECRET_OPTION.search(name)}
    if len(kept) != len(options):
        log.warning("dropped secret-looking options of %s: they belong in the keyring", owner)
    return kept


# The destinations a new installation lists: one of each built-in sink type, the local test server first.
DEFAULT_DESTINATION_TYPES = ("local_test_server", "tiktok_live", "youtube_live", "twitch", "custom_rtmp")
DESTINATION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class DestinationConfig(_Section):
    """One configured stream destination: an instance of a sink type with its own name and options.

    Its stream key lives in the keyring under ``stream_key_name(id)``, never here.
    """

    id: str = Field(pattern=DESTINATION_ID_PATTERN)
    sink_type: str = Field(min_length=1)
    # Empty: the sink type's own name (a custom server's label, "YouTube Live"...).
    display_name: str = Field(default="", max_length=80)
    # Validated by the sink type's options model when the sink is built.
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("options")
    @classmethod
    def _no_secrets(cls, options: dict[str, Any]) -> dict[str, Any]:
        return drop_secret_options("a stream destination", options)


def default_destinations() -> list[DestinationConfig]:
    return [DestinationConfig(id=kind, sink_type=kind) for kind in DEFAULT_DESTINATION_TYPES]


class OutputSettings(_Section):
    """Stream destinations: the configured instances and which one is selected. Stream keys live in the keyring."""

    # Id of the selected destination instance.
    destination: str = "local_test_server"
    destinations: list[DestinationConfig] = Field(default_factory=default_destinations)
    # Destinations ticked for "Go live to all turned on" (relayed together); kept across restarts.
    relay_turned_on: list[str] = Field(default_factory=list)

    @field_validator("destinations", mode="before")
    @classmethod
    def _keep_good_destinations(cls, raw: Any) -> Any:
        """A broken or duplicate entry is left out (and logged, naming it); the good ones are kept."""
        if not isinstance(raw, list):
            return raw
        kept: list[Any] = []
        seen: set[str] = set()
        for index, entry in enumerate(raw):
            try:
                config = entry if isinstance(entry, DestinationConfig) else DestinationConfig.model_validate(entry)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(part) for part in err['loc']) or '(entry)'}: {err['msg']}" for err in exc.errors()
                )
                log.error("settings: output.destinations.%d is left out: %s", index, problems)
                continue
            if config.id in seen:
                log.error("settings: output.destinations.%d is left out: the id %r is used twice", index, config.id)
                continue
            seen.add(config.id)
            kept.append(config)
        return kept

    def instance(self, destination_id: str) -> DestinationConfig | None:
        return next((d for d in self.destinations if d.id == destination_id), None)

    @property
    def sinks(self) -> dict[str, DestinationConfig]:
        """The configured destinations by id (read-only; the name callers of schema 2 used)."""
        return {d.id: d for d in self.destinations}


class ProductSettings(_Section):
    """Product cards: where they appear, how they look, the shop's currency for imports."""

    # "all": the overlay (with the cards) is nested into every scene but the excluded ones, new scenes
    # too; "chosen": only into ``card_scenes`` (what round 1 saved). Only the app's own item is touched.
    card_scenes_mode: Literal["all", "chosen"] = "all"
    card_excluded_scenes: list[str] = Field(default_factory=list)
    card_scenes: list[str] = Field(default_factory=list)
    card_layout: Literal["lower_third", "side_panel"] = "lower_third"
    currency: str = Field(default="USD", min_length=3, max_length=3)
    low_stock_threshold: int = Field(default=10, ge=0, le=10000)
    # How prices are written (CLDR): "de_DE" gives 1.299,50 €, "fr_FR" 1 299,50 €, "en_IE" €1,299.50.
    locale: str = Field(default_factory=system_locale)

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        return normalise_locale(value)


class ChatSourceConfig(_Section):
    """One configured chat source: its plugin name and options (tokens live in the keyring)."""

    kind: str
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("options")
    @classmethod
    def _no_secrets(cls, options: dict[str, Any]) -> dict[str, Any]:
        return drop_secret_options("a chat source", options)


class ChatSettings(_Section):
    """Chat sources, intent keywords and moderation, scrollback and on-air alerts."""

    sources: list[ChatSourceConfig] = Field(default_factory=list)
    rules: ChatRules = Field(default_factory=ChatRules)
    scrollback: int = Field(default=2000, ge=100, le=100_000)
    alerts_on_air: bool = True
    alert_seconds: float = Field(default=5.0, ge=1.0, le=60.0)


def default_scene_shortcuts() -> dict[str, str]:
    shortcuts = {f"scene_{n}": str(n) for n in range(1, 10)}
    shortcuts["take"] = "Space"
    return shortcuts


def default_rundown_shortcuts() -> dict[str, str]:
    """Keys of the Rundown panel; they act while it has focus, so Space can be Take elsewhere and Next there."""
    return {"rundown_next": "Space", "rundown_previous": "Shift+Space"}


class Settings(_Section):
    schema_version: int = SCHEMA_VERSION
    obs: ObsSettings = Field(default_factory=ObsSettings)
    remote: RemoteControlSettings = Field(default_factory=RemoteControlSettings)
    window: WindowSettings = Field(default_factory=WindowSettings)
    output: OutputSettings = Field(default_factory=OutputSettings)
    products: ProductSettings = Field(default_factory=ProductSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    log_level: LogLevel = "INFO"
    shortcuts: dict[str, str] = Field(default_factory=default_scene_shortcuts)
