"""The app's qasync loop, with qasync 0.28's one stray event pass made safe.

``qasync.QEventLoop.run_until_complete`` processes Qt events once more *after* ``run_forever`` has
returned and cleared asyncio's running loop. A task step that lands in that pass (an OBS handshake
finishing in its worker thread, say) then fails with "no running event loop" wherever it calls
``asyncio.get_running_loop()`` or enters ``asyncio.timeout()``, and the task dies. Found when the
OBS session's first resync died that way in an e2e test; it can hit the app at shutdown too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QCoreApplication, QEventLoop

T = TypeVar("T")


class StudioEventLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop whose running-loop marker also covers the final event pass of ``run_until_complete``."""

    def run_until_complete(self, future: Any) -> Any:
        if self.is_running():
            raise RuntimeError("Event loop already running")
        task = asyncio.ensure_future(future, loop=self)

        def stop(_task: object) -> None:
            self.stop()

        task.add_done_callback(stop)
        try:
            self.run_forever()
        finally:
            task.remove_done_callback(stop)
        # The last pass over pending events, as qasync does, but with this loop marked as running.
        app = QCoreApplication.instance()
        dispatcher = app.eventDispatcher() if app is not None else None
        asyncio.events._set_running_loop(self)
        try:
            if dispatcher is not None:
                dispatcher.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
        finally:
            asyncio.events._set_running_loop(None)
        if not task.done():
            raise RuntimeError("Event loop stopped before Future completed.")
        return task.result()


def run(main: Coroutine[Any, Any, T]) -> T:
    """``qasync.run`` with the loop above."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    loop = StudioEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        result: T = loop.run_until_complete(main)
        return result
    finally:
        loop.close()
