"""Screenshots for the README: the app in demo mode (its own OBS) at a given window size, grabbed from Qt.

    python scripts/screenshot.py --size 1366x768 --out resources/screenshots/main-window-1366x768.png

Runs under the current DISPLAY (use ``xvfb-run -s "-screen 0 1920x1080x24"`` on a headless machine).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1366x768")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long demo mode runs before the grab")
    parser.add_argument("--pin", default="", help="SKU to pin before the grab")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    logging.basicConfig(level=logging.INFO)

    from PySide6.QtWidgets import QApplication

    from studio_console.cli import LaunchOptions
    from studio_console.core import StudioCore
    from studio_console.obs.launcher import free_port
    from studio_console.qt.event_loop import StudioEventLoop
    from studio_console.qt.shell import QtShell
    from studio_console.settings.paths import AppPaths
    from studio_console.settings.store import SettingsStore

    app = QApplication([])
    loop = StudioEventLoop(app)
    asyncio.set_event_loop(loop)
    root = Path(tempfile.mkdtemp(prefix="studio-screenshot-"))
    paths = AppPaths.under(root)
    paths.ensure()
    store = SettingsStore(paths.settings_file)
    options = LaunchOptions(demo=True, obs_port=free_port(), remote_port=0, config_dir=root)
    core = StudioCore(options, paths, store, store.load().settings)
    shell = QtShell(core)
    shell.window.resize(width, height)
    shell.show()

    async def run() -> None:
        await core.start()
        started = time.monotonic()
        while not core.session.snapshot.connection.connected and time.monotonic() - started < 90:
            await asyncio.sleep(0.2)
        if args.pin and core.products is not None:
            await core.products.show.pin(args.pin)
        await asyncio.sleep(args.seconds)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shell.window.grab().save(str(args.out))
        print(f"saved {args.out} ({width}x{height})")

    try:
        loop.run_until_complete(run())
    finally:
        shell.close()
        loop.run_until_complete(core.close())


if __name__ == "__main__":
    main()
