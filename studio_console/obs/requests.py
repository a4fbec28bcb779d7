"""Typed obs-websocket requests: what the app asks OBS, and what each answer means, in one place.

Each request is a small frozen class named as obs-websocket names it; ``data()`` builds the
request's fields and ``parse()`` turns OBS's answer into a typed result. Callers outside
``studio_console/obs/`` use only these classes (``session.call(SetSceneItemEnabled(...))``); the
request and field names never leave this layer.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from studio_console.domain.obs_state import VideoSettings
from studio_console.obs import translate
from studio_console.obs.errors import ObsRequestError
from studio_console.obs.protocol import RequestStatus

JsonDict = dict[str, Any]
R = TypeVar("R", covariant=True)
T = TypeVar("T")


class Request(Generic[R]):
    """One obs-websocket request; ``R`` is the type of its parsed answer.

    A subclass's name is its obs-websocket request type unless it sets ``request_type`` itself.
    """

    __slots__ = ()
    request_type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "request_type" not in cls.__dict__:
            cls.request_type = cls.__name__

    def data(self) -> JsonDict | None:
        """The request's ``requestData`` (None when it takes no fields)."""
        return None

    def parse(self, response: JsonDict) -> R:
        """The typed result of OBS's ``responseData`` for this request."""
        raise NotImplementedError


class Command(Request[None]):
    """A request whose answer carries nothing the app reads."""

    __slots__ = ()

    def parse(self, response: JsonDict) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """One request's outcome inside a batch: its parsed value, or OBS's failure status."""

    request: Request[T]
    ok: bool
    code: int
    comment: str | None
    value: T | None = None

    @property
    def status(self) -> RequestStatus | None:
        return RequestStatus.of(self.code)

    def unwrap(self) -> T:
        """The value; raises ObsRequestError when OBS refused the request."""
        if not self.ok:
            raise self.error()
        return self.value  # type: ignore[return-value]  # None only for Request[None]

    def error(self) -> ObsRequestError:
        return ObsRequestError(self.request.request_type, self.code, self.comment)


def first_failure(outcomes: tuple[Outcome[Any], ...] | list[Outcome[Any]]) -> Outcome[Any] | None:
    return next((o for o in outcomes if not o.ok), None)


def raise_first_failure(outcomes: tuple[Outcome[Any], ...] | list[Outcome[Any]]) -> None:
    """Raise ObsRequestError for the first refused request of a batch, if any."""
    failure = first_failure(outcomes)
    if failure is not None:
        raise failure.error()


# -- answers ---------------------------------------------------------------------------------------


class ObsVersion(NamedTuple):
    obs_version: str
    websocket_version: str
    rpc_version: int


class SceneList(NamedTuple):
    """Scene names in OBS's dock order (top first), and the current program and preview scenes."""

    scenes: tuple[str, ...]
    program: str | None
    preview: str | None


class InputInfo(NamedTuple):
    name: str
    kind: str


class SceneItem(NamedTuple):
    item_id: int
    source_name: str
    enabled: bool


class StreamStatus(NamedTuple):
    active: bool
    reconnecting: bool
    duration_ms: int
    bytes_sent: int


@dataclass(frozen=True, slots=True)
class ItemTransform:
    """The parts of a scene item's transform to change; None leaves a part as it is."""

    position_x: float | None = None
    position_y: float | None = None
    scale_x: float | None = None
    scale_y: float | None = None
    rotation: float | None = None
    # OBS alignment flags: 0 centre; 1 left, 2 right, 4 top, 8 bottom (5 = top-left).
    alignment: int | None = None
    # True: no bounding box, the picture is drawn at its own size times the scale.
    no_bounds: bool = False
    # (left, right, top, bottom) pixels cut from the source.
    crop: tuple[int, int, int, int] | None = None

    def data(self) -> JsonDict:
        fields = {
            "positionX": self.position_x,
            "positionY": self.position_y,
            "scaleX": self.scale_x,
            "scaleY": self.scale_y,
            "rotation": self.rotation,
            "alignment": self.alignment,
        }
        out: JsonDict = {k: v for k, v in fields.items() if v is not None}
        if self.no_bounds:
            out["boundsType"] = "OBS_BOUNDS_NONE"
        if self.crop is not None:
            out.update(zip(("cropLeft", "cropRight", "cropTop", "cropBottom"), self.crop, strict=True))
        return out


TOP_LEFT = 5
CENTRE = 0


def decode_data_uri(uri: str) -> bytes | None:
    """Bytes of a ``data:image/...;base64,...`` URI, or None when it is not one."""
    _, sep, payload = uri.partition("base64,")
    if not sep:
        return None
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return None


def _item_id(response: JsonDict) -> int:
    return int(response["sceneItemId"])


# -- general ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GetVersion(Request[ObsVersion]):
    def parse(self, response: JsonDict) -> ObsVersion:
        return ObsVersion(
            str(response.get("obsVersion", "?")),
            str(response.get("obsWebSocketVersion", "?")),
            int(response.get("rpcVersion", 0)),
        )


@dataclass(frozen=True, slots=True)
class GetStats(Request[JsonDict]):
    """OBS's performance figures, as OBS names them (benchmarks read render and output frame counts)."""

    def parse(self, response: JsonDict) -> JsonDict:
        return response


@dataclass(frozen=True, slots=True)
class Sleep(Command):
    """Only valid inside a batch: OBS waits before the next request (tests of slow answers)."""

    millis: int

    def data(self) -> JsonDict:
        return {"sleepMillis": self.millis}


# -- config ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GetVideoSettings(Request[VideoSettings]):
    def parse(self, response: JsonDict) -> VideoSettings:
        return translate.video_settings(response)


@dataclass(frozen=True, slots=True)
class SetVideoSettings(Command):
    base_width: int
    base_height: int
    output_width: int
    output_height: int
    # None keeps OBS's frame rate.
    fps_numerator: int | None = None
    fps_denominator: int | None = None

    def data(self) -> JsonDict:
        data: JsonDict = {
            "baseWidth": self.base_width,
            "baseHeight": self.base_height,
            "outputWidth": self.output_width,
            "outputHeight": self.output_height,
        }
        if self.fps_numerator is not None:
            data["fpsNumerator"] = self.fps_numerator
            data["fpsDenominator"] = self.fps_denominator or 1
        return data


@dataclass(frozen=True, slots=True)
class GetProfileParameter(Request[str | None]):
    """One value of the current OBS profile (``category``/``name`` as in its basic.ini)."""

    category: str
    name: str

    def data(self) -> JsonDict:
        return {"parameterCategory": self.category, "parameterName": self.name}

    def parse(self, response: JsonDict) -> str | None:
        value = response.get("parameterValue")
        return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class SetStreamServiceSettings(Command):
    """Where OBS streams to. ``repr`` never shows the key."""

    server: str
    key: str = field(repr=False)
    service_type: str = "rtmp_custom"

    def data(self) -> JsonDict:
        return {
            "streamServiceType": self.service_type,
            "streamServiceSettings": {"server": self.server, "key": self.key, "use_auth": False},
        }


# -- sources ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GetSourceScreenshot(Request[bytes | None]):
    """A picture of a source (scene or input) as OBS renders it; None when OBS sent no image."""

    source: str
    image_format: str = "jpg"
    width: int | None = None
    height: int | None = None
    quality: int | None = None

    def data(self) -> JsonDict:
        data: JsonDict = {"sourceName": self.source, "imageFormat": self.image_format}
        if self.width is not None:
            data["imageWidth"] = self.width
        if self.height is not None:
            data["imageHeight"] = self.height
        if self.quality is not None:
            data["imageCompressionQuality"] = self.quality
        return data

    def parse(self, response: JsonDict) -> bytes | None:
        return decode_data_uri(str(response.get("imageData", "")))


# -- scenes ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GetSceneList(Request[SceneList]):
    def parse(self, response: JsonDict) -> SceneList:
        return SceneList(
            translate.scene_names(response.get("scenes")),
            response.get("currentProgramSceneName"),
            response.get("currentPreviewSceneName"),
        )


@dataclass(frozen=True, slots=True)
class GetCurrentProgramScene(Request[str]):
    def parse(self, response: JsonDict) -> str:
        return str(response["currentProgramSceneName"])


@dataclass(frozen=True, slots=True)
class SetCurrentProgramScene(Command):
    scene: str

    def data(self) -> JsonDict:
        return {"sceneName": self.scene}


@dataclass(frozen=True, slots=True)
class SetCurrentPreviewScene(Command):
    scene: str

    def data(self) -> JsonDict:
        return {"sceneName": self.scene}


@dataclass(frozen=True, slots=True)
class CreateScene(Command):
    scene: str

    def data(self) -> JsonDict:
        return {"sceneName": self.scene}


@dataclass(frozen=True, slots=True)
class RemoveScene(Command):
    scene: str

    def data(self) -> JsonDict:
        return {"sceneName": self.scene}


# -- inputs ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GetInputList(Request[tuple[InputInfo, ...]]):
    def parse(self, response: JsonDict) -> tuple[InputInfo, ...]:
        return tuple(
            InputInfo(str(i["inputName"]), str(i.get("inputKind", "")))
            for i in response.get("inputs", [])
            if "inputName" in i
        )


@dataclass(frozen=True, slots=True)
class GetInputKindList(Request[frozenset[str]]):
    def parse(self, response: JsonDict) -> frozenset[str]:
        return frozenset(str(k) for k in response.get("inputKinds", []))


@dataclass(frozen=True, slots=True)
class CreateInput(Request[int]):
    """A new input, added to ``scene`` as its first item; the answer is that item's id.

    ``settings`` are the input kind's own settings (``file`` of an image source, ``color`` ...).
    """

    scene: str
    name: str
    kind: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True

    def data(self) -> JsonDict:
        return {
            "sceneName": self.scene,
            "inputName": self.name,
            "inputKind": self.kind,
            "inputSettings": dict(self.settings),
            "sceneItemEnabled": self.enabled,
        }

    def parse(self, response: JsonDict) -> int:
        return _item_id(response)


@dataclass(frozen=True, slots=True)
class RemoveInput(Command):
    name: str

    def data(self) -> JsonDict:
        return {"inputName": self.name}


@dataclass(frozen=True, slots=True)
class SetInputSettings(Command):
    """Change some of an input's own settings (the others are kept)."""

    name: str
    settings: Mapping[str, Any]

    def data(self) -> JsonDict:
        return {"inputName": self.name, "inputSettings": dict(self.settings)}


@dataclass(frozen=True, slots=True)
class SetInputMute(Command):
    name: str
    muted: bool

    def data(self) -> JsonDict:
        return {"inputName": self.name, "inputMuted": self.muted}


@dataclass(frozen=True, slots=True)
class SetInputVolume(Command):
    name: str
    volume_mul: float

    def data(self) -> JsonDict:
        return {"inputName": self.name, "inputVolumeMul": self.volume_mul}


# -- transitions and studio mode -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetCurrentSceneTransition(Command):
    name: str

    def data(self) -> JsonDict:
        return {"transitionName": self.name}


@dataclass(frozen=True, slots=True)
class SetCurrentSceneTransitionDuration(Command):
    ms: int

    def data(self) -> JsonDict:
        return {"transitionDuration": int(self.ms)}


@dataclass(frozen=True, slots=True)
class TriggerStudioModeTransition(Command):
    pass


@dataclass(frozen=True, slots=True)
class SetStudioModeEnabled(Command):
    enabled: bool

    def data(self) -> JsonDict:
        return {"studioModeEnabled": self.enabled}


# -- scene items -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GetSceneItemList(Request[tuple[SceneItem, ...]]):
    scene: str

    def data(self) -> JsonDict:
        return {"sceneName": self.scene}

    def parse(self, response: JsonDict) -> tuple[SceneItem, ...]:
        return tuple(
            SceneItem(int(i["sceneItemId"]), str(i.get("sourceName", "")), bool(i.get("sceneItemEnabled", False)))
            for i in response.get("sceneItems", [])
            if "sceneItemId" in i
        )


@dataclass(frozen=True, slots=True)
class GetSceneItemId(Request[int]):
    scene: str
    source: str

    def data(self) -> JsonDict:
        return {"sceneName": self.scene, "sourceName": self.source}

    def parse(self, response: JsonDict) -> int:
        return _item_id(response)


@dataclass(frozen=True, slots=True)
class CreateSceneItem(Request[int]):
    """Show an existing source (input or scene) in ``scene``; the answer is the new item's id."""

    scene: str
    source: str
    enabled: bool = True

    def data(self) -> JsonDict:
        return {"sceneName": self.scene, "sourceName": self.source, "sceneItemEnabled": self.enabled}

    def parse(self, response: JsonDict) -> int:
        return _item_id(response)


@dataclass(frozen=True, slots=True)
class RemoveSceneItem(Command):
    scene: str
    item_id: int

    def data(self) -> JsonDict:
        return {"sceneName": self.scene, "sceneItemId": self.item_id}


@dataclass(frozen=True, slots=True)
class SetSceneItemEnabled(Command):
    scene: str
    item_id: int
    enabled: bool

    def data(self) -> JsonDict:
        return {"sceneName": self.scene, "sceneItemId": self.item_id, "sceneItemEnabled": self.enabled}


@dataclass(frozen=True, slots=True)
class SetSceneItemLocked(Command):
    scene: str
    item_id: int
    locked: bool

    def data(self) -> JsonDict:
        return {"sceneName": self.scene, "sceneItemId": self.item_id, "sceneItemLocked": self.locked}


@dataclass(frozen=True, slots=True)
class SetSceneItemTransform(Command):
    scene: str
    item_id: int
    transform: ItemTransform

    def data(self) -> JsonDict:
        return {"sceneName": self.scene, "sceneItemId": self.item_id, "sceneItemTransform": self.transform.data()}


# -- outputs ---------------------------------------------------------------------------------------


def _stream_status(response: JsonDict) -> StreamStatus:
    return StreamStatus(
        bool(response.get("outputActive")),
        bool(response.get("outputReconnecting", False)),
        int(response.get("outputDuration", 0)),
        int(response.get("outputBytes", 0)),
    )


@dataclass(frozen=True, slots=True)
class GetStreamStatus(Request[StreamStatus]):
    def parse(self, response: JsonDict) -> StreamStatus:
        return _stream_status(response)


@dataclass(frozen=True, slots=True)
class GetRecordStatus(Request[StreamStatus]):
    def parse(self, response: JsonDict) -> StreamStatus:
        return _stream_status(response)


@dataclass(frozen=True, slots=True)
class StartStream(Command):
    pass


@dataclass(frozen=True, slots=True)
class StopStream(Command):
    pass


@dataclass(frozen=True, slots=True)
class StartRecord(Command):
    pass


@dataclass(frozen=True, slots=True)
class StopRecord(Command):
    pass
