"""Turns raw obs-websocket payloads (resync answers and events) into domain snapshots."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from studio_console.domain.obs_state import (
    ObsSnapshot,
    ObsStats,
    OutputPhase,
    OutputState,
    VideoSettings,
)

JsonDict = dict[str, Any]

_AUDIO_KIND = re.compile(r"(pulse|wasapi|coreaudio|alsa|jack|sndio|oss)_(input|output)_capture|audio", re.I)

_OUTPUT_PHASES = {
    "OBS_WEBSOCKET_OUTPUT_STARTING": OutputPhase.STARTING,
    "OBS_WEBSOCKET_OUTPUT_STARTED": OutputPhase.LIVE,
    "OBS_WEBSOCKET_OUTPUT_RECONNECTING": OutputPhase.RECONNECTING,
    "OBS_WEBSOCKET_OUTPUT_RECONNECTED": OutputPhase.LIVE,
    "OBS_WEBSOCKET_OUTPUT_STOPPING": OutputPhase.STOPPING,
    "OBS_WEBSOCKET_OUTPUT_STOPPED": OutputPhase.STOPPED,
    "OBS_WEBSOCKET_OUTPUT_PAUSED": OutputPhase.PAUSED,
    "OBS_WEBSOCKET_OUTPUT_RESUMED": OutputPhase.LIVE,
}

# Requests whose answers make up a full resync, sent as one batch.
RESYNC_REQUESTS: tuple[tuple[str, JsonDict | None], ...] = (
    ("GetSceneList", None),
    ("GetStudioModeEnabled", None),
    ("GetSceneTransitionList", None),
    ("GetCurrentSceneTransition", None),
    ("GetInputList", None),
    ("GetSpecialInputs", None),
    ("GetStreamStatus", None),
    ("GetRecordStatus", None),
    ("GetVideoSettings", None),
)

# Events that change which inputs exist: the audio list is fetched again.
AUDIO_LIST_EVENTS = frozenset({"InputCreated", "InputRemoved", "InputNameChanged"})


def scene_names(scene_list: Any) -> tuple[str, ...]:
    """Scene names in the order OBS's own Scenes dock shows them (highest sceneIndex first)."""
    scenes = [s for s in scene_list or [] if isinstance(s, Mapping) and "sceneName" in s]
    scenes.sort(key=lambda s: s.get("sceneIndex", 0), reverse=True)
    return tuple(str(s["sceneName"]) for s in scenes)


def audio_input_names(input_list: JsonDict, special: JsonDict) -> list[tuple[str, str]]:
    """(name, kind) of the inputs worth an audio strip: mic and desktop audio first."""
    kinds = {i["inputName"]: i.get("inputKind", "") for i in input_list.get("inputs", []) if "inputName" in i}
    chosen: list[tuple[str, str]] = []
    for key in ("mic1", "mic2", "mic3", "mic4", "desktop1", "desktop2"):
        name = special.get(key)
        if name and name in kinds:
            chosen.append((name, kinds[name]))
    for name, kind in kinds.items():
        if _AUDIO_KIND.search(kind) and all(name != c[0] for c in chosen):
            chosen.append((name, kind))
    return chosen


def output_state(active: bool, previous: OutputState, reconnecting: bool = False) -> OutputState:
    """State from a Get*Status answer, keeping the start time of an output already live."""
    if not active:
        return OutputState()
    phase = OutputPhase.RECONNECTING if reconnecting else OutputPhase.LIVE
    return OutputState(phase=phase, live_since=previous.live_since or time.monotonic())


def video_settings(data: JsonDict) -> VideoSettings:
    return VideoSettings(
        base_width=int(data["baseWidth"]),
        base_height=int(data["baseHeight"]),
        output_width=int(data["outputWidth"]),
        output_height=int(data["outputHeight"]),
        fps_numerator=int(data["fpsNumerator"]),
        fps_denominator=int(data["fpsDenominator"]),
    )


def stats(data: JsonDict, stream: JsonDict, record: JsonDict) -> ObsStats:
    return ObsStats(
        active_fps=float(data.get("activeFps", 0.0)),
        cpu_usage=float(data.get("cpuUsage", 0.0)),
        memory_mb=float(data.get("memoryUsage", 0.0)),
        render_skipped_frames=int(data.get("renderSkippedFrames", 0)),
        render_total_frames=int(data.get("renderTotalFrames", 0)),
        output_skipped_frames=int(data.get("outputSkippedFrames", 0)),
        output_total_frames=int(data.get("outputTotalFrames", 0)),
        stream_duration_ms=int(stream.get("outputDuration", 0)),
        stream_bytes=int(stream.get("outputBytes", 0)),
        stream_congestion=float(stream.get("outputCongestion", 0.0) or 0.0),
        stream_skipped_frames=int(stream.get("outputSkippedFrames", 0)),
        stream_total_frames=int(stream.get("outputTotalFrames", 0)),
        stream_reconnecting=bool(stream.get("outputReconnecting", False)),
        record_duration_ms=int(record.get("outputDuration", 0)),
    )


def _replace_audio(snap: ObsSnapshot, name: str, **changes: Any) -> ObsSnapshot | None:
    inputs = list(snap.audio_inputs)
    for i, item in enumerate(inputs):
        if item.name == name:
            inputs[i] = item.model_copy(update=changes)
            return snap.model_copy(update={"audio_inputs": tuple(inputs)})
    return None


def apply_event(snap: ObsSnapshot, event_type: str, data: JsonDict) -> ObsSnapshot | None:
    """The snapshot after ``event_type``, or None when the event changes nothing the app mirrors."""
    if event_type == "CurrentProgramSceneChanged":
        return snap.model_copy(update={"program_scene": data.get("sceneName")})
    if event_type == "CurrentPreviewSceneChanged":
        return snap.model_copy(update={"preview_scene": data.get("sceneName")})
    if event_type == "SceneListChanged":
        return snap.model_copy(update={"scenes": scene_names(data.get("scenes"))})
    if event_type == "SceneNameChanged":
        old, new = data.get("oldSceneName"), data.get("sceneName")
        update: dict[str, Any] = {"scenes": tuple(new if s == old else s for s in snap.scenes)}
        if snap.program_scene == old:
            update["program_scene"] = new
        if snap.preview_scene == old:
            update["preview_scene"] = new
        return snap.model_copy(update=update)
    if event_type == "StudioModeStateChanged":
        enabled = bool(data.get("studioModeEnabled"))
        update = {"studio_mode": enabled}
        if not enabled:
            update["preview_scene"] = None
        return snap.model_copy(update=update)
    if event_type == "CurrentSceneTransitionChanged":
        return snap.model_copy(update={"transition": data.get("transitionName")})
    if event_type == "CurrentSceneTransitionDurationChanged":
        return snap.model_copy(update={"transition_duration_ms": data.get("transitionDuration")})
    if event_type == "InputMuteStateChanged":
        return _replace_audio(snap, data.get("inputName", ""), muted=bool(data.get("inputMuted")))
    if event_type == "InputVolumeChanged":
        return _replace_audio(
            snap,
            data.get("inputName", ""),
            volume_mul=float(data.get("inputVolumeMul", 1.0)),
            volume_db=float(data.get("inputVolumeDb", 0.0)),
        )
    if event_type in ("StreamStateChanged", "RecordStateChanged"):
        field = "stream" if event_type == "StreamStateChanged" else "record"
        phase = _OUTPUT_PHASES.get(str(data.get("outputState")))
        if phase is None:
            return None
        previous: OutputState = getattr(snap, field)
        since = previous.live_since
        if phase is OutputPhase.LIVE and since is None:
            since = time.monotonic()
        elif phase is OutputPhase.STOPPED:
            since = None
        return snap.model_copy(update={field: OutputState(phase=phase, live_since=since)})
    return None
