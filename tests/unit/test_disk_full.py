"""Disk full during a show: stock and price changes never raise, the on-air picture is retried and the
producer is told. Uses a real 512 KiB tmpfs when this test may mount one (root), and an injected
writer that raises ENOSPC otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from studio_console.domain.card import CardState
from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.services.overlay import scene
from studio_console.services.overlay.scene import OverlayService
from studio_console.services.products.catalog_io import CatalogStore
from studio_console.services.products.keeper import CatalogKeeper
from studio_console.services.products.show import ProductShow
from tests.helpers.fake_obs_session import FakeObsSession


def render(card: CardState, width: int, height: int) -> bytes:
    # Big enough that a full 512 KiB disk cannot take it; says what the card shows.
    shown = {"sku": card.sku, "stock": card.stock_text, "price": card.price_text, "countdown": card.countdown_text}
    return json.dumps(shown).encode() + b" " * 4096


def tee() -> Catalog:
    variant = Variant(sku="TEE", price=Decimal("30.00"), stock=5)
    return Catalog(products=(Product(sku="TEE", title="Linen Tee", variants=(variant,)),))


@contextlib.contextmanager
def tiny_tmpfs(where: Path) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); the injected-writer test covers it")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path) -> Path:
    """Take every free byte of the filesystem ``folder`` is on."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    return filler


def on_air_file(session: FakeObsSession, input_name: str) -> Path | None:
    files = [
        d["inputSettings"]["file"]
        for r, d in session.requests
        if r == "SetInputSettings" and d is not None and d["inputName"] == input_name
    ]
    return Path(files[-1]) if files else None


async def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def test_disk_full_during_a_show_on_a_real_tiny_filesystem(tmp_path: Path) -> None:
    figures: dict[str, float] = {}
    with tiny_tmpfs(tmp_path / "disk") as disk:

        async def main() -> None:
            session = FakeObsSession()
            overlay = OverlayService(session, disk)
            problems: list[str] = []
            recovered: list[bool] = []
            overlay.on_write_problem = problems.append
            overlay.on_write_recovered = lambda: recovered.append(True)
            show = ProductShow(overlay, render, tee())
            save_errors: list[Exception] = []
            keeper = CatalogKeeper(CatalogStore(disk), show, delay_s=0.0, on_error=save_errors.append)
            await show.pin("TEE")
            filler = fill(disk)
            assert await show.set_stock("TEE", 4) == 4  # must not raise OSError on a full disk
            await show.set_stock("TEE", 3)
            await wait_for(lambda: bool(save_errors), "the failed catalog save to be reported")
            assert problems and "space" in problems[0].lower()
            assert len(problems) == 1  # one notice, not one per picture
            assert overlay.write_problem is not None
            filler.unlink()
            freed = time.monotonic()
            await wait_for(lambda: overlay.write_problem is None, "the picture to be written again")
            figures["right_again_s"] = time.monotonic() - freed
            path = on_air_file(session, overlay.input_name("product_card"))
            assert path is not None and "3" in json.loads(path.read_bytes())["stock"]  # the latest stock
            assert recovered == [True]
            await keeper.save()
            assert CatalogStore(disk).load().catalog.find("TEE") is not None
            await keeper.close()

        asyncio.run(main())
    print("disk-full figures:", figures)


def test_disk_full_during_a_flash_sale_the_countdown_comes_back_right(tmp_path: Path) -> None:
    figures: dict[str, float] = {}
    with tiny_tmpfs(tmp_path / "disk") as disk:

        async def main() -> None:
            session = FakeObsSession()
            overlay = OverlayService(session, disk)
            problems: list[str] = []
            overlay.on_write_problem = problems.append
            show = ProductShow(overlay, render, tee())
            await show.pin("TEE")
            await show.start_flash_sale("TEE", Decimal("19.00"), 60)
            card = overlay.input_name("product_card")

            def countdown_on_air() -> str | None:
                path = on_air_file(session, card)
                return json.loads(path.read_bytes())["countdown"] if path is not None else None

            first = countdown_on_air()
            filler = fill(disk)
            await wait_for(lambda: bool(problems), "the failed countdown picture to be reported")
            frozen = countdown_on_air()
            await asyncio.sleep(2.5)  # ticks keep failing meanwhile; the producer was told once
            assert countdown_on_air() == frozen and len(problems) == 1
            filler.unlink()
            freed = time.monotonic()
            await wait_for(lambda: countdown_on_air() not in (frozen, first), "a fresh countdown on air")
            figures["right_again_s"] = time.monotonic() - freed
            assert overlay.write_problem is None
            assert show.state.flash_sale is not None  # the sale went on through the full disk

        asyncio.run(main())
    print("flash-sale disk-full figures:", figures)


def test_an_overlay_write_failure_is_retried_with_an_injected_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = [True]
    real_write = scene.write_atomic

    def write(path: Path, data: bytes, mode: int = 0o644) -> None:
        if full[0] and path.suffix == ".png" and path.name != "blank.png":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_write(path, data, mode)

    monkeypatch.setattr(scene, "write_atomic", write)

    async def main() -> None:
        session = FakeObsSession()
        overlay = OverlayService(session, tmp_path)
        problems: list[str] = []
        overlay.on_write_problem = problems.append
        await overlay.install()
        await overlay.show("product_card", b"first")  # does not raise
        await overlay.show("product_card", b"second")
        assert len(problems) == 1 and overlay.write_problem is not None
        shown = on_air_file(session, overlay.input_name("product_card"))
        assert shown is not None and shown.name == "blank.png"  # still the picture from before
        full[0] = False
        await wait_for(lambda: overlay.write_problem is None, "the retry")
        path = on_air_file(session, overlay.input_name("product_card"))
        assert path is not None and path.read_bytes() == b"second"  # the latest picture, not the first
        assert overlay.is_visible("product_card")

    asyncio.run(main())


def test_a_catalog_save_that_fails_in_any_way_is_reported_not_raised(tmp_path: Path) -> None:
    class BrokenStore(CatalogStore):
        def save(self, catalog: Catalog) -> None:
            raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    async def main() -> list[Exception]:
        errors: list[Exception] = []
        show = ProductShow(OverlayService(FakeObsSession(), tmp_path), render, tee())
        keeper = CatalogKeeper(BrokenStore(tmp_path), show, delay_s=0.0, on_error=errors.append)
        await keeper.save()  # must not raise
        return errors

    errors = asyncio.run(main())
    assert len(errors) == 1 and "catalog" in str(errors[0]).lower()


def test_an_import_reports_progress_on_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "some.csv"
    path.write_text("sku,title,price\n" + "".join(f"S{n},T{n},{n}.00\n" for n in range(10_000)), encoding="utf-8")

    async def main() -> tuple[list[float], list[bool], int]:
        loop = asyncio.get_running_loop()
        seen: list[float] = []
        on_loop: list[bool] = []

        def progress(fraction: float) -> None:
            on_loop.append(asyncio.get_running_loop() is loop)
            seen.append(fraction)

        show = ProductShow(OverlayService(FakeObsSession(), tmp_path), render, Catalog())
        keeper = CatalogKeeper(CatalogStore(tmp_path), show, delay_s=60.0)
        result = await keeper.import_file(path, progress=progress)
        await asyncio.sleep(0)
        await keeper.close()
        return seen, on_loop, result.imported

    seen, on_loop, imported = asyncio.run(main())
    assert imported == 10_000
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert on_loop and all(on_loop)
