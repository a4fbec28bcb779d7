"""Lets the producer change the keyboard shortcuts: the switcher's (scenes 1-9, Take) and the Rundown panel's."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QKeySequenceEdit, QLabel, QVBoxLayout, QWidget

from studio_console.settings.model import default_rundown_shortcuts, default_scene_shortcuts

SWITCHER_LABELS = {**{f"scene_{n}": f"Scene {n}" for n in range(1, 10)}, "take": "Take (Enter also takes)"}
RUNDOWN_LABELS = {"rundown_next": "Next cue", "rundown_previous": "Previous cue"}
LABELS = {**SWITCHER_LABELS, **RUNDOWN_LABELS}
# Keys clash only within a group: the Rundown panel's keys act while it has focus, the switcher's elsewhere.
GROUPS = (SWITCHER_LABELS, RUNDOWN_LABELS)


def default_shortcuts() -> dict[str, str]:
    return {**default_scene_shortcuts(), **default_rundown_shortcuts()}


class ShortcutsDialog(QDialog):
    """One key-sequence editor per action; ``shortcuts()`` returns the edited mapping."""

    def __init__(self, current: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.editors: dict[str, QKeySequenceEdit] = {}
        form = QFormLayout()
        defaults = default_shortcuts()
        for group, heading in zip(GROUPS, ("Scene switcher", "Rundown panel (while it has focus)"), strict=True):
            title = QLabel(f"<b>{heading}</b>")
            title.setTextFormat(Qt.TextFormat.RichText)  # our own fixed text
            form.addRow(title)
            for action, label in group.items():
                editor = QKeySequenceEdit(QKeySequence(current.get(action, defaults[action])))
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
        for action, keys in default_shortcuts().items():
            self.editors[action].setKeySequence(QKeySequence(keys))

    def duplicates(self) -> list[str]:
        shortcuts = self.shortcuts()
        clashes = []
        for group in GROUPS:
            seen: dict[str, str] = {}
            for action in group:
                keys = shortcuts[action]
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
