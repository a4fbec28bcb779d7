"""Product pictures from URLs against a real HTTP server on loopback: success, warnings, cache, size cap."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.services.products.catalog_io import CatalogStore
from studio_console.services.products.keeper import CatalogKeeper
from studio_console.services.products.pictures import (
    PictureCache,
    PictureError,
    PictureFetcher,
    PictureProblem,
    PictureProgress,
    ProductPictures,
)
from studio_console.services.products.show import ProductShow
from tests.helpers.picture_server import BIG_BYTES, PictureServer, png_bytes, serve_pictures
from tests.unit.test_catalog_product_show import RecordingOverlay, render_as_json


@pytest.fixture
def server() -> Iterator[PictureServer]:
    with serve_pictures() as running:
        yield running


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def product(sku: str, image: str | None, variant_image: str | None = None) -> Product:
    return Product(
        sku=sku,
        title=f"Product {sku}",
        variants=(Variant(sku=f"{sku}-1", price=Decimal("9.99"), image=variant_image),),
        image=image,
    )


class HeldCatalog:
    """The part of ProductShow the pictures service uses, recording every catalog it is given."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self.listeners: list[Callable[[Catalog], None]] = []
        self.sets: list[Catalog] = []

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def subscribe_catalog(self, listener: Callable[[Catalog], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    async def set_catalog(self, catalog: Catalog) -> tuple[str, ...]:
        self._catalog = catalog
        self.sets.append(catalog)
        for listener in list(self.listeners):
            listener(catalog)
        return ()


def fetcher(cache_dir: Path, **options: float) -> PictureFetcher:
    timeouts = {"connect_timeout_s": 2.0, "read_timeout_s": 0.5, "total_timeout_s": 2.0}
    return PictureFetcher(PictureCache(cache_dir), **(timeouts | options))  # type: ignore[arg-type]


def run_import(
    loop: asyncio.AbstractEventLoop, holder: HeldCatalog, fetch: PictureFetcher
) -> tuple[list[PictureProblem], list[PictureProgress]]:
    problems: list[PictureProblem] = []
    progress: list[PictureProgress] = []

    async def go() -> None:
        pictures = ProductPictures(holder, fetch, flush_delay_s=0.01)
        pictures.add_problem_listener(problems.append)
        pictures.add_progress_listener(progress.append)
        pictures.start()
        await pictures.wait_idle()
        await pictures.close()

    loop.run_until_complete(go())
    return problems, progress


def test_pictures_are_downloaded_checked_and_used_by_the_products(
    loop: asyncio.AbstractEventLoop, server: PictureServer, tmp_path: Path
) -> None:
    server.pictures["/shop/tee.png"] = png_bytes((10, 200, 30))
    holder = HeldCatalog(
        Catalog(
            products=(
                product("TEE", server.url("/shop/tee.png?v=1")),
                product("MUG", None, variant_image=server.url("/p/mug.png")),
                product("LOCAL", "/some/local/file.png"),
            )
        )
    )
    problems, progress = run_import(loop, holder, fetcher(tmp_path))

    assert problems == []
    assert progress[-1] == PictureProgress(done=2, total=2, failed=0)
    assert [p.done for p in progress] == [0, 1, 2]
    tee = holder.catalog.product("TEE")
    mug = holder.catalog.product("MUG")
    local = holder.catalog.product("LOCAL")
    assert tee is not None and mug is not None and local is not None
    assert tee.image is not None and Path(tee.image).read_bytes() == png_bytes((10, 200, 30))
    assert Path(tee.image).parent == tmp_path
    assert mug.image is None and mug.variants[0].image is not None and Path(mug.variants[0].image).is_file()
    assert local.image == "/some/local/file.png"
    # Both results reached the catalog in one change.
    assert len(holder.sets) == 1


def test_each_bad_picture_warns_on_its_product_and_the_rest_still_loads(
    loop: asyncio.AbstractEventLoop, server: PictureServer, tmp_path: Path
) -> None:
    urls = {
        "HTML": server.url("/page.html"),
        "GONE": server.url("/missing.png"),
        "FAKE": server.url("/fake.png"),
        "HANG": server.url("/hang"),
        "BIG": server.url("/big"),
        "OK": server.url("/p/ok.png"),
    }
    holder = HeldCatalog(Catalog(products=tuple(product(sku, url) for sku, url in urls.items())))
    problems, progress = run_import(loop, holder, fetcher(tmp_path))

    reasons = {p.sku: p.reason for p in problems}
    assert set(reasons) == {"HTML", "GONE", "FAKE", "HANG", "BIG"}
    assert reasons["HTML"] == "not an image (an HTML page)"
    assert reasons["GONE"].startswith("the server answered 404")
    assert reasons["FAKE"].startswith("a damaged image")
    assert reasons["HANG"] == "the server did not answer in time"
    assert reasons["BIG"] == ("too large (50 MB, the limit is 15 MB)")
    hang = next(p for p in problems if p.sku == "HANG")
    assert hang.title == "Product HANG" and hang.url == urls["HANG"]
    assert "Product HANG" in hang.message and "HANG" in hang.message and "did not answer" in hang.message
    assert progress[-1] == PictureProgress(done=6, total=6, failed=5)
    ok = holder.catalog.product("OK")
    assert ok is not None and ok.image is not None and Path(ok.image).is_file()
    for sku in reasons:
        kept = holder.catalog.product(sku)
        assert kept is not None and kept.image == urls[sku]  # the URL stays, the card shows its tile
    assert sorted(p.name for p in tmp_path.iterdir()) == [Path(ok.image).name]


def test_the_size_cap_stops_a_body_without_a_length_while_it_streams(
    loop: asyncio.AbstractEventLoop, server: PictureServer, tmp_path: Path
) -> None:
    fetch = fetcher(tmp_path, total_timeout_s=30.0, read_timeout_s=10.0)

    async def go() -> str:
        try:
            await fetch.fetch(server.url("/big-chunked"))
        except PictureError as exc:
            return str(exc)
        finally:
            await fetch.close()
        return "downloaded"

    reason = loop.run_until_complete(go())
    assert reason == "too large (more than 15 MB)"
    # The server could only push what the cap let through plus socket buffers (loopback buffers grow to
    # about 12 MB under load: 27 MB were seen on a busy machine), never the whole 50 MB.
    assert 0 < server.big_bytes_sent.get("/big-chunked", 0) < BIG_BYTES * 3 // 4
    assert list(tmp_path.iterdir()) == []


def test_a_cached_picture_costs_no_request_so_the_show_works_offline(
    loop: asyncio.AbstractEventLoop, server: PictureServer, tmp_path: Path
) -> None:
    url = server.url("/p/cached.png")
    first = HeldCatalog(Catalog(products=(product("TEE", url),)))
    run_import(loop, first, fetcher(tmp_path))
    assert server.hits["/p/cached.png"] == 1

    offline_fetcher = fetcher(tmp_path)
    second = HeldCatalog(Catalog(products=(product("TEE", url), product("CAP", url))))
    problems, progress = run_import(loop, second, offline_fetcher)
    assert server.hits["/p/cached.png"] == 1
    assert offline_fetcher.requests_sent == 0
    assert problems == [] and progress[-1] == PictureProgress(1, 1, 0)
    tee, cap = second.catalog.product("TEE"), second.catalog.product("CAP")
    assert tee is not None and cap is not None and tee.image == cap.image and tee.image != url


def test_a_reimport_of_a_fetched_url_points_at_the_file_again(
    loop: asyncio.AbstractEventLoop, server: PictureServer, tmp_path: Path
) -> None:
    url = server.url("/p/again.png")
    holder = HeldCatalog(Catalog(products=(product("TEE", url),)))

    async def go() -> None:
        pictures = ProductPictures(holder, fetcher(tmp_path), flush_delay_s=0.01)
        pictures.start()
        await pictures.wait_idle()
        await holder.set_catalog(Catalog(products=(product("TEE", url),)))  # the same export imported again
        await pictures.wait_idle()
        await pictures.close()

    loop.run_until_complete(go())
    tee = holder.catalog.product("TEE")
    assert tee is not None and tee.image != url and Path(str(tee.image)).is_file()
    assert server.hits["/p/again.png"] == 1


def test_the_keeper_saves_the_pictures_and_the_card_shows_the_file(
    loop: asyncio.AbstractEventLoop, server: PictureServer, tmp_path: Path
) -> None:
    url = server.url("/p/card.png")
    store = CatalogStore(tmp_path / "data")

    async def go() -> tuple[str | None, str | None]:
        show = ProductShow(RecordingOverlay(), render_as_json, Catalog(products=(product("TEE", url),)))
        keeper = CatalogKeeper(store, show, delay_s=0.01)
        pictures = ProductPictures(show, fetcher(tmp_path / "pictures"), flush_delay_s=0.01)
        pictures.start()
        await pictures.wait_idle()
        await show.pin("TEE")
        card = show.desired_card()
        await pictures.close()
        await keeper.close()
        await show.close()
        saved = json.loads(store.path.read_text(encoding="utf-8"))
        return (card.image_path if card else None), saved["products"][0]["image"]

    card_path, saved_image = loop.run_until_complete(go())
    assert card_path is not None and Path(card_path).parent == tmp_path / "pictures"
    assert saved_image == card_path


def test_the_card_renderer_draws_the_downloaded_picture(
    loop: asyncio.AbstractEventLoop, server: PictureServer, tmp_path: Path
) -> None:
    from studio_console.domain.card import card_for
    from studio_console.render.card_renderer import CardRenderer

    green = (10, 200, 30)
    server.pictures["/shop/green.png"] = png_bytes(green, (300, 300))
    url = server.url("/shop/green.png")
    holder = HeldCatalog(Catalog(products=(product("TEE", url),)))
    before = holder.catalog.product("TEE")
    run_import(loop, holder, fetcher(tmp_path))
    after = holder.catalog.product("TEE")
    assert before is not None and after is not None

    def green_pixels(item: Product) -> int:
        card, _ = CardRenderer().render_card(card_for(item, item.variants[0]), 1280, 720)
        raw = card.convert("RGB").tobytes()
        pixels = zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
        return sum(1 for pixel in pixels if all(abs(a - b) < 12 for a, b in zip(pixel, green, strict=True)))

    assert green_pixels(before) == 0  # a URL: the lettered tile
    assert green_pixels(after) > 1000
