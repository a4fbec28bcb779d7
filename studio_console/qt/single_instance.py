"""One app per config folder: a second start hands over to the first (which raises its window) or says why not."""

from __future__ import annotations

import enum
import getpass
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

_RAISE = b"raise\n"
_DONE = b"ok\n"


class InstanceRole(enum.Enum):
    FIRST = "first"  # this process runs the studio: go on starting
    HANDED_OVER = "handed_over"  # the running one raised its window: exit 0
    BLOCKED = "blocked"  # another process holds the folder and does not answer: exit non-zero


@dataclass(frozen=True)
class InstanceClaim:
    role: InstanceRole
    message: str = ""


def channel_name(config_dir: Path) -> str:
    """The local socket name for ``config_dir``: per user and per folder, short enough for Unix sockets."""
    key = f"{getpass.getuser()}:{config_dir.expanduser().resolve()}"
    return "studio-console-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def raise_window(window: QWidget) -> None:
    """Bring ``window`` to the front (restored if minimised): what the first instance does on a hand-over."""
    window.showNormal()
    window.raise_()
    window.activateWindow()


class SingleInstance(QObject):
    """Holds ``config_dir``'s instance lock for the life of the app and answers later starts.

    The lock file decides who is first (a crashed holder's lock is taken over: its pid is gone);
    the local socket only carries the "raise your window" request.

    Signals:
        activation_requested(): another start with the same config folder asked this one to show itself.
    """

    activation_requested = Signal()

    def __init__(self, config_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config_dir = config_dir
        self.name = channel_name(config_dir)
        config_dir.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(config_dir / "instance.lock"))
        # Never stale by age (a show runs for hours); a lock whose process is gone is still taken over.
        self._lock.setStaleLockTime(0)
        self.server: QLocalServer | None = None
        self._clients: list[QLocalSocket] = []

    def claim(self, timeout_ms: int = 3000) -> InstanceClaim:
        """Become the folder's instance, or hand over to the one that is (blocking, before the loop runs)."""
        if self._lock.tryLock(0):
            return self._serve()
        holder = self._holder()
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if socket.waitForConnected(timeout_ms):
            socket.write(_RAISE)
            socket.waitForBytesWritten(timeout_ms)
            answered = socket.waitForReadyRead(timeout_ms) and bytes(socket.readAll().data()).startswith(_DONE)
            socket.disconnectFromServer()
            if answered:
                log.info("Studio Console already runs for %s%s: asked it to show its window", self.config_dir, holder)
                return InstanceClaim(
                    InstanceRole.HANDED_OVER, f"Studio Console already runs{holder}: its window is raised."
                )
        message = (
            f"Studio Console cannot start: another Studio Console{holder} uses the folder {self.config_dir} "
            "and does not answer. Close it (or end that process), or start this one with another --config-dir."
        )
        log.error("%s", message)
        return InstanceClaim(InstanceRole.BLOCKED, message)

    def _holder(self) -> str:
        info = self._lock.getLockInfo()
        if not isinstance(info, tuple) or len(info) < 2 or not info[0]:
            return ""
        return f" (pid {info[0]} on {info[1]})"

    def _serve(self) -> InstanceClaim:
        # The lock is ours, so a socket file left by a crash is stale: remove it before listening.
        QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            log.warning("hand-over channel %s not available: %s", self.name, server.errorString())
            return InstanceClaim(InstanceRole.FIRST, "a second start cannot hand over to this one")
        server.newConnection.connect(self._accept)
        self.server = server
        return InstanceClaim(InstanceRole.FIRST)

    def _accept(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            self._clients.append(socket)
            socket.readyRead.connect(self._read_all)
            self._read_all()

    def _read_all(self) -> None:
        for socket in list(self._clients):
            if socket.state() != QLocalSocket.LocalSocketState.ConnectedState:
                self._clients.remove(socket)
                continue
            if socket.bytesAvailable() and bytes(socket.readAll().data()).startswith(_RAISE):
                socket.write(_DONE)
                socket.flush()
                self.activation_requested.emit()

    def release(self) -> None:
        """Stop answering and free the folder (the app is quitting)."""
        for socket in self._clients:
            socket.readyRead.disconnect(self._read_all)
            socket.abort()
        self._clients.clear()
        if self.server is not None:
            self.server.newConnection.disconnect(self._accept)
            self.server.close()
            self.server = None
        self._lock.unlock()
