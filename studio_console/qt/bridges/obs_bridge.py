"""OBS control on screen: the session's snapshots, thumbnails, monitor pictures and meters; switcher intents."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from studio_console.core import StudioCore
from studio_console.domain.obs_state import ObsSnapshot
from studio_console.obs.events import InputVolumeMeters, ObsEvent
from studio_console.qt.views.audio_strip import AudioStrip
from studio_console.qt.views.scene_panel import ScenePanel
from studio_console.qt.views.show_controls import ShowControls


class ObsBridge(QObject):
    """Translates between the core's OBS services and the scene panel, show controls and audio strip.

    Signals:
        obs_changed(object): a new ObsSnapshot (on the UI thread).
        thumbnail_ready(str, QImage): a fresh thumbnail of a scene.
        monitor_ready(str, QImage): a fresh, larger picture of the program or preview scene.
        levels_changed(object): dict of input name -> (magnitude, peak) from OBS's meters.
        error_reported(str): an action failed; a sentence for the operator.
    """

    obs_changed = Signal(object)
    thumbnail_ready = Signal(str, QImage)
    monitor_ready = Signal(str, QImage)
    levels_changed = Signal(object)
    error_reported = Signal(str)

    def __init__(
        self, core: StudioCore, scene_panel: ScenePanel, show_controls: ShowControls, audio_strip: AudioStrip
    ) -> None:
        super().__init__()
        self.core = core
        self.session = core.session
        self.scene_panel = scene_panel
        self.show_controls = show_controls
        self.audio_strip = audio_strip
        switcher, outputs, tasks = core.switcher, core.outputs, core.tasks
        self._unsubscribe = [
            self.session.subscribe(self.obs_changed.emit),
            self.session.subscribe_obs_events(self._on_obs_event),
            core.thumbnail_images.add(self._image_arrived(self.thumbnail_ready)),
            core.monitor_images.add(self._image_arrived(self.monitor_ready)),
        ]
        self.obs_changed.connect(self._on_snapshot)
        self.thumbnail_ready.connect(scene_panel.set_thumbnail)
        self.monitor_ready.connect(show_controls.set_monitor_image)
        self.levels_changed.connect(audio_strip.set_levels)

        scene_panel.scene_requested.connect(switcher.switch)
        scene_panel.take_requested.connect(lambda: self.run(switcher.take(), "take"))
        scene_panel.studio_mode_requested.connect(lambda on: self.run(switcher.set_studio_mode(on), "studio-mode"))
        scene_panel.transition_requested.connect(lambda name: self.run(switcher.set_transition(name), "transition"))
        scene_panel.transition_duration_requested.connect(
            lambda ms: tasks.latest("transition-duration", lambda: switcher.set_transition_duration(ms))
        )
        scene_panel.visibility_changed.connect(core.thumbnails.set_visible)

        show_controls.record_requested.connect(
            lambda start: self.run(outputs.start_record() if start else outputs.stop_record(), "record")
        )
        show_controls.visibility_changed.connect(core.monitor_feed.set_visible)

        audio_strip.mute_requested.connect(lambda name, on: self.run(outputs.set_mute(name, on), f"mute-{name}"))
        audio_strip.volume_requested.connect(
            lambda name, mul: tasks.latest(f"volume-{name}", lambda: outputs.set_volume(name, mul))
        )
        audio_strip.visibility_changed.connect(lambda on: tasks.latest("meters", lambda: self.session.set_meters(on)))

    def run(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run a service call; a failure reaches the core's problems channel, never a crash."""
        self.core.tasks.spawn(coro, name)

    def set_orientation(self, vertical: bool) -> None:
        self.run(self.core.switcher.set_orientation(vertical), "orientation")

    def show_current(self) -> None:
        """Repaint from the current snapshot (a cancelled question put a control back)."""
        self._on_snapshot(self.session.snapshot)

    def start_feeds(self) -> None:
        self.core.thumbnails.set_visible(self.scene_panel.isVisible())
        self.core.monitor_feed.set_visible(self.show_controls.isVisible())

    def _on_snapshot(self, snap: ObsSnapshot) -> None:
        self.scene_panel.show_state(snap)
        self.show_controls.show_state(snap)
        self.audio_strip.show_state(snap)

    def _on_obs_event(self, event: ObsEvent) -> None:
        if isinstance(event, InputVolumeMeters):
            self.levels_changed.emit(dict(event.levels))

    @staticmethod
    def _image_arrived(signal: Any) -> Callable[[str, bytes], None]:
        def arrived(scene: str, data: bytes) -> None:
            image = QImage.fromData(data)
            if not image.isNull():
                signal.emit(scene, image)

        return arrived

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
