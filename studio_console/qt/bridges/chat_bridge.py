"""Chat on screen: the hub's messages into the batching chat model; the chat panel's intents to the hub."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from studio_console.core import StudioCore
from studio_console.qt.models.chat_model import ChatModel
from studio_console.qt.views.chat_panel import ChatPanel


class ChatBridge(QObject):
    """Translates between the chat hub and the chat panel.

    The hub calls back on the loop, which is the UI thread: the model (which batches inserts) is fed
    directly, without a queued signal per message.
    """

    def __init__(self, core: StudioCore, model: ChatModel, panel: ChatPanel) -> None:
        super().__init__()
        assert core.chat is not None
        self.core = core
        self.model = model
        self.panel = panel
        hub = core.chat
        self._unsubscribe = [
            hub.subscribe(model.append),
            hub.subscribe_snapshot(panel.show_snapshot),
            hub.subscribe_removed(self._removed),
        ]
        panel.feature_requested.connect(lambda message_id: self._call(lambda: hub.feature(message_id)))
        panel.unfeature_requested.connect(hub.unfeature)
        panel.dismiss_question_requested.connect(
            lambda message_id: self._call(lambda: hub.dismiss_question(message_id))
        )
        panel.block_user_requested.connect(lambda platform, user: self._call(lambda: core.block_user(platform, user)))

    def _removed(self, message_ids: tuple[str, ...]) -> None:
        self.model.remove_ids(message_ids)

    def _call(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as exc:
            self.core.report_error(exc)

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
