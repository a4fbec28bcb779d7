"""The host view at 1920x1080: main figures over 20 mm tall, phase colours, product figures, plain-text questions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from pytestqt.qtbot import QtBot

from studio_console.domain.card import CardState
from studio_console.domain.chat import ChatMessage
from studio_console.domain.rundown import (
    Cue,
    CueKind,
    CueRef,
    PreheatState,
    Rundown,
    RundownState,
    TimerPhase,
    TimerState,
)
from studio_console.qt.views.host_view import PHASE_COLOURS, HostView

# A 24-inch 16:9 monitor at 1920x1080 has about 92 pixels per inch: 20 mm is 72.4 px.
PX_PER_MM = 1920 / (24 * 25.4 * 16 / (16**2 + 9**2) ** 0.5)
MIN_FIGURE_PX = 20 * PX_PER_MM


def state(phase: TimerPhase = TimerPhase.DANGER) -> RundownState:
    rundown = Rundown(
        cues=(
            Cue(id="a", title="Mug", kind=CueKind.PRODUCT, duration_s=300, sku="MUG",
                talking_points=("Dishwasher safe", "Holds 350 ml")),
            Cue(id="b", title="Q&A", duration_s=120),
        )
    )  # fmt: skip
    return RundownState(
        rundown=rundown,
        locked=True,
        timer=TimerState(
            running=True,
            current=CueRef(index=0, title="Mug", kind=CueKind.PRODUCT),
            next=CueRef(index=1, title="Q&A", kind=CueKind.SEGMENT),
            remaining_s=45,
            planned_s=300,
            phase=phase,
            over_under_s=-75,
            projected_end=datetime(2026, 12, 1, 21, 30),
        ),
    )


def card() -> CardState:
    return CardState(
        sku="MUG", title="Mug", price=Decimal("9.99"), struck_price=Decimal("12.00"), stock=4, flash_seconds_left=83
    )


def digit_height(label: object) -> int:
    return QFontMetrics(label.font()).tightBoundingRect("0123456789").height()  # type: ignore[attr-defined]


def test_main_figures_are_readable_from_three_metres_at_1080p(qtbot: QtBot) -> None:
    view = HostView()
    qtbot.addWidget(view)
    view.resize(1920, 1080)
    view.show()
    qtbot.waitExposed(view)
    view.show_rundown(state())
    view.show_card(card())
    assert MIN_FIGURE_PX > 72
    for name in ("timer", "over_under", "price", "countdown"):
        label = getattr(view, name)
        height = digit_height(label)
        assert height >= MIN_FIGURE_PX, (name, height)
        # ...and it has the room to show its whole text (a label squeezed to nothing shows nothing).
        assert label.width() >= QFontMetrics(label.font()).horizontalAdvance(label.text()), name
    # Half the window, half the text: sizes follow the window's height.
    view.resize(960, 540)
    qtbot.waitUntil(lambda: digit_height(view.price) < MIN_FIGURE_PX)


def test_it_shows_the_cue_product_next_and_points(qtbot: QtBot) -> None:
    view = HostView()
    qtbot.addWidget(view)
    view.show_rundown(state())
    view.show_card(card())
    assert view.timer.text() == "0:45"
    assert PHASE_COLOURS[TimerPhase.DANGER] in view.timer.styleSheet()
    assert view.over_under.text() == "1:15 under"
    assert view.projected_end.text() == "ends 21:30"
    assert view.next_cue.text() == "Next: Q&A"
    assert view.points.text() == "• Dishwasher safe\n• Holds 350 ml"
    assert view.price.text() == "$9.99" and view.deal.text() == "was $12.00"
    assert view.stock.text() == "4 left" and view.countdown.text() == "01:23"
    view.show_rundown(state(TimerPhase.OVERTIME).model_copy(update={"timer": TimerState(
        running=True, current=CueRef(index=0, title="Mug", kind=CueKind.PRODUCT), remaining_s=-20,
        phase=TimerPhase.OVERTIME, over_under_s=20, projected_end=datetime(2026, 12, 1, 21, 31))}))  # fmt: skip
    assert view.timer.text() == "+0:20" and PHASE_COLOURS[TimerPhase.OVERTIME] in view.timer.styleSheet()
    assert view.over_under.text() == "0:20 over"
    teaser = card().model_copy(update={"teaser": True, "flash_seconds_left": None})
    view.show_card(teaser)
    assert view.price.text() == "price hidden" and view.countdown.text() == ""
    view.show_card(None)
    assert view.product_title.text() == "No product on air" and view.price.text() == ""


def test_preheat_shows_live_in(qtbot: QtBot) -> None:
    view = HostView()
    qtbot.addWidget(view)
    preheat = state().model_copy(update={"preheat": PreheatState(live_in_s=754, teaser_sku="MUG")})
    view.show_rundown(preheat)
    assert view.live_in.text() == "Live in 12:34" and not view.live_in.isHidden()
    view.show_rundown(state())
    assert view.live_in.isHidden()


def test_viewer_questions_are_plain_text_and_at_most_three(qtbot: QtBot) -> None:
    view = HostView()
    qtbot.addWidget(view)

    def question(n: int, text: str) -> ChatMessage:
        return ChatMessage(source_id="t", platform="twitch", message_id=str(n), display_name=f"<i>v{n}</i>", text=text)

    evil = question(1, '<img src="/etc/passwd"><b>is it blue?</b>')
    view.set_questions([question(0, "first"), evil, question(2, "x" * 500), question(3, "last")])
    shown = [q for q in view.questions if not q.isHidden()]
    assert len(shown) == 3
    assert all(q.textFormat() == Qt.TextFormat.PlainText for q in view.questions)
    assert shown[0].text() == '<i>v1</i>: <img src="/etc/passwd"><b>is it blue?</b>'
    assert len(shown[1].text()) < 200 and shown[1].text().endswith("…")
    assert shown[2].text() == "<i>v3</i>: last"
    view.set_questions([])
    assert all(q.isHidden() for q in view.questions)


def test_producer_message_and_full_screen_on_a_screen(qtbot: QtBot) -> None:
    view = HostView()
    qtbot.addWidget(view)
    assert view.message.isHidden()
    view.set_message("  wrap   up  ")
    assert view.message.text() == "wrap up" and not view.message.isHidden()
    assert view.message.textFormat() == Qt.TextFormat.PlainText
    assert view.windowFlags() & Qt.WindowType.FramelessWindowHint
    name = view.show_on("no such screen")
    assert name in HostView.screen_names()
    assert view.show_on(name) == name
    with qtbot.waitSignal(view.closed):
        view.close()
