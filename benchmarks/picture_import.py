"""Benchmark: UI loop lag while 500 product pictures download in the background, vs the same loop idle.

Run: python benchmarks/picture_import.py [--pictures 500]
The pictures (600x600 JPEGs, ~the size of a product shot) come from a loopback HTTP server in its own
process. A 5 ms timer samples the asyncio loop: lag is how late each tick fires. The peer is the same
loop with the same timer and no import, for as long as the import took. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from _common import ROOT, emit, summary_ms

from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.services.products.pictures import PictureCache, PictureFetcher, ProductPictures
from tests.unit.test_product_pictures import HeldCatalog

TICK_S = 0.005


async def sample_lag(stop: asyncio.Event) -> list[float]:
    lags: list[float] = []
    expected = time.perf_counter() + TICK_S
    while not stop.is_set():
        await asyncio.sleep(TICK_S)
        now = time.perf_counter()
        lags.append(max(0.0, now - expected))
        expected = now + TICK_S
    return lags


async def with_import(port: int, count: int, cache: Path) -> tuple[float, list[float], int]:
    catalog = Catalog(
        products=tuple(
            Product(
                sku=f"SKU{i}",
                title=f"Product {i}",
                variants=(Variant(sku=f"SKU{i}-1", price=Decimal("9.99")),),
                image=f"http://127.0.0.1:{port}/p/{i}.jpg",
            )
            for i in range(count)
        )
    )
    holder = HeldCatalog(catalog)
    pictures = ProductPictures(holder, PictureFetcher(PictureCache(cache)))
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_lag(stop))
    await asyncio.sleep(0.2)  # the sampler runs before the import starts
    started = time.perf_counter()
    pictures.start()
    await pictures.wait_idle()
    elapsed = time.perf_counter() - started
    stop.set()
    lags = await sampler
    loaded = sum(1 for p in holder.catalog.products if p.image and not p.image.startswith("http"))
    await pictures.close()
    return elapsed, lags, loaded


async def idle(seconds: float) -> list[float]:
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_lag(stop))
    await asyncio.sleep(seconds)
    stop.set()
    return await sampler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pictures", type=int, default=500)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.picture_server", str(args.pictures)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="bench-pictures-") as tmp:
            elapsed, busy, loaded = asyncio.run(with_import(port, args.pictures, Path(tmp) / "cold"))
            cached_elapsed, cached_busy, _ = asyncio.run(with_import(port, args.pictures, Path(tmp) / "cold"))
        quiet = asyncio.run(idle(elapsed))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)
    busy_ms, quiet_ms, cached_ms = summary_ms(busy), summary_ms(quiet), summary_ms(cached_busy)

    def ratio(a: float, b: float) -> float:
        return round(a / b, 2) if b > 0 else float("inf")

    emit(
        {
            "benchmark": "picture_import",
            "pictures": args.pictures,
            "loaded": loaded,
            "import_s": round(elapsed, 3),
            "cached_import_s": round(cached_elapsed, 3),
            "lag_during_import": busy_ms,
            "lag_during_cached_import": cached_ms,
            "lag_idle_peer": quiet_ms,
            "p99_ratio_vs_idle": ratio(busy_ms["p99_ms"], quiet_ms["p99_ms"]),
            "max_ratio_vs_idle": ratio(busy_ms["max_ms"], quiet_ms["max_ms"]),
            "p99_lag_import_minus_idle_ms": round(busy_ms["p99_ms"] - quiet_ms["p99_ms"], 3),
        }
    )


if __name__ == "__main__":
    main()
