"""Jittered exponential back-off, the one retry schedule for OBS, chat sources and sinks."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """The first retry is fast, later ones grow by ``factor`` up to ``cap_s``, each jittered by +-``jitter``.

    Jitter keeps a room of clients (or the app's own sources) from retrying in lock-step after a
    shared outage. ``attempt`` counts from 1.
    """

    first_s: float = 0.15
    factor: float = 2.0
    cap_s: float = 1.5
    jitter: float = 0.2

    def delay(self, attempt: int) -> float:
        base = min(self.cap_s, self.first_s * self.factor ** max(0, attempt - 1))
        return base * random.uniform(1 - self.jitter, 1 + self.jitter)
