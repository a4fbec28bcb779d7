"""Start-up: logging and settings, then the Qt-free core joined to the Qt shell on one qasync loop.

``--headless`` runs the same core on a plain asyncio loop and never imports Qt.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any

from studio_console import APP_ID, APP_NAME
from studio_console.cli import LaunchOptions
from studio_console.logs import setup_logging
from studio_console.settings.paths import AppPaths
from studio_console.settings.store import SettingsStore

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


async def _run_with_window(core: Any, options: LaunchOptions, log_level: int) -> int:
    from studio_console.qt.shell import QtShell

    loop = asyncio.get_running_loop()
    quit_requested: asyncio.Future[None] = loop.create_future()

    def request_quit() -> None:
        if not quit_requested.done():
            quit_requested.set_result(None)

    def loop_exception(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        from studio_console.qt.shell import report_exception

        exc = context.get("exception")
        if exc is not None:
            report_exception(type(exc), exc, exc.__traceback__)
        else:
            log.error("event loop: %s", context.get("message"))

    loop.set_exception_handler(loop_exception)
    shell = QtShell(core, log_level)
    shell.window.close_requested.connect(request_quit)
    shell.show()
    log.info(
        "%s window shown %.0f ms after launch (config: %s)",
        APP_NAME,
        (time.monotonic() - LAUNCHED_AT) * 1000,
        core.paths.config_dir,
    )
    try:
        await core.start()
        freeze_startup_heap()
        if options.quit_after is not None:
            loop.call_later(options.quit_after, shell.window.close)
        await quit_requested
    finally:
        shell.close()
        await core.close()
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
    store = SettingsStore(paths.settings_file)
    # Log to stderr before the file exists, so a settings problem is never silent.
    setup_logging(paths.log_dir, options.log_level or "INFO")
    loaded = store.load()
    level = options.log_level or loaded.settings.log_level
    setup_logging(paths.log_dir, level)

    from studio_console.core import StudioCore, run_headless

    if options.headless:
        core = StudioCore(options, paths, store, loaded.settings, startup_notice=loaded.notice)
        for problem in core.startup_notices():
            log.warning("%s: %s", problem.title, problem.text)
        return asyncio.run(run_headless(core, options.quit_after))

    started = time.monotonic()
    import qasync
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    qInstallMessageHandler(_qt_message_handler)
    app = QApplication.instance() or QApplication([__name__])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    _set_app_icon(app)
    app.setQuitOnLastWindowClosed(False)  # the app quits through the shell's close, after shutdown
    renderers = None
    try:
        import studio_console.render  # noqa: F401  (the Qt-free renderers, once they exist)
    except ImportError:
        from studio_console.core import Renderers
        from studio_console.qt.render.card_renderer import CardRenderer
        from studio_console.qt.render.qt_chat_cards import QtChatCards

        renderers = Renderers(product=CardRenderer(), chat=QtChatCards())
    core = StudioCore(options, paths, store, loaded.settings, startup_notice=loaded.notice, renderers=renderers)
    log.debug("Qt ready after %.0f ms", (time.monotonic() - started) * 1000)
    result: int = qasync.run(_run_with_window(core, options, getattr(logging, level)))
    return result
