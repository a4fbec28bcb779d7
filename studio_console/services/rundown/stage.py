"""The run of show's stage in the app: a cue's scene and card go to OBS through the product show, in one batch.

The product show keeps owning the card slot (so its panel, flash-sale countdown and remote state stay
true); the overlay puts the program-scene switch in the same serial-frame batch as the card, so the
new scene and its card appear in the same video frame.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from studio_console.domain.card import CardState, card_for
from studio_console.services.products.show import ProductShow
from studio_console.services.rundown.service import CuePicture, RundownError


class ShowStage:
    """``CueStage`` over ``ProductShow``; ``scene_names`` (OBS's scenes now) lets it refuse unknown scenes first."""

    def __init__(self, show: ProductShow, scene_names: Callable[[], Collection[str]] | None = None) -> None:
        self.product_show = show
        self._scene_names = scene_names

    def _check_scene(self, scene: str | None) -> None:
        if scene is None or self._scene_names is None:
            return
        if scene not in self._scene_names():
            raise RundownError(f"OBS has no scene named {scene!r}")

    def card(self, picture: CuePicture) -> CardState | None:
        """The card ``picture`` puts on air (None: no card)."""
        if picture.card_sku is None:
            return None
        card = self.product_show.card_of(picture.card_sku)
        hit = self.product_show.catalog.find(picture.card_sku)
        if card is None or hit is None:
            raise RundownError(f"No product with SKU {picture.card_sku!r} in the catalog")
        if picture.flash_sale is not None:
            product, variant = hit
            card = card_for(
                product,
                variant,
                layout=card.layout,
                theme=card.theme,
                deal_price=picture.flash_sale.deal_price,
                flash_seconds_left=picture.flash_sale.countdown_s,
                low_stock_threshold=card.low_stock_threshold,
            )
        if picture.teaser or picture.live_in_s is not None:
            card = card.model_copy(
                update={"teaser": picture.teaser, "live_in_s": picture.live_in_s, "flash_seconds_left": None}
            )
        return card

    async def prepare(self, picture: CuePicture) -> None:
        card = self.card(picture)
        if card is not None:
            await self.product_show.prepare(card)

    async def show(self, picture: CuePicture) -> None:
        self._check_scene(picture.scene)
        card = self.card(picture)
        scene = picture.scene
        if card is None or picture.card_sku is None:
            await self.product_show.unpin(program_scene=scene)
        elif picture.flash_sale is not None:
            sale = picture.flash_sale
            await self.product_show.start_flash_sale(
                picture.card_sku, sale.deal_price, sale.countdown_s, sale.at_zero, program_scene=scene
            )
        elif card.teaser or card.live_in_s is not None:
            await self.product_show.show_card(card, program_scene=scene)
        else:
            await self.product_show.pin(picture.card_sku, program_scene=scene)
