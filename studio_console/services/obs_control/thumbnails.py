"""Screenshot feeds from OBS (scene thumbnails, program monitor): one at a time, throttled, paused when unseen."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from studio_console.obs.errors import ObsError
from studio_console.obs.requests import GetSourceScreenshot
from studio_console.obs.session import ObsSession

log = logging.getLogger(__name__)


class ScreenshotFeed:
    """Round-robin screenshots of the sources ``pick()`` names; ``on_thumbnail(name, jpeg)``.

    The next screenshot is asked for only after the previous answer, so requests never pile up.
    """

    def __init__(
        self,
        session: ObsSession,
        on_thumbnail: Callable[[str, bytes], None],
        width: int = 192,
        interval_s: float = 0.3,
        pick: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        self.session = session
        self.on_thumbnail = on_thumbnail
        self.width = width
        self.interval_s = interval_s
        self.pick = pick or (lambda: self.session.snapshot.scenes)
        self._visible = asyncio.Event()
        self._index = 0

    def set_visible(self, visible: bool) -> None:
        """Pause while the panel is hidden: screenshots cost OBS a GPU readback each."""
        if visible:
            self._visible.set()
        else:
            self._visible.clear()

    async def run(self) -> None:
        while True:
            await self._visible.wait()
            scenes = [s for s in self.pick() if s]
            if not self.session.connected or not scenes:
                await asyncio.sleep(self.interval_s)
                continue
            scene = scenes[self._index % len(scenes)]
            self._index += 1
            await self.capture(scene)
            await asyncio.sleep(self.interval_s)

    async def capture(self, scene: str) -> bytes | None:
        try:
            image = await self.session.call(GetSourceScreenshot(scene, "jpg", width=self.width, quality=70))
        except ObsError as exc:
            log.debug("thumbnail of %r failed: %s", scene, exc)
            return None
        if image:
            self.on_thumbnail(scene, image)
        return image
