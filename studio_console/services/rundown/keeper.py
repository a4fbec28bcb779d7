"""Keeps the run of show on disk: every edit is saved atomically off the loop, and it is back after a restart."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from studio_console.domain.rundown import Rundown, RundownState
from studio_console.kernel.debounce import Debounced
from studio_console.services.rundown.service import RundownService
from studio_console.settings.atomic import corrupt_aside_path, write_text_atomic

log = logging.getLogger(__name__)

RUNDOWN_FILE = "rundown.json"
# A rundown of a few hundred cues is a few hundred kB; anything far larger is not a rundown.
MAX_FILE_BYTES = 16 * 1024 * 1024


class RundownFileError(Exception):
    """The saved rundown could not be read or written; the message names the file and what is wrong."""


def load_rundown(path: Path) -> Rundown | None:
    """The rundown saved at ``path``; None when there is none. An unusable file is kept aside, then reported."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RundownFileError(f"Could not read the saved run of show {path}: {exc.strerror or exc}") from exc
    problem: str
    try:
        if size > MAX_FILE_BYTES:
            problem = f"it is {size / 1e6:.0f} MB, far beyond any run of show"
        else:
            return Rundown.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "the top level"
        problem = f"{first.get('msg', 'invalid')} at {where}"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = str(exc)
    aside = corrupt_aside_path(path)
    try:
        path.replace(aside)
    except OSError:
        aside = path
    raise RundownFileError(
        f"The saved run of show {path} could not be used ({problem}); it was kept as {aside.name} "
        "and the show starts with an empty run of show."
    )


class RundownKeeper:
    """Saves the service's rundown a moment after each edit (never the timers, which tick every second).

    ``on_error`` hears a failed save (disk full...); editing goes on, and the next edit tries again.
    """

    def __init__(
        self,
        service: RundownService,
        path: Path,
        *,
        delay_s: float = 0.5,
        on_error: Callable[[RundownFileError], None] | None = None,
    ) -> None:
        self.service = service
        self.path = path
        self.delay_s = delay_s
        self.on_error = on_error
        self._saved: Rundown | None = service.rundown
        self._debounced = Debounced(self.save, delay_s, "rundown-save")
        self._unsubscribe = service.subscribe(self._changed)

    def _changed(self, state: RundownState) -> None:
        # The state is published every second while a cue is live; only a new rundown object is an edit.
        if state.rundown is self._saved:
            return
        self._saved = state.rundown
        self._debounced.poke()

    async def save(self) -> None:
        """Write the current rundown now; a failure goes to ``on_error``, never to the caller."""
        text = self.service.rundown.model_dump_json(indent=1)
        try:
            await asyncio.to_thread(write_text_atomic, self.path, text)
        except OSError as exc:
            error = RundownFileError(f"Could not save the run of show to {self.path}: {exc.strerror or exc}")
            log.error("%s", error)
            if self.on_error is not None:
                try:
                    self.on_error(error)
                except Exception:
                    log.exception("rundown save error handler failed")

    async def close(self) -> None:
        """Write a pending edit now (the app is quitting)."""
        self._unsubscribe()
        await self._debounced.flush()
