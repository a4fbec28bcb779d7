"""A hand-written stand-in for ObsSession: scripted answers, recorded requests, events driven by the test."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from studio_console.domain.obs_state import (
    ConnectionState,
    ConnectionStatus,
    ObsSnapshot,
    ObsStats,
    VideoSettings,
)
from studio_console.obs import translate
from studio_console.obs.client import BatchResult
from studio_console.obs.errors import ObsError, ObsNotConnected, ObsRequestError
from studio_console.obs.events import CurrentProfileChanged, CurrentSceneCollectionChanged, ObsEvent
from studio_console.obs.requests import Outcome, Request

JsonDict = dict[str, Any]
R = TypeVar("R")

CONNECTED = ConnectionState(status=ConnectionStatus.CONNECTED, message="Connected")


class FakeObsSession:
    """Implements the part of ObsSession the services use; faults real OBS cannot be made to produce.

    - ``hold(request_type)`` keeps that request unanswered until ``release(request_type)``.
    - ``fail(request_type, code, comment)`` makes OBS answer it with an error status.
    - ``stream_event("OBS_WEBSOCKET_OUTPUT_STARTED")`` delivers a StreamStateChanged event.
    - ``emit(event)`` delivers a typed event (obs/events.py) to ``subscribe_obs_events`` listeners.
    Nothing happens on its own: StartStream changes no state until the test sends the events.
    Typed requests are recorded in ``requests`` as (request type, fields), as OBS would receive them.
    """

    def __init__(self, width: int = 640, height: int = 360, fps: int = 15) -> None:
        self.snapshot = ObsSnapshot(
            connection=CONNECTED,
            video=VideoSettings(
                base_width=width,
                base_height=height,
                output_width=width,
                output_height=height,
                fps_numerator=fps,
                fps_denominator=1,
            ),
        )
        self.profile: dict[tuple[str, str], str | None] = {
            ("Output", "Mode"): "Simple",
            ("SimpleOutput", "VBitrate"): "800",
            ("SimpleOutput", "StreamEncoder"): "x264",
            ("SimpleOutput", "UseAdvanced"): "false",
            ("SimpleOutput", "x264Settings"): None,
        }
        self.requests: list[tuple[str, JsonDict | None]] = []
        self._listeners: list[Callable[[ObsSnapshot], None]] = []
        self._event_listeners: list[Callable[[ObsEvent], None]] = []
        # Scene collections and profiles: a switch answers, then reports it with OBS's event.
        self.scene_collections = ["Untitled"]
        self.current_collection = "Untitled"
        self.profiles = ["Untitled"]
        self.current_profile = "Untitled"
        self.report_switches = True
        self._held: dict[str, asyncio.Event] = {}
        self._failures: dict[str, tuple[int, str]] = {}
        self._item_ids = 0

    # -- the ObsSession surface ------------------------------------------------------------------

    def subscribe(self, listener: Callable[[ObsSnapshot], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def subscribe_obs_events(self, listener: Callable[[ObsEvent], None]) -> Callable[[], None]:
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener) if listener in self._event_listeners else None

    async def call(self, request: Request[R], *, timeout: float | None = None) -> R:
        return request.parse(await self._request(request.request_type, request.data(), timeout))

    async def call_exclusive(
        self, request: Request[R], until: Callable[[ObsEvent], bool], *, timeout: float | None = None
    ) -> R:
        """Like ObsSession's: answers once an event satisfies ``until`` (other callers are not held here)."""
        reported: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_event(event: ObsEvent) -> None:
            if until(event) and not reported.done():
                reported.set_result(None)

        unsubscribe = self.subscribe_obs_events(on_event)
        try:
            answer = await self.call(request, timeout=timeout)
            await asyncio.wait_for(reported, timeout)
            return answer
        finally:
            unsubscribe()

    async def call_batch(
        self, requests: Sequence[Request[Any]], *, halt_on_failure: bool = False, **_options: Any
    ) -> tuple[Outcome[Any], ...]:
        results = await self._batch([(r.request_type, r.data()) for r in requests], halt_on_failure)
        return tuple(
            Outcome(r, True, res.code, None, r.parse(res.data)) if res.ok else Outcome(r, False, res.code, res.comment)
            for r, res in zip(requests, results, strict=False)
        )

    async def call_all(self, requests: Sequence[Request[R]], concurrency: int = 16) -> list[R | ObsError]:
        results: list[R | ObsError] = []
        for request in requests:
            try:
                results.append(await self.call(request))
            except ObsError as exc:
                results.append(exc)
        return results

    async def _request(self, request_type: str, data: JsonDict | None = None, timeout: float | None = None) -> JsonDict:
        if not self.snapshot.connection.connected:
            raise ObsNotConnected("OBS is not connected")
        self.requests.append((request_type, data))
        gate = self._held.get(request_type)
        if gate is not None:
            await gate.wait()
        if request_type in self._failures:
            code, comment = self._failures[request_type]
            raise ObsRequestError(request_type, code, comment)
        return self._answer(request_type, data)

    async def _batch(self, requests: Sequence[tuple[str, JsonDict | None]], halt: bool = False) -> list[BatchResult]:
        if not self.snapshot.connection.connected:
            raise ObsNotConnected("OBS is not connected")
        results = []
        for request_type, data in requests:
            self.requests.append((request_type, data))
            if request_type in self._failures:
                code, comment = self._failures[request_type]
                results.append(BatchResult(request_type, False, code, comment, {}))
                if halt:  # as OBS does: the rest is neither run nor answered
                    break
            else:
                results.append(BatchResult(request_type, True, 100, None, self._answer(request_type, data)))
        return results

    def _answer(self, request_type: str, data: JsonDict | None) -> JsonDict:
        if request_type == "GetVideoSettings":
            video = self.snapshot.video
            assert video is not None
            return {
                "baseWidth": video.base_width,
                "baseHeight": video.base_height,
                "outputWidth": video.output_width,
                "outputHeight": video.output_height,
                "fpsNumerator": video.fps_numerator,
                "fpsDenominator": video.fps_denominator,
            }
        if request_type in ("CreateInput", "CreateSceneItem"):
            # The overlay scene's slots: every created item gets a fresh id.
            self._item_ids += 1
            return {"sceneItemId": self._item_ids}
        if request_type == "GetSceneItemList":
            return {"sceneItems": []}
        if request_type == "GetSceneList":  # OBS lists the last scene first
            listed = list(reversed(self.snapshot.scenes))
            return {"scenes": [{"sceneName": name, "sceneIndex": i} for i, name in enumerate(reversed(listed))]}
        if request_type == "GetSceneCollectionList":
            return {"currentSceneCollectionName": self.current_collection, "sceneCollections": self.scene_collections}
        if request_type == "GetProfileList":
            return {"currentProfileName": self.current_profile, "profiles": self.profiles}
        if request_type == "SetCurrentSceneCollection":
            assert data is not None
            self.current_collection = data["sceneCollectionName"]
            if self.report_switches:
                asyncio.get_running_loop().call_soon(self.emit, CurrentSceneCollectionChanged(self.current_collection))
            return {}
        if request_type == "SetCurrentProfile":
            assert data is not None
            self.current_profile = data["profileName"]
            if self.report_switches:
                asyncio.get_running_loop().call_soon(self.emit, CurrentProfileChanged(self.current_profile))
            return {}
        if request_type == "GetProfileParameter":
            assert data is not None
            value = self.profile.get((data["parameterCategory"], data["parameterName"]))
            return {"parameterValue": value, "defaultParameterValue": None}
        return {}

    # -- what tests drive ------------------------------------------------------------------------

    def count(self, request_type: str) -> int:
        return sum(1 for r, _ in self.requests if r == request_type)

    def hold(self, request_type: str) -> None:
        self._held[request_type] = asyncio.Event()

    def release(self, request_type: str) -> None:
        self._held.pop(request_type).set()

    def fail(self, request_type: str, code: int, comment: str) -> None:
        self._failures[request_type] = (code, comment)

    def publish(self, snapshot: ObsSnapshot) -> None:
        self.snapshot = snapshot
        for listener in list(self._listeners):
            listener(snapshot)

    def emit(self, event: ObsEvent) -> None:
        for listener in list(self._event_listeners):
            listener(event)

    def stream_event(self, output_state: str) -> None:
        updated = translate.apply_event(self.snapshot, "StreamStateChanged", {"outputState": output_state})
        assert updated is not None
        self.publish(updated)

    def stream_stats(self, stream_bytes: int, **figures: Any) -> None:
        stats = ObsStats(stream_bytes=stream_bytes, **figures)
        self.publish(self.snapshot.model_copy(update={"stats": stats}))

    def disconnect(self) -> None:
        connection = ConnectionState(status=ConnectionStatus.DISCONNECTED, message="OBS disconnected")
        self.publish(self.snapshot.model_copy(update={"connection": connection, "stats": None}))
