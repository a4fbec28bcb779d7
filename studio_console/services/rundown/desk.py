"""The run of show's file work for the panel and the remote API: import, export, records, from the queue.

Files are read and written off the loop; a rundown cannot be replaced while a cue is live.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from studio_console.domain.catalog import Catalog
from studio_console.domain.chat import ChatMessage
from studio_console.domain.rundown import MAX_HOST_QUESTIONS, HostNotes
from studio_console.kernel.listeners import Listeners
from studio_console.services.rundown.csv_io import (
    RundownImport,
    check_against_catalog,
    export_records_csv,
    export_rundown_csv,
    import_rundown_csv,
    rundown_from_queue,
)
from studio_console.services.rundown.service import RundownLocked, RundownService


class RundownDesk:
    """Imports and exports for one RundownService, and the notes for the host view.

    Channels:
        host_notes_changed(HostNotes): the questions or the message for the host changed.
    """

    def __init__(
        self,
        service: RundownService,
        catalog: Callable[[], Catalog],
        queue: Callable[[], Sequence[str]],
        *,
        currency: Callable[[], str] = lambda: "USD",
    ) -> None:
        self.service = service
        self._catalog = catalog
        self._queue = queue
        self._currency = currency
        self.host_notes = HostNotes()
        self.host_notes_changed: Listeners[[HostNotes]] = Listeners("host notes")

    async def import_file(self, path: Path) -> RundownImport:
        """Read a rundown CSV and use its good rows; products the catalog lacks are warned about."""
        if self.service.locked:
            raise RundownLocked("The rundown is locked while a cue is live; end the show to import another")
        result = await asyncio.to_thread(import_rundown_csv, Path(path), self._currency())
        warnings = check_against_catalog(result.rundown, self._catalog(), str(result.source), result.lines)
        if result.rundown.cues:
            self.service.set_rundown(result.rundown)
        return replace(result, errors=tuple(sorted((*result.errors, *warnings), key=lambda e: e.line or 0)))

    async def export(self, path: Path) -> None:
        rundown = self.service.rundown
        await asyncio.to_thread(lambda: export_rundown_csv(rundown, Path(path).expanduser()))

    async def export_records(self, path: Path) -> None:
        """The planned-vs-actual record of this show (the post-show CSV)."""
        await asyncio.to_thread(export_records_csv, self.service.state.records, Path(path))

    def from_queue(self, duration_s: int = 300) -> int:
        """A rundown of tonight's queue, one product cue each (one click); returns the number of cues."""
        rundown = rundown_from_queue(self._queue(), self._catalog(), duration_s=duration_s)
        self.service.set_rundown(rundown)
        return len(rundown.cues)

    # -- notes for the host ------------------------------------------------------------------------

    def send_question(self, message: ChatMessage) -> None:
        """Show a viewer's question on the host view; the oldest of more than three goes."""
        kept = [q for q in self.host_notes.questions if q.message_id != message.message_id]
        questions = (*kept, message)[-MAX_HOST_QUESTIONS:]
        self._set_notes(self.host_notes.model_copy(update={"questions": questions}))

    def dismiss_question(self, message_id: str) -> None:
        questions = tuple(q for q in self.host_notes.questions if q.message_id != message_id)
        self._set_notes(self.host_notes.model_copy(update={"questions": questions}))

    def set_message(self, text: str) -> None:
        """The producer's line for the host ("wrap up", "show the pink one"); empty clears it."""
        self._set_notes(self.host_notes.model_copy(update={"message": " ".join(text.split())[:200]}))

    def _set_notes(self, notes: HostNotes) -> None:
        if notes != self.host_notes:
            self.host_notes = notes
            self.host_notes_changed.notify(notes)
