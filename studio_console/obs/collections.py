"""OBS scene collections and profiles: list them, and switch only once OBS reports the switch done.

Requests sent while a collection switch is in progress are undefined behaviour in obs-websocket (they
can crash OBS), so a switch returns only after ``CurrentSceneCollectionChanged`` names the new
collection; nothing else should be sent to OBS until it returns.
"""

from __future__ import annotations

import asyncio
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
    def subscribe_obs_events(self, listener: Callable[[ObsEvent], None]) -> Callable[[], None]: ...

    async def call(self, request: Request[R], *, timeout: float | None = None) -> R: ...


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
        reported: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_event(event: ObsEvent) -> None:
            # Subscribed before sending, so a report that overtakes the answer is not missed.
            if event == report and not reported.done():
                reported.set_result(None)

        unsubscribe = self.session.subscribe_obs_events(on_event)
        try:
            await self.session.call(request, timeout=self.timeout_s)
            try:
                await asyncio.wait_for(reported, self.timeout_s)
            except TimeoutError as exc:
                raise SwitchTimeout(f"OBS did not report the switch to {report} within {self.timeout_s:g} s") from exc
        finally:
            unsubscribe()
        if self.after_switch is not None:
            await self.after_switch()
