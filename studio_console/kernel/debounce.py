"""One debounced action: a burst of changes costs one run, a moment after the last; ``flush`` runs a pending one now."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class Debounced:
    """``poke()`` (re)starts the wait; ``action()`` runs ``delay_s`` after the last poke; ``flush()`` at quit."""

    def __init__(self, action: Callable[[], Awaitable[None]], delay_s: float, name: str) -> None:
        self.action = action
        self.delay_s = delay_s
        self.name = name
        self._pending: asyncio.Task[None] | None = None

    def poke(self) -> None:
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
        self._pending = asyncio.get_running_loop().create_task(self._later(), name=self.name)

    async def _later(self) -> None:
        await asyncio.sleep(self.delay_s)
        await self.action()

    @property
    def pending(self) -> bool:
        return self._pending is not None and not self._pending.done()

    async def flush(self) -> None:
        """Run a waiting action now instead of later (nothing when none is waiting)."""
        pending, self._pending = self._pending, None
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
            await self.action()
