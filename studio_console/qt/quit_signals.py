"""SIGTERM, SIGHUP and SIGINT end the app the way *File > Quit* does, even while Qt sleeps in its event loop.

Python runs signal handlers only between bytecodes; while Qt waits in C++ for events nothing would
run until the next event. ``signal.set_wakeup_fd`` writes the signal number into a socket that a
``QSocketNotifier`` watches, so Qt wakes at once and the orderly shutdown (save settings and show
state, stop the OBS the app started) runs on the UI thread like a menu action.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier

log = logging.getLogger(__name__)

QUIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))


class QuitSignals(QObject):
    """While alive, the quit signals call ``on_quit(signal_name)`` on the Qt thread."""

    def __init__(self, on_quit: Callable[[str], None]) -> None:
        super().__init__()
        self._on_quit = on_quit
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous = {sig: signal.signal(sig, self._note) for sig in QUIT_SIGNALS}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._woken)

    @staticmethod
    def _note(signum: int, _frame: object) -> None:
        """The C-level wake-up already wrote ``signum``; nothing else may run inside a signal handler."""

    def _woken(self) -> None:
        with contextlib.suppress(BlockingIOError):
            for signum in self._reader.recv(64):
                if signum in QUIT_SIGNALS:
                    name = signal.Signals(signum).name
                    log.info("%s received: quitting in order", name)
                    self._on_quit(name)

    def close(self) -> None:
        self._notifier.setEnabled(False)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()
