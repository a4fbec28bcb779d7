"""The host's chat panel: the live stream that follows new messages, the questions queue, and on-air actions."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio_console.domain.chat import ChatHubSnapshot, ChatMessage, SourceStatus
from studio_console.qt.models.chat_model import ChatModel, ChatQuestionsModel
from studio_console.qt.views.chat_delegate import ChatMessageDelegate

# Within this many pixels of the end counts as "at the bottom": following resumes.
BOTTOM_SLACK_PX = 4
STATUS_MARKS = {
    SourceStatus.LIVE: "●",
    SourceStatus.CONNECTING: "…",
    SourceStatus.RECONNECTING: "↻",
    SourceStatus.FAILED: "✕",
    SourceStatus.IDLE: "○",
}


def menu_text(text: str, limit: int = 40) -> str:
    """Viewer text for a menu entry: short, one line, and '&' kept literal (it marks a shortcut in menus)."""
    one_line = " ".join(text.split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    return one_line.replace("&", "&&")


class ChatListView(QTableView):
    """A one-column list of chat rows of one fixed height, scrolled by pixel.

    A table rather than a QListView: QListView lays out every row again on each insert (calling the
    Python model per row), which measured 6-8 ms per flush with 2,000 rows; a table with fixed-height
    rows only updates its header (about 1 ms).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setTabKeyNavigation(False)
        self.horizontalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        rows = self.verticalHeader()
        rows.hide()
        rows.setMinimumSectionSize(1)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

    def set_row_height(self, height: int) -> None:
        self.verticalHeader().setDefaultSectionSize(height)

    @property
    def row_height(self) -> int:
        return self.verticalHeader().defaultSectionSize()

    def layout_now(self) -> None:
        """Apply a pending layout so scroll positions are current."""
        self.executeDelayedItemsLayout()


class ChatPanel(QWidget):
    """Live chat for the host. Takes models; emits intents.

    Signals:
        feature_requested(str): put the message with this id on air as the featured comment.
        unfeature_requested(): take the featured comment off air.
        dismiss_question_requested(str): take this question off the host's queue.
        block_user_requested(str, str): hide everything from this user (platform, user name) on this PC.
        host_question_requested(object): show this ChatMessage to the host (the host view).
    """

    feature_requested = Signal(str)
    unfeature_requested = Signal()
    dismiss_question_requested = Signal(str)
    block_user_requested = Signal(str, str)
    host_question_requested = Signal(object)

    def __init__(
        self,
        model: ChatModel,
        questions: ChatQuestionsModel | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chatPanel")
        self.model = model
        self.questions_model = questions or ChatQuestionsModel(self)
        self.delegate = ChatMessageDelegate(self)
        self.unseen = 0
        self._detail_message: ChatMessage | None = None
        self._following = True
        self._value_before = 0

        self.list_view = ChatListView()
        self.list_view.setObjectName("chatList")
        self.list_view.setModel(model)
        self.list_view.setItemDelegate(self.delegate)
        self.list_view.set_row_height(self.delegate.row_height(self.list_view.font()))
        self.list_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list_view.customContextMenuRequested.connect(self._context_menu)
        self.list_view.selectionModel().currentChanged.connect(self._current_changed)
        self.list_view.verticalScrollBar().valueChanged.connect(self._scrolled)

        self.jump_button = QPushButton("", self.list_view)
        self.jump_button.setObjectName("chatJumpButton")
        self.jump_button.setToolTip("Jump to the newest messages and follow them again")
        self.jump_button.clicked.connect(self.jump_to_latest)
        self.jump_button.hide()

        self.status_label = QLabel()
        self.status_label.setObjectName("chatSources")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)  # state messages quote servers
        self.status_label.setWordWrap(True)
        self.featured_label = QLabel("Nothing featured")
        self.featured_label.setObjectName("chatFeatured")
        self.featured_label.setTextFormat(Qt.TextFormat.PlainText)
        self.featured_label.setWordWrap(True)

        self.feature_button = QPushButton("Feature on air")
        self.feature_button.setObjectName("featureButton")
        self.feature_button.setEnabled(False)
        self.feature_button.clicked.connect(self._feature_selected)
        self.unfeature_button = QPushButton("Take off air")
        self.unfeature_button.setObjectName("unfeatureButton")
        self.unfeature_button.setEnabled(False)
        self.unfeature_button.clicked.connect(self.unfeature_requested)

        self.detail = QPlainTextEdit()
        self.detail.setObjectName("chatDetail")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select a message to read it whole")
        self.detail.setMaximumHeight(80)

        self.questions_label = QLabel("Questions for the host")
        self.questions_view = ChatListView()
        self.questions_view.setObjectName("questionsList")
        self.questions_view.setModel(self.questions_model)
        questions_delegate = ChatMessageDelegate(self)
        self.questions_view.setItemDelegate(questions_delegate)
        self.questions_view.set_row_height(questions_delegate.row_height(self.questions_view.font()))
        self.questions_view.selectionModel().currentChanged.connect(self._question_changed)
        self.dismiss_button = QPushButton("Answered")
        self.dismiss_button.setObjectName("dismissQuestionButton")
        self.dismiss_button.setEnabled(False)
        self.dismiss_button.clicked.connect(self._dismiss_selected)

        actions = QHBoxLayout()
        actions.addWidget(self.feature_button)
        actions.addWidget(self.unfeature_button)
        actions.addStretch(1)
        stream = QWidget()
        stream_layout = QVBoxLayout(stream)
        stream_layout.setContentsMargins(0, 0, 0, 0)
        stream_layout.addWidget(self.status_label)
        stream_layout.addWidget(self.list_view, 1)
        stream_layout.addWidget(self.detail)
        stream_layout.addLayout(actions)
        stream_layout.addWidget(self.featured_label)
        queue = QWidget()
        queue_layout = QVBoxLayout(queue)
        queue_layout.setContentsMargins(0, 0, 0, 0)
        queue_row = QHBoxLayout()
        queue_row.addWidget(self.questions_label, 1)
        queue_row.addWidget(self.dismiss_button)
        queue_layout.addLayout(queue_row)
        queue_layout.addWidget(self.questions_view, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(stream)
        splitter.addWidget(queue)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        model.about_to_flush.connect(self._before_flush)
        model.flushed.connect(self._after_flush)

    # -- following the newest messages -------------------------------------------------------------

    @property
    def following(self) -> bool:
        """True while the view sticks to the newest message; False while the host reads back."""
        return self._following

    def _at_bottom(self) -> bool:
        bar = self.list_view.verticalScrollBar()
        return bar.value() >= bar.maximum() - BOTTOM_SLACK_PX

    def _before_flush(self) -> None:
        self.list_view.layout_now()
        self._following = self._at_bottom()
        self._value_before = self.list_view.verticalScrollBar().value()

    def _after_flush(self, inserted: int, trimmed: int) -> None:
        if self._following:
            self.list_view.scrollToBottom()
            return
        if trimmed:
            # Rows left at the top: keep the host's place instead of letting the text jump.
            self.list_view.layout_now()
            bar = self.list_view.verticalScrollBar()
            bar.setValue(max(0, self._value_before - trimmed * self.list_view.row_height))
        self.unseen += inserted
        self._show_jump_button()

    def _scrolled(self, _value: int) -> None:
        if self.unseen and self._at_bottom():
            self._following = True
            self.unseen = 0
            self.jump_button.hide()
        elif not self._at_bottom():
            self._following = False

    def jump_to_latest(self) -> None:
        self.model.flush()
        self.list_view.scrollToBottom()
        self._following = True
        self.unseen = 0
        self.jump_button.hide()

    def _show_jump_button(self) -> None:
        if self.unseen <= 0:
            self.jump_button.hide()
            return
        self.jump_button.setText(f"{self.unseen} new message{'s' if self.unseen != 1 else ''} ↓")
        self.jump_button.adjustSize()
        self._place_jump_button()
        self.jump_button.show()
        self.jump_button.raise_()

    def _place_jump_button(self) -> None:
        viewport = self.list_view.viewport().geometry()
        size = self.jump_button.sizeHint()
        self.jump_button.move(
            viewport.left() + (viewport.width() - size.width()) // 2, viewport.bottom() - size.height() - 8
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.jump_button.isVisible():
            self._place_jump_button()

    # -- state from the chat hub -------------------------------------------------------------------

    def show_snapshot(self, snapshot: ChatHubSnapshot) -> None:
        featured = snapshot.featured
        self.model.set_featured(featured.message_id if featured else None)
        self.questions_model.set_questions(snapshot.questions, featured.message_id if featured else None)
        self.questions_label.setText(f"Questions for the host ({len(snapshot.questions)})")
        if featured is None:
            self.featured_label.setText("Nothing featured")
        else:
            self.featured_label.setText(f"On air: {featured.name}: {featured.text[:300]}")
        self.unfeature_button.setEnabled(featured is not None)
        parts = [f"{STATUS_MARKS.get(s.status, '?')} {s.source_id}: {s.message}" for s in snapshot.sources]
        if snapshot.viewer_count is not None:
            parts.append(f"{snapshot.viewer_count} viewers")
        self.status_label.setText("   ".join(parts))

    # -- selection and actions ---------------------------------------------------------------------

    def selected_message(self) -> ChatMessage | None:
        index = self.list_view.currentIndex()
        return self.model.message_at(index.row()) if index.isValid() else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        message = self.model.message_at(current.row()) if current.isValid() else None
        self._show_detail(message)

    def _question_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        message = self.questions_model.message_at(current.row()) if current.isValid() else None
        self.dismiss_button.setEnabled(message is not None)
        self._show_detail(message)

    def _show_detail(self, message: ChatMessage | None) -> None:
        self._detail_message = message
        self.feature_button.setEnabled(message is not None)
        # QPlainTextEdit never interprets markup: the full text, literally.
        self.detail.setPlainText(f"{message.name} ({message.platform}): {message.text}" if message else "")

    def _feature_selected(self) -> None:
        message = self._detail_message
        if message is not None:
            self.feature_requested.emit(message.message_id)

    def _dismiss_selected(self) -> None:
        index = self.questions_view.currentIndex()
        message = self.questions_model.message_at(index.row()) if index.isValid() else None
        if message is not None:
            self.dismiss_question_requested.emit(message.message_id)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.list_view.indexAt(pos)
        message = self.model.message_at(index.row()) if index.isValid() else None
        if message is None:
            return
        menu = self.build_context_menu(message)
        menu.exec(self.list_view.viewport().mapToGlobal(pos))

    def build_context_menu(self, message: ChatMessage) -> QMenu:
        menu = QMenu(self)
        feature = QAction("Feature on air", menu)
        feature.triggered.connect(lambda: self.feature_requested.emit(message.message_id))
        menu.addAction(feature)
        copy = QAction("Copy text", menu)
        copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(message.text))
        menu.addAction(copy)
        if message.user_name or message.display_name:
            user = message.user_name or message.display_name
            block = QAction(f"Hide messages from {menu_text(message.name)}", menu)
            block.triggered.connect(lambda: self.block_user_requested.emit(message.platform, user))
            menu.addAction(block)
        to_host = QAction("Send to the host view", menu)
        to_host.triggered.connect(lambda: self.host_question_requested.emit(message))
        menu.addAction(to_host)
        return menu
