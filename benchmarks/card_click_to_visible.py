"""Benchmark: pin a product until its card shows in OBS's program output, vs OBS's own SetSceneItemEnabled.

Run: python benchmarks/card_click_to_visible.py [--canvas 640x360 --canvas 1280x720] [--fps 30] [--n 20]

One private OBS; per canvas it is set to that size at ``--fps``. An observer thread with its own
websocket connection takes program screenshots back to back (320 px PNG) the whole time, so the app
and OBS's own request are watched the same way; "visible" is the first screenshot requested after the
click that shows the card.

- OBS's own: ``SetSceneItemEnabled`` on an image source already loaded with a card picture: its round
  trip, and click-to-visible.
- The app: ``ProductShow.pin()`` (render, PNG, file write, one serial-frame batch that sets the file,
  the position and the visibility): its return, and click-to-visible. A different product each time.

Target: the app adds at most one frame over OBS's own click-to-visible. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import emit, percentile, private_obs, summary_ms
from obswebsocket import obsws, requests
from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication, QImage

from studio_console.domain.card import CardLayout, CardState, card_for, card_rect
from studio_console.obs.requests import (
    CreateInput,
    CreateScene,
    GetStats,
    RemoveSceneItem,
    SetCurrentProgramScene,
    SetSceneItemEnabled,
    SetVideoSettings,
    decode_data_uri,
)
from studio_console.obs.session import ObsSession
from studio_console.qt.render.card_renderer import CardRenderer, png_bytes
from studio_console.services.overlay.scene import OverlayService
from studio_console.services.products.catalog_io import demo_catalog_path, import_json
from studio_console.services.products.show import ProductShow

SHOT_WIDTH = 320
SCENE = "Bench program"


class TimedRenderer(CardRenderer):
    """The app's renderer, recording how long each rendering (with PNG encoding) took."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def render_png(self, state: CardState, canvas_w: int, canvas_h: int) -> bytes:
        started = time.perf_counter()
        png = super().render_png(state, canvas_w, canvas_h)
        self.times.append(time.perf_counter() - started)
        return png

    __call__ = render_png


class Observer(threading.Thread):
    """Screenshots of the program scene, back to back, on its own connection: (sent, received, card shown)."""

    def __init__(self, port: int, password: str, shot_h: int, region: QRect) -> None:
        super().__init__(name="screenshot-observer", daemon=True)
        self.client = obsws("127.0.0.1", port, password, legacy=False, timeout=10)
        self.client.connect()
        self.shot_h = shot_h
        self.region = region
        self.empty = self.grab()
        self.seen: list[tuple[float, float, bool]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def grab(self) -> QImage:
        response = self.client.call(
            requests.GetSourceScreenshot(
                sourceName=SCENE, imageFormat="png", imageWidth=SHOT_WIDTH, imageHeight=self.shot_h
            )
        )
        raw = decode_data_uri(str(response.datain.get("imageData", "")))
        assert raw, response.datain
        return QImage.fromData(raw).convertToFormat(QImage.Format.Format_RGB32).copy(self.region)

    def run(self) -> None:
        while not self.stopping.is_set():
            sent = time.perf_counter()
            shown = self.grab() != self.empty
            with self.lock:
                self.seen.append((sent, time.perf_counter(), shown))

    def when(self, clicked: float, shown: bool, timeout: float = 10.0) -> float:
        """Seconds from ``clicked`` until a screenshot requested after it showed the card (or not)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                first = next((r for s, r, v in self.seen if s >= clicked and v == shown), None)
            if first is not None:
                return first - clicked
            time.sleep(0.002)
        raise TimeoutError("the card never " + ("appeared" if shown else "went away"))

    def close(self) -> None:
        self.stopping.set()
        self.join(5)
        self.client.disconnect()


async def wait_observed(observer: Observer, clicked: float, shown: bool) -> float:
    return await asyncio.get_running_loop().run_in_executor(None, observer.when, clicked, shown)


async def measure(obs: Any, width: int, height: int, fps: int, n: int, folder: Path) -> dict[str, Any]:
    session = ObsSession("127.0.0.1", obs.port, obs.password)
    session.start()
    while not session.snapshot.connection.connected:
        await asyncio.sleep(0.05)
    observer: Observer | None = None
    try:
        await session.call(SetVideoSettings(width, height, width, height, fps_numerator=fps, fps_denominator=1))
        await session.refresh_video()
        if SCENE not in session.snapshot.scenes:
            await session.call(CreateScene(SCENE))
        await session.call(SetCurrentProgramScene(SCENE))
        shot_h = round(SHOT_WIDTH * height / width)
        rect = card_rect(CardLayout.LOWER_THIRD, width, height).scaled(SHOT_WIDTH / width, shot_h / height)
        observer = Observer(obs.port, obs.password, shot_h, QRect(rect.x, rect.y, rect.width, rect.height))
        observer.start()
        catalog = import_json(demo_catalog_path()).catalog
        skus = [p.sku for p in catalog.products]

        # OBS's own: an image source already loaded with a canvas-sized card picture, enabled by request.
        renderer = TimedRenderer()
        picture = folder / f"baseline-{width}x{height}.png"
        first = catalog.products[0]
        picture.write_bytes(png_bytes(renderer.render(card_for(first, first.variants[0]), width, height).image))
        item_id = await session.call(
            CreateInput(
                SCENE, f"Bench baseline {width}x{height}", "image_source", {"file": str(picture)}, enabled=False
            )
        )
        await asyncio.sleep(0.5)
        obs_rtt, obs_visible = [], []
        for i in range(n + 2):
            await asyncio.sleep(0.011 * (i % 4))  # clicks fall at different moments of OBS's frame
            clicked = time.perf_counter()
            await session.call(SetSceneItemEnabled(SCENE, item_id, True))
            obs_rtt.append(time.perf_counter() - clicked)
            obs_visible.append(await wait_observed(observer, clicked, True))
            await session.call(SetSceneItemEnabled(SCENE, item_id, False))
            await wait_observed(observer, time.perf_counter(), False)
        await session.call(RemoveSceneItem(SCENE, item_id))

        # The app: pin a different product each time. Tonight's queue is drawn ahead of time by
        # ProductShow (the usual case on air); "cold" clears that cache before every pin, so each pin
        # also renders and encodes its card, as for a product picked outside the queue.
        overlay = OverlayService(session, folder / f"app-{width}x{height}")
        await overlay.install()
        await overlay.nest_into([SCENE])
        show = ProductShow(overlay, renderer, catalog)
        show.set_queue(skus)
        await asyncio.sleep(1.5)  # the pre-rendering of the queue
        renderer.times.clear()
        series: dict[str, tuple[list[float], list[float]]] = {"queued": ([], []), "cold": ([], [])}
        for mode, (returns, visibles) in series.items():
            for i in range(n + 2):
                if mode == "cold":
                    show._pngs.clear()  # benchmark only: force the draw-on-click path
                await asyncio.sleep(0.011 * (i % 4))
                clicked = time.perf_counter()
                await show.pin(skus[i % len(skus)])
                returns.append(time.perf_counter() - clicked)
                visibles.append(await wait_observed(observer, clicked, True))
                await show.unpin()
                await wait_observed(observer, time.perf_counter(), False)
        app_return, app_visible = series["queued"]
        cold_return, cold_visible = (s[2:] for s in series["cold"])
        await show.close()
        await overlay.uninstall()
        overlay.close()
        with observer.lock:
            shots = [r - s for s, r, _ in observer.seen[-200:]]
        # The first two of each series warm caches (fonts, pictures, OBS's decoder).
        obs_rtt, obs_visible, app_return, app_visible = (s[2:] for s in (obs_rtt, obs_visible, app_return, app_visible))
        frame_ms = 1000 / fps
        added = percentile([v * 1000 for v in app_visible], 50) - percentile([v * 1000 for v in obs_visible], 50)
        stats = await session.call(GetStats())
        return {
            "canvas": f"{width}x{height}",
            "fps": fps,
            "obs_active_fps": round(float(stats.get("activeFps", 0)), 1),
            "obs_enable_rtt": summary_ms(obs_rtt),
            "obs_enable_to_visible": summary_ms(obs_visible),
            "app_pin_return": summary_ms(app_return),
            "app_pin_to_visible": summary_ms(app_visible),
            "app_pin_to_visible_cold": summary_ms(cold_visible),
            "app_pin_return_cold": summary_ms(cold_return),
            "added_ms_p50_cold": round(
                percentile([v * 1000 for v in cold_visible], 50) - percentile([v * 1000 for v in obs_visible], 50), 1
            ),
            "app_render_png": summary_ms(renderer.times[2:]),
            "observer_screenshot": summary_ms(shots),
            "ratio_to_visible_p50": round(percentile(app_visible, 50) / percentile(obs_visible, 50), 2),
            "ratio_pin_to_visible_vs_enable_rtt_p50": round(percentile(app_visible, 50) / percentile(obs_rtt, 50), 1),
            "added_ms_p50": round(added, 1),
            "frame_ms": round(frame_ms, 1),
            "within_one_frame": added <= frame_ms,
        }
    finally:
        if observer is not None:
            observer.close()
        await session.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--canvas", action="append", help="WIDTHxHEIGHT, repeatable (default 640x360 and 1280x720)")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    canvases = [tuple(int(v) for v in c.split("x")) for c in (args.canvas or ["640x360", "1280x720"])]
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp(prefix="bench-cards-"))
    obs = private_obs()
    try:
        results = [asyncio.run(measure(obs, w, h, args.fps, args.n, folder)) for w, h in canvases]
    finally:
        obs.stop()
    del app
    emit({"benchmark": "card_click_to_visible", "n": args.n, "results": results})


if __name__ == "__main__":
    main()
