"""The one way core objects take listeners: add one, get back the function that removes it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

L = TypeVar("L")


def add_listener(listeners: list[L], listener: L) -> Callable[[], None]:
    """Append ``listener``; calling the result removes it (again is harmless)."""
    listeners.append(listener)

    def unsubscribe() -> None:
        with contextlib.suppress(ValueError):
            listeners.remove(listener)

    return unsubscribe
