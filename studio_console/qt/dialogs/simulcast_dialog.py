"""The one confirmation before going live to several: every destination, its findings, the upload figure."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from studio_console.domain.stream import SimulcastPlan
from studio_console.qt.plain_text import plain_label

REAL_AUDIENCE_COLOUR = "#c62828"


class SimulcastDialog(QDialog):
    """Shows the core's prompt (plain text: names and errors may come from outside) and asks yes or no.

    The yes-button names how many destinations go live and is never the default: Enter alone must
    not start a show. With nothing startable there is only Close. ``accepted`` means go live.
    """

    def __init__(self, plan: SimulcastPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.setObjectName("simulcastDialog")
        self.setWindowTitle("Go live to several")
        self.setModal(True)
        count = len(plan.to_start)
        self.heading = plain_label()
        self.heading.setObjectName("simulcastHeading")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        if plan.reaches_real_audience:
            names = ", ".join(d.display_name for d in plan.to_start if d.is_real_audience)
            self.heading.setText(f"Real viewers will see this stream on {names}.")
            self.heading.setStyleSheet(f"color: {REAL_AUDIENCE_COLOUR};")
        elif count:
            self.heading.setText("No real audience: a rehearsal to several destinations.")
        else:
            self.heading.setText("No destination can start.")
        self.details = QPlainTextEdit()
        self.details.setObjectName("simulcastDetails")
        self.details.setReadOnly(True)
        self.details.setPlainText(plan.prompt)
        self.details.setMinimumSize(520, 300)
        self.upload_warning = plain_label(plan.upload.warning or "")
        self.upload_warning.setObjectName("simulcastUploadWarning")
        self.upload_warning.setWordWrap(True)
        self.upload_warning.setStyleSheet("color: #ef6c00; font-weight: bold;")
        self.upload_warning.setVisible(bool(plan.upload.warning))

        self.buttons = QDialogButtonBox()
        self.go_button: QPushButton | None = None
        if count:
            go = QPushButton(f"Go live to {count} destination{'s' if count != 1 else ''}")
            go.setObjectName("confirmSimulcast")
            go.setAutoDefault(False)
            if plan.reaches_real_audience:
                go.setStyleSheet(f"color: white; background: {REAL_AUDIENCE_COLOUR}; font-weight: bold;")
            self.buttons.addButton(go, QDialogButtonBox.ButtonRole.AcceptRole)
            self.go_button = go
            cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        else:
            cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        cancel.setObjectName("cancelSimulcast")
        cancel.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.upload_warning)
        layout.addWidget(self.buttons)
        self.setWindowModality(Qt.WindowModality.WindowModal)
