"""OBS scene collections and profiles: list them, and switch only once OBS reports the switch done.

Requests sent while a collection switch is in progress are undefined behaviour in obs-websocket (they
can crash OBS), so a switch returns only after ``CurrentSceneCollectionChanged`` names the new
collection; nothing else should be sent to OBS until it returns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from studio_console.obs.errors import ObsError
from studio_console.obs.events import CurrentProfileChanged, CurrentSceneCollectionChanged, ObsEvent
from studio_console.obs.requests import (
    Command,
    CreateSceneCollection,
    GetProfileList,
    GetSceneCollectionList,
    NamedList,
    Request,
    SetCurrentProfile,
    SetCurrentSceneCollection,
)

R = TypeVar("R")


class CollectionSession(Protocol):
    async def call(self, request: Request[R], *, timeout: float | None = None) -> R: ...

    async def call_exclusive(
        self, request: Request[R], until: Callable[[ObsEvent], bool], *, timeout: float | None = None
    ) -> R: ...


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
        # Re-reads what the app mirrors from OBS (the new collection has other scenes).
        self.after_switch = after_switch

    async def collections(self) -> NamedList:
        return await self.session.call(GetSceneCollectionList())

    async def profiles(self) -> NamedList:
        return await self.session.call(GetProfileList())

    async def switch_collection(self, name: str) -> bool:
        """Make ``name`` the current collection; False when it already was. Waits for OBS's report."""
        current, names = await self.collections()
        if current == name:
            return False
        if name not in names:
            raise ObsError(f"OBS has no scene collection named {name!r}")
        await self._send_and_wait(SetCurrentSceneCollection(name), CurrentSceneCollectionChanged(name))
        return True

    async def create_collection(self, name: str) -> None:
        """A new empty collection (OBS switches to it); waits for OBS's report like a switch."""
        await self._send_and_wait(CreateSceneCollection(name), CurrentSceneCollectionChanged(name))

    async def switch_profile(self, name: str) -> bool:
        current, names = await self.profiles()
        if current == name:
            return False
        if name not in names:
            raise ObsError(f"OBS has no profile named {name!r}")
        await self._send_and_wait(SetCurrentProfile(name), CurrentProfileChanged(name))
        return True

    async def _send_and_wait(self, request: Command, report: ObsEvent) -> None:
        # The session holds every other request until OBS reports the switch (the report may
        # overtake the answer: the session listens before it sends).
        await self.session.call_exclusive(request, lambda event: event == report, timeout=self.timeout_s)
        if self.after_switch is not None:
            await self.after_switch()
