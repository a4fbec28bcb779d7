"""Connect to your OBS: host, port, password (kept in the keyring) and a Test that names the exact problem."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio_console.obs.probe import ProbeOutcome, ProbeResult, probe_obs
from studio_console.settings.model import ObsSettings
from studio_console.settings.secrets import OBS_PASSWORD, SecretStore

log = logging.getLogger(__name__)

Prober = Callable[[str, int, str | None], Awaitable[ProbeResult]]

_OUTCOME_COLOURS = {ProbeOutcome.OK: "#1b7f3b"}
_PROBLEM_COLOUR = "#b3261e"


class ConnectionDialog(QDialog):
    """Edits how the app reaches OBS.

    Signals:
        test_finished(ProbeResult): a Test ended (after ``result_label`` shows it).
        connection_accepted(ObsSettings): OK was pressed; the password is already in the keyring.
            The receiver applies the settings and reconnects.
    """

    test_finished = Signal(object)
    connection_accepted = Signal(object)

    def __init__(
        self,
        obs: ObsSettings,
        secrets: SecretStore,
        *,
        prober: Prober = probe_obs,
        reason: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to OBS")
        self.setMinimumWidth(460)
        self._obs = obs
        self._secrets = secrets
        self._prober = prober
        self._test_task: asyncio.Task[None] | None = None
        stored_password = secrets.get(OBS_PASSWORD) or ""

        intro = QLabel(
            "Studio Console talks to OBS through its WebSocket server. In OBS: Tools > WebSocket "
            "Server Settings: enable it, then Show Connect Info for the port and password."
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.reason_label = QLabel(reason or "")
        self.reason_label.setTextFormat(Qt.TextFormat.PlainText)
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet(f"color: {_PROBLEM_COLOUR};")
        self.reason_label.setVisible(bool(reason))

        self.host_edit = QLineEdit(obs.host)
        self.host_edit.setPlaceholderText("127.0.0.1")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(obs.port)
        self.password_edit = QLineEdit(stored_password)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("(none)")
        self.show_password = QCheckBox("Show")
        self.show_password.toggled.connect(self._toggle_password)
        password_row = QWidget()
        password_layout = QVBoxLayout(password_row)
        password_layout.setContentsMargins(0, 0, 0, 0)
        password_layout.addWidget(self.password_edit)
        password_layout.addWidget(self.show_password)

        form = QFormLayout()
        form.addRow("Host", self.host_edit)
        form.addRow("Port", self.port_spin)
        form.addRow("Password", password_row)

        self.test_button = QPushButton("Test")
        self.test_button.clicked.connect(self._start_test)
        self.result_label = QLabel("")
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.reason_label)
        layout.addLayout(form)
        layout.addWidget(self.test_button)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        self.last_result: ProbeResult | None = None

    # -- values ----------------------------------------------------------------------------------

    def host(self) -> str:
        return self.host_edit.text().strip() or "127.0.0.1"

    def port(self) -> int:
        return int(self.port_spin.value())

    def password(self) -> str:
        return self.password_edit.text()

    def obs_settings(self) -> ObsSettings:
        """The edited connection as settings (the password is not part of them)."""
        return self._obs.model_copy(update={"host": self.host(), "port": self.port()})

    # -- test ------------------------------------------------------------------------------------

    def _toggle_password(self, shown: bool) -> None:
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)

    def _start_test(self) -> None:
        if self._test_task is not None and not self._test_task.done():
            return
        self.test_button.setEnabled(False)
        self.result_label.setStyleSheet("")
        self.result_label.setText(f"Connecting to {self.host()}:{self.port()}…")
        self._test_task = asyncio.get_event_loop().create_task(self._run_test(), name="obs-connection-test")

    async def _run_test(self) -> None:
        try:
            result = await self._prober(self.host(), self.port(), self.password() or None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the prober explains connection problems; anything else is a bug
            log.exception("connection test failed")
            result = ProbeResult(ProbeOutcome.FAILED, f"The test itself failed: {exc}")
        self.last_result = result
        self.result_label.setStyleSheet(f"color: {_OUTCOME_COLOURS.get(result.outcome, _PROBLEM_COLOUR)};")
        self.result_label.setText(result.message)
        self.test_button.setEnabled(True)
        self.test_finished.emit(result)

    def _stop_test(self) -> None:
        task, self._test_task = self._test_task, None
        if task is not None and not task.done():
            task.cancel()

    # -- closing ---------------------------------------------------------------------------------

    def accept(self) -> None:
        self._stop_test()
        password = self.password()
        try:
            if password:
                self._secrets.set(OBS_PASSWORD, password)
            else:
                with contextlib.suppress(Exception):  # no stored password is the goal either way
                    self._secrets.delete(OBS_PASSWORD)
        except Exception as exc:
            self.result_label.setStyleSheet(f"color: {_PROBLEM_COLOUR};")
            self.result_label.setText(f"The password could not be stored in the keyring: {type(exc).__name__}")
            return
        self.connection_accepted.emit(self.obs_settings())
        super().accept()

    def reject(self) -> None:
        self._stop_test()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop_test()
        super().closeEvent(event)
