"""OBS scene collections and profiles: list them, and switch only once OBS reports the switch done.

Requests sent while a collection switch is in progress are undefined behaviour in obs-websocket (they
can crash OBS), so ``switch_collection`` returns only after ``CurrentSceneCollectionChanged`` names the
new collection; nothing else should be sent to OBS until it returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from studio_console.obs.client import JsonDict
from studio_console.obs.errors import ObsError

EventListener = Callable[[str, JsonDict], None]


class CollectionSession(Protocol):
    def subscribe_events(self, listener: EventListener) -> Callable[[], None]: ...

    async def request(
        self, request_type: str, data: JsonDict | None = None, timeout: float | None = None
    ) -> JsonDict: ...


class SwitchTimeout(ObsError):
    """OBS did not report the switch in time."""


class SceneCollections:
    """Scene collection and profile switching over one OBS session."""

    def __init__(
        self,
        session: CollectionSession,
        *,
        timeout_s: float = 30.0,
        after_switch: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.session = session
        self.timeout_s = timeout_s
        # Re-reads what the app mirrors from OBS (scenes differ in the new collection).
        self.after_switch = after_switch

    async def collections(self) -> tuple[str, list[str]]:
        """(current collection, every collection)."""
        answer = await self.session.request("GetSceneCollectionList")
        return str(answer.get("currentSceneCollectionName") or ""), [
            str(n) for n in answer.get("sceneCollections") or []
        ]

    async def profiles(self) -> tuple[str, list[str]]:
        """(current profile, every profile)."""
        answer = await self.session.request("GetProfileList")
        return str(answer.get("currentProfileName") or ""), [str(n) for n in answer.get("profiles") or []]

    async def switch_collection(self, name: str) -> bool:
        """Make ``name`` the current collection; False when it already was. Waits for OBS's event."""
        current, names = await self.collections()
        if current == name:
            return False
        if name not in names:
            raise ObsError(f"OBS has no scene collection named {name!r}")
        await self._request_and_wait("SetCurrentSceneCollection", {"sceneCollectionName": name}, name)
        return True

    async def create_collection(self, name: str) -> None:
        """A new empty collection (OBS switches to it); waits for OBS's event like a switch."""
        await self._request_and_wait("CreateSceneCollection", {"sceneCollectionName": name}, name)

    async def switch_profile(self, name: str) -> bool:
        current, names = await self.profiles()
        if current == name:
            return False
        if name not in names:
            raise ObsError(f"OBS has no profile named {name!r}")
        await self._request_and_wait("SetCurrentProfile", {"profileName": name}, name, event="CurrentProfileChanged")
        return True

    async def _request_and_wait(
        self, request_type: str, data: JsonDict, name: str, *, event: str = "CurrentSceneCollectionChanged"
    ) -> None:
        loop = asyncio.get_running_loop()
        reported: asyncio.Future[None] = loop.create_future()
        field = "sceneCollectionName" if event == "CurrentSceneCollectionChanged" else "profileName"

        def on_event(event_type: str, payload: JsonDict) -> None:
            # Events arrive on the loop (the session posts them); subscribe before sending so none is missed.
            if event_type == event and payload.get(field) == name and not reported.done():
                reported.set_result(None)

        unsubscribe = self.session.subscribe_events(on_event)
        try:
            await self.session.request(request_type, data, timeout=self.timeout_s)
            try:
                await asyncio.wait_for(reported, self.timeout_s)
            except TimeoutError as exc:
                raise SwitchTimeout(f"OBS did not report switching to {name!r} within {self.timeout_s:g} s") from exc
        finally:
            unsubscribe()
        if self.after_switch is not None:
            await self.after_switch()
