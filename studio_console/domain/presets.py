"""A creator's show packaged as one preset: brand, products, destinations, chat, scenes and OBS set-up."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from studio_console.domain.base import StrictFrozen
from studio_console.domain.card import CardLayout, Theme
from studio_console.domain.rundown import Rundown

# Option names that would hold a secret: a preset file must never carry one (keys live in the keyring).
_SECRET_OPTION = re.compile(r"(?:^|_)(?:key|streamkey|secret|token|password|passwd)(?:$|_)", re.IGNORECASE)
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


def preset_slug(name: str) -> str:
    """A file- and keyring-safe form of a preset name; distinct names that fold together are refused by the store."""
    slug = _SLUG_UNSAFE.sub("-", name.strip().lower()).strip("-")
    return slug or "preset"


def preset_stream_key_name(preset_name: str, sink_id: str) -> str:
    """The keyring entry holding this preset's stream key for one destination instance."""
    return f"preset:{preset_slug(preset_name)}:stream-key:{sink_id}"


class PresetBrand(StrictFrozen):
    """How the cards look in this creator's show: colours, font, logo, corner radius and layout."""

    theme: Theme = Theme()
    card_layout: CardLayout = CardLayout.LOWER_THIRD


class PresetDestination(StrictFrozen):
    """One configured destination instance the creator streams to; its stream key is in the keyring."""

    sink_id: str = Field(min_length=1)


class PresetChatSource(StrictFrozen):
    """A chat source and its channel; tokens stay in the keyring, so secret-looking options are refused."""

    kind: str = Field(min_length=1)
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("options")
    @classmethod
    def _no_secrets(cls, options: dict[str, Any]) -> dict[str, Any]:
        secret = sorted(name for name in options if _SECRET_OPTION.search(name))
        if secret:
            raise ValueError(f"option {secret[0]!r} looks like a secret; secrets belong in the keyring")
        return options


class Preset(StrictFrozen):
    """Everything that changes when the studio hands over from one creator's show to the next."""

    name: str = Field(min_length=1, max_length=80)
    creator: str = ""
    brand: PresetBrand = PresetBrand()
    # Tonight's queue, as SKUs of this preset's own catalog (kept in a catalog file beside the preset).
    queue: tuple[str, ...] = ()
    # The creator's run of show, loaded into the Rundown panel by the switch (None: an empty rundown).
    rundown: Rundown | None = None
    destinations: tuple[PresetDestination, ...] = ()
    # The destination selected for going live; one of ``destinations`` (or None: keep the current one).
    selected_destination: str | None = None
    chat_sources: tuple[PresetChatSource, ...] = ()
    blocked_words: tuple[str, ...] = ()
    excluded_scenes: tuple[str, ...] = ()
    obs_scene_collection: str | None = None
    obs_profile: str | None = None

    @field_validator("name")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a preset needs a name")
        return value

    @field_validator("obs_scene_collection", "obs_profile")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _selected_is_listed(self) -> Preset:
        ids = [d.sink_id for d in self.destinations]
        if len(set(ids)) != len(ids):
            raise ValueError("a destination is listed twice")
        if self.selected_destination is not None and self.selected_destination not in ids:
            raise ValueError(f"selected destination {self.selected_destination!r} is not one of the preset's")
        return self

    @property
    def slug(self) -> str:
        return preset_slug(self.name)

    def stream_key_names(self) -> dict[str, str]:
        """Keyring entry per destination instance: what an import asks for and a delete removes."""
        return {d.sink_id: preset_stream_key_name(self.name, d.sink_id) for d in self.destinations}


class SwitchStep(StrEnum):
    """The steps of a preset switch, in the order they run."""

    CHECK = "check"
    STOP_CHAT = "stop chat"
    OBS_COLLECTION = "OBS scene collection"
    OBS_PROFILE = "OBS profile"
    OVERLAY = "overlay and card placement"
    PRODUCTS = "products and queue"
    RUNDOWN = "run of show"
    BRAND = "brand"
    DESTINATIONS = "destinations"
    START_CHAT = "start chat"


class SwitchProgress(StrictFrozen):
    """One step of a running switch: which preset, which step, and whether it finished."""

    preset: str
    step: SwitchStep
    index: int
    total: int
    done: bool = False


class SwitchResult(StrictFrozen):
    """How a switch ended: which steps were applied, which were not, and why."""

    preset: str
    ok: bool
    switched: tuple[SwitchStep, ...] = ()
    not_switched: tuple[SwitchStep, ...] = ()
    message: str = ""
    seconds: float = 0.0
