"""Composition root: settings, logging, secrets, OBS session, services and window, run on one qasync loop."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import secrets as pysecrets
import sys
import time
import traceback
from types import TracebackType
from typing import Any

from studio_console import APP_ID, APP_NAME
from studio_console.adapters.chat import discover_chat_sources
from studio_console.adapters.sinks.builtin import load_sinks
from studio_console.cli import LaunchOptions
from studio_console.domain.card import CardLayout
from studio_console.logs import redact, setup_logging
from studio_console.obs.discovery import current_system, install_hint
from studio_console.obs.launcher import ObsConfig, ObsProcess, launch_obs, obs_executable
from studio_console.obs.session import ObsSession
from studio_console.services.catalog_io import CatalogStore, demo_catalog_path, import_catalog
from studio_console.services.catalog_keeper import CatalogKeeper, ProductDesk, short_code_lookup
from studio_console.services.chat_hub import ChatHub
from studio_console.services.golive import GoLiveService
from studio_console.services.overlay import OverlayService
from studio_console.services.product_show import ProductShow
from studio_console.services.viewer_book import ViewerBook
from studio_console.settings.model import ChatSourceConfig, Settings
from studio_console.settings.paths import AppPaths
from studio_console.settings.secrets import OBS_PASSWORD, REMOTE_TOKEN, SecretStore
from studio_console.settings.store import SettingsSaveError, SettingsStore

log = logging.getLogger(__name__)

DEMO_OBS_PASSWORD = "demo-obs-password"
# Process start as seen by this module: imported first thing by the entry point.
LAUNCHED_AT = time.monotonic()


def effective_settings(saved: Settings, options: LaunchOptions) -> Settings:
    """Saved settings with command-line overrides applied, for this run only.

    Only the sections the command line can override are copied; the others (products, chat, output,
    shortcuts) are shared with ``saved``, so what the producer changes in the app is what gets saved.
    """
    effective = saved.model_copy(update={"obs": saved.obs.model_copy(), "remote": saved.remote.model_copy()})
    if options.obs_host:
        effective.obs.host = options.obs_host
    if options.obs_port:
        effective.obs.port = options.obs_port
    if options.log_level:
        effective.log_level = options.log_level  # type: ignore[assignment]
    if options.remote_port is not None:
        effective.remote.port = options.remote_port
    return effective


class ManagedObs:
    """The OBS instance demo mode starts (and restarts) with its own isolated configuration."""

    def __init__(self, paths: AppPaths, port: int, password: str) -> None:
        self.config = ObsConfig(home=paths.demo_obs_home, port=port, password=password)
        self.process: ObsProcess | None = None

    async def ensure_running(self) -> bool:
        if obs_executable() is None:
            raise FileNotFoundError(install_hint(current_system()))
        loop = asyncio.get_running_loop()
        if self.process is None or not self.process.running():
            self.config.home.mkdir(parents=True, exist_ok=True)
            old_display = self.process.display if self.process is not None else None
            # STUDIO_CONSOLE_OBS_HEADLESS=1 keeps OBS's own window off the screen (own Xvfb).
            headless = True if os.environ.get("STUDIO_CONSOLE_OBS_HEADLESS") == "1" else None
            self.process = await loop.run_in_executor(
                None, lambda: launch_obs(self.config, display=old_display, headless=headless)
            )
        await loop.run_in_executor(None, self.process.wait_port, 60.0)
        return True

    async def stop(self) -> None:
        if self.process is not None:
            process, self.process = self.process, None
            await asyncio.get_running_loop().run_in_executor(None, process.stop)


class Studio:
    """Owns the running app: builds services and window, runs until quit, shuts down in order."""

    def __init__(
        self, options: LaunchOptions, paths: AppPaths, store: SettingsStore, saved: Settings, notice: str | None
    ) -> None:
        self.options = options
        self.paths = paths
        self.store = store
        self.saved = saved
        self.settings = effective_settings(saved, options)
        self.startup_notice = notice
        self.startup_notices: list[str] = []
        self.secrets = SecretStore.open(paths.config_dir, paths.custom_root)
        self.managed_obs: ManagedObs | None = None
        self._quit: asyncio.Future[None] | None = None
        self.launched_at = LAUNCHED_AT

    def obs_password(self) -> str | None:
        if self.options.obs_password_env:
            value = os.environ.get(self.options.obs_password_env)
            if value is None:
                log.warning("environment variable %s is not set; no OBS password", self.options.obs_password_env)
            from studio_console.logs import secrets as registry

            registry.add(value)
            return value
        if self.options.demo:
            return self._demo_password()
        return self.secrets.get(OBS_PASSWORD)

    def build_golive(self, session: ObsSession) -> GoLiveService | None:
        """Stream destinations: built-in sinks and plugins; the local test server is the default."""
        loaded = load_sinks(self.saved.output.sinks)
        for name, reason in loaded.unavailable.items():
            log.warning("stream destination %s is unavailable: %s", name, reason)
        if not loaded.sinks:
            return None
        return GoLiveService(
            session,
            self.secrets,
            loaded.sinks,
            self.saved.output,
            unavailable=loaded.unavailable,
            on_settings_changed=self.save_settings,
        )

    async def build_products(self, session: ObsSession) -> ProductDesk:
        """Catalog (the demo catalog in demo mode when none is saved), overlay, show, saver."""
        from studio_console.qt.render.card_renderer import CardRenderer

        store = CatalogStore(self.paths.data_dir)
        loaded = await asyncio.to_thread(store.load)
        catalog = loaded.catalog
        if loaded.notice:
            self.startup_notices.append(loaded.notice)
        if not catalog.products and self.options.demo:
            result = await asyncio.to_thread(import_catalog, demo_catalog_path())
            catalog = result.catalog
            await asyncio.to_thread(store.save, catalog)
            log.info("demo mode: loaded the demo catalog (%d products)", len(catalog.products))
        overlay = OverlayService(session, self.paths.data_dir)
        show = ProductShow(
            overlay,
            CardRenderer(),
            catalog,
            layout=CardLayout(self.saved.products.card_layout),
            low_stock_threshold=self.saved.products.low_stock_threshold,
        )
        if self.options.demo and not show.state.queue:
            show.set_queue(p.sku for p in catalog.products[:6])
        keeper = CatalogKeeper(store, show, currency=self.saved.products.currency, on_error=self._catalog_save_failed)
        return ProductDesk(overlay, show, keeper)

    def build_chat(self, show: ProductShow) -> ChatHub:
        """The chat hub with the configured sources; demo mode adds a rehearsal audience."""
        hub = ChatHub(
            rules=self.saved.chat.rules,
            product_lookup=short_code_lookup(lambda: show.catalog),
            viewer_book=ViewerBook(self.paths.data_dir / "viewers.json"),
        )
        configs = list(self.saved.chat.sources)
        if not configs and self.options.demo:
            codes = tuple(p.short_code for p in show.catalog.products if p.short_code)
            options: dict[str, Any] = {"rate_per_s": 2.0, "seed": int(time.time())}
            if codes:
                options["short_codes"] = codes
            configs = [ChatSourceConfig(kind="rehearsal", options=options)]
        entries = discover_chat_sources()
        for config in configs:
            if not config.enabled:
                continue
            entry = entries.get(config.kind)
            if entry is None or entry.plugin is None:
                log.error("chat source %r is unavailable: %s", config.kind, entry.error if entry else "not installed")
                continue
            factory = entry.plugin
            reason = factory.unavailable_reason()
            if reason:
                log.error("chat source %r is unavailable: %s", config.kind, reason)
                continue
            try:
                hub.add_source(factory(factory.options_model.model_validate(config.options), secrets=self.secrets.get))
            except Exception as exc:  # a bad configuration must not stop the show
                log.error("chat source %r could not be set up: %s", config.kind, exc)
        return hub

    def _catalog_save_failed(self, exc: Exception) -> None:
        self.window.show_notice("Catalog not saved", f"{exc}\nThe previous catalog file is unchanged.")

    def remote_token(self) -> str:
        """From --remote-token-env, else the keyring (created on first use)."""
        from studio_console.logs import secrets as registry

        if self.options.remote_token_env:
            value = os.environ.get(self.options.remote_token_env, "")
            registry.add(value)
            if len(value) >= 16:
                return value
            log.error(
                "environment variable %s must hold a token of at least 16 characters; using the saved token",
                self.options.remote_token_env,
            )
        token = self.secrets.get(REMOTE_TOKEN)
        if not token:
            token = pysecrets.token_urlsafe(24)
            self.secrets.set(REMOTE_TOKEN, token)
        return token

    def _demo_password(self) -> str:
        password = self.secrets.get(DEMO_OBS_PASSWORD)
        if not password:
            password = pysecrets.token_urlsafe(18)
            self.secrets.set(DEMO_OBS_PASSWORD, password)
        return password

    async def main(self) -> int:
        from studio_console.qt.bridge import StudioBridge
        from studio_console.qt.main_window import MainWindow
        from studio_console.qt.views.log_panel import LogPanel, LogSignaller, QtLogHandler

        loop = asyncio.get_running_loop()
        self._quit = loop.create_future()
        loop.set_exception_handler(self._loop_exception)

        signaller = LogSignaller()
        log_panel = LogPanel()
        signaller.line_logged.connect(log_panel.append_line)
        qt_handler = QtLogHandler(signaller, getattr(logging, self.settings.log_level))
        logging.getLogger().addHandler(qt_handler)

        window = MainWindow(log_panel)
        self.window = window
        window.restore_layout(self.saved.window.geometry_b64, self.saved.window.dock_state_b64)
        install_exception_hook(window)

        password = self.obs_password()
        on_not_running = None
        if self.options.demo:
            self.managed_obs = ManagedObs(self.paths, self.settings.obs.port, password or "")
            on_not_running = self.managed_obs.ensure_running
        session = ObsSession(
            self.settings.obs.host,
            self.settings.obs.port,
            password,
            request_timeout=self.settings.obs.request_timeout_s,
            on_not_running=on_not_running,
        )
        golive = self.build_golive(session)
        products = await self.build_products(session)
        chat = self.build_chat(products.show)
        bridge = StudioBridge(
            session,
            self.settings,
            window,
            demo=self.options.demo,
            remote_token=self.remote_token(),
            golive=golive,
            recordings_dir=self.paths.data_dir / "rehearsals",
            products=products,
            chat=chat,
        )
        bridge.settings_changed.connect(self.save_settings)
        self.bridge = bridge
        window.close_requested.connect(self.request_quit)
        window.launch_obs_requested.connect(lambda: bridge.tasks.spawn(self.launch_obs(), "launch-obs"))
        window.launch_action.setEnabled(obs_executable() is not None)
        window.password_change_requested.connect(self.ask_obs_password)
        window.remote_info_requested.connect(self.show_remote_info)
        window.shortcuts_edit_requested.connect(self.edit_shortcuts)
        window.card_scenes_requested.connect(self.choose_card_scenes)
        window.about_requested.connect(self.show_about)
        window.log_folder_requested.connect(self.open_log_folder)

        window.show()
        log.info(
            "%s window shown %.0f ms after launch (config: %s)",
            APP_NAME,
            (time.monotonic() - self.launched_at) * 1000,
            self.paths.config_dir,
        )
        if self.startup_notice:
            window.show_notice("Settings reset", self.startup_notice)
        for notice in self.startup_notices:
            window.show_notice("Catalog", notice)
        if self.secrets.warning:
            window.statusBar().showMessage(self.secrets.warning, 15000)
        bridge.start()
        freeze_startup_heap()
        if self.options.quit_after is not None:
            loop.call_later(self.options.quit_after, window.close)
        try:
            await self._quit
        finally:
            await self.shutdown(window, bridge)
            logging.getLogger().removeHandler(qt_handler)
        return 0

    async def launch_obs(self) -> None:
        """The "Launch OBS" action: start the installed OBS with the websocket on our port and password."""
        if self.managed_obs is None:
            password = self.obs_password()
            if not password:
                password = pysecrets.token_urlsafe(18)
                self.secrets.set(OBS_PASSWORD, password)
                self.bridge.session.set_password(password)
            self.managed_obs = ManagedObs(self.paths, self.settings.obs.port, password)
        await self.managed_obs.ensure_running()
        self.bridge.session.retry_now()

    def ask_obs_password(self) -> None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        dialog = QInputDialog(self.window)
        dialog.setWindowTitle("OBS WebSocket password")
        dialog.setLabelText("Password from OBS (Tools > WebSocket Server Settings):")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)

        def accepted(password: str) -> None:
            self.secrets.set(OBS_PASSWORD, password)
            self.bridge.session.set_password(password)

        dialog.textValueSelected.connect(accepted)
        dialog.open()
        self._password_dialog = dialog

    def edit_shortcuts(self) -> None:
        from studio_console.qt.dialogs.shortcuts_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self.settings.shortcuts, self.window)

        def accepted() -> None:
            shortcuts = dialog.shortcuts()
            self.settings.shortcuts = shortcuts
            self.saved.shortcuts = shortcuts
            self.bridge.scene_panel.set_shortcuts(shortcuts)
            self.save_settings()

        dialog.accepted.connect(accepted)
        dialog.open()
        self._shortcuts_dialog = dialog

    def choose_card_scenes(self) -> None:
        from studio_console.qt.dialogs.card_scenes_dialog import CardScenesDialog

        bridge = self.bridge
        if bridge.products is None:
            return
        snap = bridge.session.snapshot
        dialog = CardScenesDialog(
            snap.scenes, self.saved.products.card_scenes, bridge.products.overlay.scene_name, self.window
        )
        dialog.accepted.connect(lambda: bridge.run(bridge.place_cards(dialog.chosen()), "card-scenes"))
        dialog.open()
        self._card_scenes_dialog = dialog

    def show_about(self) -> None:
        from studio_console.assets import icon_file
        from studio_console.qt.dialogs.about_dialog import AboutDialog, about_info

        info = about_info(self.bridge.session.snapshot.connection, self.paths.log_dir, obs_executable())
        dialog = AboutDialog(info, icon_file(128), self.window)
        dialog.log_folder_requested.connect(self.open_log_folder)
        dialog.open()
        self._about_dialog = dialog

    def open_log_folder(self) -> None:
        from studio_console.qt.dialogs.about_dialog import open_folder

        if not open_folder(self.paths.log_dir):
            self.window.show_notice("Log folder", f"No file manager opened; the logs are in {self.paths.log_dir}")

    def save_settings(self) -> None:
        try:
            self.store.save(self.saved)
        except SettingsSaveError as exc:
            log.error("%s", exc)
            self.window.show_notice("Settings not saved", f"{exc}\nThe previous settings file is unchanged.")

    def show_remote_info(self) -> None:
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtWidgets import QMessageBox, QPushButton

        server = self.bridge.remote_server
        if server is None or server.bound_port is None:
            self.window.show_notice("Remote control", "The remote-control API is off (see Settings: remote.enabled).")
            return
        url = f"http://127.0.0.1:{server.bound_port}/api/v1/"
        box = self.window.show_notice(
            "Remote control",
            f"Address: {url}\nSend the header: Authorization: Bearer <token>\n\n"
            'Endpoints: GET state, POST scene {"name", "target"}, POST take (see the README).\n'
            "The token is in the keyring; copy it with the button below.",
            QMessageBox.Icon.Information,
        )
        copy = QPushButton("Copy token")
        box.addButton(copy, QMessageBox.ButtonRole.ActionRole)
        token = self.remote_token()
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(token))

    def request_quit(self) -> None:
        if self._quit is not None and not self._quit.done():
            self._quit.set_result(None)

    async def shutdown(self, window: Any, bridge: Any) -> None:
        geometry, state = window.saved_layout()
        self.saved.window.geometry_b64 = geometry
        self.saved.window.dock_state_b64 = state
        try:
            self.store.save(self.saved)
        except SettingsSaveError as exc:
            log.error("%s", exc)  # quitting: the log is the only place left to say it
        await bridge.shutdown()
        if self.managed_obs is not None:
            await self.managed_obs.stop()
        log.info("%s stopped", APP_NAME)

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if exc is not None:
            report_exception(type(exc), exc, exc.__traceback__)
        else:
            log.error("event loop: %s", context.get("message"))


def freeze_startup_heap() -> None:
    """Move everything built at start-up out of the garbage collector's reach.

    A six-hour show allocates chat messages by the hundred thousand; a full collection that also walks
    Qt's wrappers, pydantic's schemas and the catalog stalls the UI loop for tens of milliseconds
    (measured by benchmarks/chat_throughput.py). Frozen objects are never scanned again.
    """
    gc.collect()
    gc.freeze()


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


def _qt_message_handler(mode: Any, context: Any, message: str) -> None:
    logging.getLogger("qt").warning("%s", message)


def _set_app_icon(app: Any) -> None:
    """Window and taskbar icon; on Wayland the desktop entry's name links the window to its icon."""
    from PySide6.QtGui import QIcon

    from studio_console.assets import ICON_SIZES, MissingResourceError, icon_file

    app.setDesktopFileName(APP_ID)
    icon = QIcon()
    try:
        for size in ICON_SIZES:
            icon.addFile(str(icon_file(size)))
    except MissingResourceError as exc:
        log.warning("%s", exc)
    app.setWindowIcon(icon)


def run(options: LaunchOptions) -> int:
    paths = AppPaths.under(options.config_dir) if options.config_dir else AppPaths.default()
    paths.ensure()
    store = SettingsStore(paths.settings_file)
    # Log to stderr before the file exists, so a settings problem is never silent.
    setup_logging(paths.log_dir, options.log_level or "INFO")
    loaded = store.load()
    level = options.log_level or loaded.settings.log_level
    setup_logging(paths.log_dir, level)

    started = time.monotonic()
    import qasync
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    qInstallMessageHandler(_qt_message_handler)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    _set_app_icon(app)
    app.setQuitOnLastWindowClosed(False)  # the app quits through Studio.request_quit, after shutdown
    studio = Studio(options, paths, store, loaded.settings, loaded.notice)
    log.debug("Qt ready after %.0f ms", (time.monotonic() - started) * 1000)
    result: int = qasync.run(studio.main())
    return result
