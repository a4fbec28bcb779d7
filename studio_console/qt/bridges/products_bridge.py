"""Products on screen: the show's state and catalog to the Products panel; its intents to the product show."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from studio_console.core import StudioCore
from studio_console.domain.card import CardLayout
from studio_console.domain.show import AtZero
from studio_console.qt.views.products_panel import ProductsPanel
from studio_console.services.products.catalog_io import ImportResult

log = logging.getLogger(__name__)

IMPORT_ERRORS_SHOWN = 30


class ProductsBridge(QObject):
    """Translates between the product show / catalog keeper and the Products panel.

    Signals:
        show_changed(object): a new ShowState, with the on-air truth applied.
        catalog_changed(object): the catalog changed (import, edit, stock).
        import_progress(float): share of the file read so far (0..1), at most once a percent.
        import_finished(str, str): a title and a plain-text summary of a finished import.
        picture_progress(object): a PictureProgress of the product pictures being downloaded.
    """

    show_changed = Signal(object)
    catalog_changed = Signal(object)
    import_progress = Signal(float)
    import_finished = Signal(str, str)
    picture_progress = Signal(object)

    def __init__(self, core: StudioCore, panel: ProductsPanel) -> None:
        super().__init__()
        assert core.products is not None
        self.core = core
        self.panel = panel
        desk = core.products
        show, keeper, tasks = desk.show, desk.keeper, core.tasks
        panel.set_catalog(show.catalog)
        panel.show_state(core.products_state())
        self._unsubscribe = [
            core.products_changed.add(self.show_changed.emit),
            *([core.pictures.add_progress_listener(self.picture_progress.emit)] if core.pictures else []),
            show.subscribe_catalog(self.catalog_changed.emit),
        ]
        self.show_changed.connect(panel.show_state)
        self.catalog_changed.connect(panel.set_catalog)
        panel.pin_requested.connect(lambda sku: tasks.latest("pin", lambda: show.pin(sku)))
        panel.unpin_requested.connect(lambda: tasks.latest("pin", show.unpin))
        panel.next_requested.connect(lambda: tasks.latest("pin", show.next_product))
        panel.queue_requested.connect(lambda skus: self._call(lambda: show.set_queue(skus)))
        panel.flash_sale_requested.connect(
            lambda sku, price, seconds, at_zero: tasks.spawn(
                show.start_flash_sale(sku or None, price, seconds, AtZero(at_zero)), "flash-sale"
            )
        )
        panel.flash_sale_stop_requested.connect(lambda: tasks.spawn(show.stop_flash_sale(), "flash-sale"))
        panel.stock_change_requested.connect(
            lambda sku, delta: tasks.spawn(show.adjust_stock(sku, delta), f"stock-{sku}")
        )
        panel.product_edit_requested.connect(lambda product: tasks.spawn(show.update_product(product), "edit-product"))
        panel.layout_requested.connect(lambda layout: tasks.spawn(core.set_card_layout(CardLayout(layout)), "layout"))
        panel.import_requested.connect(lambda path: tasks.spawn(self._import(Path(path)), "import"))
        panel.export_requested.connect(lambda path: tasks.spawn(keeper.export_file(Path(path)), "export"))

    def _call(self, action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except Exception as exc:
            self.core.report_error(exc)

    async def _import(self, path: Path) -> None:
        assert self.core.products is not None
        result = await self.core.products.keeper.import_file(path, progress=self.import_progress.emit)
        self.import_finished.emit("Import finished", import_summary(result, path))


def import_summary(result: ImportResult, path: Path) -> str:
    """What an import did, in plain sentences: counts, the first rows that failed, where the rest are."""
    lines = [f"Imported {result.imported} products from {path.name}."]
    if result.failed_count:
        lines.append(f"{result.failed_count} rows were not imported:")
        lines += [str(e) for e in result.failed[:IMPORT_ERRORS_SHOWN]]
        if result.failed_count > IMPORT_ERRORS_SHOWN:
            lines.append(f"… and {result.failed_count - IMPORT_ERRORS_SHOWN} more (see the Log panel).")
    if result.warnings:
        lines.append(f"{len(result.warnings)} warnings (see the Log panel).")
    if result.errors_not_listed:
        lines.append(f"{result.errors_not_listed} further problems were counted but not listed.")
    for problem in result.errors:
        log.info("import: %s", problem)
    return "\n".join(lines)
