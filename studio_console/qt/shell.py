"""The Qt shell around a StudioCore: the main window, its panels and bridges, the app's dialogs.

The first paint needs only the window, the scene panel, the show controls and the audio strip; the
products, chat and output panels are built when the core says it is ready (after the catalog has
loaded), so the window appears before any of that work is done.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from studio_console.core import Problem, Severity, StudioCore
from studio_console.logs import redact
from studio_console.qt.bridges.obs_bridge import ObsBridge
from studio_console.qt.main_window import MainWindow
from studio_console.qt.views.audio_strip import AudioStrip
from studio_console.qt.views.log_panel import LogSignaller, QtLogHandler
from studio_console.qt.views.scene_panel import ScenePanel
from studio_console.qt.views.show_controls import ShowControls

log = logging.getLogger(__name__)

STATUS_MESSAGE_MS = 8000


class QtShell:
    """Shows a StudioCore in a main window; owns no business rule and writes no setting itself."""

    def __init__(self, core: StudioCore, log_level: int = logging.INFO, window: MainWindow | None = None) -> None:
        self.core = core
        self._signaller = LogSignaller()
        if window is None:
            window = MainWindow()
            window.restore_layout(
                core.settings.effective.window.geometry_b64, core.settings.effective.window.dock_state_b64
            )
        self.window = window
        self.log_panel = window.log_panel
        self._signaller.line_logged.connect(self.log_panel.append_line)
        self._log_handler = QtLogHandler(self._signaller, log_level)
        logging.getLogger().addHandler(self._log_handler)

        settings = core.settings.effective
        install_exception_hook(window)

        self.scene_panel = ScenePanel(settings.shortcuts)
        self.show_controls = ShowControls()
        self.audio_strip = AudioStrip()
        window.set_panel("Scenes", self.scene_panel)
        window.setCentralWidget(self.show_controls)
        window.add_dock("Audio", self.audio_strip, Qt.DockWidgetArea.BottomDockWidgetArea, tabify_with="Log")
        window.docks["Chat"].raise_()  # chat in front of the right column's tabs
        self.obs = ObsBridge(core, self.scene_panel, self.show_controls, self.audio_strip)
        self.obs.obs_changed.connect(window.show_obs_state)
        self.scene_panel.orientation_requested.connect(self._confirm_orientation)
        self.show_controls.stream_requested.connect(self._stream_requested)

        self.products: Any = None
        self.chat: Any = None
        self.output: Any = None
        self.rundown: Any = None
        self.rundown_panel: Any = None
        self.host_view: Any = None
        self.shows: Any = None
        self.presets: Any = None
        self.chat_model: Any = None
        self._dialogs: dict[str, Any] = {}
        self._unsubscribe = [core.problems.add(self._show_problem), core.ready.add(self._core_ready)]

        window.reconnect_requested.connect(core.session.retry_now)
        window.launch_obs_requested.connect(lambda: core.tasks.spawn(core.launch_obs(), "launch-obs"))
        window.launch_action.setEnabled(core.can_launch_obs)
        window.password_change_requested.connect(self.ask_obs_password)
        window.remote_info_requested.connect(self.edit_remote_control)
        window.connection_requested.connect(lambda: self.edit_connection())
        window.chat_sources_requested.connect(self.edit_chat_sources)
        window.moderation_requested.connect(self.edit_moderation)
        window.shortcuts_edit_requested.connect(self.edit_shortcuts)
        window.card_scenes_requested.connect(self.choose_card_scenes)
        window.about_requested.connect(self.show_about)
        window.log_folder_requested.connect(self.open_log_folder)
        window.show_obs_state(core.session.snapshot)
        self._connection_offered = False
        self.obs.obs_changed.connect(self._offer_connection_dialog)

    # -- start-up ---------------------------------------------------------------------------------

    def show(self) -> None:
        if not self.window.isVisible():
            self.window.show()
        for problem in self.core.startup_notices():
            self._show_problem(problem)
        self.obs.start_feeds()
        if self.core.is_ready:
            self._core_ready()

    def _core_ready(self) -> None:
        """The core built products, chat and go-live: their panels can be made now."""
        core, window = self.core, self.window
        if core.products is not None and self.products is None:
            from studio_console.qt.bridges.products_bridge import ProductsBridge
            from studio_console.qt.views.products_panel import ProductsPanel

            self.scene_panel.hidden_scenes.add(core.products.overlay.scene_name)
            panel = ProductsPanel()
            window.set_panel("Products", panel, scrollable=True)
            self.products = ProductsBridge(core, panel)
            self.products.import_finished.connect(lambda title, text: window.show_notice(title, text))
            self.products.import_progress.connect(
                lambda share: window.statusBar().showMessage(f"Importing products… {share:.0%}", STATUS_MESSAGE_MS)
            )
            self.products_panel = panel
            self.products.picture_progress.connect(self._picture_progress)
        if core.chat is not None and self.chat is None:
            from studio_console.qt.bridges.chat_bridge import ChatBridge
            from studio_console.qt.models.chat_model import ChatModel
            from studio_console.qt.views.chat_panel import ChatPanel

            self.chat_model = ChatModel(capacity=core.settings.effective.chat.scrollback)
            self.chat_panel = ChatPanel(self.chat_model)
            window.set_panel("Chat", self.chat_panel)
            self.chat = ChatBridge(core, self.chat_model, self.chat_panel)
        if core.rundown is not None and core.products is not None and self.rundown is None:
            from PySide6.QtWidgets import QFrame, QScrollArea

            from studio_console.qt.bridges.rundown_bridge import RundownBridge
            from studio_console.qt.views.rundown_panel import RundownPanel

            self.rundown_panel = RundownPanel()
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setWidget(self.rundown_panel)
            # Beside the products: both are the producer's show tools.
            window.add_dock("Rundown", area, Qt.DockWidgetArea.BottomDockWidgetArea, tabify_with="Products")
            window.docks["Products"].raise_()  # Products stays the tab shown first
            self.rundown = RundownBridge(core, self.rundown_panel)
            self.rundown.import_finished.connect(lambda title, text: window.show_notice(title, text))
            self.rundown_panel.host_view_requested.connect(self.open_host_view)
            if self.chat is not None:
                self.chat_panel.host_question_requested.connect(self.rundown.send_question)
        if core.golive is not None and self.output is None:
            from studio_console.qt.bridges.output_bridge import OutputBridge
            from studio_console.qt.views.output_panel import OutputPanel

            self.output_panel = OutputPanel()
            window.set_panel("Output", self.output_panel, scrollable=True)
            self.output = OutputBridge(core, self.output_panel)
            self.output_panel.stop_requested.connect(lambda: self._stream_requested(False))
            # REHEARSAL, never LIVE, for the local test server: every place that names the stream's state.
            self.output.output_changed.connect(self.show_controls.show_output_status)
            self.output.output_changed.connect(window.show_output_status)
            assert core.golive is not None
            self.show_controls.show_output_status(core.golive.status)
            window.show_output_status(core.golive.status)
        if core.show_log is not None and self.shows is None:
            from studio_console.qt.bridges.show_log_bridge import ShowLogBridge
            from studio_console.qt.views.show_log_panel import ShowLogPanel

            self.shows_panel = ShowLogPanel()
            window.add_dock("Shows", self.shows_panel, Qt.DockWidgetArea.RightDockWidgetArea, tabify_with="Output")
            self.shows = ShowLogBridge(core, self.shows_panel)
        if core.presets is not None and self.presets is None:
            from studio_console.qt.bridges.presets_bridge import PresetsBridge
            from studio_console.qt.views.preset_picker import PresetPicker

            self.preset_picker = PresetPicker()
            window.add_dock("Presets", self.preset_picker, Qt.DockWidgetArea.RightDockWidgetArea, tabify_with="Output")
            self.presets = PresetsBridge(core, self.preset_picker)

    # -- problems ---------------------------------------------------------------------------------

    def _show_problem(self, problem: Problem) -> None:
        if problem.transient:
            self.window.statusBar().showMessage(problem.text, STATUS_MESSAGE_MS)
            return
        icon = QMessageBox.Icon.Critical if problem.severity is Severity.ERROR else QMessageBox.Icon.Warning
        if problem.severity is Severity.INFO:
            icon = QMessageBox.Icon.Information
        self.window.show_notice(problem.title, problem.text, icon)

    # -- questions --------------------------------------------------------------------------------

    def ask(self, title: str, text: str, on_yes: Any, on_no: Any = None) -> QMessageBox:
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
        if self.output is None:
            self.core.report_error(RuntimeError("No stream destinations are configured"))
            return
        if start:
            self.output.go_live()
            return
        self.ask(
            "Stop the stream?",
            f"Stop streaming to {self.output.active_destination} now? Viewers will see the stream end.",
            self.output.stop,
        )

    def _confirm_orientation(self, vertical: bool) -> None:
        shape = "vertical 9:16 (TikTok LIVE)" if vertical else "landscape 16:9"
        self.ask(
            "Change canvas orientation",
            f"Switch OBS's canvas to {shape}? Sources keep their positions and may need re-framing.",
            lambda: self.obs.set_orientation(vertical),
            self.obs.show_current,
        )

    # -- the app's dialogs ------------------------------------------------------------------------

    def ask_obs_password(self) -> None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        dialog = QInputDialog(self.window)
        dialog.setWindowTitle("OBS WebSocket password")
        dialog.setLabelText("Password from OBS (Tools > WebSocket Server Settings):")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        dialog.textValueSelected.connect(self.core.set_obs_password)
        dialog.open()
        self._dialogs["password"] = dialog

    def edit_shortcuts(self) -> None:
        from studio_console.qt.dialogs.shortcuts_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self.core.settings.effective.shortcuts, self.window)

        def accepted() -> None:
            shortcuts = dialog.shortcuts()
            self.core.set_shortcuts(shortcuts)
            self.scene_panel.set_shortcuts(shortcuts)
            if self.rundown_panel is not None:
                self.rundown_panel.set_shortcuts(shortcuts)

        dialog.accepted.connect(accepted)
        dialog.open()
        self._dialogs["shortcuts"] = dialog

    def choose_card_scenes(self) -> None:
        from studio_console.qt.dialogs.card_scenes_dialog import CardScenesDialog
        from studio_console.services.overlay.placement import PlacementRule

        core = self.core
        placement = core.placement
        if placement is None or core.products is None:
            return
        scenes = tuple(s for s in core.session.snapshot.scenes if s != core.products.overlay.scene_name)
        shown = [s for s in scenes if placement.rule.wants(s)]
        dialog = CardScenesDialog(scenes, shown, core.products.overlay.scene_name, self.window)

        def accepted() -> None:
            chosen = set(dialog.chosen())
            rule = PlacementRule(excluded=frozenset(s for s in scenes if s not in chosen))
            core.tasks.spawn(placement.set_rule(rule), "card-scenes")

        dialog.accepted.connect(accepted)
        dialog.open()
        self._dialogs["card-scenes"] = dialog

    def show_about(self) -> None:
        from studio_console.assets import icon_file
        from studio_console.obs.launcher import obs_executable
        from studio_console.qt.dialogs.about_dialog import AboutDialog, about_info

        info = about_info(self.core.session.snapshot.connection, self.core.paths.log_dir, obs_executable())
        dialog = AboutDialog(info, icon_file(128), self.window)
        dialog.log_folder_requested.connect(self.open_log_folder)
        dialog.open()
        self._dialogs["about"] = dialog

    def open_log_folder(self) -> None:
        from studio_console.qt.dialogs.about_dialog import open_folder

        folder = self.core.paths.log_dir
        if not open_folder(folder):
            self.window.show_notice("Log folder", f"No file manager opened; the logs are in {folder}")

    def open_host_view(self) -> None:
        """The host view, full screen on the screen chosen last time (the last screen at first)."""
        from studio_console.qt.views.host_view import HostView

        if self.rundown is None:
            return
        if self.host_view is None:
            self.host_view = HostView()
            self.rundown.attach_host_view(self.host_view)
        used = self.host_view.show_on(self.core.settings.effective.window.host_view_screen or None)
        if used:
            self.core.save_host_view_screen(used)

    def _picture_progress(self, progress: Any) -> None:
        if progress.finished:
            failed = f", {progress.failed} failed (see the Log panel)" if progress.failed else ""
            text = f"Product pictures: {progress.done} of {progress.total} ready{failed}."
        else:
            text = f"Downloading product pictures… {progress.done} of {progress.total}"
        self.window.statusBar().showMessage(text, STATUS_MESSAGE_MS)

    def _offer_connection_dialog(self, snap: Any) -> None:
        """Outside demo mode, the first failure to reach OBS (or a wrong password) opens *Connect to OBS* once."""
        from studio_console.domain.obs_status import ConnectionStatus

        if self._connection_offered or self.core.demo:
            return
        status = snap.connection.status
        refused = status is ConnectionStatus.DISCONNECTED and self.core.first_run and snap.connection.attempts >= 1
        if status is ConnectionStatus.AUTH_FAILED or refused:
            self._connection_offered = True
            self.edit_connection(reason=snap.connection.message)

    def edit_connection(self, reason: str | None = None) -> None:
        from studio_console.qt.dialogs.connection_dialog import ConnectionDialog

        dialog = ConnectionDialog(
            self.core.settings.effective.obs, self.core.secrets, reason=reason, parent=self.window
        )
        dialog.connection_accepted.connect(self.core.apply_obs_connection)
        dialog.open()
        self._dialogs["connection"] = dialog

    def edit_chat_sources(self) -> None:
        from studio_console.qt.dialogs.chat_sources_dialog import ChatSourcesDialog

        dialog = ChatSourcesDialog(list(self.core.settings.effective.chat.sources), self.core.secrets, self.window)
        dialog.sources_accepted.connect(
            lambda configs: self.core.tasks.spawn(self.core.set_chat_sources(list(configs)), "chat-sources")
        )
        dialog.open()
        self._dialogs["chat-sources"] = dialog

    def edit_moderation(self) -> None:
        from studio_console.qt.dialogs.moderation_dialog import ModerationDialog

        rules = self.core.chat.rules if self.core.chat is not None else self.core.settings.effective.chat.rules
        dialog = ModerationDialog(rules, self.window)
        dialog.rules_accepted.connect(self.core.set_chat_rules)
        dialog.open()
        self._dialogs["moderation"] = dialog

    def edit_remote_control(self) -> None:
        from studio_console.qt.dialogs.remote_dialog import RemoteControlDialog

        server = self.core.remote_server
        dialog = RemoteControlDialog(
            self.core.settings.effective.remote,
            self.core.secrets,
            bound_port=server.bound_port if server is not None else None,
            parent=self.window,
        )
        dialog.settings_accepted.connect(
            lambda remote: self.core.tasks.spawn(self.core.apply_remote_settings(remote), "remote-settings")
        )
        dialog.token_changed.connect(self.core.set_remote_token)
        dialog.open()
        self._dialogs["remote"] = dialog

    # -- shutdown ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Remember the window layout and let go of the core's channels (the core closes itself)."""
        geometry, state = self.window.saved_layout()
        self.core.save_window_layout(geometry, state)
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self.host_view is not None:
            self.host_view.close()
        for bridge in (self.obs, self.chat, self.output, self.rundown, self.shows, self.presets):
            if bridge is not None and hasattr(bridge, "close"):
                bridge.close()
        logging.getLogger().removeHandler(self._log_handler)


_window_for_errors: Any = None


def report_exception(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Log an unexpected exception and show it without stopping the show."""
    if issubclass(exc_type, KeyboardInterrupt):
        return
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("unexpected error:\n%s", text)
    window = _window_for_errors
    if window is not None:
        try:
            window.show_notice(
                "Unexpected error",
                redact(f"{exc_type.__name__}: {exc}\n\nThe show goes on; details are in the Log panel."),
            )
        except RuntimeError:
            pass


def install_exception_hook(window: Any) -> None:
    global _window_for_errors
    _window_for_errors = window
    sys.excepthook = report_exception
