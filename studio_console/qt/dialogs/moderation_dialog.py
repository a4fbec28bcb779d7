"""Blocked words and users as two list editors (they hide messages on this PC only)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio_console.domain.chat import ChatRules


def _clean(values: Iterable[str]) -> list[str]:
    """Stripped, blank-free, de-duplicated case-insensitively, first spelling kept, order kept."""
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        text = " ".join(value.split())
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            kept.append(text)
    return kept


class ListEditor(QWidget):
    """A list of short texts: type (or paste several lines) and Add, select and Remove.

    Signals:
        changed(): the list changed.
    """

    changed = Signal()

    def __init__(self, values: Iterable[str], placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = QLineEdit()
        self.entry.setPlaceholderText(placeholder)
        self.entry.returnPressed.connect(self.add_entry)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add_entry)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.list = QListWidget()  # item text is plain text
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.addItems(_clean(values))
        row = QHBoxLayout()
        row.addWidget(self.entry, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.list)

    def values(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def add(self, text: str) -> int:
        """Add every line of ``text`` that is not in the list yet; returns how many were added."""
        before = self.values()
        merged = _clean([*before, *text.splitlines()])
        added = merged[len(before) :]
        if added:
            self.list.addItems(added)
            self.changed.emit()
        return len(added)

    def add_entry(self) -> None:
        self.add(self.entry.text())
        self.entry.clear()

    def remove_selected(self) -> None:
        rows = sorted((self.list.row(item) for item in self.list.selectedItems()), reverse=True)
        for row in rows:
            self.list.takeItem(row)
        if rows:
            self.changed.emit()


class ModerationDialog(QDialog):
    """Edits the blocked words and users of the chat rules.

    Signals:
        rules_accepted(ChatRules): OK; the rules with the edited lists (everything else unchanged).
    """

    rules_accepted = Signal(object)

    def __init__(self, rules: ChatRules, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Blocked words and users")
        self.setMinimumWidth(460)
        self._rules = rules
        explain = QLabel(
            "Messages with a blocked word, or from a blocked user, are hidden in this app and never put "
            "on air. Nothing is sent to the platforms. A user may be written as platform:name "
            "(twitch:someone) to block them on one platform only."
        )
        explain.setWordWrap(True)
        explain.setTextFormat(Qt.TextFormat.PlainText)
        self.words = ListEditor(rules.blocked_words, "a word or phrase")
        self.users = ListEditor(rules.blocked_users, "a handle or display name")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addWidget(QLabel("Blocked words"))
        layout.addWidget(self.words)
        layout.addWidget(QLabel("Blocked users"))
        layout.addWidget(self.users)
        layout.addWidget(buttons)

    def rules(self) -> ChatRules:
        return self._rules.model_copy(
            update={"blocked_words": tuple(self.words.values()), "blocked_users": tuple(self.users.values())}
        )

    def accept(self) -> None:
        self.rules_accepted.emit(self.rules())
        super().accept()
