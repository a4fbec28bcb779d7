"""Run-of-show timer arithmetic: elapsed from a monotonic clock, times of day from the wall clock; no IO.

The show's progress is an immutable value changed by the operator's commands (go, back, skip, end);
``timer_state`` reads it at one instant. Durations always come from the monotonic clock, so an NTP
step or a DST change moves no timer; the wall clock only turns "in N seconds" into a time of day,
read at the instant asked, so it follows the clock on the wall.

Over/under follows Shoflo's rule: finished cues count what they ran over or under, a skipped cue
saves its planned time, and the live cue counts only once it runs over (a cue that may still end on
time costs nothing yet). This is exactly "projected end minus planned end":

    over_under = show_elapsed + live_remaining_clamped + planned_of_pending - planned_total
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day

from studio_console.domain.rundown import (
    CueKind,
    CueRecord,
    CueRef,
    CueStatus,
    Rundown,
    TimerPhase,
    TimerState,
)

# A preheat target more than this far ahead is taken as already passed today (a 19:55 target read at
# 20:05 means "now", not "tomorrow evening").
PREHEAT_LOOKAHEAD_S = 12 * 3600


def local_now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class Clock:
    """The two clocks the timers read; tests inject both."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], datetime] = local_now

    def now(self) -> Instant:
        return Instant(self.monotonic(), self.wall())


@dataclass(frozen=True)
class Instant:
    mono: float
    wall: datetime


def shift(wall: datetime, seconds: float) -> datetime:
    """``wall`` plus elapsed ``seconds``, right across a DST change (aware datetimes add in UTC)."""
    if wall.tzinfo is None:
        return wall + timedelta(seconds=seconds)
    return (wall.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(wall.tzinfo)


def phase_for(remaining_s: float, warning_s: int, danger_s: int) -> TimerPhase:
    """Ontime's phases: overtime once the planned time is over, danger and warning before it."""
    if remaining_s < 0:
        return TimerPhase.OVERTIME
    if remaining_s <= danger_s:
        return TimerPhase.DANGER
    if remaining_s <= warning_s:
        return TimerPhase.WARNING
    return TimerPhase.DEFAULT


def live_in(target: time_of_day, now: datetime) -> tuple[datetime, int]:
    """(the target as a datetime, whole seconds until it) for a preheat's "Live in mm:ss"; 0 once passed.

    The target is the next ``target`` o'clock within twelve hours; one passed less than twelve hours
    ago counts as now (the show is late, the countdown must not start again at 23:59:59).
    """
    # The wall time on that day in the local zone, whatever its UTC offset then (DST).
    candidate = datetime.combine(now.date(), target, tzinfo=now.tzinfo)
    seconds = _seconds_between(now, candidate)
    if seconds < -PREHEAT_LOOKAHEAD_S:
        candidate = _next_day(candidate)
        seconds = _seconds_between(now, candidate)
    elif seconds > PREHEAT_LOOKAHEAD_S:
        candidate = _previous_day(candidate)
        seconds = _seconds_between(now, candidate)
    whole = max(0, math.ceil(seconds - 1e-9))  # "Live in 00:01" until the very second
    return candidate, whole


def _seconds_between(a: datetime, b: datetime) -> float:
    if (a.tzinfo is None) != (b.tzinfo is None):
        raise ValueError("mixing naive and aware datetimes")
    return (b - a).total_seconds() if a.tzinfo is None else (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds()


def _next_day(moment: datetime) -> datetime:
    return _same_wall_time(moment, moment.date() + timedelta(days=1))


def _previous_day(moment: datetime) -> datetime:
    return _same_wall_time(moment, moment.date() - timedelta(days=1))


def _same_wall_time(moment: datetime, day: date) -> datetime:
    return datetime.combine(day, moment.timetz().replace(tzinfo=None), tzinfo=moment.tzinfo)


@dataclass(frozen=True)
class CueProgress:
    """One cue's history in this show."""

    status: CueStatus = CueStatus.PENDING
    # Time on air in runs that have ended (a cue run again after "previous" adds up).
    spent_s: float = 0.0
    first_start: datetime | None = None
    last_end: datetime | None = None


@dataclass(frozen=True)
class ShowProgress:
    """Where the show is: which cue is live since when, and every cue's history, keyed by cue id."""

    cues: Mapping[str, CueProgress] = field(default_factory=dict)
    live_id: str | None = None
    live_since: float | None = None
    started: Instant | None = None
    ended: Instant | None = None

    def of(self, cue_id: str) -> CueProgress:
        return self.cues.get(cue_id, CueProgress())

    @property
    def running(self) -> bool:
        return self.live_id is not None

    def _with(self, cue_id: str, progress: CueProgress) -> dict[str, CueProgress]:
        return {**self.cues, cue_id: progress}

    def _close_live(self, at: Instant, status: CueStatus) -> ShowProgress:
        if self.live_id is None or self.live_since is None:
            return self
        old = self.of(self.live_id)
        spent = old.spent_s + max(0.0, at.mono - self.live_since)
        closed = replace(old, status=status, spent_s=spent, last_end=at.wall)
        return replace(self, cues=self._with(self.live_id, closed), live_id=None, live_since=None)

    def start(self, cue_id: str, at: Instant, live_becomes: CueStatus = CueStatus.DONE) -> ShowProgress:
        """``cue_id`` goes live now; the live cue before it ends as ``live_becomes`` (pending when going back)."""
        closed = self._close_live(at, live_becomes)
        old = closed.of(cue_id)
        opened = replace(old, status=CueStatus.LIVE, first_start=old.first_start or at.wall)
        return replace(
            closed,
            cues=closed._with(cue_id, opened),
            live_id=cue_id,
            live_since=at.mono,
            started=closed.started if closed.started is not None and closed.ended is None else at,
            ended=None,
        )

    def end(self, at: Instant) -> ShowProgress:
        """The show is over: the live cue is done."""
        if self.started is None:
            return self
        return replace(self._close_live(at, CueStatus.DONE), ended=at)

    def skip(self, cue_id: str, skipped: bool = True) -> ShowProgress:
        """Mark a cue that is not live skipped (or pending again)."""
        if cue_id == self.live_id:
            raise ValueError("the live cue cannot be skipped; go to the next cue instead")
        old = self.of(cue_id)
        if skipped:
            status = CueStatus.SKIPPED
        elif old.status is CueStatus.SKIPPED:
            status = CueStatus.DONE if old.spent_s > 0 and old.last_end is not None else CueStatus.PENDING
        else:
            status = old.status
        return replace(self, cues=self._with(cue_id, replace(old, status=status)))

    def live_elapsed(self, now: float) -> float:
        return 0.0 if self.live_since is None else max(0.0, now - self.live_since)


def status_of(rundown: Rundown, progress: ShowProgress, index: int) -> CueStatus:
    return progress.of(rundown.cues[index].id).status


def next_index(rundown: Rundown, progress: ShowProgress, after: int | None) -> int | None:
    """The next cue to play after ``after`` (the first when None), passing over skipped cues."""
    start = 0 if after is None else after + 1
    for index in range(start, len(rundown.cues)):
        if status_of(rundown, progress, index) is not CueStatus.SKIPPED:
            return index
    return None


def previous_index(rundown: Rundown, progress: ShowProgress, before: int) -> int | None:
    for index in range(before - 1, -1, -1):
        if status_of(rundown, progress, index) is not CueStatus.SKIPPED:
            return index
    return None


def live_index(rundown: Rundown, progress: ShowProgress) -> int | None:
    if progress.live_id is None:
        return None
    try:
        return rundown.index_of(progress.live_id)
    except KeyError:
        return None


def _ref(rundown: Rundown, index: int | None) -> CueRef | None:
    if index is None:
        return None
    cue = rundown.cues[index]
    return CueRef(index=index, title=cue.title, kind=cue.kind)


def timer_state(rundown: Rundown, progress: ShowProgress, now: Instant) -> TimerState:
    """Every figure the operator and the host read, at the instant ``now``."""
    current = live_index(rundown, progress)
    if progress.started is None:
        upcoming = next_index(rundown, progress, None)
        return TimerState(next=_ref(rundown, upcoming))
    ended = progress.ended is not None
    at_mono = progress.ended.mono if progress.ended is not None else now.mono
    show_elapsed = max(0.0, at_mono - progress.started.mono)
    pending = sum(c.duration_s for c in rundown.cues if progress.of(c.id).status is CueStatus.PENDING)
    elapsed = remaining = 0.0
    planned = 0
    phase = TimerPhase.DEFAULT
    if current is not None:
        cue = rundown.cues[current]
        elapsed = progress.live_elapsed(now.mono)
        planned = cue.duration_s
        remaining = planned - elapsed
        warning, danger = rundown.thresholds(cue)
        phase = phase_for(remaining, warning, danger)
    over_under = show_elapsed + max(0.0, remaining) + pending - rundown.planned_total_s
    to_go = 0.0 if ended else max(0.0, remaining) + pending
    # The wall clock only places these on the clock face, read now: a clock that jumped moves both alike.
    if ended and progress.ended is not None:
        projected_end = shift(now.wall, -(now.mono - progress.ended.mono))
    else:
        projected_end = shift(now.wall, to_go)
    planned_end = shift(projected_end, -over_under)
    return TimerState(
        running=current is not None,
        current=_ref(rundown, current),
        next=_ref(rundown, next_index(rundown, progress, current) if current is not None else None)
        if not ended
        else None,
        elapsed_s=elapsed,
        remaining_s=remaining,
        planned_s=planned,
        phase=phase,
        over_under_s=over_under,
        show_elapsed_s=show_elapsed,
        planned_end=planned_end,
        projected_end=projected_end,
        ended=ended,
    )


def records(rundown: Rundown, progress: ShowProgress, now: Instant) -> tuple[CueRecord, ...]:
    """Planned vs actual start, end and duration of every cue (the post-show record)."""
    base = _planned_base(rundown, progress, now)
    planned_at = 0.0
    out = []
    for index, cue in enumerate(rundown.cues):
        state = progress.of(cue.id)
        spent = state.spent_s + (progress.live_elapsed(now.mono) if cue.id == progress.live_id else 0.0)
        out.append(
            CueRecord(
                cue_id=cue.id,
                index=index,
                title=cue.title,
                kind=cue.kind,
                status=state.status,
                planned_duration_s=cue.duration_s,
                planned_start=shift(base, planned_at) if base is not None else None,
                actual_start=state.first_start,
                actual_end=state.last_end if state.status is not CueStatus.LIVE else None,
                actual_duration_s=spent if state.first_start is not None else None,
            )
        )
        planned_at += cue.duration_s
    return tuple(out)


def _planned_base(rundown: Rundown, progress: ShowProgress, now: Instant) -> datetime | None:
    """When the first cue was planned to start: the rundown's planned start, else the actual start."""
    if rundown.planned_start is not None:
        day_of = progress.started.wall if progress.started is not None else now.wall
        return datetime.combine(day_of.date(), rundown.planned_start, tzinfo=day_of.tzinfo)
    if progress.started is not None:
        # The actual start on today's wall clock (a clock that jumped since moves it along).
        return shift(now.wall, -(now.mono - progress.started.mono))
    return None


def is_preheat(rundown: Rundown, index: int | None) -> bool:
    return index is not None and rundown.cues[index].kind is CueKind.PREHEAT
