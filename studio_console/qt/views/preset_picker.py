"""The preset picker: the day's creator presets in show order, switch with progress, and their management."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class PresetPicker(QWidget):
    """Lists presets (the day's order first); every action is an intent the bridge carries out.

    Signals:
        switch_requested(str): switch the studio to this preset.
        create_requested(str): save the current set-up as a new preset with this name.
        duplicate_requested(str, str): copy preset (first) under a new name (second).
        rename_requested(str, str): rename preset (first) to (second).
        delete_requested(str): delete this preset (the operator confirmed).
        export_requested(str, str): write preset (first) to a file path (second).
        import_requested(str): read an exported preset from this file path.
        order_changed(list): the day's order of the shows, as preset names.
        key_entered(str, str): a keyring entry name and the stream key typed for it after an import.
    """

    switch_requested = Signal(str)
    create_requested = Signal(str)
    duplicate_requested = Signal(str, str)
    rename_requested = Signal(str, str)
    delete_requested = Signal(str)
    export_requested = Signal(str, str)
    import_requested = Signal(str)
    order_changed = Signal(list)
    key_entered = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("presetPicker")
        self.list = QListWidget()
        self.list.setObjectName("presetList")
        self.list.itemDoubleClicked.connect(lambda item: self.switch_requested.emit(item.text()))
        self.active_label = QLabel("No preset applied")
        self.active_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_label = QLabel("")
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_label.setWordWrap(True)
        self.switch_button = QPushButton("Switch")
        self.switch_button.clicked.connect(self._switch)
        # Two rows of four: one row of eight made the dock 739 px wide, too wide for a 1366x768 screen.
        buttons = QGridLayout()
        self._buttons: dict[str, QPushButton] = {}
        for text, slot in (
            ("New from current", self._create),
            ("Duplicate", self._duplicate),
            ("Rename", self._rename),
            ("Delete", self._delete),
            ("Up", lambda: self._move(-1)),
            ("Down", lambda: self._move(1)),
            ("Export", self._export),
            ("Import", self._import),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button, len(self._buttons) // 4, len(self._buttons) % 4)
            self._buttons[text] = button
        layout = QVBoxLayout(self)
        layout.addWidget(self.active_label)
        layout.addWidget(self.list)
        layout.addWidget(self.switch_button)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_label)

    # -- what the bridge shows -------------------------------------------------------------------

    def set_presets(self, names: list[str], active: str | None) -> None:
        current = self.selected()
        self.list.clear()
        for name in names:
            item = QListWidgetItem(name)
            if name == active:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
            if name == current:
                self.list.setCurrentItem(item)
        self.active_label.setText(f"On air: {active}" if active else "No preset applied")

    def set_progress(self, text: str) -> None:
        self.progress_label.setText(text)

    def set_switching(self, switching: bool) -> None:
        self.switch_button.setEnabled(not switching)

    def names(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def selected(self) -> str | None:
        item = self.list.currentItem()
        return item.text() if item is not None else None

    def ask_keys(self, entries: dict[str, str]) -> None:
        """After an import: ask for each destination's stream key (typed hidden; empty skips it)."""
        for destination, entry in entries.items():
            key, ok = QInputDialog.getText(
                self, "Stream key", f"Stream key for {destination}:", QLineEdit.EchoMode.Password
            )
            if ok and key.strip():
                self.key_entered.emit(entry, key.strip())

    # -- intents ---------------------------------------------------------------------------------

    def _switch(self) -> None:
        name = self.selected()
        if name:
            self.switch_requested.emit(name)

    def _ask_name(self, title: str, default: str = "") -> str | None:
        name, ok = QInputDialog.getText(self, title, "Preset name:", QLineEdit.EchoMode.Normal, default)
        return name.strip() if ok and name.strip() else None

    def _create(self) -> None:
        name = self._ask_name("New preset from the current set-up")
        if name:
            self.create_requested.emit(name)

    def _duplicate(self) -> None:
        source = self.selected()
        name = self._ask_name("Duplicate preset", f"{source} copy") if source else None
        if source and name:
            self.duplicate_requested.emit(source, name)

    def _rename(self) -> None:
        source = self.selected()
        name = self._ask_name("Rename preset", source or "") if source else None
        if source and name and name != source:
            self.rename_requested.emit(source, name)

    def confirm_delete(self, name: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Delete preset", "", parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Delete the preset {name!r} and its catalog? Its stream keys are removed from the keyring.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes

    def _delete(self) -> None:
        name = self.selected()
        if name and self.confirm_delete(name):
            self.delete_requested.emit(name)

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self.order_changed.emit(self.names())

    def _export(self) -> None:
        name = self.selected()
        if not name:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export preset", f"{name}.preset.json", "Presets (*.json)")
        if path:
            self.export_requested.emit(name, path)

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import preset", "", "Presets (*.json)")
        if path:
            self.import_requested.emit(path)
