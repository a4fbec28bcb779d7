"""Runs an async action for the newest submitted value only: rapid clicks never queue stale work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class LatestWins(Generic[T]):
    """At most one action in flight; while it runs, newer submissions replace each other.

    Cancelling a request already sent would not undo it in OBS, so the one in flight is allowed
    to finish and only the newest waiting value runs after it.
    """

    def __init__(
        self, action: Callable[[T], Awaitable[object]], on_error: Callable[[Exception], None] | None = None
    ) -> None:
        self._action = action
        self._on_error = on_error
        self._next: tuple[T] | None = None
        self._task: asyncio.Task[None] | None = None

    def submit(self, value: T) -> asyncio.Task[None]:
        self._next = (value,)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain(), name="latest-wins")
        return self._task

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _drain(self) -> None:
        while self._next is not None:
            (value,), self._next = self._next, None
            try:
                await self._action(value)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._on_error is not None:
                    self._on_error(exc)
                else:
                    log.error("%s", exc)

    async def cancel(self) -> None:
        self._next = None
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
