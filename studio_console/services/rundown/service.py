"""The run of show: go / next / previous / skip over a rundown, its timers, and each cue's picture put on air.

Qt-free. The picture goes out through an injected ``CueStage`` (scene, product card, price action,
teaser; in the app the product show and overlay, as one OBS batch); time comes from an injected
``Clock``. The running order is locked while a cue is live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from studio_console.domain.rundown import (
    Cue,
    CueKind,
    CueStatus,
    EndAction,
    FlashSale,
    PreheatState,
    PriceReveal,
    Rundown,
    RundownState,
    TimerState,
)
from studio_console.kernel.listeners import Listeners
from studio_console.services.rundown import timer as timing
from studio_console.services.rundown.timer import Clock, ShowProgress

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
# Preheat teaser cards change this often (seconds).
TEASER_CYCLE_S = 8.0


class RundownError(ValueError):
    """A request the run of show cannot carry out; the message is one sentence for the producer."""


class RundownLocked(RundownError):
    """The running order cannot change while a cue is live."""


@dataclass(frozen=True)
class CuePicture:
    """What OBS should show for a cue now: scene, card, and how the card is drawn."""

    # The program scene to switch to together with the card; None leaves the scene as it is.
    scene: str | None
    # The product (or variant) whose card is on air; None takes the card off.
    card_sku: str | None
    # Drawn like a product card without prices (a preheat teaser, a price still to be revealed).
    teaser: bool = False
    # Preheat: "Live in mm:ss" on the card.
    live_in_s: int | None = None
    # Started together with the card (only in the picture that starts the cue).
    flash_sale: FlashSale | None = None


class CueStage(Protocol):
    """Puts a cue's picture on air; the app's implementation sends scene and card as one OBS batch."""

    async def prepare(self, picture: CuePicture) -> None:
        """Draw the picture ahead (the next cue), so going to it only sends; nothing visible changes."""
        ...

    async def show(self, picture: CuePicture) -> None:
        """Scene, card and price action together; raises when OBS refuses or is unreachable."""
        ...


def _start_picture(cue: Cue, live_in_s: int | None = None) -> CuePicture:
    """The picture a cue starts with."""
    if cue.kind is CueKind.PREHEAT:
        teaser = cue.teaser_skus[0] if cue.teaser_skus else None
        return CuePicture(cue.scene, teaser, teaser=not cue.teaser_prices, live_in_s=live_in_s)
    action = cue.price_action
    return CuePicture(
        cue.scene,
        cue.card_sku,
        teaser=isinstance(action, PriceReveal),
        flash_sale=action if isinstance(action, FlashSale) else None,
    )


class RundownService:
    """Holds the rundown and the show's progress; every change tells listeners at once.

    Cue changes go out latest-wins: a quick double "next" leaves OBS on the last cue asked for,
    never on one in between after it.
    """

    def __init__(
        self,
        stage: CueStage | None = None,
        rundown: Rundown | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        teaser_cycle_s: float = TEASER_CYCLE_S,
    ) -> None:
        self.stage = stage
        self.teaser_cycle_s = teaser_cycle_s
        self._clock = clock or Clock()
        self._sleep = sleep
        self._rundown = rundown or Rundown()
        self._progress = ShowProgress()
        self._listeners: Listeners[[RundownState]] = Listeners("listeners")
        self._problem: str | None = None
        # What the live cue shows now (teaser index, live-in seconds, revealed price): ticks compare against it.
        self._picture: CuePicture | None = None
        self._apply_lock = asyncio.Lock()
        self._generation = 0
        self._ticker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    # -- observers -------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[RundownState], None]) -> Callable[[], None]:
        """Call ``listener(state)`` on every change and every second while a cue is live."""
        return self._listeners.add(listener)

    @property
    def rundown(self) -> Rundown:
        return self._rundown

    @property
    def locked(self) -> bool:
        return self._progress.running

    @property
    def state(self) -> RundownState:
        """A snapshot read now (timers are computed at this instant)."""
        now = self._clock.now()
        timer = timing.timer_state(self._rundown, self._progress, now)
        return RundownState(
            rundown=self._rundown,
            locked=self.locked,
            timer=timer,
            records=timing.records(self._rundown, self._progress, now),
            preheat=self._preheat_state(timer, now),
            price_hidden=self._picture is not None and self._picture.teaser and not self._is_preheat_live(),
            problem=self._problem,
        )

    def _publish(self) -> None:
        state = self.state
        self._listeners.notify(state)

    # -- editing (not while live) ----------------------------------------------------------------

    def _check_unlocked(self) -> None:
        if self.locked:
            raise RundownLocked("The rundown is locked while a cue is live; end the show to edit it")

    def _check_index(self, index: int) -> Cue:
        if not 0 <= index < len(self._rundown.cues):
            count = len(self._rundown.cues)
            raise RundownError(
                f"There is no cue {index}: the rundown has {count} cue{'s' if count != 1 else ''} (0 to {count - 1})"
                if count
                else "The rundown is empty"
            )
        return self._rundown.cues[index]

    def set_rundown(self, rundown: Rundown) -> None:
        """Work with a new rundown (an import, a rundown from the queue); the show starts afresh."""
        self._check_unlocked()
        self._rundown = rundown
        self._progress = ShowProgress()
        self._problem = None
        self._publish()

    def update_cue(self, cue: Cue) -> None:
        self._check_unlocked()
        try:
            self._rundown = self._rundown.replaced(cue)
        except KeyError:
            raise RundownError(f"No cue with id {cue.id!r} in the rundown") from None
        self._publish()

    def insert_cue(self, cue: Cue, index: int | None = None) -> None:
        self._check_unlocked()
        try:
            self._rundown = self._rundown.inserted(cue, index)
        except ValueError as exc:
            raise RundownError(str(exc)) from None
        self._publish()

    def remove_cue(self, index: int) -> None:
        self._check_unlocked()
        self._check_index(index)
        self._rundown = self._rundown.removed(index)
        self._publish()

    def move_cue(self, index: int, to: int) -> None:
        """Reorder (the panel's drag and drop)."""
        self._check_unlocked()
        self._check_index(index)
        self._rundown = self._rundown.moved(index, to)
        self._publish()

    def reset(self) -> None:
        """Forget this show's progress and records (a new rehearsal); not while live."""
        self._check_unlocked()
        self._progress = ShowProgress()
        self._problem = None
        self._publish()

    # -- show control ----------------------------------------------------------------------------

    @property
    def current_index(self) -> int | None:
        return timing.live_index(self._rundown, self._progress)

    async def go(self, index: int) -> None:
        """Cue ``index`` goes live now: the timer starts at once, then its picture goes on air."""
        cue = self._check_index(index)
        current = self.current_index
        if current == index:
            await self._apply(_start_picture(cue, self._live_in(cue)))  # again, as asked; the timer runs on
            return
        if self._progress.of(cue.id).status is CueStatus.SKIPPED:
            self._progress = self._progress.skip(cue.id, skipped=False)
        going_back = current is not None and index < current
        self._progress = self._progress.start(
            cue.id, self._clock.now(), live_becomes=CueStatus.PENDING if going_back else CueStatus.DONE
        )
        picture = _start_picture(cue, self._live_in(cue))
        self._picture = picture
        self._ensure_ticker()
        self._publish()
        await self._apply(picture)
        self._prepare_next()

    async def next(self) -> int | None:
        """Go to the next cue that is not skipped; after the last one the show ends. Returns the live index."""
        current = self.current_index
        if current is None and self._progress.started is not None and self._progress.ended is None:
            raise RundownError("No cue is live")  # pragma: no cover - a started show always has one
        upcoming = timing.next_index(self._rundown, self._progress, current)
        if upcoming is None:
            if current is None:
                raise RundownError("The rundown is empty" if not self._rundown.cues else "No cue left to go to")
            await self.end()
            return None
        await self.go(upcoming)
        return upcoming

    async def previous(self) -> int:
        """Back to the cue before the live one (it starts again); the live one becomes pending."""
        current = self.current_index
        if current is None:
            raise RundownError("No cue is live")
        earlier = timing.previous_index(self._rundown, self._progress, current)
        if earlier is None:
            raise RundownError("This is the first cue")
        await self.go(earlier)
        return earlier

    def skip(self, index: int | None = None, skipped: bool = True) -> int:
        """Mark a cue skipped (default: the next one), or pending again; next passes over skipped cues."""
        if index is None:
            index_or_none = timing.next_index(self._rundown, self._progress, self.current_index)
            if index_or_none is None:
                raise RundownError("No cue left to skip")
            index = index_or_none
        cue = self._check_index(index)
        try:
            self._progress = self._progress.skip(cue.id, skipped)
        except ValueError as exc:
            raise RundownError(str(exc)) from None
        self._publish()
        return index

    async def end(self) -> None:
        """The show is over: the live cue ends; the card stays as it is (the producer decides what follows)."""
        self._progress = self._progress.end(self._clock.now())
        self._picture = None
        self._generation += 1
        self._stop_ticker()
        self._publish()

    async def _apply(self, picture: CuePicture) -> None:
        """Put ``picture`` on air unless a newer cue change came in meanwhile (latest wins)."""
        if self.stage is None:
            return
        self._generation += 1
        generation = self._generation
        async with self._apply_lock:
            if generation != self._generation:
                return
            try:
                await self.stage.show(picture)
            except Exception as exc:
                self._problem = f"The cue could not be put on air: {exc}"
                log.warning("%s", self._problem)
                self._publish()
                raise RundownError(self._problem) from exc
            if self._problem is not None:
                self._problem = None
                self._publish()

    def _prepare_next(self) -> None:
        if self.stage is None:
            return
        upcoming = timing.next_index(self._rundown, self._progress, self.current_index)
        if upcoming is None:
            return
        cue = self._rundown.cues[upcoming]
        self._spawn(self._prepare_quietly(_start_picture(cue, self._live_in(cue))), "rundown-prepare")

    async def _prepare_quietly(self, picture: CuePicture) -> None:
        if self.stage is None:
            return
        try:
            await self.stage.prepare(picture)
        except Exception as exc:  # drawing ahead is an optimisation: the go draws it anyway
            log.info("could not draw the next cue ahead: %s", exc)

    # -- time ------------------------------------------------------------------------------------

    def _is_preheat_live(self) -> bool:
        return timing.is_preheat(self._rundown, self.current_index)

    def _live_in(self, cue: Cue) -> int | None:
        if cue.kind is not CueKind.PREHEAT or cue.target_time is None:
            return None
        return timing.live_in(cue.target_time, self._clock.wall())[1]

    def _preheat_state(self, timer: TimerState, now: timing.Instant) -> PreheatState | None:
        index = self.current_index
        if index is None or not timing.is_preheat(self._rundown, index):
            return None
        cue = self._rundown.cues[index]
        target = live = None
        if cue.target_time is not None:
            target, live = timing.live_in(cue.target_time, now.wall)
        teaser_index = self._teaser_index(cue, timer.elapsed_s)
        return PreheatState(
            target=target,
            live_in_s=live,
            teaser_sku=cue.teaser_skus[teaser_index] if cue.teaser_skus else None,
            teaser_index=teaser_index,
            teaser_count=len(cue.teaser_skus),
        )

    def _teaser_index(self, cue: Cue, elapsed_s: float) -> int:
        if not cue.teaser_skus or self.teaser_cycle_s <= 0:
            return 0
        return int(elapsed_s // self.teaser_cycle_s) % len(cue.teaser_skus)

    def _picture_now(self, cue: Cue, elapsed_s: float) -> CuePicture:
        """The live cue's picture at ``elapsed_s``: the teaser of the moment, or the revealed price."""
        if cue.kind is CueKind.PREHEAT:
            index = self._teaser_index(cue, elapsed_s)
            sku = cue.teaser_skus[index] if cue.teaser_skus else None
            return CuePicture(None, sku, teaser=not cue.teaser_prices, live_in_s=self._live_in(cue))
        action = cue.price_action
        hidden = isinstance(action, PriceReveal) and elapsed_s < action.after_s
        return CuePicture(None, cue.card_sku, teaser=hidden)

    async def tick(self) -> None:
        """What time changes: auto-advance (end action ``next``), teaser cycle, live-in, price reveal."""
        index = self.current_index
        if index is None:
            return
        cue = self._rundown.cues[index]
        elapsed = self._progress.live_elapsed(self._clock.monotonic())
        if cue.end_action is EndAction.NEXT and elapsed >= cue.duration_s:
            try:
                await self.next()
            except RundownError as exc:
                log.warning("automatic next failed: %s", exc)
            return
        if cue.kind is CueKind.PREHEAT or isinstance(cue.price_action, PriceReveal):
            picture = self._picture_now(cue, elapsed)
            previous = self._picture
            if previous is None or (picture.card_sku, picture.teaser, picture.live_in_s) != (
                previous.card_sku,
                previous.teaser,
                previous.live_in_s,
            ):
                self._picture = picture
                with contextlib.suppress(RundownError):  # logged and shown as the problem
                    await self._apply(picture)
        self._publish()

    def _ensure_ticker(self) -> None:
        if self._closed or (self._ticker is not None and not self._ticker.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._ticker = loop.create_task(self._run_ticker(), name="rundown-ticker")

    def _stop_ticker(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None and ticker is not asyncio.current_task():
            ticker.cancel()

    async def _run_ticker(self) -> None:
        while self._progress.running and not self._closed:
            elapsed = self._progress.live_elapsed(self._clock.monotonic())
            # Wake when the whole seconds of the live cue change (no drift against its start).
            await self._sleep(max(0.001, math.floor(elapsed) + 1 - elapsed))
            try:
                await self.tick()
            except Exception:
                log.exception("rundown tick failed")

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop the ticker and background work; OBS keeps what it shows."""
        self._closed = True
        ticker = self._ticker
        self._stop_ticker()
        tasks = [*self._tasks, *([ticker] if ticker else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def api_section(state: RundownState) -> dict[str, Any]:
    """The ``rundown`` section of ``GET /api/v1/state`` (Stream Deck / Companion read it)."""
    timer = state.timer

    def ref(cue: Any) -> dict[str, Any] | None:
        return None if cue is None else {"index": cue.index, "title": cue.title, "kind": cue.kind.value}

    return {
        "title": state.rundown.title,
        "cues": len(state.rundown.cues),
        "locked": state.locked,
        "running": timer.running,
        "ended": timer.ended,
        "current": ref(timer.current),
        "next": ref(timer.next),
        "elapsed_s": round(timer.elapsed_s, 1),
        "remaining_s": round(timer.remaining_s, 1),
        "planned_s": timer.planned_s,
        "over_under_s": round(timer.over_under_s, 1),
        "projected_end": timer.projected_end.isoformat(timespec="seconds") if timer.projected_end else None,
        "planned_end": timer.planned_end.isoformat(timespec="seconds") if timer.planned_end else None,
        "phase": timer.phase.value,
        "price_hidden": state.price_hidden,
        "preheat": state.preheat.model_dump(mode="json") if state.preheat else None,
        "problem": state.problem,
    }
