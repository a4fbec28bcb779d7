"""Chat flood: bursts of 500 messages per loop turn through the real hub into the chat panel. Every message is
counted, the newest are shown in order, scrollback stays capped, and the UI loop keeps turning between bursts."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from studio_console.qt.models.chat_model import ChatModel, ChatRole
from studio_console.qt.views.chat_panel import ChatPanel
from studio_console.services.chat.hub import ChatHub
from tests.helpers.chat import message

BURSTS = 20
BURST = 500
CAPACITY = 2_000


def test_a_flood_is_taken_whole_and_the_panel_keeps_up(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> None:
    hub = ChatHub()
    model = ChatModel(capacity=CAPACITY, flush_interval_ms=20)
    panel = ChatPanel(model)
    qtbot.addWidget(panel)
    panel.resize(480, 800)
    panel.show()
    hub.subscribe(model.append)
    turns: list[int] = []  # which burst had been sent when a timer tick ran
    sent = [0]
    probe = QTimer()
    probe.setInterval(1)
    probe.timeout.connect(lambda: turns.append(sent[0]))
    probe.start()

    async def flood() -> None:
        for burst in range(BURSTS):
            for n in range(BURST):
                hub.ingest(message(f"is {burst}-{n} still in stock?", user_id=f"u{n}", user_name=f"viewer{n}"))
            sent[0] = burst + 1
            await asyncio.sleep(0.005)  # a socket read per burst: the loop turns between them
        while model.pending_count:
            await asyncio.sleep(0.02)

    qloop.run_until_complete(flood())
    probe.stop()
    snapshot = hub.snapshot
    assert snapshot.messages_seen == BURSTS * BURST and snapshot.duplicates_dropped == 0
    assert CAPACITY <= model.rowCount() < CAPACITY + model.trim_batch
    last = model.rowCount() - 1
    assert model.data(model.index(last), ChatRole.TEXT) == f"is {BURSTS - 1}-{BURST - 1} still in stock?"
    assert model.data(model.index(last - 1), ChatRole.TEXT) == f"is {BURSTS - 1}-{BURST - 2} still in stock?"
    # The UI loop ran timers while the flood was still coming, not only after it.
    assert any(0 < n < BURSTS for n in turns), sorted(set(turns))
