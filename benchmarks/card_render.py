"""Benchmark: product card rendering, Pillow (the Qt-free renderer) beside QPainter, per canvas size and layout.

Run: python benchmarks/card_render.py [--n 120]
Measured per renderer: ``card_png``, what the app sends to OBS (the card alone, drawn for that canvas,
as PNG), split into ``draw`` and ``encode``; ``canvas_image``, the card on a canvas-sized image (what
tests compare). Qt also reports ``canvas_png``, that image as PNG (the cost a canvas-sized overlay
file would have). The two renderers take turns on every state, so both see the same machine load.
Every rendering differs from the previous one (a flash-sale countdown ticks), as on air. Ends with
one JSON line of milliseconds per canvas and the Pillow/Qt ratio of ``card_png`` medians, plus the
featured-comment card (drawn, cropped to the card and encoded, as the chat-on-air path does) both ways.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal

from _common import emit, summary_ms
from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication

from studio_console.domain.card import CardLayout, card_for
from studio_console.qt.render.card_renderer import CardRenderer as QtCardRenderer
from studio_console.qt.render.card_renderer import png_bytes
from studio_console.qt.render.comment_card import render_comment_card as qt_comment_card
from studio_console.render.card_renderer import CardRenderer as PillowCardRenderer
from studio_console.render.chat_cards import render_comment_card as pillow_comment_card
from studio_console.render.draw import png
from studio_console.services.products.catalog_io import demo_catalog_path, import_json
from tests.helpers.chat import message

CANVASES = [(640, 360), (1280, 720), (1920, 1080), (1080, 1920)]
WARM_UP = 5  # the first renderings decode and cache the product picture and load the fonts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=120, help="renderings per canvas and layout")
    args = parser.parse_args()
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    catalog = import_json(demo_catalog_path()).catalog
    product = catalog.product("linen-summer-shirt")
    assert product is not None
    qt = QtCardRenderer()
    pillow = PillowCardRenderer()
    results: dict[str, object] = {}
    ratios: dict[str, float] = {}
    for width, height in CANVASES:
        for layout in CardLayout:
            timings: dict[str, list[float]] = {
                name: []
                for name in (
                    "qt_card_png",
                    "qt_canvas_image",
                    "qt_canvas_png",
                    "pillow_card_png",
                    "pillow_draw",
                    "pillow_encode",
                    "pillow_canvas_image",
                )
            }
            sizes: dict[str, list[int]] = {"qt": [], "pillow": []}
            for i in range(args.n + WARM_UP):
                state = card_for(
                    product,
                    product.variants[0],
                    layout=layout,
                    deal_price=Decimal("29.99"),
                    flash_seconds_left=300 - i,
                )
                started = time.perf_counter()
                qt_png = qt.render_png(state, width, height)
                qt_card_done = time.perf_counter()
                qt_canvas = qt.render(state, width, height)
                qt_canvas_drawn = time.perf_counter()
                png_bytes(qt_canvas.image, qt.png_quality)
                qt_canvas_done = time.perf_counter()

                pillow_started = time.perf_counter()
                pillow_png = pillow.render_png(state, width, height)
                pillow_card_done = time.perf_counter()
                card, _rect = pillow.render_card(state, width, height)
                pillow_drawn = time.perf_counter()
                png(card, pillow.compress_level)
                pillow_encoded = time.perf_counter()
                pillow.render(state, width, height)
                pillow_canvas_done = time.perf_counter()
                if i < WARM_UP:
                    continue
                timings["qt_card_png"].append(qt_card_done - started)
                timings["qt_canvas_image"].append(qt_canvas_drawn - qt_card_done)
                timings["qt_canvas_png"].append(qt_canvas_done - qt_card_done)
                timings["pillow_card_png"].append(pillow_card_done - pillow_started)
                timings["pillow_draw"].append(pillow_drawn - pillow_card_done)
                timings["pillow_encode"].append(pillow_encoded - pillow_drawn)
                timings["pillow_canvas_image"].append(pillow_canvas_done - pillow_encoded)
                sizes["qt"].append(len(qt_png))
                sizes["pillow"].append(len(pillow_png))
            key = f"{width}x{height}_{layout.value}"
            ratio = statistics.median(timings["pillow_card_png"]) / statistics.median(timings["qt_card_png"])
            ratios[key] = round(ratio, 2)
            results[key] = {
                "card_png": summary_ms(timings["qt_card_png"]),
                "card_png_kb": round(statistics.fmean(sizes["qt"]) / 1024, 1),
                "canvas_image": summary_ms(timings["qt_canvas_image"]),
                "canvas_png": summary_ms(timings["qt_canvas_png"]),
                "pillow": {
                    "card_png": summary_ms(timings["pillow_card_png"]),
                    "draw": summary_ms(timings["pillow_draw"]),
                    "encode": summary_ms(timings["pillow_encode"]),
                    "card_png_kb": round(statistics.fmean(sizes["pillow"]) / 1024, 1),
                    "canvas_image": summary_ms(timings["pillow_canvas_image"]),
                },
                "pillow_vs_qt_p50": ratios[key],
            }
    comments = comment_cards(args.n)
    del app
    at_720p = max(ratios["1280x720_lower_third"], ratios["1280x720_side_panel"])
    emit(
        {
            "benchmark": "card_render",
            "n": args.n,
            "png_quality": qt.png_quality,
            "pillow_compress_level": pillow.compress_level,
            "pillow_vs_qt_p50": ratios,
            "pillow_vs_qt_p50_720p_worst": at_720p,
            "pillow_within_2x_at_720p": at_720p <= 2.0,
            "results": results,
            "comment_card": comments,
        }
    )


def comment_cards(n: int) -> dict[str, object]:
    """The featured comment, drawn and encoded as PNG of the card alone, Qt and Pillow taking turns."""
    results: dict[str, object] = {}
    for width, height in ((1280, 720), (720, 1280)):
        qt_s: list[float] = []
        pillow_s: list[float] = []
        for i in range(n + WARM_UP):
            comment = message(f"does A1 come in blue? I need it for Saturday, size M please ({i})", platform="tiktok")
            started = time.perf_counter()
            image, rect = qt_comment_card(comment, QSize(width, height))
            png_bytes(image.copy(rect.toAlignedRect()))
            qt_done = time.perf_counter()
            pillow_comment_card(comment, width, height)
            pillow_done = time.perf_counter()
            if i >= WARM_UP:
                qt_s.append(qt_done - started)
                pillow_s.append(pillow_done - qt_done)
        results[f"{width}x{height}"] = {
            "qt": summary_ms(qt_s),
            "pillow": summary_ms(pillow_s),
            "pillow_vs_qt_p50": round(statistics.median(pillow_s) / statistics.median(qt_s), 2),
        }
    return results


if __name__ == "__main__":
    main()
