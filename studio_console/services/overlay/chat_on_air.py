"""Chat on air: the featured comment card and the gift/follow/cheer alerts, in the overlay's own slots."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

from studio_console.domain.card import CardLayout, card_rect
from studio_console.domain.chat import ChatHubSnapshot, ChatMessage
from studio_console.domain.viewer_text import on_air_message
from studio_console.kernel.tasks import TaskRunner
from studio_console.services.overlay.ports import ChatCardRenderer, OverlaySlots, PlacedPicture

log = logging.getLogger(__name__)

FEATURED_SLOT = "featured_comment"
ALERT_SLOT = "alert"
# A flood of gifts keeps only the newest few: an alert from a minute ago is no longer news.
ALERT_BACKLOG = 5


class ChatOnAir:
    """Follows the chat hub: the featured comment goes on air (above a lower-third product card), alerts
    play one after another for ``alert_seconds`` each.

    ``layout`` and ``alerts_enabled`` / ``alert_seconds`` are read on every use so a settings change
    applies to the next card.
    """

    def __init__(
        self,
        overlay: OverlaySlots,
        renderer: ChatCardRenderer,
        tasks: TaskRunner,
        *,
        layout: Callable[[], CardLayout],
        alerts_enabled: Callable[[], bool],
        alert_seconds: Callable[[], float],
    ) -> None:
        self.overlay = overlay
        self.renderer = renderer
        self.tasks = tasks
        self._layout = layout
        self._alerts_enabled = alerts_enabled
        self._alert_seconds = alert_seconds
        self._featured_id: str | None = None
        self._featured: ChatMessage | None = None
        self._alerts: deque[ChatMessage] = deque(maxlen=ALERT_BACKLOG)
        self._alerts_running = False

    @property
    def featured_on_air(self) -> bool:
        """True while OBS shows the featured comment's slot (placement decides whether program shows it)."""
        return self._featured is not None and self.overlay.is_visible(FEATURED_SLOT)

    @property
    def alert_on_air(self) -> bool:
        return self.overlay.is_visible(ALERT_SLOT)

    def on_snapshot(self, snapshot: ChatHubSnapshot) -> None:
        featured = snapshot.featured
        featured_id = featured.message_id if featured is not None else None
        if featured_id == self._featured_id:
            return
        self._featured_id = featured_id
        self._featured = featured
        self.tasks.latest("featured-comment", lambda: self._put_featured(featured))

    def on_alert(self, message: ChatMessage) -> None:
        if not self._alerts_enabled():
            return
        self._alerts.append(message)
        if not self._alerts_running:
            self._alerts_running = True
            self.tasks.spawn(self._play_alerts(), "chat-alerts")

    async def refresh(self) -> None:
        """Draw the featured comment again (canvas changed, OBS restarted)."""
        if self._featured is not None:
            await self._put_featured(self._featured)

    def _above_product_card(self, card: PlacedPicture, width: int, height: int) -> tuple[int, int]:
        """Where a lower-left chat card goes: above a lower-third product card, never over it."""
        x, y = card.x, card.y
        if self._layout() is CardLayout.LOWER_THIRD:
            product = card_rect(CardLayout.LOWER_THIRD, width, height)
            y = min(y, product.y - round(height * 0.02) - card.height)
        return x, max(0, y)

    async def _put_featured(self, message: ChatMessage | None) -> None:
        if message is None:
            await self.overlay.hide(FEATURED_SLOT)
            return
        width, height = await self.overlay.canvas_size()
        card = await asyncio.to_thread(self.renderer.comment, on_air_message(message), width, height)
        await self.overlay.show(FEATURED_SLOT, card.png, self._above_product_card(card, width, height))

    async def _play_alerts(self) -> None:
        try:
            while self._alerts:
                message = self._alerts.popleft()
                width, height = await self.overlay.canvas_size()
                card = await asyncio.to_thread(self.renderer.alert, on_air_message(message), width, height)
                await self.overlay.show(ALERT_SLOT, card.png, (card.x, card.y))
                await asyncio.sleep(self._alert_seconds())
            await self.overlay.hide(ALERT_SLOT)
        finally:
            self._alerts_running = False
