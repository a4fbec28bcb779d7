"""Start and stop OBS's stream and recording, never issuing a second start while one is under way."""

from __future__ import annotations

import logging

from studio_console.domain.obs_state import OutputPhase
from studio_console.obs.errors import ObsError
from studio_console.obs.session import ObsSession

log = logging.getLogger(__name__)


class OutputBusy(ObsError):
    """A start or stop of that output is already in progress."""


class OutputControl:
    """Stream and record on/off. State comes from OBS's events (StartStream answers before it knows)."""

    def __init__(self, session: ObsSession) -> None:
        self.session = session
        self._in_flight: set[str] = set()
        self.start_requests = 0  # StartStream calls sent (tests check there is never a duplicate)

    async def _call(self, output: str, request_type: str) -> None:
        if output in self._in_flight:
            raise OutputBusy(f"the {output} is already being started or stopped")
        self._in_flight.add(output)
        try:
            await self.session.request(request_type)
        finally:
            self._in_flight.discard(output)

    async def start_stream(self) -> None:
        phase = self.session.snapshot.stream.phase
        if phase is not OutputPhase.STOPPED:
            raise OutputBusy(f"the stream is already {phase.value}")
        self.start_requests += 1
        await self._call("stream", "StartStream")

    async def stop_stream(self) -> None:
        if self.session.snapshot.stream.phase is OutputPhase.STOPPED:
            return
        await self._call("stream", "StopStream")

    async def start_record(self) -> None:
        phase = self.session.snapshot.record.phase
        if phase is not OutputPhase.STOPPED:
            raise OutputBusy(f"the recording is already {phase.value}")
        await self._call("recording", "StartRecord")

    async def stop_record(self) -> None:
        if self.session.snapshot.record.phase is OutputPhase.STOPPED:
            return
        await self._call("recording", "StopRecord")

    async def set_mute(self, input_name: str, muted: bool) -> None:
        await self.session.request("SetInputMute", {"inputName": input_name, "inputMuted": muted})

    async def set_volume(self, input_name: str, volume_mul: float) -> None:
        await self.session.request("SetInputVolume", {"inputName": input_name, "inputVolumeMul": max(0.0, volume_mul)})
