"""The show's lifecycle: start, end, resume after a crash, and the reports of past shows."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from studio_console.domain.obs_state import OutputPhase
from studio_console.domain.show import AtZero
from studio_console.domain.show_record import (
    FlashSaleEnded,
    ShowCheckpoint,
    ShowEnded,
    ShowInfo,
    ShowLogStatus,
    ShowResumed,
    ShowStarted,
)
from studio_console.domain.stream import OutputStatus
from studio_console.kernel.listeners import Listeners
from studio_console.services.products.show import SaleToResume
from studio_console.services.show_log.recorder import ShowRecorder
from studio_console.services.show_log.report import ShowReport, build_report, write_csv, write_html
from studio_console.services.show_log.store import ShowStore

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class ShowLogError(ValueError):
    """A request the show log cannot carry out; the message is one sentence for the producer."""


class RestorableShow(Protocol):
    """What resuming needs from ``ProductShow``."""

    async def restore(
        self,
        *,
        queue: Iterable[str],
        pinned_sku: str | None,
        stock: Mapping[str, int | None] | None = None,
        flash_sale: SaleToResume | None = None,
    ) -> tuple[str, ...]: ...


# Called with the cue to continue when a resumed show had one running (the rundown's hook).
CueRestorer = Callable[[str, float], None]


class ShowLog:
    """Starts and ends shows, resumes one left open by a crash, reads past shows and their reports.

    Reads block on the database: the ``*_async`` forms run them on an executor.
    """

    def __init__(
        self,
        store: ShowStore,
        recorder: ShowRecorder,
        show: RestorableShow | None = None,
        *,
        clock: Clock = time.time,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:12],
        cue_restorer: CueRestorer | None = None,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.show = show
        self.cue_restorer = cue_restorer
        self._clock = clock
        self._new_id = new_id
        self._status = ShowLogStatus()
        self._listeners: Listeners[[ShowLogStatus]] = Listeners("listeners")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_phase: OutputPhase | None = None
        self._capture_loop()

    # -- status -------------------------------------------------------------------------------------

    @property
    def status(self) -> ShowLogStatus:
        return self._status

    @property
    def open_show(self) -> ShowInfo | None:
        return self._status.open_show

    def subscribe(self, listener: Callable[[ShowLogStatus], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def _set(self, **changes: Any) -> None:
        status = self._status.model_copy(update=changes)
        if status == self._status:
            return
        self._status = status
        self._listeners.notify(status)

    def _capture_loop(self) -> None:
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            pass

    def store_problem(self, problem: str | None) -> None:
        """The store's problem listener: safe to call from its writer thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed() and threading.current_thread() is not threading.main_thread():
            loop.call_soon_threadsafe(self._set_problem, problem)
        else:
            self._set_problem(problem)

    def _set_problem(self, problem: str | None) -> None:
        self._set(problem=problem)

    # -- start-up -----------------------------------------------------------------------------------

    def find_resumable(self) -> ShowInfo | None:
        """Look for a show a crash left open (blocking read); it is offered until resumed or replaced."""
        open_shows = self.store.open_shows()
        if self._status.open_show is not None:
            open_shows = tuple(s for s in open_shows if s.show_id != self._status.open_show.show_id)
        # Older open shows than the newest are crash leftovers nobody resumed: close them quietly.
        for stale in open_shows[1:]:
            self._close_abandoned(stale)
        found = open_shows[0] if open_shows else None
        self._set(resumable=found)
        return found

    async def find_resumable_async(self) -> ShowInfo | None:
        self._capture_loop()
        return await asyncio.get_running_loop().run_in_executor(None, self.find_resumable)

    def _close_abandoned(self, show: ShowInfo) -> None:
        checkpoint = self.store.checkpoint(show.show_id)
        ended_at = checkpoint.at if checkpoint is not None else show.started_at
        self.store.append(show.show_id, ShowEnded(at=ended_at))
        self.store.end_show(show.show_id, ended_at)
        log.info("show %s (%s) left open by a crash was closed at its last record", show.show_id, show.title)

    # -- start / end --------------------------------------------------------------------------------

    def start(self, title: str, creator: str | None = None) -> ShowInfo:
        """Open a new show; a show a crash left open and nobody resumed is closed at its last record."""
        self._capture_loop()
        title = " ".join(title.split())
        if not title:
            raise ShowLogError("A show needs a title")
        if len(title) > 200:
            raise ShowLogError("A show title is at most 200 characters")
        if self._status.open_show is not None:
            raise ShowLogError(f"The show {self._status.open_show.title!r} is still running: end it first")
        if self._status.resumable is not None:
            self._close_abandoned(self._status.resumable)
        now = self._clock()
        show = ShowInfo(show_id=self._new_id(), title=title, creator=creator, started_at=now)
        self.store.start_show(show)
        self.store.append(show.show_id, ShowStarted(at=now))
        self.recorder.attach(show.show_id)
        self._set(open_show=show, resumable=None)
        log.info("show %s started: %s", show.show_id, show.title)
        return show

    def on_output(self, status: OutputStatus) -> None:
        """The go-live service's listener: going live to a real audience starts a show if none is open.

        A rehearsal (the local test server) starts none, nor does going live while a crashed show waits
        to be resumed: the producer decides about that one first.
        """
        went_live = status.phase is OutputPhase.LIVE and self._last_phase is not OutputPhase.LIVE
        self._last_phase = status.phase
        if not went_live or not status.active_is_real_audience:
            return
        if self._status.open_show is not None or self._status.resumable is not None:
            return
        where = status.active_destination or "the stream"
        self.start(f"Live on {where}, {datetime.fromtimestamp(self._clock()):%Y-%m-%d %H:%M}")

    def end(self) -> ShowInfo:
        """End the open show; its report can be made at once."""
        show = self._status.open_show
        if show is None:
            raise ShowLogError("No show is running")
        self.recorder.detach()
        now = self._clock()
        self.store.append(show.show_id, ShowEnded(at=now))
        self.store.end_show(show.show_id, now)
        ended = show.model_copy(update={"ended_at": now})
        self._set(open_show=None)
        log.info("show %s ended", show.show_id)
        return ended

    # -- resume ---------------------------------------------------------------------------------------

    async def resume(self, show_id: str | None = None) -> ShowInfo:
        """Pick up the show a crash left open: pinned product, queue, stock, flash sale, current cue."""
        self._capture_loop()
        if self._status.open_show is not None:
            raise ShowLogError(f"The show {self._status.open_show.title!r} is already running")
        loop = asyncio.get_running_loop()
        show = self._status.resumable
        if show_id is not None and (show is None or show.show_id != show_id):
            show = await loop.run_in_executor(None, self.store.show, show_id)
            if show is None or not show.is_open:
                raise ShowLogError(f"There is no open show with the id {show_id!r} to resume")
        elif show is None:
            show = await self.find_resumable_async()
        if show is None:
            raise ShowLogError("There is no show to resume")
        checkpoint = await loop.run_in_executor(None, self.store.checkpoint, show.show_id)
        now = self._clock()
        last_seen = checkpoint.at if checkpoint is not None else show.started_at
        self.store.append(show.show_id, ShowResumed(at=now, last_seen_at=last_seen))
        resume_from = checkpoint
        if checkpoint is not None:
            resume_from = await self._restore(show.show_id, checkpoint, now)
        self.recorder.attach(show.show_id, resume_from=resume_from)
        self._set(open_show=show, resumable=None)
        if resume_from is not None and resume_from.cue is not None and self.cue_restorer is not None:
            try:
                self.cue_restorer(resume_from.cue.cue_id, now - resume_from.cue.started_at)
            except Exception:
                log.exception("the rundown could not continue cue %s", resume_from.cue.cue_id)
        log.info("show %s resumed after %.1f s unrecorded", show.show_id, now - last_seen)
        return show

    async def _restore(self, show_id: str, checkpoint: ShowCheckpoint, now: float) -> ShowCheckpoint:
        """Put ProductShow back; returns the resume point as it now holds (a sale that ran out is gone)."""
        sale = checkpoint.flash_sale
        pinned = checkpoint.pinned_sku
        to_resume = None
        if sale is not None:
            left = sale.ends_at - now
            if left > 0:
                to_resume = SaleToResume(sale.sku, sale.deal_price, sale.duration_s, left, sale.at_zero)
            else:
                # It ran out while the app was down: it ended at its deadline, as it would have on air.
                product_sku = self.recorder.product_of(sale.sku)
                ended = FlashSaleEnded(at=sale.ends_at, sku=sale.sku, product_sku=product_sku, reason="ran_out")
                self.store.append(show_id, ended)
                if sale.at_zero is AtZero.HIDE and pinned == sale.sku:
                    pinned = None
                checkpoint = checkpoint.model_copy(update={"flash_sale": None, "pinned_sku": pinned})
        if self.show is not None:
            skipped = await self.show.restore(
                queue=checkpoint.queue, pinned_sku=pinned, stock=checkpoint.stock, flash_sale=to_resume
            )
            if skipped:
                log.warning("resuming show %s: no longer in the catalog: %s", show_id, ", ".join(skipped))
        return checkpoint

    def decline_resume(self) -> None:
        """The producer does not want the crashed show back: it is closed at its last record."""
        show = self._status.resumable
        if show is not None:
            self._close_abandoned(show)
            self._set(resumable=None)

    # -- past shows -------------------------------------------------------------------------------------

    def shows(self, limit: int = 200) -> tuple[ShowInfo, ...]:
        """Past shows, newest first (blocking); what was just started or ended is in the list."""
        self.store.flush(timeout=2.0)
        return self.store.shows(limit)

    def report(self, show_id: str) -> ShowReport:
        """The report of one show (blocking: it reads the whole record); KeyError for an unknown id."""
        self.store.flush()
        show = self.store.show(show_id)
        if show is None:
            raise KeyError(show_id)
        open_show = self._status.open_show
        live_until = self._clock() if open_show is not None and open_show.show_id == show_id else None
        return build_report(
            show,
            self.store.events(show_id),
            self.store.chat_minutes(show_id),
            self.store.product_minutes(show_id),
            now=live_until,
        )

    def export(self, show_id: str, folder: Path) -> tuple[Path, ...]:
        """Write the show's report to ``folder``: ``report.html`` first, then one CSV per table (blocking)."""
        report = self.report(show_id)
        folder.mkdir(parents=True, exist_ok=True)
        return (write_html(report, folder / "report.html"), *write_csv(report, folder))

    async def export_async(self, show_id: str, folder: Path) -> tuple[Path, ...]:
        self.recorder.tick()
        return await asyncio.get_running_loop().run_in_executor(None, self.export, show_id, folder)

    async def shows_async(self, limit: int = 200) -> tuple[ShowInfo, ...]:
        return await asyncio.get_running_loop().run_in_executor(None, self.shows, limit)

    async def report_async(self, show_id: str) -> ShowReport:
        self.recorder.tick()  # the counts of the last second belong in a report of the open show
        return await asyncio.get_running_loop().run_in_executor(None, self.report, show_id)

    def close(self) -> None:
        """Stop recording without ending the show (quitting mid-show leaves it resumable).

        The store stays open: its owner closes it (that commits what is pending).
        """
        self.recorder.detach()
