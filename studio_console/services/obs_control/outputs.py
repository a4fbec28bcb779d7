"""Start and stop OBS's recording, mute and volume; the stream itself goes live through services/golive.py."""

from __future__ import annotations

import logging
import time

from studio_console.domain.obs_state import ObsSnapshot, OutputPhase
from studio_console.obs.errors import ObsError
from studio_console.obs.requests import Command, SetInputMute, SetInputVolume, StartRecord, StopRecord
from studio_console.obs.session import ObsSession

log = logging.getLogger(__name__)


class OutputBusy(ObsError):
    """A start or stop of that output is already in progress."""


class OutputControl:
    """Recording on/off, mute and volume. State comes from OBS's events (a start is answered before it is known)."""

    # OBS answers a start request before its STARTING event; until that event (or this long) a start
    # is still under way (a second start on top of the first can kill OBS 29).
    START_GRACE_S = 15.0

    def __init__(self, session: ObsSession) -> None:
        self.session = session
        self._in_flight: set[str] = set()
        self._started_at: dict[str, float] = {}
        session.subscribe(self._on_snapshot)

    def _on_snapshot(self, snap: ObsSnapshot) -> None:
        if snap.record.phase is not OutputPhase.STOPPED or not snap.connection.connected:
            self._started_at.pop("recording", None)

    def _check_can_start(self, output: str, phase: OutputPhase) -> None:
        if phase is not OutputPhase.STOPPED:
            raise OutputBusy(f"the {output} is already {phase.value}")
        started = self._started_at.get(output)
        if output in self._in_flight or (started is not None and time.monotonic() - started < self.START_GRACE_S):
            raise OutputBusy(f"the {output} is already starting")

    async def _start(self, output: str, request: Command) -> None:
        self._started_at[output] = time.monotonic()
        try:
            await self._call(output, request)
        except BaseException:
            self._started_at.pop(output, None)
            raise

    async def _call(self, output: str, request: Command) -> None:
        if output in self._in_flight:
            raise OutputBusy(f"the {output} is already being started or stopped")
        self._in_flight.add(output)
        try:
            await self.session.call(request)
        finally:
            self._in_flight.discard(output)

    async def start_record(self) -> None:
        self._check_can_start("recording", self.session.snapshot.record.phase)
        await self._start("recording", StartRecord())

    async def stop_record(self) -> None:
        if self.session.snapshot.record.phase is OutputPhase.STOPPED:
            return
        await self._call("recording", StopRecord())

    async def set_mute(self, input_name: str, muted: bool) -> None:
        await self.session.call(SetInputMute(input_name, muted))

    async def set_volume(self, input_name: str, volume_mul: float) -> None:
        await self.session.call(SetInputVolume(input_name, max(0.0, volume_mul)))
