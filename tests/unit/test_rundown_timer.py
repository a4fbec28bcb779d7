"""Run-of-show timer arithmetic with an injected clock: remaining, phases, over/under, projected end, clock jumps."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from studio_console.domain.rundown import Cue, CueStatus, Rundown, TimerPhase
from studio_console.services.rundown.timer import (
    Instant,
    ShowProgress,
    live_in,
    phase_for,
    records,
    shift,
    timer_state,
)
from tests.helpers.rundown import BERLIN, FakeClock


def show(*durations: int, **rundown: object) -> Rundown:
    cues = tuple(Cue(id=f"c{i}", title=f"Cue {i}", duration_s=d) for i, d in enumerate(durations))
    return Rundown(cues=cues, **rundown)  # type: ignore[arg-type]


def now(clock: FakeClock) -> Instant:
    return clock.clock.now()


def test_phase_thresholds_default_to_ontime_120_and_60() -> None:
    assert phase_for(121, 120, 60) is TimerPhase.DEFAULT
    assert phase_for(120, 120, 60) is TimerPhase.WARNING
    assert phase_for(61, 120, 60) is TimerPhase.WARNING
    assert phase_for(60, 120, 60) is TimerPhase.DANGER
    assert phase_for(0, 120, 60) is TimerPhase.DANGER
    assert phase_for(-0.5, 120, 60) is TimerPhase.OVERTIME


def test_before_the_show_nothing_runs_and_next_is_the_first_cue() -> None:
    rundown = show(300, 300)
    state = timer_state(rundown, ShowProgress(), now(FakeClock()))
    assert not state.running and state.current is None
    assert state.next is not None and state.next.index == 0
    assert state.over_under_s == 0 and state.projected_end is None


def test_remaining_phase_and_projected_end_of_a_live_cue() -> None:
    clock = FakeClock()
    rundown = show(300, 600)
    progress = ShowProgress().start("c0", now(clock))
    clock.advance(190)
    state = timer_state(rundown, progress, now(clock))
    assert state.running and state.current is not None and state.current.index == 0
    assert state.next is not None and state.next.title == "Cue 1"
    assert state.elapsed_s == 190 and state.remaining_s == 110
    assert state.phase is TimerPhase.WARNING
    # Still on time: 110 s of this cue and 600 s of the next one to go.
    assert state.over_under_s == 0
    assert state.projected_end == clock.wall_time + timedelta(seconds=710)
    assert state.planned_end == state.projected_end


def test_only_the_live_cues_overage_counts_plus_finished_cues() -> None:
    clock = FakeClock()
    rundown = show(300, 300, 300)
    progress = ShowProgress().start("c0", now(clock))
    clock.advance(360)  # cue 0 runs 60 s over
    progress = progress.start("c1", now(clock))
    clock.advance(100)  # cue 1 may still end on time: it costs nothing yet
    state = timer_state(rundown, progress, now(clock))
    assert state.over_under_s == pytest.approx(60)
    assert state.phase is TimerPhase.DEFAULT
    clock.advance(230)  # cue 1 now 30 s over
    state = timer_state(rundown, progress, now(clock))
    assert state.phase is TimerPhase.OVERTIME
    assert state.remaining_s == pytest.approx(-30) and state.overtime_s == pytest.approx(30)
    assert state.over_under_s == pytest.approx(90)
    assert state.projected_end == clock.wall_time + timedelta(seconds=300)
    assert state.planned_end == state.projected_end - timedelta(seconds=90)


def test_a_cue_ended_early_puts_the_show_under_and_a_skipped_cue_saves_its_time() -> None:
    clock = FakeClock()
    rundown = show(300, 200, 300)
    progress = ShowProgress().start("c0", now(clock))
    clock.advance(240)  # 60 s under
    progress = progress.skip("c1").start("c2", now(clock))
    state = timer_state(rundown, progress, now(clock))
    assert state.over_under_s == pytest.approx(-260)
    assert state.next is None
    recs = records(rundown, progress, now(clock))
    assert recs[0].status is CueStatus.DONE and recs[0].over_under_s == pytest.approx(-60)
    assert recs[1].status is CueStatus.SKIPPED and recs[1].over_under_s == -200
    assert recs[2].status is CueStatus.LIVE and recs[2].actual_end is None
    assert sum(r.over_under_s or 0 for r in recs) == pytest.approx(state.over_under_s)


def test_going_back_counts_the_abandoned_run_as_time_spent() -> None:
    clock = FakeClock()
    rundown = show(100, 100)
    progress = ShowProgress().start("c0", now(clock))
    clock.advance(100)
    progress = progress.start("c1", now(clock))
    clock.advance(20)  # pressed next too early: back to cue 0, which starts again
    progress = progress.start("c0", now(clock), live_becomes=CueStatus.PENDING)
    assert progress.of("c1").status is CueStatus.PENDING
    state = timer_state(rundown, progress, now(clock))
    assert state.elapsed_s == 0 and state.remaining_s == 100
    # 120 s spent, 100 + 100 still to play against a 200 s plan.
    assert state.over_under_s == pytest.approx(120)


def test_the_show_ends_and_its_figures_stay() -> None:
    clock = FakeClock()
    rundown = show(100)
    progress = ShowProgress().start("c0", now(clock))
    clock.advance(130)
    progress = progress.end(now(clock))
    ended_at = clock.wall_time
    clock.advance(500)
    state = timer_state(rundown, progress, now(clock))
    assert state.ended and not state.running and state.next is None
    assert state.over_under_s == pytest.approx(30)
    assert state.show_elapsed_s == pytest.approx(130)
    assert state.projected_end == ended_at


def test_a_wall_clock_that_jumps_moves_no_timer() -> None:
    clock = FakeClock()
    rundown = show(300, 300)
    progress = ShowProgress().start("c0", now(clock))
    clock.advance(100)
    clock.jump_wall(3600)  # NTP step of an hour
    clock.advance(50)
    state = timer_state(rundown, progress, now(clock))
    assert state.elapsed_s == 150 and state.remaining_s == 150 and state.over_under_s == 0
    # Times of day follow the clock on the wall now.
    assert state.projected_end == clock.wall_time + timedelta(seconds=450)
    recs = records(rundown, progress, now(clock))
    assert recs[0].actual_duration_s == 150


def test_projected_end_across_a_dst_change_counts_real_seconds() -> None:
    # 2026-10-25 03:00 CEST becomes 02:00 CET in Berlin.
    clock = FakeClock(datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN))
    rundown = show(3 * 3600)
    progress = ShowProgress().start("c0", now(clock))
    state = timer_state(rundown, progress, now(clock))
    assert state.projected_end is not None
    # Three real hours after 01:30 CEST is 03:30 CET (the clock went back an hour meanwhile).
    assert state.projected_end.strftime("%H:%M %Z") == "03:30 CET"
    assert shift(datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=0), 3600).strftime("%H:%M %Z") == "02:30 CET"


def test_records_plan_from_the_rundowns_planned_start() -> None:
    clock = FakeClock(datetime(2026, 12, 1, 19, 58, tzinfo=BERLIN))
    rundown = show(120, 60, planned_start=time(20, 0))
    progress = ShowProgress().start("c0", now(clock))
    clock.advance(150)
    progress = progress.start("c1", now(clock))
    recs = records(rundown, progress, now(clock))
    assert recs[0].planned_start == datetime(2026, 12, 1, 20, 0, tzinfo=BERLIN)
    assert recs[1].planned_start == datetime(2026, 12, 1, 20, 2, tzinfo=BERLIN)
    assert recs[0].actual_start == datetime(2026, 12, 1, 19, 58, tzinfo=BERLIN)
    assert recs[0].actual_end == datetime(2026, 12, 1, 20, 0, 30, tzinfo=BERLIN)
    assert recs[0].over_under_s == pytest.approx(30)


def test_per_cue_thresholds_override_the_rundowns() -> None:
    clock = FakeClock()
    rundown = Rundown(cues=(Cue(id="a", title="Short", duration_s=90, warning_s=30, danger_s=10),))
    progress = ShowProgress().start("a", now(clock))
    clock.advance(55)
    assert timer_state(rundown, progress, now(clock)).phase is TimerPhase.DEFAULT
    clock.advance(5)
    assert timer_state(rundown, progress, now(clock)).phase is TimerPhase.WARNING
    clock.advance(21)
    assert timer_state(rundown, progress, now(clock)).phase is TimerPhase.DANGER


@pytest.mark.parametrize(
    ("wall", "target", "seconds"),
    [
        (datetime(2026, 12, 1, 19, 50, 0, tzinfo=BERLIN), time(20, 0), 600),
        (datetime(2026, 12, 1, 19, 59, 59, 500000, tzinfo=BERLIN), time(20, 0), 1),
        (datetime(2026, 12, 1, 20, 5, tzinfo=BERLIN), time(20, 0), 0),  # late: "now", not tomorrow
        (datetime(2026, 12, 1, 23, 50, tzinfo=BERLIN), time(0, 10), 1200),  # across midnight
    ],
)
def test_live_in_counts_down_to_a_time_of_day(wall: datetime, target: time, seconds: int) -> None:
    assert live_in(target, wall)[1] == seconds


def test_the_live_cue_cannot_be_skipped() -> None:
    progress = ShowProgress().start("c0", now(FakeClock()))
    with pytest.raises(ValueError, match="live cue"):
        progress.skip("c0")
