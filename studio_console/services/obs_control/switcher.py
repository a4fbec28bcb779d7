"""The producer's switcher: program/preview scene, Take, transitions, studio mode, canvas orientation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from studio_console.obs.errors import ObsError
from studio_console.obs.requests import (
    SetCurrentPreviewScene,
    SetCurrentProgramScene,
    SetCurrentSceneTransition,
    SetCurrentSceneTransitionDuration,
    SetStudioModeEnabled,
    SetVideoSettings,
    TriggerStudioModeTransition,
)
from studio_console.obs.session import ObsSession

log = logging.getLogger(__name__)

Target = Literal["program", "preview"]


class UnknownScene(ObsError):
    """The scene named does not exist in OBS."""


class PreviewUnavailable(ObsError):
    """Preview and Take need studio mode."""


class SceneSwitcher:
    """Scene changes go out latest-wins, one stream per target, so rapid clicks never queue."""

    def __init__(self, session: ObsSession, on_error: Callable[[Exception], None] | None = None) -> None:
        from studio_console.kernel.tasks import LatestWins

        self.session = session
        self._on_error = on_error or (lambda exc: log.error("%s", exc))
        self._program = LatestWins(self._set_program, self._on_error)
        self._preview = LatestWins(self._set_preview, self._on_error)

    def switch(self, scene: str, target: Target | None = None) -> None:
        """Put ``scene`` on program, or on preview (the default in studio mode)."""
        if target is None:
            target = "preview" if self.session.snapshot.studio_mode else "program"
        if target == "preview":
            self._preview.submit(scene)
        else:
            self._program.submit(scene)

    async def apply(self, scene: str, target: Target | None = None) -> None:
        """Switch now and wait for OBS's answer; errors are raised (remote control)."""
        if target is None:
            target = "preview" if self.session.snapshot.studio_mode else "program"
        if scene not in self.session.snapshot.scenes:
            raise UnknownScene(f"OBS has no scene named {scene!r}")
        await (self._set_preview(scene) if target == "preview" else self._set_program(scene))

    async def _set_program(self, scene: str) -> None:
        await self.session.call(SetCurrentProgramScene(scene))

    async def _set_preview(self, scene: str) -> None:
        if not self.session.snapshot.studio_mode:
            raise PreviewUnavailable("Preview needs studio mode; turn studio mode on first")
        await self.session.call(SetCurrentPreviewScene(scene))

    async def take(self) -> None:
        """Studio mode: preview goes to program with the current transition. Otherwise nothing to take."""
        if not self.session.snapshot.studio_mode:
            raise PreviewUnavailable("Take needs studio mode (there is no preview to take)")
        await self.session.call(TriggerStudioModeTransition())

    async def set_studio_mode(self, enabled: bool) -> None:
        await self.session.call(SetStudioModeEnabled(enabled))

    async def set_transition(self, name: str) -> None:
        await self.session.call(SetCurrentSceneTransition(name))

    async def set_transition_duration(self, ms: int) -> None:
        await self.session.call(SetCurrentSceneTransitionDuration(int(ms)))

    async def set_orientation(self, vertical: bool) -> None:
        """Swap the canvas to 9:16 (vertical, TikTok) or 16:9, keeping its pixel count class."""
        video = self.session.snapshot.video
        if video is None:
            await self.session.refresh_video()
            video = self.session.snapshot.video
        assert video is not None
        if video.vertical == vertical:
            return
        await self.session.call(
            SetVideoSettings(
                base_width=video.base_height,
                base_height=video.base_width,
                output_width=video.output_height,
                output_height=video.output_width,
            )
        )
        await self.session.refresh_video()

    async def shutdown(self) -> None:
        await self._program.cancel()
        await self._preview.cancel()
