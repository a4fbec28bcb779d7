"""The run of show on screen: the rundown's state to the Rundown panel and host view; their intents to the core."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from studio_console.core import StudioCore
from studio_console.domain.chat import ChatMessage
from studio_console.domain.rundown import CueStatus, HostNotes
from studio_console.qt.views.host_view import HostView
from studio_console.qt.views.rundown_panel import RundownPanel
from studio_console.services.rundown.csv_io import RundownImport

log = logging.getLogger(__name__)

IMPORT_ERRORS_SHOWN = 30


class RundownBridge(QObject):
    """Translates between the rundown service (and its desk) and the Rundown panel and host view.

    Signals:
        state_changed(object): a new RundownState (on every change, and each second while live).
        card_changed(object): the product card on air (a CardState, or None).
        notes_changed(object): new HostNotes for the host view.
        import_finished(str, str): a title and a plain-text summary of a finished import.
    """

    state_changed = Signal(object)
    card_changed = Signal(object)
    notes_changed = Signal(object)
    import_finished = Signal(str, str)

    def __init__(self, core: StudioCore, panel: RundownPanel) -> None:
        super().__init__()
        assert core.rundown is not None and core.products is not None
        self.core = core
        self.panel = panel
        self.host_view: HostView | None = None
        desk, tasks = core.rundown, core.tasks
        service, show = desk.service, core.products.show
        self._unsubscribe = [
            service.subscribe(self.state_changed.emit),
            core.products_changed.add(lambda _state: self.card_changed.emit(show.desired_card())),
            desk.host_notes_changed.add(self.notes_changed.emit),
        ]
        self.state_changed.connect(panel.show_state)
        panel.show_state(service.state)
        panel.set_shortcuts(core.settings.effective.shortcuts)
        panel.go_requested.connect(lambda index: tasks.spawn(service.go(index), "rundown-go"))
        panel.next_requested.connect(lambda: tasks.spawn(service.next(), "rundown-go"))
        panel.previous_requested.connect(lambda: tasks.spawn(service.previous(), "rundown-go"))
        panel.end_requested.connect(lambda: tasks.spawn(service.end(), "rundown-end"))
        panel.skip_requested.connect(self._toggle_skip)
        panel.move_requested.connect(lambda index, to: self._call(lambda: service.move_cue(index, to)))
        panel.cue_edit_requested.connect(lambda cue: self._call(lambda: service.update_cue(cue)))
        panel.cue_add_requested.connect(lambda cue, index: self._call(lambda: service.insert_cue(cue, index)))
        panel.cue_remove_requested.connect(lambda index: self._call(lambda: service.remove_cue(index)))
        panel.from_queue_requested.connect(lambda: self._call(desk.from_queue))
        panel.import_requested.connect(lambda path: tasks.spawn(self._import(Path(path)), "rundown-import"))
        panel.export_requested.connect(lambda path: tasks.spawn(desk.export(Path(path)), "rundown-export"))
        panel.records_export_requested.connect(
            lambda path: tasks.spawn(desk.export_records(Path(path)), "rundown-records")
        )
        panel.host_message_requested.connect(lambda text: self._call(lambda: desk.set_message(text)))

    def attach_host_view(self, view: HostView) -> None:
        """Feed the host view (the shell builds and places it)."""
        assert self.core.rundown is not None and self.core.products is not None
        self.host_view = view
        self.state_changed.connect(view.show_rundown)
        self.card_changed.connect(view.show_card)
        self.notes_changed.connect(self._show_notes)
        view.show_rundown(self.core.rundown.service.state)
        view.show_card(self.core.products.show.desired_card())
        self._show_notes(self.core.rundown.host_notes)

    def _show_notes(self, notes: HostNotes) -> None:
        if self.host_view is not None:
            self.host_view.set_questions(notes.questions)
            self.host_view.set_message(notes.message)

    def send_question(self, message: ChatMessage) -> None:
        """The chat panel's "Send to the host view"."""
        assert self.core.rundown is not None
        self.core.rundown.send_question(message)

    def _toggle_skip(self, index: int) -> None:
        assert self.core.rundown is not None
        service = self.core.rundown.service
        records = service.state.records
        skipped = not (0 <= index < len(records) and records[index].status is CueStatus.SKIPPED)
        self._call(lambda: service.skip(index, skipped))

    async def _import(self, path: Path) -> None:
        assert self.core.rundown is not None
        result: RundownImport = await self.core.rundown.import_file(path)
        lines = [f"{result.imported} cue(s) imported from {path.name}."]
        if result.errors:
            lines.append("")
            lines += [str(e) for e in result.errors[:IMPORT_ERRORS_SHOWN]]
            if len(result.errors) > IMPORT_ERRORS_SHOWN:
                lines.append(f"… and {len(result.errors) - IMPORT_ERRORS_SHOWN} more")
        if not result.imported:
            lines.append("The rundown was left as it was.")
        self.import_finished.emit("Rundown import", "\n".join(lines))

    def _call(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as exc:
            self.core.report_error(exc)

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
