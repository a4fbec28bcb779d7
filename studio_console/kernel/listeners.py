"""The one way core objects take listeners: add one, get back the function that removes it."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

log = logging.getLogger(__name__)

L = TypeVar("L")
P = ParamSpec("P")


def add_listener(listeners: list[L], listener: L) -> Callable[[], None]:
    """Append ``listener``; calling the result removes it (again is harmless)."""
    listeners.append(listener)

    def unsubscribe() -> None:
        with contextlib.suppress(ValueError):
            listeners.remove(listener)

    return unsubscribe


class Listeners(Generic[P]):
    """A list of callbacks with one notify loop: a failing listener is logged and never stops the others.

    Listeners run synchronously on the caller's thread (the asyncio loop for every core object), in the
    order they were added; one may unsubscribe itself (or another) while being notified.
    """

    def __init__(self, what: str) -> None:
        self._what = what
        self._callbacks: list[Callable[P, object]] = []

    def add(self, listener: Callable[P, object]) -> Callable[[], None]:
        return add_listener(self._callbacks, listener)

    def notify(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for listener in list(self._callbacks):
            try:
                listener(*args, **kwargs)
            except Exception:
                log.exception("%s listener failed", self._what)

    def __len__(self) -> int:
        return len(self._callbacks)

    def clear(self) -> None:
        self._callbacks.clear()
