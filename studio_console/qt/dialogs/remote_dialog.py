"""The remote-control API: on or off, its port, and its token (shown on request, copied, regenerated)."""

from __future__ import annotations

import secrets as pysecrets

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio_console.settings.model import RemoteControlSettings
from studio_console.settings.secrets import REMOTE_TOKEN, SecretStore


def new_token() -> str:
    return pysecrets.token_urlsafe(24)


class RemoteControlDialog(QDialog):
    """Edits ``settings.remote`` and the API token in the keyring.

    Signals:
        settings_accepted(RemoteControlSettings): OK; the receiver stores them and restarts the API.
        token_changed(str): OK after Regenerate; the new token is already in the keyring and the old
            one must stop working (restart the API server with it).
    """

    settings_accepted = Signal(object)
    token_changed = Signal(str)

    def __init__(
        self,
        remote: RemoteControlSettings,
        secrets: SecretStore,
        *,
        bound_port: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Remote control")
        self.setMinimumWidth(460)
        self._remote = remote
        self._secrets = secrets
        self._stored_token = secrets.get(REMOTE_TOKEN) or ""
        self._token = self._stored_token or new_token()

        self.enabled = QCheckBox("Accept remote control (HTTP API on this PC's network)")
        self.enabled.setChecked(remote.enabled)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("any free port")
        self.port_spin.setValue(remote.port)
        self.token_edit = QLineEdit(self._token)
        self.token_edit.setReadOnly(True)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = QCheckBox("Show")
        self.show_token.toggled.connect(self._toggle_token)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy_token)
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.clicked.connect(self.regenerate)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.show_token)
        token_row.addWidget(self.copy_button)
        token_row.addWidget(self.regenerate_button)
        self.status_label = QLabel(f"Listening on port {bound_port}." if bound_port else "")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.enabled)
        form.addRow("Port", self.port_spin)
        form.addRow("Token", token_row)
        explain = QLabel(
            "Send the token as 'Authorization: Bearer <token>'. Regenerate it if it was shared by mistake: "
            "the old token stops working when you press OK."
        )
        explain.setWordWrap(True)
        explain.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(explain)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)

    def token(self) -> str:
        return self._token

    def remote_settings(self) -> RemoteControlSettings:
        return self._remote.model_copy(update={"enabled": self.enabled.isChecked(), "port": self.port_spin.value()})

    def _toggle_token(self, shown: bool) -> None:
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)

    def copy_token(self) -> None:
        QGuiApplication.clipboard().setText(self._token)
        self.status_label.setText("Token copied to the clipboard.")

    def regenerate(self) -> None:
        self._token = new_token()
        self.token_edit.setText(self._token)
        self.status_label.setText("A new token: press OK to use it (the old one then stops working).")

    def accept(self) -> None:
        if self._token != self._stored_token:
            self._secrets.set(REMOTE_TOKEN, self._token)
        self.settings_accepted.emit(self.remote_settings())
        if self._token != self._stored_token:
            self.token_changed.emit(self._token)
        super().accept()
