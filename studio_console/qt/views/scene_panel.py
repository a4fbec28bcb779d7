"""The producer's switcher: a grid of scene tiles with live thumbnails, Take, transition and studio mode."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio_console.domain.obs_state import ObsSnapshot

PROGRAM_COLOUR = "#d32f2f"
PREVIEW_COLOUR = "#2e7d32"
THUMB_SIZE = QSize(160, 90)


class SceneTile(QToolButton):
    """One scene: thumbnail above its name; red border on program, green on preview."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene_name = name
        self.setObjectName("sceneTile")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.setIconSize(THUMB_SIZE)
        self.setText(name)  # QToolButton text is never rich text
        self.setMinimumSize(THUMB_SIZE.width() + 16, THUMB_SIZE.height() + 36)
        self.role = ""
        self.set_role("")

    def set_role(self, role: str) -> None:
        """'program', 'preview' or ''."""
        self.role = role
        colour = {"program": PROGRAM_COLOUR, "preview": PREVIEW_COLOUR}.get(role)
        border = f"3px solid {colour}" if colour else "3px solid transparent"
        self.setStyleSheet(f"QToolButton#sceneTile {{ border: {border}; border-radius: 4px; padding: 2px; }}")

    def set_thumbnail(self, image: QImage) -> None:
        pixmap = QPixmap.fromImage(image).scaled(
            THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.setIcon(pixmap)


class ScenePanel(QWidget):
    """Scene grid and switcher controls.

    Signals:
        scene_requested(str): a tile was clicked or its shortcut pressed (program, or preview in
            studio mode).
        take_requested(): Take (preview to program) was asked for.
        studio_mode_requested(bool): the studio-mode box was toggled by the user.
        transition_requested(str): a transition was picked.
        transition_duration_requested(int): a new duration in ms was entered.
        orientation_requested(bool): True for a vertical 9:16 canvas, False for 16:9.
        visibility_changed(bool): the panel became visible or hidden (thumbnails pause).
    """

    scene_requested = Signal(str)
    take_requested = Signal()
    studio_mode_requested = Signal(bool)
    transition_requested = Signal(str)
    transition_duration_requested = Signal(int)
    orientation_requested = Signal(bool)
    visibility_changed = Signal(bool)

    def __init__(self, shortcuts: dict[str, str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scenePanel")
        self.tiles: dict[str, SceneTile] = {}
        self._thumbs: dict[str, QImage] = {}
        self._updating = False
        self._scene_order: tuple[str, ...] = ()
        # App-owned scenes (the card overlay) are not for switching to.
        self.hidden_scenes: set[str] = set()

        self.studio_mode_box = QCheckBox("Studio mode")
        self.studio_mode_box.toggled.connect(self._studio_mode_toggled)
        self.transition_combo = QComboBox()
        self.transition_combo.setToolTip("Transition used by Take and scene switches")
        self.transition_combo.activated.connect(
            lambda i: self.transition_requested.emit(self.transition_combo.itemText(i))
        )
        self.duration_spin = QSpinBox()
        self.duration_spin.setRange(0, 20000)
        self.duration_spin.setSingleStep(50)
        self.duration_spin.setSuffix(" ms")
        self.duration_spin.setKeyboardTracking(False)
        self.duration_spin.valueChanged.connect(self._duration_changed)
        self.take_button = QPushButton("Take")
        self.take_button.setObjectName("takeButton")
        self.take_button.setToolTip("Send preview to program (studio mode)")
        self.take_button.clicked.connect(self.take_requested)
        self.orientation_combo = QComboBox()
        self.orientation_combo.addItems(["Landscape 16:9", "Vertical 9:16"])
        self.orientation_combo.setToolTip("Canvas orientation (vertical for TikTok LIVE)")
        self.orientation_combo.activated.connect(lambda i: self.orientation_requested.emit(i == 1))

        controls = QHBoxLayout()
        controls.addWidget(self.studio_mode_box)
        controls.addWidget(self.transition_combo, 1)
        controls.addWidget(self.duration_spin)
        controls.addWidget(self.take_button)
        controls2 = QHBoxLayout()
        controls2.addWidget(QLabel("Canvas:"))
        controls2.addWidget(self.orientation_combo, 1)

        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.grid_host)
        self.scroll_area = scroll
        self._columns = 0
        self.empty_label = QLabel("No scenes: OBS is not connected.")
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(controls2)
        layout.addWidget(self.empty_label)
        layout.addWidget(scroll, 1)

        self.shortcuts: list[QShortcut] = []
        self.set_shortcuts(shortcuts or {})
        self.setEnabled(False)

    # -- shortcuts ----------------------------------------------------------------------------------

    def set_shortcuts(self, mapping: dict[str, str]) -> None:
        """``scene_1`` … ``scene_9`` pick the n-th scene; ``take`` takes. Keys as QKeySequence text."""
        for shortcut in self.shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self.shortcuts = []
        for action, keys in mapping.items():
            # Other panels' keys share the mapping (the Rundown panel's act only while it has focus).
            if not keys or not (action == "take" or action.startswith("scene_")):
                continue
            for key in [keys, "Return"] if action == "take" and keys == "Space" else [keys]:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
                if action == "take":
                    shortcut.activated.connect(self.take_requested)
                elif action.startswith("scene_"):
                    index = int(action.removeprefix("scene_")) - 1
                    shortcut.activated.connect(lambda i=index: self._pick_index(i))
                self.shortcuts.append(shortcut)

    def _pick_index(self, index: int) -> None:
        if self.isEnabled() and 0 <= index < len(self._scene_order):
            self.scene_requested.emit(self._scene_order[index])

    # -- state --------------------------------------------------------------------------------------

    def show_state(self, snap: ObsSnapshot) -> None:
        connected = snap.connection.connected
        self.setEnabled(connected)
        self._updating = True
        try:
            scenes = tuple(s for s in snap.scenes if s not in self.hidden_scenes)
            if scenes != self._scene_order:
                self._rebuild(scenes)
            for name, tile in self.tiles.items():
                role = ""
                if snap.studio_mode and name == snap.preview_scene:
                    role = "preview"
                if name == snap.program_scene:
                    role = "program"
                if tile.role != role:
                    tile.set_role(role)
            self.studio_mode_box.setChecked(snap.studio_mode)
            self.take_button.setEnabled(snap.studio_mode)
            if (
                tuple(self.transition_combo.itemText(i) for i in range(self.transition_combo.count()))
                != snap.transitions
            ):
                self.transition_combo.clear()
                self.transition_combo.addItems(list(snap.transitions))
            if snap.transition:
                self.transition_combo.setCurrentText(snap.transition)
            fixed = snap.transition_duration_ms is None
            self.duration_spin.setEnabled(not fixed)
            if not fixed and self.duration_spin.value() != snap.transition_duration_ms:
                self.duration_spin.setValue(int(snap.transition_duration_ms or 0))
            if snap.video is not None:
                self.orientation_combo.setCurrentIndex(1 if snap.video.vertical else 0)
            self.empty_label.setVisible(not scenes)
            self.empty_label.setText("No scenes: OBS is not connected." if not connected else "OBS has no scenes yet.")
        finally:
            self._updating = False

    def _rebuild(self, scenes: tuple[str, ...]) -> None:
        for tile in self.tiles.values():
            self.grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles = {}
        for i, name in enumerate(scenes):
            tile = SceneTile(name)
            if i < 9:
                tile.setToolTip(f"Shortcut: {i + 1}")
            tile.clicked.connect(lambda _checked=False, n=name: self.scene_requested.emit(n))
            if name in self._thumbs:
                tile.set_thumbnail(self._thumbs[name])
            self.tiles[name] = tile
        self._scene_order = scenes
        self._columns = 0
        self._layout_tiles()

    def _layout_tiles(self) -> None:
        """As many columns as fit the panel's width, so no tile hides behind a scroll bar."""
        tile_width = THUMB_SIZE.width() + 16 + self.grid.horizontalSpacing()
        columns = max(1, (self.scroll_area.viewport().width() - 8) // max(1, tile_width))
        if columns == self._columns:
            return
        self._columns = columns
        for tile in self.tiles.values():
            self.grid.removeWidget(tile)
        for i, tile in enumerate(self.tiles.values()):
            self.grid.addWidget(tile, i // columns, i % columns)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._layout_tiles()

    def set_thumbnail(self, scene: str, image: QImage) -> None:
        self._thumbs[scene] = image
        tile = self.tiles.get(scene)
        if tile is not None:
            tile.set_thumbnail(image)

    def _studio_mode_toggled(self, checked: bool) -> None:
        if not self._updating:
            self.studio_mode_requested.emit(checked)

    def _duration_changed(self, value: int) -> None:
        if not self._updating:
            self.transition_duration_requested.emit(value)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.visibility_changed.emit(True)

    def hideEvent(self, event: object) -> None:
        super().hideEvent(event)  # type: ignore[arg-type]
        self.visibility_changed.emit(False)
