"""Typed OBS events for services outside the OBS layer, translated from obs-websocket's payloads here.

Only the events some consumer reads are translated; everything the snapshot mirrors (scenes,
outputs, audio) reaches services through ``ObsSession.subscribe`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SceneRemoved:
    scene: str


@dataclass(frozen=True, slots=True)
class SceneNameChanged:
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class InputRemoved:
    name: str


@dataclass(frozen=True, slots=True)
class InputNameChanged:
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class SceneItemRemoved:
    scene: str
    item_id: int
    source: str


@dataclass(frozen=True, slots=True)
class SceneItemEnableStateChanged:
    scene: str
    item_id: int
    enabled: bool


@dataclass(frozen=True, slots=True)
class InputVolumeMeters:
    """Audio levels of every input, about 20 times a second while meters are on (``set_meters``).

    ``levels`` maps an input's name to (magnitude, peak) of its loudest channel, as multipliers.
    """

    levels: Mapping[str, tuple[float, float]]


ObsEvent = (
    SceneRemoved
    | SceneNameChanged
    | InputRemoved
    | InputNameChanged
    | SceneItemRemoved
    | SceneItemEnableStateChanged
    | InputVolumeMeters
)


def _meter_levels(data: JsonDict) -> InputVolumeMeters:
    levels: dict[str, tuple[float, float]] = {}
    for entry in data.get("inputs") or []:
        channels = entry.get("inputLevelsMul") or []
        name = str(entry.get("inputName", ""))
        if not channels:
            levels[name] = (0.0, 0.0)
            continue
        levels[name] = (max(float(c[0]) for c in channels), max(float(c[1]) for c in channels))
    return InputVolumeMeters(MappingProxyType(levels))


_TRANSLATIONS: dict[str, Callable[[JsonDict], ObsEvent]] = {
    "SceneRemoved": lambda d: SceneRemoved(str(d.get("sceneName", ""))),
    "SceneNameChanged": lambda d: SceneNameChanged(str(d.get("oldSceneName", "")), str(d.get("sceneName", ""))),
    "InputRemoved": lambda d: InputRemoved(str(d.get("inputName", ""))),
    "InputNameChanged": lambda d: InputNameChanged(str(d.get("oldInputName", "")), str(d.get("inputName", ""))),
    "SceneItemRemoved": lambda d: SceneItemRemoved(
        str(d.get("sceneName", "")), int(d.get("sceneItemId", -1)), str(d.get("sourceName", ""))
    ),
    "SceneItemEnableStateChanged": lambda d: SceneItemEnableStateChanged(
        str(d.get("sceneName", "")), int(d.get("sceneItemId", -1)), bool(d.get("sceneItemEnabled"))
    ),
    "InputVolumeMeters": _meter_levels,
}

TRANSLATED_EVENTS = frozenset(_TRANSLATIONS)


def translate_event(event_type: str, data: JsonDict) -> ObsEvent | None:
    """The typed event for an obs-websocket event, or None when no consumer outside obs/ reads it.

    Raises ValueError or TypeError for a payload whose fields have the wrong type.
    """
    translation = _TRANSLATIONS.get(event_type)
    return translation(data) if translation is not None else None
