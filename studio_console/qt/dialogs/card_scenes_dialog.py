"""Lets the producer choose the scenes that show product and comment cards (the overlay is nested there)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget


class CardScenesDialog(QDialog):
    """A checkbox per OBS scene; ``chosen()`` lists the checked ones in OBS's order."""

    def __init__(
        self, scenes: tuple[str, ...], chosen: list[str], overlay_scene: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Scenes that show cards")
        explain = QLabel(
            "Cards (products, featured comments, alerts) appear in the checked scenes. "
            "The app adds its own overlay scene to them and changes nothing else."
        )
        explain.setWordWrap(True)
        self.list = QListWidget()
        for scene in scenes:
            if scene == overlay_scene:
                continue
            item = QListWidgetItem(scene)  # item text is plain text
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if scene in chosen else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def chosen(self) -> list[str]:
        items = (self.list.item(i) for i in range(self.list.count()))
        return [item.text() for item in items if item.checkState() == Qt.CheckState.Checked]
