"""Raw obs-websocket payloads (recorded from OBS 29 / obs-websocket 5.1) become domain snapshots."""

from __future__ import annotations

from studio_console.domain.obs_state import AudioInput, ObsSnapshot, OutputPhase
from studio_console.obs import translate

SCENE_LIST = {
    "currentPreviewSceneName": None,
    "currentProgramSceneName": "Host",
    "scenes": [
        {"sceneIndex": 0, "sceneName": "Be right back"},
        {"sceneIndex": 1, "sceneName": "Split"},
        {"sceneIndex": 2, "sceneName": "Host"},
    ],
}


def test_scene_order_matches_obs_dock() -> None:
    assert translate.scene_names(SCENE_LIST["scenes"]) == ("Host", "Split", "Be right back")


def test_program_preview_and_studio_mode_events() -> None:
    snap = ObsSnapshot(scenes=("A", "B"), program_scene="A")
    snap = translate.apply_event(snap, "StudioModeStateChanged", {"studioModeEnabled": True})
    assert snap is not None and snap.studio_mode
    snap = translate.apply_event(snap, "CurrentPreviewSceneChanged", {"sceneName": "B"})
    assert snap is not None and snap.preview_scene == "B"
    snap = translate.apply_event(snap, "CurrentProgramSceneChanged", {"sceneName": "B"})
    assert snap is not None and snap.program_scene == "B"
    snap = translate.apply_event(snap, "StudioModeStateChanged", {"studioModeEnabled": False})
    assert snap is not None and snap.preview_scene is None


def test_rename_follows_program() -> None:
    snap = ObsSnapshot(scenes=("A", "B"), program_scene="A")
    renamed = translate.apply_event(snap, "SceneNameChanged", {"oldSceneName": "A", "sceneName": "Host"})
    assert renamed is not None and renamed.scenes == ("Host", "B") and renamed.program_scene == "Host"


def test_stream_state_machine() -> None:
    snap = ObsSnapshot()
    for state, phase in [
        ("OBS_WEBSOCKET_OUTPUT_STARTING", OutputPhase.STARTING),
        ("OBS_WEBSOCKET_OUTPUT_STARTED", OutputPhase.LIVE),
        ("OBS_WEBSOCKET_OUTPUT_RECONNECTING", OutputPhase.RECONNECTING),
        ("OBS_WEBSOCKET_OUTPUT_RECONNECTED", OutputPhase.LIVE),
        ("OBS_WEBSOCKET_OUTPUT_STOPPED", OutputPhase.STOPPED),
    ]:
        new = translate.apply_event(snap, "StreamStateChanged", {"outputActive": True, "outputState": state})
        assert new is not None and new.stream.phase is phase
        snap = new
    assert snap.stream.live_since is None


def test_audio_events_and_unknown_events() -> None:
    snap = ObsSnapshot(audio_inputs=(AudioInput(name="Mic/Aux", kind="pulse_input_capture"),))
    muted = translate.apply_event(snap, "InputMuteStateChanged", {"inputName": "Mic/Aux", "inputMuted": True})
    assert muted is not None and muted.audio("Mic/Aux").muted  # type: ignore[union-attr]
    assert translate.apply_event(snap, "InputMuteStateChanged", {"inputName": "Other", "inputMuted": True}) is None
    assert translate.apply_event(snap, "SomeFutureEvent", {}) is None


def test_audio_inputs_pick_mic_and_desktop_first() -> None:
    inputs = {
        "inputs": [
            {"inputName": "Cam", "inputKind": "v4l2_input"},
            {"inputName": "Desktop Audio", "inputKind": "pulse_output_capture"},
            {"inputName": "Mic/Aux", "inputKind": "pulse_input_capture"},
        ]
    }
    special = {"desktop1": "Desktop Audio", "mic1": "Mic/Aux", "mic2": None}
    assert translate.audio_input_names(inputs, special) == [
        ("Mic/Aux", "pulse_input_capture"),
        ("Desktop Audio", "pulse_output_capture"),
    ]
