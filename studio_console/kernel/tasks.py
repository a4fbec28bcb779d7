"""The app's one task runner: strong references, logged failures, and one latest-wins rule.

The latest-wins rule, for every user intent that sends work to OBS (scene clicks, pins, volume drags):
at most one action per key is in flight; while it runs, newer submissions replace each other, and
only the newest runs after it. The one in flight is never cancelled: a request already sent to OBS
would not be undone by cancelling, and cancelling mid-batch could leave OBS half-changed. Rapid
clicks therefore cost at most two actions (the first and the last), never a queue of stale ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
ErrorHandler = Callable[[Exception], None]


class LatestWins(Generic[T]):
    """One latest-wins lane: ``submit(value)`` runs ``action(value)`` under the module's rule."""

    def __init__(self, action: Callable[[T], Awaitable[object]], on_error: ErrorHandler | None = None) -> None:
        self._action = action
        self._on_error = on_error
        self._next: tuple[T] | None = None
        self._task: asyncio.Task[None] | None = None

    def submit(self, value: T) -> asyncio.Task[None]:
        self._next = (value,)
        if self._task is None or self._task.done():
            # get_event_loop: Qt may deliver an intent between loop iterations (qasync runs the loop).
            self._task = asyncio.get_event_loop().create_task(self._drain(), name="latest-wins")
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
        """Drop the waiting submission and stop the lane (quit only)."""
        self._next = None
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class TaskRunner:
    """Holds every fire-and-forget task (qasync's asyncSlot does not, see its issue #98) and the keyed lanes.

    ``spawn`` runs a coroutine now; ``latest(key, make)`` runs ``make()`` under the latest-wins rule for
    ``key``. Failures go to ``on_error`` (a sentence for the operator) or the log; ``shutdown`` cancels
    and awaits everything.
    """

    def __init__(self, on_error: ErrorHandler | None = None) -> None:
        self._on_error = on_error
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lanes: dict[str, LatestWins[Callable[[], Awaitable[object]]]] = {}
        self._closed = False

    def _refused(self, name: str) -> bool:
        """After shutdown (or once the loop is closed) work is dropped: widgets torn down at quit still signal."""
        if self._closed or asyncio.get_event_loop().is_closed():
            log.debug("not starting %r: the app is shutting down", name)
            return True
        return False

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any] | None:
        if self._refused(name):
            coro.close()
            return None
        task = asyncio.get_event_loop().create_task(self._guarded(coro), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def latest(self, key: str, make: Callable[[], Awaitable[object]]) -> asyncio.Task[None] | None:
        if self._refused(key):
            return None
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = LatestWins(lambda factory: factory(), self._report)
        task = lane.submit(make)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guarded(self, coro: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._report(exc)
            return None

    def _report(self, exc: Exception) -> None:
        if self._on_error is not None:
            self._on_error(exc)
        else:
            log.error("%s", exc, exc_info=exc)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def shutdown(self) -> None:
        self._closed = True
        for lane in self._lanes.values():
            await lane.cancel()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._lanes.clear()
