"""Upgrades raw settings dictionaries from older schema versions, one version at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio_console.settings.model import SCHEMA_VERSION

RawSettings = dict[str, Any]


def _v1_to_v2(raw: RawSettings) -> RawSettings:
    # v1 kept the OBS address flat at the top level: {"obs_host": ..., "obs_port": ...}.
    obs = dict(raw.get("obs") or {})
    if "obs_host" in raw:
        obs.setdefault("host", raw.pop("obs_host"))
    if "obs_port" in raw:
        obs.setdefault("port", raw.pop("obs_port"))
    raw["obs"] = obs
    return raw


def _v2_to_v3(raw: RawSettings) -> RawSettings:
    # v2 nested the cards only into the scenes chosen by hand (none at first: cards never showed in a
    # studio's own scenes). v3 shows them everywhere but excluded scenes; a v2 choice is kept as is.
    products = dict(raw.get("products") or {})
    if products.get("card_scenes"):
        products["card_scenes_mode"] = "chosen"
    raw["products"] = products
    return raw


MIGRATIONS: dict[int, Callable[[RawSettings], RawSettings]] = {1: _v1_to_v2, 2: _v2_to_v3}


class MigrationError(ValueError):
    """The file's schema_version is not one this build can read."""


def migrate(raw: RawSettings) -> tuple[RawSettings, bool]:
    """Bring ``raw`` to SCHEMA_VERSION; returns the result and whether anything changed."""
    version = raw.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise MigrationError(f"schema_version must be a positive integer, got {version!r}")
    if version > SCHEMA_VERSION:
        raise MigrationError(f"schema_version {version} is newer than this build understands ({SCHEMA_VERSION})")
    changed = False
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version += 1
        raw["schema_version"] = version
        changed = True
    return raw, changed
