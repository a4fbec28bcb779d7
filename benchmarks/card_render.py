"""Benchmark: product card rendering with QPainter, per canvas size and layout.

Run: python benchmarks/card_render.py [--n 120]
Measured: ``card_png``, what the app sends to OBS (the card alone, drawn for that canvas, as PNG);
``canvas_image``, the card on a canvas-sized QImage (what tests compare); ``canvas_png``, that image
as PNG (the cost a canvas-sized overlay file would have). Every rendering differs from the previous
one (a flash-sale countdown ticks), as on air. Ends with one JSON line of milliseconds per canvas.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal

from _common import emit, summary_ms
from PySide6.QtGui import QGuiApplication

from studio_console.domain.card import CardLayout, card_for
from studio_console.qt.render.card_renderer import CardRenderer, png_bytes
from studio_console.services.products.catalog_io import demo_catalog_path, import_json

CANVASES = [(640, 360), (1280, 720), (1920, 1080), (1080, 1920)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=120, help="renderings per canvas and layout")
    args = parser.parse_args()
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    catalog = import_json(demo_catalog_path()).catalog
    product = catalog.product("linen-summer-shirt")
    assert product is not None
    renderer = CardRenderer()
    results: dict[str, object] = {}
    for width, height in CANVASES:
        for layout in CardLayout:
            card_s: list[float] = []
            canvas_s: list[float] = []
            canvas_png_s: list[float] = []
            card_kb: list[int] = []
            for i in range(args.n + 5):
                state = card_for(
                    product,
                    product.variants[0],
                    layout=layout,
                    deal_price=Decimal("29.99"),
                    flash_seconds_left=300 - i,
                )
                started = time.perf_counter()
                png = renderer.render_png(state, width, height)
                card_done = time.perf_counter()
                canvas = renderer.render(state, width, height)
                canvas_drawn = time.perf_counter()
                png_bytes(canvas.image, renderer.png_quality)
                canvas_done = time.perf_counter()
                if i >= 5:  # the first renderings decode and cache the product picture
                    card_s.append(card_done - started)
                    canvas_s.append(canvas_drawn - card_done)
                    canvas_png_s.append(canvas_done - card_done)
                    card_kb.append(len(png))
            results[f"{width}x{height}_{layout.value}"] = {
                "card_png": summary_ms(card_s),
                "card_png_kb": round(sum(card_kb) / len(card_kb) / 1024, 1),
                "canvas_image": summary_ms(canvas_s),
                "canvas_png": summary_ms(canvas_png_s),
            }
    del app
    emit({"benchmark": "card_render", "n": args.n, "png_quality": CardRenderer().png_quality, "results": results})


if __name__ == "__main__":
    main()
