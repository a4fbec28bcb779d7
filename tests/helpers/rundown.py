"""Hand-written stand-ins for the run of show: a clock the test moves, a stage that records pictures."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from studio_console.services.rundown.service import CuePicture
from studio_console.services.rundown.timer import Clock

BERLIN = ZoneInfo("Europe/Berlin")


class FakeClock:
    """A monotonic and a wall clock that move only when told; ``jump_wall`` steps the wall alone (NTP)."""

    def __init__(self, wall: datetime | None = None) -> None:
        self.mono = 1000.0
        self.wall_time = wall or datetime(2026, 12, 1, 19, 0, 0, tzinfo=BERLIN)

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall_time = self.wall_time + timedelta(seconds=seconds)

    def jump_wall(self, seconds: float) -> None:
        self.wall_time = self.wall_time + timedelta(seconds=seconds)

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> datetime:
        return self.wall_time

    @property
    def clock(self) -> Clock:
        return Clock(monotonic=self.monotonic, wall=self.wall)

    async def never(self, _seconds: float) -> None:
        """A sleep that never ends: only the test's ``tick()`` calls move the show."""
        await asyncio.Event().wait()

    async def sleep(self, seconds: float) -> None:
        """A sleep that moves this clock instead of waiting (the ticker runs as fast as the loop)."""
        self.advance(seconds)
        await asyncio.sleep(0)


class RecordingStage:
    """Implements CueStage by recording each picture; ``fail`` makes OBS refuse; ``hold`` keeps show() waiting."""

    def __init__(self) -> None:
        self.shown: list[CuePicture] = []
        self.prepared: list[CuePicture] = []
        self.fail: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def prepare(self, picture: CuePicture) -> None:
        self.prepared.append(picture)

    async def show(self, picture: CuePicture) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        self.shown.append(picture)

    @property
    def last(self) -> CuePicture:
        return self.shown[-1]
