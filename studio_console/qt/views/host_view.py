"""The host view: a frameless window for a monitor facing the host, readable from three metres.

The cue timer in its phase colour, the product on air (price, deal, stock, flash-sale countdown), the
next cue, talking points, up to three viewer questions and the producer's message. Text sizes follow
the window's height: on a 24-inch 1080p monitor (about 92 ppi) the main figures are over 20 mm tall.
Everything is plain text; viewer questions above all.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QGuiApplication, QKeyEvent, QResizeEvent, QScreen
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from studio_console.domain.card import CardState
from studio_console.domain.chat import ChatMessage
from studio_console.domain.rundown import RundownState, TimerPhase
from studio_console.qt.plain_text import plain_label
from studio_console.qt.views.rundown_panel import countdown_text, over_under_text

MAX_QUESTIONS = 3
QUESTION_CHARS = 160
# Text heights as fractions of the window's height. At 1080 px, 0.105 gives digits about 80 px tall:
# 22 mm at 92 ppi, the 20 mm from three metres with a margin.
SIZES = {
    "timer": 0.22,
    "figure": 0.105,
    "title": 0.05,
    "text": 0.037,
    "message": 0.06,
}
PHASE_COLOURS = {
    TimerPhase.DEFAULT: "#66bb6a",
    TimerPhase.WARNING: "#ffca28",
    TimerPhase.DANGER: "#ef5350",
    TimerPhase.OVERTIME: "#ff1744",
}


def _label(role: str, parent: QWidget | None = None, *, bold: bool = False, colour: str = "#ffffff") -> QLabel:
    label = plain_label("", parent)
    label.setProperty("sizeRole", role)
    label.setProperty("bold", bold)
    label.setStyleSheet(f"color: {colour};")
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumSize(1, 1)
    return label


class HostView(QWidget):
    """The host's screen. The producer's side fills it; it only shows.

    Signals:
        closed(): the window was closed (Esc twice, or the window manager).
    """

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("hostView")
        self.setWindowTitle("Studio Console · Host view")
        self.setStyleSheet("#hostView { background: #000000; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._labels: list[QLabel] = []

        # -- the cue -----------------------------------------------------------------------------
        self.cue_title = self._add(_label("title", bold=True, colour="#e0e0e0"))
        self.timer = self._add(_label("timer", bold=True))
        self.over_under = self._add(_label("figure", bold=True))
        self.projected_end = self._add(_label("text", colour="#bdbdbd"))
        self.next_cue = self._add(_label("text", colour="#bdbdbd"))
        self.live_in = self._add(_label("figure", bold=True, colour="#4fc3f7"))
        self.points = self._add(_label("text", colour="#ffffff"))
        self.points.setWordWrap(True)
        self.points.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        # -- the product on air ------------------------------------------------------------------
        self.product_title = self._add(_label("title", bold=True))
        self.product_title.setWordWrap(True)
        self.price = self._add(_label("figure", bold=True, colour="#ffd54f"))
        self.deal = self._add(_label("text", colour="#bdbdbd"))
        self.stock = self._add(_label("title", bold=True, colour="#ff8a65"))
        self.countdown = self._add(_label("figure", bold=True, colour="#ff5252"))

        # -- from the producer and the audience --------------------------------------------------
        self.questions: list[QLabel] = []
        for _ in range(MAX_QUESTIONS):
            question = self._add(_label("text", colour="#b3e5fc"))
            question.setWordWrap(True)
            self.questions.append(question)
        self.message = self._add(_label("message", bold=True, colour="#000000"))
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setAutoFillBackground(True)

        left = QVBoxLayout()
        left.addWidget(self.cue_title)
        left.addWidget(self.timer)
        left.addWidget(self.over_under)
        # Stretch factors, not a spacer: the labels ignore their size hints (the text follows the window).
        figures = QHBoxLayout()
        figures.addWidget(self.next_cue, 3)
        figures.addWidget(self.projected_end, 1)
        left.addLayout(figures)
        left.addWidget(self.live_in)
        left.addWidget(self.points, 1)

        right = QVBoxLayout()
        right.addWidget(self.product_title)
        right.addWidget(self.price)
        right.addWidget(self.deal)
        right.addWidget(self.stock)
        right.addWidget(self.countdown)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: #424242;")
        right.addWidget(line)
        for question in self.questions:
            right.addWidget(question)
        right.addStretch(1)

        grid = QGridLayout(self)
        # The text follows the window's size, never the other way round.
        grid.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        grid.setContentsMargins(32, 24, 32, 24)
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.addWidget(self.message, 1, 0, 1, 2)

        self.show_rundown(RundownState())
        self.show_card(None)
        self.set_questions(())
        self.set_message("")
        self._apply_sizes(1080)

    def _add(self, label: QLabel) -> QLabel:
        self._labels.append(label)
        return label

    # -- sizes -----------------------------------------------------------------------------------

    def _apply_sizes(self, height: int) -> None:
        for label in self._labels:
            font = QFont(label.font())
            font.setPixelSize(max(8, round(height * SIZES[str(label.property("sizeRole"))])))
            font.setBold(bool(label.property("bold")))
            label.setFont(font)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_sizes(max(1, event.size().height()))

    # -- what it shows ---------------------------------------------------------------------------

    def show_rundown(self, state: RundownState) -> None:
        timer = state.timer
        current = timer.current
        if current is not None:
            self.cue_title.setText(f"{current.index + 1}. {current.title}")
            self.timer.setText(countdown_text(timer))
            colour = PHASE_COLOURS[timer.phase]
        else:
            self.cue_title.setText("The show is over" if timer.ended else "Not started")
            self.timer.setText("--:--")
            colour = "#757575"
        self.timer.setStyleSheet(f"color: {colour};")
        self.timer.setProperty("phase", timer.phase.value if current is not None else "idle")
        started = timer.projected_end is not None
        self.over_under.setText(over_under_text(timer.over_under_s) if started else "")
        over = timer.over_under_s >= 1
        self.over_under.setStyleSheet(f"color: {'#ff8a80' if over else '#a5d6a7'};")
        self.projected_end.setText(
            f"ends {timer.projected_end.strftime('%H:%M')}" if timer.projected_end is not None else ""
        )
        self.next_cue.setText(f"Next: {timer.next.title}" if timer.next is not None else "")
        preheat = state.preheat
        live_in = preheat.live_in_s if preheat is not None else None
        if live_in is not None:
            minutes, seconds = divmod(live_in, 60)
            self.live_in.setText(f"Live in {minutes:02d}:{seconds:02d}")
        self.live_in.setVisible(live_in is not None)
        cue = state.rundown.cues[current.index] if current is not None else None
        points = cue.talking_points if cue is not None else ()
        self.points.setText("\n".join(f"• {p}" for p in points))

    def show_card(self, card: CardState | None) -> None:
        """The product card on air (None: no card). A teaser shows what the host should not say yet."""
        if card is None:
            for label in (self.product_title, self.price, self.deal, self.stock, self.countdown):
                label.setText("")
            self.product_title.setText("No product on air")
            return
        title = f"{card.title} ({card.variant_label})" if card.variant_label else card.title
        self.product_title.setText(title)
        if card.teaser:
            self.price.setText("price hidden")
            self.deal.setText("teaser on air: no price yet")
        else:
            self.price.setText(card.price_text)
            self.deal.setText(f"was {card.struck_text}" if card.struck_text else "")
        if card.sold_out:
            self.stock.setText("SOLD OUT")
        elif card.stock is not None:
            self.stock.setText(f"{card.stock} left")
        else:
            self.stock.setText("")
        flash = card.flash_seconds_left
        if flash is not None:
            minutes, seconds = divmod(max(0, flash), 60)
            self.countdown.setText(f"{minutes:02d}:{seconds:02d}")
        else:
            self.countdown.setText("")

    def set_questions(self, messages: Sequence[ChatMessage]) -> None:
        """Up to three viewer questions the producer sent; shown as plain text, never as rich text."""
        shown = list(messages)[-MAX_QUESTIONS:]
        for label, message in zip(self.questions, [*shown, *[None] * MAX_QUESTIONS], strict=False):
            if message is None:
                label.setText("")
                label.hide()
                continue
            who = message.display_name or message.user_name or "viewer"
            text = " ".join(message.text.split())
            if len(text) > QUESTION_CHARS:
                text = text[: QUESTION_CHARS - 1] + "…"
            label.setText(f"{who}: {text}")
            label.show()

    def set_message(self, text: str) -> None:
        """The producer's line ("wrap up", "show the pink one"); empty hides it."""
        text = " ".join(text.split())
        self.message.setText(text)
        self.message.setStyleSheet("color: #000000; background: #ffeb3b; padding: 6px;" if text else "")
        self.message.setVisible(bool(text))

    # -- where it shows --------------------------------------------------------------------------

    @staticmethod
    def screen_names() -> list[str]:
        return [screen.name() for screen in QGuiApplication.screens()]

    def show_on(self, screen_name: str | None) -> str:
        """Full screen on the named screen (the last one when it is not there); returns the screen used."""
        screens = QGuiApplication.screens()
        chosen: QScreen | None = next((s for s in screens if s.name() == screen_name), None)
        if chosen is None:
            # A second monitor is the usual place for the host; one monitor: that one.
            chosen = screens[-1] if screens else None
        if chosen is not None:
            self.setScreen(chosen)
            self.setGeometry(chosen.geometry())
        self.showFullScreen()
        return chosen.name() if chosen is not None else ""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            if self.isFullScreen():
                self.showNormal()
            else:
                self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        self.closed.emit()
