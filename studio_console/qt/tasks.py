"""Strong references to the app's asyncio tasks, failures logged, all cancelled and awaited on quit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskKeeper:
    """Holds every fire-and-forget task (qasync's asyncSlot does not, see its issue #98)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        # Latest-wins slots: a new task under the same key cancels the previous one.
        self._keyed: dict[str, asyncio.Task[Any]] = {}

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str, latest_wins_key: str | None = None) -> asyncio.Task[Any]:
        if latest_wins_key is not None:
            previous = self._keyed.get(latest_wins_key)
            if previous is not None and not previous.done():
                previous.cancel()
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)
        if latest_wins_key is not None:
            self._keyed[latest_wins_key] = task
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s failed: %s", task.get_name(), exc, exc_info=exc)

    async def shutdown(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._keyed.clear()
