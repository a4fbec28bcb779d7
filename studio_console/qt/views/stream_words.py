"""What a running stream is called on screen: LIVE (red) for a real audience, REHEARSAL (blue) otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio_console.domain.obs_status import OutputPhase

if TYPE_CHECKING:
    from studio_console.domain.stream import OutputStatus

LIVE_COLOUR = "#d32f2f"
REHEARSAL_COLOUR = "#1565c0"
STARTING_COLOUR = "#f9a825"


def is_rehearsal(status: OutputStatus | None) -> bool:
    """True while the app's own stream goes to a destination without a real audience (the local test server).

    A stream started outside the app (no known destination) may reach viewers, so it stays LIVE.
    """
    return status is not None and status.active_sink is not None and not status.active_is_real_audience


def phase_word(phase: OutputPhase, rehearsal: bool) -> str:
    """``LIVE`` / ``REHEARSAL`` for a running stream, the phase in capitals otherwise."""
    if rehearsal and phase is OutputPhase.LIVE:
        return "REHEARSAL"
    if rehearsal and phase is OutputPhase.RECONNECTING:
        return "REHEARSAL (RECONNECTING)"
    return phase.value.upper()


def phase_colour(phase: OutputPhase, rehearsal: bool, active: bool) -> str:
    """The colour of the stream's state text, "" for the default."""
    if phase is OutputPhase.LIVE:
        return REHEARSAL_COLOUR if rehearsal else LIVE_COLOUR
    return STARTING_COLOUR if active else ""
