"""The chat panel: follows new messages, pauses while the host reads back, and shows hostile text literally."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLabel, QToolTip, QWidget
from pytestqt.qtbot import QtBot

from studio_console.domain.chat import ChatHubSnapshot, ChatKind, Intent, SourceState
from studio_console.qt.models.chat_model import ChatModel, ChatRole
from studio_console.qt.plain_text import wrap_plain
from studio_console.qt.views.chat_panel import ChatPanel
from tests.helpers.chat import HOSTILE_NAMES, has_magenta, message

MAGENTA = QColor(255, 0, 255)


def make_panel(qtbot: QtBot, model: ChatModel | None = None) -> ChatPanel:
    panel = ChatPanel(model or ChatModel(flush_interval_ms=50))
    qtbot.addWidget(panel)
    panel.resize(420, 640)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def feed(panel: ChatPanel, count: int, prefix: str = "line") -> None:
    panel.model.append_many(message(f"{prefix} {n}", message_id=f"{prefix}-{n}") for n in range(count))
    panel.model.flush()
    QApplication.processEvents()


def at_bottom(panel: ChatPanel) -> bool:
    bar = panel.list_view.verticalScrollBar()
    return bar.maximum() > 0 and bar.value() == bar.maximum()


def top_message_id(panel: ChatPanel) -> str:
    index = panel.list_view.indexAt(QPoint(10, 5))
    return str(index.data(ChatRole.MESSAGE_ID))


def test_follows_new_messages(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    for _ in range(3):
        feed(panel, 40)
        assert at_bottom(panel) and panel.following
    assert not panel.jump_button.isVisible()


def test_reading_back_pauses_following_and_offers_a_jump(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    feed(panel, 100, "old")
    panel.list_view.verticalScrollBar().setValue(0)
    assert not panel.following
    before = top_message_id(panel)
    feed(panel, 30, "new")
    feed(panel, 20, "newer")
    assert panel.list_view.verticalScrollBar().value() == 0 and top_message_id(panel) == before
    assert panel.jump_button.isVisible() and panel.jump_button.text() == "50 new messages ↓"
    qtbot.mouseClick(panel.jump_button, Qt.MouseButton.LeftButton)
    assert at_bottom(panel) and panel.following and not panel.jump_button.isVisible()
    feed(panel, 5, "after")
    assert at_bottom(panel)


def test_scrolling_back_down_resumes_following(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    feed(panel, 100)
    bar = panel.list_view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    feed(panel, 10, "more")
    assert panel.jump_button.isVisible()
    bar.setValue(bar.maximum())
    assert panel.following and not panel.jump_button.isVisible()


def test_trimming_keeps_the_hosts_place(qtbot: QtBot) -> None:
    panel = make_panel(qtbot, ChatModel(capacity=100, trim_batch=10))
    feed(panel, 100, "a")
    bar = panel.list_view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    before = top_message_id(panel)
    feed(panel, 10, "b")  # 110 rows: the 10 oldest go
    assert panel.model.rowCount() == 100
    assert top_message_id(panel) == before


def magenta_image(tmp_path: Path) -> Path:
    path = tmp_path / "probe.png"
    image = QImage(48, 48, QImage.Format.Format_RGB32)
    image.fill(MAGENTA)
    assert image.save(str(path))
    return path


def hostile_texts(probe: Path) -> list[str]:
    return [
        f'<img src="{probe}">',
        f"<img src=file://{probe}>",
        f'<b>bold</b> <a href="file://{probe}">link</a> <script>alert(1)</script>',
        "مرحبا بالجميع، كم السعر؟ \u202eevil\u202c",
        "zero\u200bwidth\u200c\u200djoiner\ufeff text",
        "W" * 10_000,
    ]


def test_the_probe_would_show_if_rich_text_were_rendered(qtbot: QtBot, tmp_path: Path) -> None:
    probe = magenta_image(tmp_path)
    label = QLabel(f'<img src="{probe}">')  # Qt's default: AutoText, so this loads the file
    qtbot.addWidget(label)
    label.show()
    qtbot.waitExposed(label)
    assert has_magenta(label.grab().toImage())


def test_hostile_names_and_messages_show_literally_and_fetch_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    probe = magenta_image(tmp_path)
    panel = make_panel(qtbot)
    texts = hostile_texts(probe)
    names = [*HOSTILE_NAMES, f'<img src="{probe}">']
    for n, text in enumerate(texts):
        panel.model.append(message(text, display_name=names[n % len(names)], message_id=f"h{n}"))
    panel.model.append(message("", kind=ChatKind.GIFT, display_name=names[-1], gift_name=f"<img src='{probe}'>"))
    panel.model.flush()
    QApplication.processEvents()
    panel.list_view.scrollToTop()
    for row in range(panel.model.rowCount()):
        shown = panel.model.message_at(row)
        assert shown is not None
        assert panel.model.data(panel.model.index(row), ChatRole.TEXT) == shown.text
    assert not has_magenta(panel.grab().toImage())

    # Select a hostile message: the detail pane and the featured label show it too.
    panel.list_view.setCurrentIndex(panel.model.index(0))
    assert panel.detail.toPlainText().endswith(texts[0])
    first = panel.model.message_at(0)
    assert first is not None
    panel.show_snapshot(
        ChatHubSnapshot(
            featured=first,
            questions=(first,),
            sources=(SourceState(source_id="twitch", platform="twitch", message=f'<img src="{probe}">'),),
        )
    )
    assert panel.featured_label.text().startswith("On air: ")
    assert f'<img src="{probe}">' in panel.status_label.text()
    QApplication.processEvents()
    assert not has_magenta(panel.grab().toImage())

    # Tooltips: escaped markup shows the characters and loads nothing.
    tip = panel.model.data(panel.model.index(0), Qt.ItemDataRole.ToolTipRole)
    QToolTip.showText(panel.mapToGlobal(QPoint(20, 20)), tip, panel)
    qtbot.waitUntil(QToolTip.isVisible)
    tip_label = next(w for w in QApplication.topLevelWidgets() if w.metaObject().className() == "QTipLabel")
    assert isinstance(tip_label, QWidget)
    assert not has_magenta(tip_label.grab().toImage())
    assert "&lt;img" in QToolTip.text()
    QToolTip.hideText()


@pytest.mark.parametrize("text", ["W" * 10_000, "مرحبا " * 500, "a\u200b" * 3000, "😀" * 2000, "line\nbreaks\n" * 100])
def test_long_and_unusual_text_is_wrapped_to_two_elided_lines(qtbot: QtBot, text: str) -> None:
    panel = make_panel(qtbot)
    lines = wrap_plain(text, panel.font(), 300, 2)
    assert 1 <= len(lines) <= 2
    assert lines[-1].endswith("…")


def test_feature_dismiss_and_block_emit_intents(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    feed(panel, 3)
    asked = message("price of A1?", message_id="q1", intents=frozenset({Intent.QUESTION}), display_name="R&D Team")
    panel.model.append(asked)
    panel.model.flush()
    panel.list_view.setCurrentIndex(panel.model.index(3))
    with qtbot.waitSignal(panel.feature_requested) as blocker:
        qtbot.mouseClick(panel.feature_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["q1"]

    panel.show_snapshot(
        ChatHubSnapshot(featured=asked, questions=(asked,), sources=(SourceState(source_id="x", platform="x"),))
    )
    assert panel.model.data(panel.model.index(3), ChatRole.FEATURED)
    assert panel.questions_label.text() == "Questions for the host (1)"
    with qtbot.waitSignal(panel.unfeature_requested):
        qtbot.mouseClick(panel.unfeature_button, Qt.MouseButton.LeftButton)
    panel.questions_view.setCurrentIndex(panel.questions_model.index(0))
    with qtbot.waitSignal(panel.dismiss_question_requested) as blocker:
        qtbot.mouseClick(panel.dismiss_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["q1"]

    menu = panel.build_context_menu(asked)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Feature on air", "Copy text", "Hide messages from R&&D Team", "Send to the host view"]
    with qtbot.waitSignal(panel.block_user_requested) as blocker:
        menu.actions()[2].trigger()
    assert blocker.args == ["rehearsal", "anna"]
    with qtbot.waitSignal(panel.host_question_requested) as blocker:
        menu.actions()[3].trigger()
    assert blocker.args == [asked]
