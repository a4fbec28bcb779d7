"""Typed OBS requests and events: the fields each sends, what each recorded answer parses to, batches."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from studio_console.obs import events, requests
from studio_console.obs.client import BatchResult
from studio_console.obs.errors import ObsRequestError
from studio_console.obs.protocol import BatchExecution, RequestStatus
from studio_console.obs.session import ObsSession

JsonDict = dict[str, Any]
PNG_URI = "data:image/png;base64,iVBORw0KGgo="


def test_request_type_is_the_class_name() -> None:
    assert requests.SetSceneItemEnabled.request_type == "SetSceneItemEnabled"
    assert requests.GetVersion().request_type == "GetVersion"
    assert requests.StartStream().data() is None


def test_requests_send_obs_websocket_fields() -> None:
    assert requests.SetSceneItemEnabled("Overlay", 3, True).data() == {
        "sceneName": "Overlay",
        "sceneItemId": 3,
        "sceneItemEnabled": True,
    }
    assert requests.CreateInput("S", "S bg", "color_source_v3", {"color": 1}, enabled=False).data() == {
        "sceneName": "S",
        "inputName": "S bg",
        "inputKind": "color_source_v3",
        "inputSettings": {"color": 1},
        "sceneItemEnabled": False,
    }
    assert requests.GetSourceScreenshot("Host", "jpg", width=192, quality=70).data() == {
        "sourceName": "Host",
        "imageFormat": "jpg",
        "imageWidth": 192,
        "imageCompressionQuality": 70,
    }
    assert requests.GetProfileParameter("SimpleOutput", "VBitrate").data() == {
        "parameterCategory": "SimpleOutput",
        "parameterName": "VBitrate",
    }


def test_transform_sends_only_the_parts_given() -> None:
    moved = requests.ItemTransform(position_x=10.0, position_y=20.0)
    assert requests.SetSceneItemTransform("S", 1, moved).data()["sceneItemTransform"] == {
        "positionX": 10.0,
        "positionY": 20.0,
    }
    reset = requests.ItemTransform(alignment=requests.TOP_LEFT, no_bounds=True, crop=(0, 1, 2, 3)).data()
    assert reset == {
        "alignment": 5,
        "boundsType": "OBS_BOUNDS_NONE",
        "cropLeft": 0,
        "cropRight": 1,
        "cropTop": 2,
        "cropBottom": 3,
    }


def test_stream_key_never_in_repr() -> None:
    settings = requests.SetStreamServiceSettings(server="rtmp://a/live", key="super-secret-key")
    assert "super-secret-key" not in repr(settings)
    assert settings.data()["streamServiceSettings"] == {
        "server": "rtmp://a/live",
        "key": "super-secret-key",
        "use_auth": False,
    }


def test_recorded_answers_parse_to_typed_results() -> None:
    # Answers as OBS 29 / obs-websocket 5.1 sent them (trimmed to the fields read).
    version = requests.GetVersion().parse({"obsVersion": "29.0.2", "obsWebSocketVersion": "5.1.0", "rpcVersion": 1})
    assert version == requests.ObsVersion("29.0.2", "5.1.0", 1)
    scene_list = requests.GetSceneList().parse(
        {
            "currentPreviewSceneName": None,
            "currentProgramSceneName": "Host",
            "scenes": [{"sceneIndex": 0, "sceneName": "Split"}, {"sceneIndex": 1, "sceneName": "Host"}],
        }
    )
    assert scene_list == requests.SceneList(("Host", "Split"), "Host", None)
    items = requests.GetSceneItemList("Host").parse(
        {
            "sceneItems": [
                {"sceneItemId": 1, "sourceName": "Host background", "sceneItemEnabled": True, "inputKind": "x"},
                {"sceneItemId": 4, "sourceName": "Studio Console Overlay", "sceneItemEnabled": False},
            ]
        }
    )
    assert items == (
        requests.SceneItem(1, "Host background", True),
        requests.SceneItem(4, "Studio Console Overlay", False),
    )
    inputs = requests.GetInputList().parse({"inputs": [{"inputName": "Mic/Aux", "inputKind": "pulse_input_capture"}]})
    assert inputs == (requests.InputInfo("Mic/Aux", "pulse_input_capture"),)
    assert requests.CreateSceneItem("S", "Overlay").parse({"sceneItemId": 7}) == 7
    assert requests.GetInputKindList().parse({"inputKinds": ["image_source"]}) == frozenset({"image_source"})
    assert requests.GetProfileParameter("Output", "Mode").parse({"parameterValue": None}) is None
    assert requests.GetSourceScreenshot("Host").parse({"imageData": PNG_URI}) == b"\x89PNG\r\n\x1a\n"
    assert requests.GetSourceScreenshot("Host").parse({"imageData": "not an image"}) is None
    assert requests.GetCurrentProgramScene().parse({"currentProgramSceneName": "Host"}) == "Host"
    video = requests.GetVideoSettings().parse(
        {
            "baseWidth": 1280,
            "baseHeight": 720,
            "outputWidth": 640,
            "outputHeight": 360,
            "fpsNumerator": 30,
            "fpsDenominator": 1,
        }
    )
    assert (video.base_width, video.output_height, video.fps_numerator) == (1280, 360, 30)


def test_status_codes_are_typed() -> None:
    error = ObsRequestError("StopStream", 501, "not streaming")
    assert error.status is RequestStatus.OUTPUT_NOT_RUNNING
    assert ObsRequestError("X", 999, None).status is None
    assert int(RequestStatus.RESOURCE_NOT_FOUND) == 600


def test_events_translate_recorded_payloads() -> None:
    meters = events.translate_event(
        "InputVolumeMeters",
        {
            "inputs": [
                {"inputName": "Mic/Aux", "inputLevelsMul": [[0.1, 0.5, 0.4], [0.2, 0.3, 0.3]]},
                {"inputName": "Desktop Audio", "inputLevelsMul": []},
            ]
        },
    )
    assert isinstance(meters, events.InputVolumeMeters)
    assert dict(meters.levels) == {"Mic/Aux": (0.2, 0.5), "Desktop Audio": (0.0, 0.0)}
    assert events.translate_event(
        "SceneItemEnableStateChanged", {"sceneName": "S", "sceneItemId": 3, "sceneItemEnabled": True}
    ) == events.SceneItemEnableStateChanged("S", 3, True)
    assert events.translate_event(
        "InputNameChanged", {"oldInputName": "a", "inputName": "b", "inputUuid": "x"}
    ) == events.InputNameChanged("a", "b")
    assert events.translate_event("SceneRemoved", {"sceneName": "S", "isGroup": False}) == events.SceneRemoved("S")
    assert events.translate_event("CurrentProgramSceneChanged", {"sceneName": "S"}) is None


class _ScriptedClient:
    """Stands in for ObsClient under a session: answers batches from a script, records what was sent."""

    connected = True

    def __init__(self, results: list[BatchResult]) -> None:
        self.results = results
        self.sent: list[tuple[Sequence[tuple[str, JsonDict | None]], BatchExecution, bool]] = []

    async def batch(
        self,
        requests: Sequence[tuple[str, JsonDict | None]],
        *,
        execution: BatchExecution,
        halt_on_failure: bool,
        timeout: float | None,
    ) -> list[BatchResult]:
        self.sent.append((list(requests), execution, halt_on_failure))
        return self.results

    async def request(self, request_type: str, data: JsonDict | None, timeout: float | None) -> JsonDict:
        if request_type == "GetSceneItemId":
            return {"sceneItemId": 9}
        raise ObsRequestError(request_type, 600, "No source was found")


def _session_with(client: _ScriptedClient) -> ObsSession:
    session = ObsSession("127.0.0.1", 1, None)
    session._client = client  # type: ignore[assignment]
    return session


def test_call_parses_and_raises_with_status() -> None:
    session = _session_with(_ScriptedClient([]))
    assert asyncio.run(session.call(requests.GetSceneItemId("S", "Overlay"))) == 9
    with pytest.raises(ObsRequestError) as raised:
        asyncio.run(session.call(requests.RemoveScene("Gone")))
    assert raised.value.status is RequestStatus.RESOURCE_NOT_FOUND


def test_call_batch_gives_typed_outcomes_and_stops_where_obs_stopped() -> None:
    client = _ScriptedClient(
        [
            BatchResult("CreateSceneItem", True, 100, None, {"sceneItemId": 5}),
            BatchResult("SetSceneItemEnabled", False, 600, "No scene items were found", {}),
        ]
    )
    session = _session_with(client)
    sent = (
        requests.CreateSceneItem("S", "Overlay"),
        requests.SetSceneItemEnabled("S", 99, True),
        requests.SetSceneItemLocked("S", 5, True),
    )
    created, enabled, *rest = asyncio.run(
        session.call_batch(sent, execution=BatchExecution.SERIAL_FRAME, halt_on_failure=True)
    )
    assert client.sent[0][1:] == (BatchExecution.SERIAL_FRAME, True)
    assert [t for t, _ in client.sent[0][0]] == ["CreateSceneItem", "SetSceneItemEnabled", "SetSceneItemLocked"]
    assert created.unwrap() == 5
    assert not enabled.ok and enabled.status is RequestStatus.RESOURCE_NOT_FOUND
    assert rest == []  # OBS halted: the third request has no outcome
    with pytest.raises(ObsRequestError, match="SetSceneItemEnabled failed with OBS status 600"):
        enabled.unwrap()
    with pytest.raises(ObsRequestError):
        requests.raise_first_failure((created, enabled))


def test_typed_event_listeners_get_translated_events_only() -> None:
    session = ObsSession("127.0.0.1", 1, None)
    seen: list[events.ObsEvent] = []
    unsubscribe = session.subscribe_obs_events(seen.append)
    session._on_event("SceneRemoved", {"sceneName": "Overlay"})
    session._on_event("ExitStarted", {})
    session._on_event("SceneItemEnableStateChanged", {"sceneName": "S", "sceneItemId": "x"})  # malformed
    unsubscribe()
    session._on_event("SceneRemoved", {"sceneName": "Later"})
    assert seen == [events.SceneRemoved("Overlay")]


def test_every_request_and_event_is_named_as_the_protocol_names_it() -> None:
    # A typo in a class name would only show as OBS's "unknown request type" at run time.
    from studio_console.obs.names import EVENT_NAMES, REQUEST_NAMES

    classes = [
        c
        for c in vars(requests).values()
        if isinstance(c, type) and issubclass(c, requests.Request) and c not in (requests.Request, requests.Command)
    ]
    assert len(classes) > 30
    assert {c.request_type for c in classes} <= REQUEST_NAMES
    assert events.TRANSLATED_EVENTS <= EVENT_NAMES
    assert {t.__name__ for t in events.ObsEvent.__args__} == events.TRANSLATED_EVENTS  # type: ignore[attr-defined]


def test_the_fake_session_keeps_step_with_the_real_one() -> None:
    import inspect

    from tests.helpers.fake_obs_session import FakeObsSession

    for name in ("call", "call_batch", "call_all", "subscribe", "subscribe_obs_events"):
        real = inspect.signature(getattr(ObsSession, name)).parameters
        fake = inspect.signature(getattr(FakeObsSession, name)).parameters
        positional = [p for p, v in real.items() if v.kind is v.POSITIONAL_OR_KEYWORD]
        assert [p for p in fake if p in positional] == positional, name
    assert not hasattr(ObsSession, "request") and not hasattr(ObsSession, "batch")
    assert not hasattr(FakeObsSession, "request") and not hasattr(FakeObsSession, "batch")
