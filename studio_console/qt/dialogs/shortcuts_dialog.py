"""Lets the producer change the switcher's keyboard shortcuts (scenes 1-9, Take)."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QKeySequenceEdit, QLabel, QVBoxLayout, QWidget

from studio_console.settings.model import default_scene_shortcuts

LABELS = {**{f"scene_{n}": f"Scene {n}" for n in range(1, 10)}, "take": "Take (Enter also takes)"}


class ShortcutsDialog(QDialog):
    """One key-sequence editor per action; ``shortcuts()`` returns the edited mapping."""

    def __init__(self, current: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.editors: dict[str, QKeySequenceEdit] = {}
        form = QFormLayout()
        for action, label in LABELS.items():
            editor = QKeySequenceEdit(QKeySequence(current.get(action, "")))
            editor.setMaximumSequenceLength(1)
            editor.setClearButtonEnabled(True)
            form.addRow(label, editor)
            self.editors[action] = editor
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def shortcuts(self) -> dict[str, str]:
        return {action: editor.keySequence().toString() for action, editor in self.editors.items()}

    def restore_defaults(self) -> None:
        for action, keys in default_scene_shortcuts().items():
            self.editors[action].setKeySequence(QKeySequence(keys))

    def duplicates(self) -> list[str]:
        seen: dict[str, str] = {}
        clashes = []
        for action, keys in self.shortcuts().items():
            if not keys:
                continue
            if keys in seen:
                clashes.append(f"{keys} is used by {LABELS[seen[keys]]} and {LABELS[action]}")
            seen[keys] = action
        return clashes

    def _accept_if_valid(self) -> None:
        clashes = self.duplicates()
        if clashes:
            self.problem.setText("; ".join(clashes))
            return
        self.accept()
