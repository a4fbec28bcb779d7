"""The running studio as a preset switch changes it: chat, overlay and placement, products, brand, destinations."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from studio_console.domain.card import CardLayout
from studio_console.domain.catalog import Catalog
from studio_console.domain.chat import ChatRules
from studio_console.domain.obs_status import OutputPhase
from studio_console.domain.presets import Preset, PresetBrand, PresetChatSource, PresetDestination
from studio_console.domain.rundown import Rundown
from studio_console.services.golive.service import GoLiveService
from studio_console.services.overlay.placement import CardPlacement, PlacementRule
from studio_console.services.presets.store import PresetStore
from studio_console.services.products.keeper import ProductDesk
from studio_console.services.rundown.service import RundownService
from studio_console.settings.keeper import SettingsKeeper
from studio_console.settings.model import ChatSourceConfig
from studio_console.settings.secrets import SecretStore

log = logging.getLogger(__name__)

SetChatSources = Callable[[list[ChatSourceConfig]], Awaitable[None]]
SetChatRules = Callable[[ChatRules], None]


def live_refusal(golive: GoLiveService | None) -> str | None:
    """Why a switch must wait: a stream to a real audience runs (or is starting); None otherwise."""
    if golive is None:
        return None
    status = golive.status
    if status.phase is OutputPhase.STOPPED and not status.start_in_progress:
        return None
    if not status.active_is_real_audience and status.active_sink is not None:
        return None  # a rehearsal: nobody else watches
    where = status.active_destination or "a destination outside the app"
    return f"Live to a real audience on {where}: stop the stream before switching to another creator's preset."


class StudioPresetPorts:
    """Applies a preset's parts to the real services; each method is one step of the switch."""

    def __init__(
        self,
        settings: SettingsKeeper,
        secrets: SecretStore,
        store: PresetStore,
        desk: ProductDesk,
        placement: CardPlacement,
        golive: GoLiveService | None,
        set_chat_sources: SetChatSources,
        set_chat_rules: SetChatRules,
        current_rules: Callable[[], ChatRules],
        rundown: RundownService | None = None,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.store = store
        self.desk = desk
        self.placement = placement
        self.golive = golive
        self._set_chat_sources = set_chat_sources
        self._set_chat_rules = set_chat_rules
        self._current_rules = current_rules
        self.rundown = rundown
        self._stopped: list[ChatSourceConfig] | None = None

    async def stop_chat(self) -> None:
        self._stopped = [c.model_copy(deep=True) for c in self.settings.saved.chat.sources]
        await self._set_chat_sources([])

    async def start_chat(self, sources: tuple[PresetChatSource, ...] | None, blocked_words: tuple[str, ...]) -> None:
        if sources is None:
            await self._set_chat_sources(self._stopped or [])
            return
        configs = [ChatSourceConfig(kind=s.kind, enabled=s.enabled, options=dict(s.options)) for s in sources]
        self._set_chat_rules(self._current_rules().model_copy(update={"blocked_words": tuple(blocked_words)}))
        await self._set_chat_sources(configs)

    async def rebuild_overlay(self, excluded_scenes: tuple[str, ...]) -> None:
        # A new scene collection has none of the app's sources: install them (idempotent), then nest them.
        await self.desk.overlay.install()
        await self.placement.set_rule(PlacementRule(excluded=frozenset(excluded_scenes)))

    async def load_products(self, preset_name: str, catalog: Catalog, queue: tuple[str, ...]) -> None:
        keeper = self.desk.keeper
        await keeper.save()  # the outgoing show's last edits land in its own file first
        # From now on the show's edits (stock, prices) are saved into this preset's catalog.
        keeper.store = self.store.catalog_store(preset_name)
        show = self.desk.show
        await show.unpin()
        await show.set_catalog(catalog)
        show.set_queue([sku for sku in queue if catalog.find(sku) is not None])

    async def load_rundown(self, rundown: Rundown | None) -> None:
        """The preset's run of show replaces the current one (a cue still live from the last show ends)."""
        if self.rundown is None:
            return
        if self.rundown.locked:
            await self.rundown.end()
        self.rundown.reset()
        self.rundown.set_rundown(rundown or Rundown())

    async def apply_brand(self, brand: PresetBrand) -> None:
        self.settings.update("products", card_layout=brand.card_layout.value)
        await self.desk.show.set_theme(brand.theme)
        await self.desk.show.set_layout(brand.card_layout)

    async def apply_destinations(self, preset: Preset) -> None:
        golive = self.golive
        if golive is None:
            return
        for sink_id, entry in preset.stream_key_names().items():
            key = self.secrets.get(entry)
            if key:
                golive.set_stream_key(sink_id, key)
        if preset.selected_destination is not None:
            golive.select(preset.selected_destination)

    def current(self, name: str, creator: str = "") -> tuple[Preset, Catalog]:
        """A preset of the set-up running now (create-from-current), with the catalog it shows."""
        settings = self.settings.saved
        show = self.desk.show
        destinations: tuple[PresetDestination, ...] = ()
        selected = None
        if self.golive is not None:
            selected = self.golive.status.selected
            destinations = tuple(PresetDestination(sink_id=d.sink_id) for d in self.golive.destinations_info())
        preset = Preset(
            name=name,
            creator=creator,
            brand=PresetBrand(theme=show.theme, card_layout=CardLayout(settings.products.card_layout)),
            queue=tuple(show.state.queue),
            destinations=destinations,
            selected_destination=selected if any(d.sink_id == selected for d in destinations) else None,
            chat_sources=tuple(
                PresetChatSource(kind=c.kind, enabled=c.enabled, options=dict(c.options)) for c in settings.chat.sources
            ),
            blocked_words=tuple(self._current_rules().blocked_words),
            excluded_scenes=tuple(sorted(self.placement.rule.excluded)),
            rundown=self.rundown.rundown if self.rundown is not None and self.rundown.rundown.cues else None,
        )
        return preset, show.catalog
