"""Keeps the show's catalog on disk (debounced atomic saves off the loop) and imports files into it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from studio_console.domain.catalog import Catalog
from studio_console.kernel.debounce import Debounced
from studio_console.services.overlay.scene import OverlayService
from studio_console.services.products.catalog_io import (
    CatalogSaveError,
    CatalogStore,
    ImportResult,
    Progress,
    export_json,
    import_catalog,
    merge_catalogs,
)
from studio_console.services.products.show import ProductShow

log = logging.getLogger(__name__)


class CatalogKeeper:
    """Saves the catalog a moment after it last changed; ``on_error`` hears a failed save."""

    def __init__(
        self,
        store: CatalogStore,
        show: ProductShow,
        currency: str = "USD",
        delay_s: float = 1.0,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.store = store
        self.show = show
        self.currency = currency
        self.delay_s = delay_s
        self.on_error = on_error
        # 5,000 products take ~0.3 s to write: coalesce bursts (stock clicks) into one save.
        self._debounced = Debounced(self.save, delay_s, "catalog-save")
        self._unsubscribe = show.subscribe_catalog(self._changed)

    def _changed(self, _catalog: Catalog) -> None:
        self._debounced.poke()

    async def save(self, catalog: Catalog | None = None) -> None:
        """Write the catalog now; a failure (disk full...) goes to ``on_error``, never to the caller."""
        try:
            await asyncio.to_thread(self.store.save, catalog or self.show.catalog)
        except CatalogSaveError as exc:
            self._report(exc)
        except Exception as exc:
            # Whatever else goes wrong, a stock click or a price change must not fail because of it.
            log.exception("saving the catalog failed")
            self._report(CatalogSaveError(0, f"Could not save the catalog to {self.store.path}: {exc}"))

    def _report(self, exc: Exception) -> None:
        log.error("%s", exc)
        if self.on_error is not None:
            try:
                self.on_error(exc)
            except Exception:
                log.exception("catalog save error handler failed")

    async def import_file(self, path: Path, progress: Progress | None = None) -> ImportResult:
        """Import a Shopify CSV, plain CSV or JSON file; good rows are merged, the file is never changed.

        Reading and merging run in a thread; ``progress(fraction)`` is called on this loop, at most
        once per percent.
        """
        loop = asyncio.get_running_loop()
        reported = [-1]

        def from_thread(fraction: float) -> None:
            percent = int(fraction * 100)
            if progress is not None and percent > reported[0]:
                reported[0] = percent
                loop.call_soon_threadsafe(progress, fraction)

        result = await asyncio.to_thread(import_catalog, path, self.currency, None, from_thread)
        merged, dropped = await asyncio.to_thread(merge_catalogs, self.show.catalog, result.catalog)
        if dropped:
            log.info("import replaced %d products that had the same SKU", len(dropped))
        await self.show.set_catalog(merged)
        log.info("imported %d products from %s (%d rows failed)", result.imported, path, result.failed_count)
        return result

    async def export_file(self, path: Path) -> None:
        await asyncio.to_thread(export_json, self.show.catalog, path)

    async def close(self) -> None:
        """Write any pending change now (the app is quitting)."""
        self._unsubscribe()
        await self._debounced.flush()


@dataclass
class ProductDesk:
    """The product services the composition root builds and the bridge wires."""

    overlay: OverlayService
    show: ProductShow
    keeper: CatalogKeeper


def short_code_lookup(current: Callable[[], Catalog]) -> Callable[[str], str | None]:
    """``code -> SKU`` over the current catalog ("#A12", "a12" and "A12" match alike).

    The index is rebuilt only when the catalog object changes, so chat at hundreds of messages a
    second costs a dictionary look-up each.
    """
    cache: dict[str, str] = {}
    indexed: list[Catalog | None] = [None]

    def normalise(code: str) -> str:
        return code.strip().lstrip("#").replace("-", "").upper()

    def lookup(code: str) -> str | None:
        catalog = current()
        if catalog is not indexed[0]:
            cache.clear()
            for product in catalog.products:
                if product.short_code:
                    cache.setdefault(normalise(product.short_code), product.sku)
            indexed[0] = catalog
        return cache.get(normalise(code))

    return lookup
