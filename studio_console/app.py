"""Start-up: the bare window first, then settings, the Qt-free core and the Qt shell on one qasync loop.

Nothing but PySide6 and the window's own modules is imported before the window shows.

``--headless`` runs the same core on a plain asyncio loop and never imports Qt.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from typing import Any

from studio_console import APP_ID, APP_NAME
from studio_console.cli import LaunchOptions
from studio_console.logs import setup_logging
from studio_console.settings.paths import AppPaths

log = logging.getLogger(__name__)

# Process start as seen by this module: imported first thing by the entry point.
LAUNCHED_AT = time.monotonic()


def freeze_startup_heap() -> None:
    """Move everything built at start-up out of the garbage collector's reach.

    A six-hour show allocates chat messages by the hundred thousand; a full collection that also walks
    Qt's wrappers, pydantic's schemas and the catalog stalls the UI loop for tens of milliseconds
    (measured by benchmarks/chat_throughput.py). Frozen objects are never scanned again.
    """
    gc.collect()
    gc.freeze()


def _qt_message_handler(mode: Any, context: Any, message: str) -> None:
    logging.getLogger("qt").warning("%s", message)


async def _run_with_window(core: Any, window: Any, options: LaunchOptions, log_level: int) -> int:
    import asyncio

    from studio_console.qt.shell import QtShell

    loop = asyncio.get_running_loop()
    quit_requested: asyncio.Future[None] = loop.create_future()

    def request_quit() -> None:
        if not quit_requested.done():
            quit_requested.set_result(None)

    def loop_exception(_loop: Any, context: dict[str, Any]) -> None:
        from studio_console.qt.shell import report_exception

        exc = context.get("exception")
        if exc is not None:
            report_exception(type(exc), exc, exc.__traceback__)
        else:
            log.error("event loop: %s", context.get("message"))

    loop.set_exception_handler(loop_exception)
    from studio_console.qt.quit_signals import QuitSignals

    shell = QtShell(core, log_level, window=window)
    shell.window.close_requested.connect(request_quit)
    quit_signals = QuitSignals(lambda _name: request_quit())
    shell.show()
    try:
        await core.start()
        freeze_startup_heap()
        if options.quit_after is not None:
            loop.call_later(options.quit_after, shell.window.close)
        await quit_requested
    finally:
        shell.close()
        await core.close()
        quit_signals.close()
        log.info("%s stopped", APP_NAME)
    return 0


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
    # Log to stderr before the file exists, so a settings problem is never silent.
    setup_logging(paths.log_dir, options.log_level or "INFO")
    if options.headless:
        return _run_headless(options, paths)

    started = time.monotonic()
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from studio_console.qt.main_window import MainWindow
    from studio_console.settings.window_layout import read_window_layout

    qInstallMessageHandler(_qt_message_handler)
    app = QApplication.instance() or QApplication([__name__])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    _set_app_icon(app)
    app.setQuitOnLastWindowClosed(False)  # the app quits through the shell's close, after shutdown
    from studio_console.qt.single_instance import InstanceRole, SingleInstance, raise_window

    # One app per config folder: a second start raises the first one's window instead.
    instance = SingleInstance(paths.config_dir)
    claim = instance.claim()
    if claim.role is InstanceRole.HANDED_OVER:
        log.info("%s", claim.message)
        return 0
    if claim.role is InstanceRole.BLOCKED:
        log.error("%s", claim.message)
        _tell_blocked(claim.message)
        return 3
    # First paint: the bare window with its docks, menus and status bar; everything else after.
    window = MainWindow()
    instance.activation_requested.connect(lambda: raise_window(window))
    window.restore_layout(*read_window_layout(paths.settings_file))
    window.show()
    log.info(
        "%s window shown %.0f ms after launch (config: %s)",
        APP_NAME,
        (time.monotonic() - LAUNCHED_AT) * 1000,
        paths.config_dir,
    )

    from studio_console.core import StudioCore
    from studio_console.settings.store import SettingsStore

    store = SettingsStore(paths.settings_file)
    loaded = store.load()
    level = options.log_level or loaded.settings.log_level
    setup_logging(paths.log_dir, level)
    core = StudioCore(options, paths, store, loaded.settings, startup_notice=loaded.notice)
    log.debug("core built after %.0f ms", (time.monotonic() - started) * 1000)
    from studio_console.qt.event_loop import run as run_qt_loop

    try:
        result: int = run_qt_loop(_run_with_window(core, window, options, getattr(logging, level)))
    finally:
        instance.release()
    return result


def _tell_blocked(message: str) -> None:
    """A second instance that cannot hand over says why, in a box (a desktop launcher shows no stderr)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, "")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(message)
    if os.environ.get("STUDIO_CONSOLE_NO_BLOCKING_DIALOGS") != "1":
        box.exec()


def _run_headless(options: LaunchOptions, paths: AppPaths) -> int:
    from studio_console.core import StudioCore, run_headless
    from studio_console.settings.store import SettingsStore

    store = SettingsStore(paths.settings_file)
    loaded = store.load()
    setup_logging(paths.log_dir, options.log_level or loaded.settings.log_level)
    core = StudioCore(options, paths, store, loaded.settings, startup_notice=loaded.notice)
    for problem in core.startup_notices():
        log.warning("%s: %s", problem.title, problem.text)
    import asyncio

    return asyncio.run(run_headless(core, options.quit_after))
