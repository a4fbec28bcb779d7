"""Qt list models over chat: the live stream (batched inserts, bounded scrollback) and the host's question queue."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal

from studio_console.domain.chat import ChatKind, ChatMessage

ModelIndex = QModelIndex | QPersistentModelIndex
_NO_PARENT = QModelIndex()
# Tooltips are rich text whenever Qt guesses so; the text is escaped and capped (a 10,000-character line).
TOOLTIP_MAX_CHARS = 1_000


class ChatRole(IntEnum):
    MESSAGE = Qt.ItemDataRole.UserRole + 1
    MESSAGE_ID = Qt.ItemDataRole.UserRole + 2
    NAME = Qt.ItemDataRole.UserRole + 3
    TEXT = Qt.ItemDataRole.UserRole + 4
    PLATFORM = Qt.ItemDataRole.UserRole + 5
    KIND = Qt.ItemDataRole.UserRole + 6
    FEATURED = Qt.ItemDataRole.UserRole + 7


def plain_line(message: ChatMessage) -> str:
    """The message as one line of plain text, exactly as the viewer wrote it."""
    if message.kind is ChatKind.GIFT and message.gift_name:
        detail = f"{message.gift_name} x{message.gift_count or 1}"
        return f"{message.name}: {detail} {message.text}".rstrip() if message.text else f"{message.name}: {detail}"
    if message.kind is ChatKind.VIEWER_COUNT:
        return f"{message.viewer_count} viewers"
    return f"{message.name}: {message.text}" if message.name else message.text


def tooltip_html(message: ChatMessage) -> str:
    """Tooltip markup with every viewer-supplied character escaped, so it shows literally and loads nothing."""
    text = plain_line(message)
    if len(text) > TOOLTIP_MAX_CHARS:
        text = text[:TOOLTIP_MAX_CHARS] + "…"
    # Starting with a tag makes Qt treat it as rich text, so the entities show as the characters they stand for.
    return f"<p style='white-space:pre-wrap'>[{html.escape(message.platform)}] {html.escape(text)}</p>"


def _message_data(message: ChatMessage, role: int, featured_id: str | None) -> Any:
    if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.AccessibleTextRole:
        return plain_line(message)
    if role == ChatRole.MESSAGE:
        return message
    if role == ChatRole.MESSAGE_ID:
        return message.message_id
    if role == ChatRole.NAME:
        return message.name
    if role == ChatRole.TEXT:
        return message.text
    if role == ChatRole.PLATFORM:
        return message.platform
    if role == ChatRole.KIND:
        return message.kind.value
    if role == ChatRole.FEATURED:
        return message.message_id == featured_id
    if role == Qt.ItemDataRole.ToolTipRole:
        return tooltip_html(message)
    return None


class ChatModel(QAbstractListModel):
    """The chat stream for the host. ``append`` only buffers; a timer flushes every ``flush_interval_ms``
    with one beginInsertRows per flush (a repaint per row costs milliseconds, see PLATFORM_FACTS).
    Scrollback keeps ``capacity`` rows: once ``trim_batch`` more have arrived, the oldest go in one remove.

    Signals:
        about_to_flush(): buffered rows are about to be inserted (views note their scroll position).
        flushed(int, int): rows inserted and rows trimmed from the top by the flush that just ended.
    """

    about_to_flush = Signal()
    flushed = Signal(int, int)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        capacity: int = 2_000,
        trim_batch: int | None = None,
        flush_interval_ms: int = 80,
        hidden_kinds: Iterable[ChatKind] = (ChatKind.VIEWER_COUNT,),
    ) -> None:
        super().__init__(parent)
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.trim_batch = trim_batch if trim_batch is not None else max(1, capacity // 10)
        self.hidden_kinds = frozenset(hidden_kinds)
        self._rows: list[ChatMessage] = []
        self._pending: list[ChatMessage] = []
        self._featured_id: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(flush_interval_ms)
        self._timer.timeout.connect(self.flush)

    # -- feeding -----------------------------------------------------------------------------------

    def append(self, message: ChatMessage) -> None:
        if message.kind in self.hidden_kinds:
            return
        self._pending.append(message)
        if not self._timer.isActive():
            self._timer.start()

    def append_many(self, messages: Iterable[ChatMessage]) -> None:
        for message in messages:
            self.append(message)

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        """Insert the buffered messages now (one insert), then trim the scrollback."""
        if not self._pending:
            self._timer.stop()
            return
        batch, self._pending = self._pending, []
        # A burst bigger than the scrollback: only its newest rows could ever be seen.
        if len(batch) > self.capacity:
            batch = batch[-self.capacity :]
        self.about_to_flush.emit()
        first = len(self._rows)
        self.beginInsertRows(_NO_PARENT, first, first + len(batch) - 1)
        self._rows.extend(batch)
        self.endInsertRows()
        trimmed = 0
        if len(self._rows) >= self.capacity + self.trim_batch:
            trimmed = len(self._rows) - self.capacity
            self.beginRemoveRows(_NO_PARENT, 0, trimmed - 1)
            del self._rows[:trimmed]
            self.endRemoveRows()
        self.flushed.emit(len(batch), trimmed)

    def remove_ids(self, message_ids: Iterable[str]) -> int:
        """Remove messages (moderation hid them); returns how many rows went."""
        gone = set(message_ids)
        if not gone:
            return 0
        self._pending = [m for m in self._pending if m.message_id not in gone]
        removed = 0
        row = len(self._rows) - 1
        # Bottom-up, in contiguous runs, so each run is one remove and row numbers stay valid.
        while row >= 0:
            if self._rows[row].message_id not in gone:
                row -= 1
                continue
            end = row
            while row >= 0 and self._rows[row].message_id in gone:
                row -= 1
            self.beginRemoveRows(_NO_PARENT, row + 1, end)
            del self._rows[row + 1 : end + 1]
            self.endRemoveRows()
            removed += end - row
        return removed

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._pending.clear()
        self.endResetModel()

    def set_featured(self, message_id: str | None) -> None:
        if message_id == self._featured_id:
            return
        changed = {self._featured_id, message_id} - {None}
        self._featured_id = message_id
        for row, message in enumerate(self._rows):
            if message.message_id in changed:
                index = self.index(row)
                self.dataChanged.emit(index, index, [ChatRole.FEATURED])

    @property
    def featured_id(self) -> str | None:
        return self._featured_id

    # -- reading -----------------------------------------------------------------------------------

    def message_at(self, row: int) -> ChatMessage | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, message_id: str) -> int | None:
        for row in range(len(self._rows) - 1, -1, -1):
            if self._rows[row].message_id == message_id:
                return row
        return None

    def rowCount(self, parent: ModelIndex = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return _message_data(self._rows[index.row()], role, self._featured_id)


class ChatQuestionsModel(QAbstractListModel):
    """The "questions for the host" queue, replaced whole from each chat snapshot (it is short)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[ChatMessage, ...] = ()
        self._featured_id: str | None = None

    def set_questions(self, questions: Sequence[ChatMessage], featured_id: str | None = None) -> None:
        rows = tuple(questions)
        if rows == self._rows and featured_id == self._featured_id:
            return
        self.beginResetModel()
        self._rows = rows
        self._featured_id = featured_id
        self.endResetModel()

    def message_at(self, row: int) -> ChatMessage | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: ModelIndex = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return _message_data(self._rows[index.row()], role, self._featured_id)
