"""The chat model: batched inserts, bounded scrollback, literal data and escaped tooltips."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from studio_console.domain.chat import ChatKind
from studio_console.qt.models.chat_model import ChatModel, ChatQuestionsModel, ChatRole, plain_line, tooltip_html
from tests.helpers.chat import HOSTILE_NAMES, message


class InsertCounter:
    """Counts the model's row signals (one beginInsertRows per flush is the point of batching)."""

    def __init__(self, model: ChatModel) -> None:
        self.inserts: list[int] = []
        self.removes: list[int] = []
        model.rowsInserted.connect(lambda _p, first, last: self.inserts.append(last - first + 1))
        model.rowsRemoved.connect(lambda _p, first, last: self.removes.append(last - first + 1))


def test_appends_are_buffered_and_inserted_once_per_flush(qtbot: QtBot) -> None:
    model = ChatModel(flush_interval_ms=50)
    counter = InsertCounter(model)
    for n in range(250):
        model.append(message(f"line {n}"))
    assert model.rowCount() == 0 and model.pending_count == 250
    with qtbot.waitSignal(model.flushed) as blocker:
        pass
    assert blocker.args == [250, 0]
    assert counter.inserts == [250] and model.rowCount() == 250
    assert model.data(model.index(249), ChatRole.TEXT) == "line 249"


def test_scrollback_is_capped_and_trimmed_in_batches() -> None:
    model = ChatModel(capacity=100, trim_batch=20)
    counter = InsertCounter(model)
    model.append_many(message(str(n)) for n in range(60))
    model.flush()
    model.append_many(message(str(n)) for n in range(60, 119))
    model.flush()
    assert model.rowCount() == 119 and counter.removes == []
    model.append(message("119"))
    model.flush()
    assert model.rowCount() == 100 and counter.removes == [20]
    assert model.message_at(0).text == "20" and model.message_at(99).text == "119"  # type: ignore[union-attr]
    # A burst larger than the scrollback keeps only its newest rows, still one insert.
    model.append_many(message(f"burst {n}") for n in range(1000))
    model.flush()
    assert model.rowCount() <= 120 and model.message_at(model.rowCount() - 1).text == "burst 999"  # type: ignore[union-attr]
    assert counter.inserts[-1] == 100


def test_viewer_counts_are_not_rows_and_removal_works() -> None:
    model = ChatModel()
    model.append(message("", kind=ChatKind.VIEWER_COUNT, viewer_count=12))
    model.append_many(message(str(n), message_id=f"id{n}") for n in range(10))
    model.flush()
    assert model.rowCount() == 10
    assert model.remove_ids({"id1", "id2", "id3", "id7", "missing"}) == 4
    assert [model.message_at(r).text for r in range(model.rowCount())] == ["0", "4", "5", "6", "8", "9"]  # type: ignore[union-attr]
    assert model.row_of("id8") == 4 and model.row_of("id7") is None


def test_hostile_text_is_data_verbatim_and_tooltips_are_escaped() -> None:
    model = ChatModel()
    long_line = "A" * 10_000
    texts = (*HOSTILE_NAMES, long_line)
    for name in HOSTILE_NAMES:
        for text in texts:
            model.append(message(text, display_name=name))
    model.flush()
    for row in range(model.rowCount()):
        item = model.message_at(row)
        assert item is not None
        index = model.index(row)
        assert model.data(index, Qt.ItemDataRole.DisplayRole) == f"{item.display_name}: {item.text}"
        assert model.data(index, ChatRole.NAME) == item.display_name
        assert model.data(index, ChatRole.TEXT) == item.text
        tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
        # Only our own wrapper is markup; every viewer character arrives as an entity or itself.
        inner = tip.removeprefix("<p style='white-space:pre-wrap'>").removesuffix("</p>")
        assert "<" not in inner and ">" not in inner
        shown = html.unescape(inner)
        assert shown.startswith("[rehearsal] ")
        if len(plain_line(item)) <= 1000:
            assert shown == f"[rehearsal] {plain_line(item)}"
        else:
            assert len(shown) < 1100 and shown.endswith("…")
    assert model.data(QModelIndex(), Qt.ItemDataRole.DisplayRole) is None


def test_featured_role_and_questions_model() -> None:
    model = ChatModel()
    model.append_many([message("a", message_id="a"), message("b", message_id="b")])
    model.flush()
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.row()))
    model.set_featured("b")
    assert model.data(model.index(1), ChatRole.FEATURED) and not model.data(model.index(0), ChatRole.FEATURED)
    model.set_featured(None)
    assert changed == [1, 1]
    questions = ChatQuestionsModel()
    resets: list[bool] = []
    questions.modelReset.connect(lambda: resets.append(True))
    queue = (message("price?", message_id="q1"),)
    questions.set_questions(queue)
    questions.set_questions(queue)  # unchanged: no reset
    assert questions.rowCount() == 1 and len(resets) == 1
    assert questions.data(questions.index(0), Qt.ItemDataRole.DisplayRole) == "Anna: price?"
    assert tooltip_html(queue[0]).startswith("<p")
