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


# Schemas 2 and 3 listed every built-in sink once, in this order, with options keyed by sink type.
_V3_SINKS = ("local_test_server", "tiktok_live", "youtube_live", "twitch", "custom_rtmp")


def _v3_to_v4(raw: RawSettings) -> RawSettings:
    # v2/v3: {"output": {"destination": id, "sinks": {sink_type: options}}}, one instance per sink type.
    # v4: {"output": {"destination": id, "destinations": [{id, sink_type, display_name, options}]}}.
    # Ids stay the sink types, so stored stream keys (stream-key:<id>) and the selection still match.
    output = raw.get("output")
    output = dict(output) if isinstance(output, dict) else {}
    sinks = output.pop("sinks", None)
    sinks = sinks if isinstance(sinks, dict) else {}
    ids = list(_V3_SINKS) + [str(sink_id) for sink_id in sinks if sink_id not in _V3_SINKS]
    selected = output.get("destination")
    if isinstance(selected, str) and selected and selected not in ids:
        ids.append(selected)  # a plugin sink that was selected without options of its own
    destinations = []
    for sink_id in ids:
        options = sinks.get(sink_id)
        destinations.append(
            {"id": sink_id, "sink_type": sink_id, "options": dict(options) if isinstance(options, dict) else {}}
        )
    output.setdefault("destinations", destinations)
    raw["output"] = output
    return raw


MIGRATIONS: dict[int, Callable[[RawSettings], RawSettings]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}


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
