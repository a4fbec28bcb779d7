"""The one place where domain events become Qt signals and UI intents become service calls."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

from studio_console.domain.obs_state import ConnectionStatus, ObsSnapshot
from studio_console.obs.session import ObsSession
from studio_console.qt.tasks import TaskKeeper
from studio_console.qt.views.scene_panel import ScenePanel
from studio_console.services.starter_scenes import install_starter_scenes
from studio_console.services.switcher import SceneSwitcher
from studio_console.services.thumbnails import SceneThumbnails
from studio_console.settings.model import Settings

log = logging.getLogger(__name__)


class StudioBridge(QObject):
    """Connects the core's services to the window.

    Signals:
        obs_changed(object): a new ObsSnapshot (on the UI thread).
        thumbnail_ready(str, QImage): a fresh thumbnail of a scene.
        error_reported(str): an action failed; a sentence for the operator.
    """

    obs_changed = Signal(object)
    thumbnail_ready = Signal(str, QImage)
    error_reported = Signal(str)

    def __init__(self, session: ObsSession, settings: Settings, window: Any, demo: bool = False) -> None:
        super().__init__()
        self.session = session
        self.settings = settings
        self.window = window
        self.demo = demo
        self.tasks = TaskKeeper()
        self.switcher = SceneSwitcher(session, on_error=self._report)
        self.thumbnails = SceneThumbnails(session, self._thumbnail_arrived)
        self._starter_done = False

        self.scene_panel = ScenePanel(settings.shortcuts)
        window.set_panel("Scenes", self.scene_panel)
        self._unsubscribe = session.subscribe(self.obs_changed.emit)
        self.obs_changed.connect(self._on_snapshot)
        self.thumbnail_ready.connect(self.scene_panel.set_thumbnail)
        self.error_reported.connect(lambda text: window.statusBar().showMessage(text, 8000))

        panel = self.scene_panel
        panel.scene_requested.connect(self.switcher.switch)
        panel.take_requested.connect(lambda: self._run(self.switcher.take(), "take"))
        panel.studio_mode_requested.connect(lambda on: self._run(self.switcher.set_studio_mode(on), "studio-mode"))
        panel.transition_requested.connect(lambda name: self._run(self.switcher.set_transition(name), "transition"))
        panel.transition_duration_requested.connect(
            lambda ms: self._run(self.switcher.set_transition_duration(ms), "transition-duration", latest=True)
        )
        panel.orientation_requested.connect(self._confirm_orientation)
        panel.visibility_changed.connect(self.thumbnails.set_visible)
        window.reconnect_requested.connect(session.retry_now)

    def start(self) -> None:
        self.session.start()
        self.thumbnails.set_visible(self.scene_panel.isVisible())
        self.tasks.spawn(self.thumbnails.run(), "scene-thumbnails")
        self._on_snapshot(self.session.snapshot)

    def _run(self, coro: Any, name: str, latest: bool = False) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception as exc:
                self._report(exc)

        self.tasks.spawn(guarded(), name, latest_wins_key=name if latest else None)

    def _report(self, exc: Exception) -> None:
        log.warning("%s", exc)
        self.error_reported.emit(str(exc))

    def _on_snapshot(self, snap: ObsSnapshot) -> None:
        self.window.show_obs_state(snap)
        self.scene_panel.show_state(snap)
        if self.demo and not self._starter_done and snap.connection.status is ConnectionStatus.CONNECTED:
            self._starter_done = True
            self._run(install_starter_scenes(self.session), "starter-scenes")

    def _thumbnail_arrived(self, scene: str, data: bytes) -> None:
        image = QImage.fromData(data)
        if not image.isNull():
            self.thumbnail_ready.emit(scene, image)

    def _confirm_orientation(self, vertical: bool) -> None:
        from PySide6.QtWidgets import QMessageBox

        shape = "vertical 9:16 (TikTok LIVE)" if vertical else "landscape 16:9"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Change canvas orientation",
            f"Switch OBS's canvas to {shape}? Sources keep their positions and may need re-framing.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)

        def answered(button: int) -> None:
            if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes:
                self._run(self.switcher.set_orientation(vertical), "orientation")
            else:
                self.scene_panel.show_state(self.session.snapshot)

        box.finished.connect(answered)
        box.open()

    async def shutdown(self) -> None:
        self._unsubscribe()
        await self.switcher.shutdown()
        await self.tasks.shutdown()
        await self.session.stop()
