"""Help > About: the versions a support request needs (app, Python, Qt, PySide6, OBS, obs-websocket), the log folder."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, QUrl, Signal, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio_console import APP_NAME, __version__
from studio_console.domain.obs_state import ConnectionState

NOT_CONNECTED = "not connected"


@dataclass(frozen=True)
class AboutInfo:
    """What the About dialog shows; built by ``about_info`` from the running app."""

    app_version: str
    python_version: str
    qt_version: str
    pyside_version: str
    os_name: str
    obs_version: str
    websocket_version: str
    obs_program: str
    log_folder: Path

    def rows(self) -> list[tuple[str, str]]:
        return [
            (APP_NAME, self.app_version),
            ("OBS Studio", self.obs_version),
            ("obs-websocket", self.websocket_version),
            ("OBS program", self.obs_program),
            ("Qt", self.qt_version),
            ("PySide6", self.pyside_version),
            ("Python", self.python_version),
            ("System", self.os_name),
            ("Log folder", str(self.log_folder)),
        ]

    def as_text(self) -> str:
        """One line per row, for pasting into a support request."""
        return "\n".join(f"{name}: {value}" for name, value in self.rows())


def about_info(connection: ConnectionState | None, log_folder: Path, obs_program: str | None) -> AboutInfo:
    """Versions from this process and from OBS's ``GetVersion`` answer (held on the session's snapshot)."""
    connected = connection is not None and connection.connected
    return AboutInfo(
        app_version=__version__,
        python_version=platform.python_version(),
        qt_version=qVersion(),
        pyside_version=PySide6.__version__,
        os_name=f"{platform.system()} {platform.release()} ({platform.machine()})"
        + (" frozen bundle" if getattr(sys, "frozen", False) else ""),
        obs_version=(connection.obs_version or "?") if connected and connection else NOT_CONNECTED,
        websocket_version=(connection.websocket_version or "?") if connected and connection else NOT_CONNECTED,
        obs_program=obs_program or "not found on this computer",
        log_folder=log_folder,
    )


def open_folder(folder: Path) -> bool:
    """Open ``folder`` in the platform's file manager (Explorer, Finder, the desktop's default)."""
    folder.mkdir(parents=True, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class AboutDialog(QDialog):
    """Versions as plain text, with *Copy versions* and *Open log folder*.

    Signals:
        log_folder_requested(): the producer asked to open the log folder.
    """

    log_folder_requested = Signal()

    def __init__(self, info: AboutInfo, icon: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setWindowTitle(f"About {APP_NAME}")
        header = QHBoxLayout()
        if icon is not None and icon.exists():
            picture = QLabel()
            picture.setPixmap(QPixmap(str(icon)).scaled(64, 64, Qt.AspectRatioMode.KeepAspectRatio))
            header.addWidget(picture)
        title = QLabel(f"{APP_NAME} {info.app_version}\nA control room for live-shopping streams.")
        title.setTextFormat(Qt.TextFormat.PlainText)
        header.addWidget(title, 1)

        form = QFormLayout()
        self.value_labels: dict[str, QLabel] = {}
        for name, value in info.rows():
            label = QLabel(value)
            # Versions and paths come from OBS and the file system: never rich text.
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(name, label)
            self.value_labels[name] = label

        self.copy_button = QPushButton("Copy versions")
        self.copy_button.clicked.connect(self.copy_versions)
        self.log_button = QPushButton("Open log folder")
        self.log_button.clicked.connect(self.log_folder_requested)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.log_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def copy_versions(self) -> None:
        QGuiApplication.clipboard().setText(self.info.as_text())
