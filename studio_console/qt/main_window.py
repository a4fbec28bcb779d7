"""The main window: dockable panels, menus, and a status bar that always tells the truth about OBS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QWidget,
)

from studio_console import APP_NAME, __version__
from studio_console.domain.obs_status import ConnectionStatus, OutputPhase
from studio_console.qt.plain_text import plain_label
from studio_console.qt.views.log_panel import LogPanel
from studio_console.qt.views.stream_words import is_rehearsal, phase_colour, phase_word

if TYPE_CHECKING:
    from studio_console.domain.obs_state import ObsSnapshot
    from studio_console.domain.stream import OutputStatus

_STATUS_COLOURS = {
    ConnectionStatus.CONNECTED: "#2e7d32",
    ConnectionStatus.CONNECTING: "#f9a825",
    ConnectionStatus.RECONNECTING: "#f9a825",
    ConnectionStatus.AUTH_FAILED: "#c62828",
    ConnectionStatus.UNSUPPORTED: "#c62828",
}


class PlaceholderPanel(QLabel):
    """An empty panel that says what will appear in it."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setEnabled(False)


class MainWindow(QMainWindow):
    """Docks: Scenes, Products, Chat, Output, Log.

    Signals:
        reconnect_requested(): the operator asked to retry the OBS connection now.
        password_change_requested(): the operator wants to enter the OBS password.
        launch_obs_requested(): the operator asked to start OBS.
        close_requested(): the window is closing; the app should shut down.
        remote_info_requested(): show the remote-control API's address and token.
        shortcuts_edit_requested(): the producer wants to change keyboard shortcuts.
        card_scenes_requested(): the producer wants to choose the scenes that show cards.
        connection_requested(): the producer wants to set OBS's address and password (OBS > Connection…).
        chat_sources_requested(): the producer wants to set the chat channels (Tools > Chat sources…).
        moderation_requested(): the producer wants to edit blocked words and users.
    """

    reconnect_requested = Signal()
    password_change_requested = Signal()
    launch_obs_requested = Signal()
    close_requested = Signal()
    remote_info_requested = Signal()
    shortcuts_edit_requested = Signal()
    card_scenes_requested = Signal()
    connection_requested = Signal()
    chat_sources_requested = Signal()
    moderation_requested = Signal()

    DOCKS = ("Scenes", "Products", "Chat", "Output", "Log")

    def __init__(self, log_panel: LogPanel | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.resize(1400, 900)
        self.setDockNestingEnabled(True)
        self.log_panel = log_panel or LogPanel()
        self.docks: dict[str, QDockWidget] = {}
        centre = PlaceholderPanel("Program output and on-air cards appear here.")
        centre.setObjectName("centrePanel")
        self.setCentralWidget(centre)
        placements = {
            "Scenes": Qt.DockWidgetArea.LeftDockWidgetArea,
            # The products panel is wide (list, editor, on-air controls): it gets the bottom row.
            "Products": Qt.DockWidgetArea.BottomDockWidgetArea,
            "Chat": Qt.DockWidgetArea.RightDockWidgetArea,
            "Output": Qt.DockWidgetArea.RightDockWidgetArea,
            # The log is for when something goes wrong: a tab beside chat, not a share of the products row.
            "Log": Qt.DockWidgetArea.RightDockWidgetArea,
        }
        empty = {
            "Products": "The product catalog and on-air cards will appear here.",
            "Chat": "Live chat will appear here.",
            "Output": "Stream destinations and output figures will appear here.",
            "Scenes": "Scenes appear here once OBS is connected.",
        }
        for name in self.DOCKS:
            dock = QDockWidget(name, self)
            dock.setObjectName(f"{name.lower()}Dock")
            content: QWidget = self.log_panel if name == "Log" else PlaceholderPanel(empty[name])
            dock.setWidget(content)
            self.addDockWidget(placements[name], dock)
            self.docks[name] = dock
        # Chat, Output and Log share the right column as tabs; chat (the host's screen) in front.
        self.tabifyDockWidget(self.docks["Chat"], self.docks["Output"])
        self.tabifyDockWidget(self.docks["Output"], self.docks["Log"])
        self.docks["Chat"].raise_()
        # The products row runs under the scenes to the chat column (which keeps its full height for the
        # host's questions) and gets the height tonight's queue and a flash sale need.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([self.docks["Products"]], [340], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["Scenes"], self.docks["Chat"]], [250, 340], Qt.Orientation.Horizontal)
        self._build_menus()
        self._rehearsal = False
        self._last_snap: ObsSnapshot | None = None
        self._build_status_bar()
        self.remember_default_layout()  # before any saved layout is restored

    def add_dock(
        self, name: str, widget: QWidget, area: Qt.DockWidgetArea, tabify_with: str | None = None
    ) -> QDockWidget:
        """A further dock (e.g. Audio), listed in the View menu like the others."""
        dock = QDockWidget(name, self)
        dock.setObjectName(f"{name.lower()}Dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        if tabify_with in self.docks:
            self.tabifyDockWidget(self.docks[tabify_with], dock)
        self.docks[name] = dock
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def set_panel(self, dock_name: str, widget: QWidget, scrollable: bool = False) -> None:
        """Put a real panel into one of the docks (replacing its placeholder).

        ``scrollable`` wraps a tall form in a scroll area, so a small screen never forces the window
        to grow past it.
        """
        if scrollable:
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setWidget(widget)
            self.docks[dock_name].setWidget(area)
        else:
            self.docks[dock_name].setWidget(widget)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        obs_menu = self.menuBar().addMenu("&OBS")
        self.connection_action = QAction("&Connection…", self)
        self.connection_action.triggered.connect(self.connection_requested)
        obs_menu.addAction(self.connection_action)
        self.reconnect_action = QAction("&Reconnect now", self)
        self.reconnect_action.setShortcut(QKeySequence("Ctrl+R"))
        self.reconnect_action.triggered.connect(self.reconnect_requested)
        self.password_action = QAction("Set WebSocket &password…", self)
        self.password_action.triggered.connect(self.password_change_requested)
        self.launch_action = QAction("&Launch OBS", self)
        self.launch_action.triggered.connect(self.launch_obs_requested)
        for action in (self.reconnect_action, self.password_action, self.launch_action):
            obs_menu.addAction(action)

        view_menu = self.menuBar().addMenu("&View")
        self.view_menu = view_menu
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        self.reset_layout_action = QAction("&Reset layout", self)
        self.reset_layout_action.triggered.connect(self.reset_layout)
        view_menu.addAction(self.reset_layout_action)

        tools_menu = self.menuBar().addMenu("&Tools")
        self.remote_action = QAction("&Remote control…", self)
        self.remote_action.triggered.connect(self.remote_info_requested)
        tools_menu.addAction(self.remote_action)
        self.shortcuts_action = QAction("&Keyboard shortcuts…", self)
        self.shortcuts_action.triggered.connect(self.shortcuts_edit_requested)
        tools_menu.addAction(self.shortcuts_action)
        self.card_scenes_action = QAction("Scenes that show &cards…", self)
        self.card_scenes_action.triggered.connect(self.card_scenes_requested)
        tools_menu.addAction(self.card_scenes_action)
        self.chat_sources_action = QAction("C&hat sources…", self)
        self.chat_sources_action.triggered.connect(self.chat_sources_requested)
        tools_menu.addAction(self.chat_sources_action)
        self.moderation_action = QAction("&Blocked words and users…", self)
        self.moderation_action.triggered.connect(self.moderation_requested)
        tools_menu.addAction(self.moderation_action)

        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _build_status_bar(self) -> None:
        self.connection_label = plain_label("OBS not connected")
        self.connection_label.setObjectName("connectionLabel")
        self.output_label = plain_label("")
        self.output_label.setObjectName("outputLabel")
        self.launch_button = QPushButton("Launch OBS")
        self.launch_button.setObjectName("launchObsButton")
        self.launch_button.setToolTip("Start OBS Studio with its WebSocket server on the configured port")
        self.launch_button.clicked.connect(self.launch_obs_requested)
        self.launch_button.hide()
        # Permanent widgets stay visible while temporary messages show on the left.
        self.statusBar().addPermanentWidget(self.launch_button)
        self.statusBar().addPermanentWidget(self.connection_label)
        self.statusBar().addPermanentWidget(self.output_label)

    def show_obs_state(self, snap: ObsSnapshot) -> None:
        conn = snap.connection
        # "Launch OBS" is offered only where it can help: OBS installed and nothing answering.
        self.launch_button.setVisible(
            self.launch_action.isEnabled()
            and conn.status in (ConnectionStatus.DISCONNECTED, ConnectionStatus.RECONNECTING)
            and "Nothing answers" in conn.message
        )
        self.connection_label.setText(conn.message)
        colour = _STATUS_COLOURS.get(conn.status, "#c62828")
        self.connection_label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self._last_snap = snap
        parts = []
        if snap.stream.phase is not OutputPhase.STOPPED:
            parts.append(f"Stream: {phase_word(snap.stream.phase, self._rehearsal)}")
        if snap.record.phase is not OutputPhase.STOPPED:
            parts.append(f"Rec: {snap.record.phase.value.upper()}")
        if snap.stats is not None:
            parts.append(f"{snap.stats.active_fps:.0f} fps  CPU {snap.stats.cpu_usage:.0f}%")
        self.output_label.setText("   ".join(parts))
        colour = phase_colour(snap.stream.phase, self._rehearsal, snap.stream.active)
        self.output_label.setStyleSheet(f"color: {colour};" if colour else "")

    def show_output_status(self, status: OutputStatus) -> None:
        """The go-live service's view of the stream: a rehearsal reads REHEARSAL in the status bar, never LIVE."""
        self._rehearsal = is_rehearsal(status)
        if self._last_snap is not None:
            self.show_obs_state(self._last_snap)

    def restore_layout(self, geometry_b64: str, state_b64: str) -> None:
        if geometry_b64:
            self.restoreGeometry(QByteArray.fromBase64(geometry_b64.encode("ascii")))
        if state_b64:
            self.restoreState(QByteArray.fromBase64(state_b64.encode("ascii")))

    def remember_default_layout(self) -> None:
        """The dock layout *View > Reset layout* goes back to."""
        self._default_layout = self.saveState()

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_layout)

    def saved_layout(self) -> tuple[str, str]:
        geometry = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
        state = bytes(self.saveState().toBase64().data()).decode("ascii")
        return geometry, state

    def show_notice(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> QMessageBox:
        """A non-modal message that does not block the show."""
        box = QMessageBox(icon, title, "", QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(text)
        box.setModal(False)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        return box

    def _about(self) -> None:
        self.show_notice(
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\nA control room for live-shopping streams.",
            QMessageBox.Icon.Information,
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self.close_requested.emit()
        super().closeEvent(event)
