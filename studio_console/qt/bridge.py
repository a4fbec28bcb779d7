"""The one place where domain events become Qt signals and UI intents become service calls."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from studio_console.adapters.http_server import JsonHttpServer
from studio_console.domain.card import CardLayout, card_rect
from studio_console.domain.chat import ChatHubSnapshot, ChatMessage
from studio_console.domain.obs_state import ConnectionStatus, ObsSnapshot
from studio_console.domain.show import AtZero
from studio_console.domain.stream import OutputStatus
from studio_console.obs.session import ObsSession
from studio_console.qt.models.chat_model import ChatModel
from studio_console.qt.render.card_renderer import png_bytes
from studio_console.qt.render.comment_card import render_alert_card, render_comment_card
from studio_console.qt.tasks import TaskKeeper
from studio_console.qt.views.audio_strip import AudioStrip, levels_from_meter_event
from studio_console.qt.views.chat_panel import ChatPanel
from studio_console.qt.views.output_panel import OutputPanel
from studio_console.qt.views.products_panel import ProductsPanel
from studio_console.qt.views.scene_panel import ScenePanel
from studio_console.qt.views.show_controls import ShowControls
from studio_console.services.chat.hub import ChatHub
from studio_console.services.golive.service import GoLiveService
from studio_console.services.obs_control.outputs import OutputControl
from studio_console.services.obs_control.starter_scenes import STARTER_SCENES, install_starter_scenes
from studio_console.services.obs_control.switcher import SceneSwitcher
from studio_console.services.obs_control.thumbnails import ScreenshotFeed
from studio_console.services.products.keeper import ProductDesk
from studio_console.services.remote.chat_endpoints import ChatApi
from studio_console.services.remote.control import RemoteControl
from studio_console.settings.model import Settings

log = logging.getLogger(__name__)

FEATURED_SLOT = "featured_comment"
ALERT_SLOT = "alert"


class StudioBridge(QObject):
    """Connects the core's services to the window.

    Signals:
        obs_changed(object): a new ObsSnapshot (on the UI thread).
        thumbnail_ready(str, QImage): a fresh thumbnail of a scene.
        monitor_ready(str, QImage): a fresh, larger picture of the program or preview scene.
        levels_changed(object): dict of input name -> (magnitude, peak) from OBS's meters.
        output_changed(object): a new OutputStatus of the go-live service.
        local_thumbnail_ready(object): a Thumbnail of what the local test server received.
        show_changed(object): a new ShowState (pinned product, flash sale, queue).
        catalog_changed(object): the catalog changed (import, edit, stock).
        settings_changed(): a setting changed here (card layout, card scenes); the app saves it.
        error_reported(str): an action failed; a sentence for the operator.
    """

    obs_changed = Signal(object)
    thumbnail_ready = Signal(str, QImage)
    monitor_ready = Signal(str, QImage)
    levels_changed = Signal(object)
    output_changed = Signal(object)
    local_thumbnail_ready = Signal(object)
    show_changed = Signal(object)
    catalog_changed = Signal(object)
    settings_changed = Signal()
    error_reported = Signal(str)

    def __init__(
        self,
        session: ObsSession,
        settings: Settings,
        window: Any,
        demo: bool = False,
        remote_token: str | None = None,
        golive: GoLiveService | None = None,
        recordings_dir: Path | None = None,
        products: ProductDesk | None = None,
        chat: ChatHub | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.settings = settings
        self.window = window
        self.demo = demo
        self.tasks = TaskKeeper()
        self.switcher = SceneSwitcher(session, on_error=self._report)
        self.outputs = OutputControl(session)
        self.golive = golive
        self.recordings_dir = recordings_dir
        self.products = products
        self.chat = chat
        self._alerts: deque[ChatMessage] = deque(maxlen=5)
        self._alerts_running = False
        self._featured_on_air: str | None = None
        self.thumbnails = ScreenshotFeed(session, self._image_arrived(self.thumbnail_ready))
        self.monitor_feed = ScreenshotFeed(
            session, self._image_arrived(self.monitor_ready), width=640, interval_s=0.4, pick=self._monitored_scenes
        )
        self._starter_done = False
        self.remote_server: JsonHttpServer | None = None
        self.remote: RemoteControl | None = None
        if remote_token and settings.remote.enabled:
            self.remote_server = JsonHttpServer(remote_token, port=settings.remote.port)
            self.remote = RemoteControl(self.remote_server, session, self.switcher)
            if golive is not None:
                self.remote.attach_golive(golive)
            if products is not None:
                self.remote.attach_products(products.show, products.keeper, products.overlay.scene_name)
            if chat is not None:
                chat_api = ChatApi(self.remote_server, chat)
                self.remote.add_state_section("chat", chat_api.state)

        self.scene_panel = ScenePanel(settings.shortcuts)
        self.show_controls = ShowControls()
        self.audio_strip = AudioStrip()
        window.set_panel("Scenes", self.scene_panel)
        window.setCentralWidget(self.show_controls)
        window.add_dock("Audio", self.audio_strip, Qt.DockWidgetArea.BottomDockWidgetArea, tabify_with="Log")
        self.output_panel: OutputPanel | None = None
        if golive is not None:
            self._wire_output(golive, window)
        self.products_panel: ProductsPanel | None = None
        if products is not None:
            self._wire_products(products, window)
        self.chat_panel: ChatPanel | None = None
        if chat is not None:
            self._wire_chat(chat, window)

        self._unsubscribe = [session.subscribe(self.obs_changed.emit), session.subscribe_events(self._on_obs_event)]
        self.obs_changed.connect(self._on_snapshot)
        self.thumbnail_ready.connect(self.scene_panel.set_thumbnail)
        self.monitor_ready.connect(self.show_controls.set_monitor_image)
        self.levels_changed.connect(self.audio_strip.set_levels)
        self.error_reported.connect(lambda text: window.statusBar().showMessage(text, 8000))

        panel = self.scene_panel
        panel.scene_requested.connect(self.switcher.switch)
        panel.take_requested.connect(lambda: self.run(self.switcher.take(), "take"))
        panel.studio_mode_requested.connect(lambda on: self.run(self.switcher.set_studio_mode(on), "studio-mode"))
        panel.transition_requested.connect(lambda name: self.run(self.switcher.set_transition(name), "transition"))
        panel.transition_duration_requested.connect(
            lambda ms: self.run(self.switcher.set_transition_duration(ms), "transition-duration", latest=True)
        )
        panel.orientation_requested.connect(self._confirm_orientation)
        panel.visibility_changed.connect(self.thumbnails.set_visible)

        controls = self.show_controls
        controls.stream_requested.connect(self._stream_requested)
        controls.record_requested.connect(
            lambda start: self.run(self.outputs.start_record() if start else self.outputs.stop_record(), "record")
        )
        controls.visibility_changed.connect(self.monitor_feed.set_visible)

        strip = self.audio_strip
        strip.mute_requested.connect(lambda name, on: self.run(self.outputs.set_mute(name, on), f"mute-{name}"))
        strip.volume_requested.connect(
            lambda name, mul: self.run(self.outputs.set_volume(name, mul), f"volume-{name}", latest=True)
        )
        strip.visibility_changed.connect(lambda on: self.run(self.session.set_meters(on), "meters", latest=True))
        window.reconnect_requested.connect(session.retry_now)

    def _wire_output(self, golive: GoLiveService, window: Any) -> None:
        panel = OutputPanel()
        self.output_panel = panel
        window.set_panel("Output", panel, scrollable=True)
        self._unsubscribe_output = [
            golive.subscribe(self.output_changed.emit),
            golive.subscribe_thumbnails(self.local_thumbnail_ready.emit),
        ]
        self.output_changed.connect(self._on_output_status)
        self.local_thumbnail_ready.connect(panel.show_thumbnail)
        panel.destination_requested.connect(lambda sink_id: self._call(lambda: golive.select(sink_id)))
        panel.server_url_requested.connect(lambda sid, url: self.run(golive.set_server_url(sid, url), "server-url"))
        panel.stream_key_requested.connect(lambda sid, key: self._call(lambda: golive.set_stream_key(sid, key)))
        panel.preflight_requested.connect(lambda sid: self.run(self._preflight(sid), "preflight", latest=True))
        panel.go_live_requested.connect(self._go_live)
        panel.go_live_confirmed.connect(lambda token: self.run(golive.start(token), "go-live"))
        panel.stop_requested.connect(lambda: self._stream_requested(False))
        panel.thumbnails_requested.connect(golive.set_local_thumbnails)
        panel.recording_requested.connect(self._local_recording)
        self._on_output_status(golive.status)

    def _wire_products(self, desk: ProductDesk, window: Any) -> None:
        show, keeper = desk.show, desk.keeper
        panel = ProductsPanel()
        self.products_panel = panel
        self.scene_panel.hidden_scenes.add(desk.overlay.scene_name)
        window.set_panel("Products", panel, scrollable=True)
        panel.set_catalog(show.catalog)
        panel.show_state(show.state)
        self._unsubscribe_products = [
            show.subscribe(self.show_changed.emit),
            show.subscribe_catalog(self.catalog_changed.emit),
        ]
        self.show_changed.connect(panel.show_state)
        self.catalog_changed.connect(panel.set_catalog)
        panel.pin_requested.connect(lambda sku: self.run(show.pin(sku), "pin", latest=True))
        panel.unpin_requested.connect(lambda: self.run(show.unpin(), "pin", latest=True))
        panel.next_requested.connect(lambda: self.run(show.next_product(), "pin", latest=True))
        panel.queue_requested.connect(lambda skus: self._call(lambda: show.set_queue(skus)))
        panel.flash_sale_requested.connect(
            lambda sku, price, seconds, at_zero: self.run(
                show.start_flash_sale(sku or None, price, seconds, AtZero(at_zero)), "flash-sale"
            )
        )
        panel.flash_sale_stop_requested.connect(lambda: self.run(show.stop_flash_sale(), "flash-sale"))
        panel.stock_change_requested.connect(lambda sku, delta: self.run(show.adjust_stock(sku, delta), f"stock-{sku}"))
        panel.product_edit_requested.connect(lambda product: self.run(show.update_product(product), "edit-product"))
        panel.layout_requested.connect(self._layout_requested)
        panel.import_requested.connect(lambda path: self.run(self._import(Path(path)), "import"))
        panel.export_requested.connect(lambda path: self.run(keeper.export_file(Path(path)), "export"))

    def _wire_chat(self, hub: ChatHub, window: Any) -> None:
        # The hub calls back on the loop, which is the UI thread: the model is fed directly.
        self.chat_model = ChatModel(capacity=self.settings.chat.scrollback)
        panel = ChatPanel(self.chat_model)
        self.chat_panel = panel
        window.set_panel("Chat", panel)
        self._unsubscribe_chat = [
            hub.subscribe(self.chat_model.append),
            hub.subscribe_snapshot(self._chat_snapshot),
            hub.subscribe_removed(self._chat_removed),
            hub.subscribe_alerts(self._chat_alert),
        ]
        panel.feature_requested.connect(lambda message_id: self._call(lambda: hub.feature(message_id)))
        panel.unfeature_requested.connect(hub.unfeature)
        panel.dismiss_question_requested.connect(
            lambda message_id: self._call(lambda: hub.dismiss_question(message_id))
        )
        panel.block_user_requested.connect(self._block_user)

    def _chat_removed(self, message_ids: tuple[str, ...]) -> None:
        self.chat_model.remove_ids(message_ids)

    def _block_user(self, platform: str, user: str) -> None:
        assert self.chat is not None
        self.chat.block_user(platform, user)
        self.settings.chat.rules = self.chat.rules  # blocked users are kept for the next show
        self.settings_changed.emit()

    def _chat_snapshot(self, snapshot: ChatHubSnapshot) -> None:
        if self.chat_panel is not None:
            self.chat_panel.show_snapshot(snapshot)
        featured = snapshot.featured
        featured_id = featured.message_id if featured is not None else None
        if featured_id != self._featured_on_air and self.products is not None:
            self._featured_on_air = featured_id
            self.run(self._put_featured(featured), "featured-comment", latest=True)

    def _above_product_card(self, rect: QRectF, width: int, height: int) -> tuple[int, int]:
        """Where a lower-left chat card goes: above a lower-third product card, never over it."""
        x, y = round(rect.x()), round(rect.y())
        if self.settings.products.card_layout == CardLayout.LOWER_THIRD.value:
            product = card_rect(CardLayout.LOWER_THIRD, width, height)
            y = min(y, product.y - round(height * 0.02) - round(rect.height()))
        return x, max(0, y)

    async def _put_featured(self, message: ChatMessage | None) -> None:
        assert self.products is not None
        overlay = self.products.overlay
        if message is None:
            await overlay.hide(FEATURED_SLOT)
            return
        width, height = await overlay.canvas_size()
        image, rect = render_comment_card(message, QSize(width, height))
        png = png_bytes(image.copy(rect.toAlignedRect()))
        await overlay.show(FEATURED_SLOT, png, self._above_product_card(rect, width, height))

    def _chat_alert(self, message: ChatMessage) -> None:
        """Gifts, follows and cheers go on air one after another; a flood keeps only the latest few."""
        if self.products is None or not self.settings.chat.alerts_on_air:
            return
        self._alerts.append(message)
        if not self._alerts_running:
            self._alerts_running = True
            self.run(self._play_alerts(), "chat-alerts")

    async def _play_alerts(self) -> None:
        assert self.products is not None
        overlay = self.products.overlay
        try:
            while self._alerts:
                message = self._alerts.popleft()
                width, height = await overlay.canvas_size()
                image, rect = render_alert_card(message, QSize(width, height))
                aligned = rect.toAlignedRect()
                await overlay.show(ALERT_SLOT, png_bytes(image.copy(aligned)), (aligned.x(), aligned.y()))
                await asyncio.sleep(self.settings.chat.alert_seconds)
            await overlay.hide(ALERT_SLOT)
        finally:
            self._alerts_running = False

    def _layout_requested(self, layout: str) -> None:
        assert self.products is not None
        self.settings.products.card_layout = CardLayout(layout).value
        self.run(self.products.show.set_layout(CardLayout(layout)), "card-layout")
        self.settings_changed.emit()

    async def _import(self, path: Path) -> None:
        assert self.products is not None
        result = await self.products.keeper.import_file(path)
        lines = [f"Imported {result.imported} products from {path.name}."]
        if result.failed:
            lines.append(f"{len(result.failed)} rows were not imported:")
            lines += [str(e) for e in result.failed[:30]]
            if len(result.failed) > 30:
                lines.append(f"… and {len(result.failed) - 30} more (see the Log panel).")
        if result.warnings:
            lines.append(f"{len(result.warnings)} warnings (see the Log panel).")
        for problem in result.errors:
            log.info("import: %s", problem)
        self.window.show_notice("Import finished", "\n".join(lines))

    async def place_cards(self, scenes: list[str]) -> None:
        """Nest the overlay into ``scenes`` and out of the scenes no longer chosen."""
        assert self.products is not None
        overlay = self.products.overlay
        previous = list(self.settings.products.card_scenes)
        self.settings.products.card_scenes = list(scenes)
        self.settings_changed.emit()
        removed = [s for s in previous if s not in scenes]
        if removed:
            await overlay.remove_from(removed)
        await overlay.nest_into(scenes)

    def _call(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as exc:
            self._report(exc)

    async def _preflight(self, sink_id: str) -> None:
        assert self.golive is not None and self.output_panel is not None
        self.output_panel.show_preflight(await self.golive.preflight(sink_id))

    def _go_live(self, sink_id: str | None = None) -> None:
        """Go live on the chosen destination; a real audience is asked for first, naming it."""
        golive = self.golive
        if golive is None:
            return
        try:
            if sink_id is not None and sink_id != golive.selected.sink_id:
                golive.select(sink_id)
            if golive.selected.is_real_audience:
                assert self.output_panel is not None
                self.output_panel.confirm_go_live(golive.request_confirmation())
                return
        except Exception as exc:
            self._report(exc)
            return
        self.run(golive.start(), "go-live")

    def _local_recording(self, enabled: bool) -> None:
        assert self.golive is not None
        path = None
        if enabled and self.recordings_dir is not None:
            self.recordings_dir.mkdir(parents=True, exist_ok=True)
            path = self.recordings_dir / time.strftime("rehearsal-%Y%m%d-%H%M%S.flv")
        self._call(lambda: self.golive.set_local_recording(path) if self.golive else None)

    def _on_output_status(self, status: OutputStatus) -> None:
        if self.output_panel is not None:
            self.output_panel.show_status(status)

    def start(self) -> None:
        self.session.start()
        if self.chat is not None:
            self.chat.start()
        self.thumbnails.set_visible(self.scene_panel.isVisible())
        self.monitor_feed.set_visible(self.show_controls.isVisible())
        self.tasks.spawn(self.thumbnails.run(), "scene-thumbnails")
        self.tasks.spawn(self.monitor_feed.run(), "program-monitor")
        if self.remote_server is not None:
            self.tasks.spawn(self._start_remote(), "remote-control")
        self._on_snapshot(self.session.snapshot)

    async def _start_remote(self) -> None:
        assert self.remote_server is not None
        try:
            await self.remote_server.start()
        except OSError as exc:
            self._report(
                RuntimeError(f"Remote control is off: port {self.remote_server.port} is not free ({exc.strerror})")
            )

    def run(self, coro: Coroutine[Any, Any, Any], name: str, latest: bool = False) -> None:
        """Run a service call; a failure becomes a status-bar message, never a crash."""

        async def guarded() -> None:
            try:
                await coro
            except Exception as exc:
                self._report(exc)

        task = self.tasks.spawn(guarded(), name, latest_wins_key=name if latest else None)
        # A task cancelled before it ran never awaited ``coro``: close it quietly.
        task.add_done_callback(lambda _task: coro.close())

    def _report(self, exc: Exception) -> None:
        log.warning("%s", exc)
        self.error_reported.emit(str(exc))

    def _monitored_scenes(self) -> list[str]:
        snap = self.session.snapshot
        scenes = [snap.program_scene or ""]
        if snap.studio_mode and snap.preview_scene:
            scenes.append(snap.preview_scene)
        return scenes

    def _on_snapshot(self, snap: ObsSnapshot) -> None:
        self.window.show_obs_state(snap)
        self.scene_panel.show_state(snap)
        self.show_controls.show_state(snap)
        self.audio_strip.show_state(snap)
        if snap.connection.status is ConnectionStatus.CONNECTED and not self._starter_done:
            self._starter_done = True
            self.run(self._first_connection(), "first-connection")

    async def _first_connection(self) -> None:
        """Demo mode builds its starter scenes; then the cards go where the producer chose."""
        if self.demo:
            await install_starter_scenes(self.session)
        if self.products is None:
            return
        scenes = self.settings.products.card_scenes
        if not scenes and self.demo:
            scenes = [s for s in STARTER_SCENES if s != "Be right back"]
        if scenes:
            await self.place_cards(scenes)

    def _on_obs_event(self, event_type: str, data: dict[str, Any]) -> None:
        if event_type == "InputVolumeMeters":
            self.levels_changed.emit(levels_from_meter_event(data))

    def _image_arrived(self, signal: Any) -> Callable[[str, bytes], None]:
        def arrived(scene: str, data: bytes) -> None:
            image = QImage.fromData(data)
            if not image.isNull():
                signal.emit(scene, image)

        return arrived

    def ask(
        self, title: str, text: str, on_yes: Callable[[], None], on_no: Callable[[], None] | None = None
    ) -> QMessageBox:
        """A window-modal Yes/Cancel question that does not block the event loop."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            title,
            "",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(text)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(_result: int) -> None:
            if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes:
                on_yes()
            elif on_no is not None:
                on_no()

        box.finished.connect(answered)
        box.open()
        return box

    def _stream_requested(self, start: bool) -> None:
        golive = self.golive
        if golive is None:
            self._report(RuntimeError("No stream destinations are configured"))
            return
        if start:
            self._go_live()
            return
        where = golive.status.active_destination or "the destination"
        self.ask(
            "Stop the stream?",
            f"Stop streaming to {where} now? Viewers will see the stream end.",
            lambda: self.run(golive.stop(), "stream-stop"),
        )

    def _confirm_orientation(self, vertical: bool) -> None:
        shape = "vertical 9:16 (TikTok LIVE)" if vertical else "landscape 16:9"
        self.ask(
            "Change canvas orientation",
            f"Switch OBS's canvas to {shape}? Sources keep their positions and may need re-framing.",
            lambda: self.run(self.switcher.set_orientation(vertical), "orientation"),
            lambda: self.scene_panel.show_state(self.session.snapshot),
        )

    async def shutdown(self) -> None:
        for unsubscribe in [
            *self._unsubscribe,
            *getattr(self, "_unsubscribe_output", []),
            *getattr(self, "_unsubscribe_products", []),
            *getattr(self, "_unsubscribe_chat", []),
        ]:
            unsubscribe()
        if self.remote_server is not None:
            await self.remote_server.stop()
        await self.switcher.shutdown()
        await self.tasks.shutdown()
        if self.chat is not None:
            await self.chat.stop()
        if self.products is not None:
            await self.products.keeper.close()
            await self.products.show.close()
            self.products.overlay.close()
        if self.golive is not None:
            await self.golive.shutdown()
        await self.session.stop()
