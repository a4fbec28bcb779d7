"""Benchmark: a rundown cue's go until its scene and card show in OBS's program output, vs SetCurrentProgramScene.

Run: python benchmarks/cue_go_to_visible.py [--fps 30] [--n 20] [--canvas 640x360]

One private OBS with two scenes, each a full-canvas colour, both nesting the app's overlay. An observer
thread with its own websocket connection screenshots the program scene back to back (320 px PNG), so
every series is watched the same way; "visible" is the first screenshot requested after the go that
shows the target scene's colour and (for cues) its product card.

- OBS's own: ``SetCurrentProgramScene`` between the two scenes: its round trip, and go-to-visible.
- The app: ``RundownService.go()`` on cues alternating the two scenes with a different product each
  (the next cue drawn ahead, as on air): scene switch, card picture and visibility in one serial-frame
  batch. Its return, and go-to-visible.
- Peer: the same change as two requests (``SetCurrentProgramScene``, then ``ProductShow.pin``), what
  the app would do without the batch: how often a frame shows the new scene with no (or the old) card.

Goal: go-to-visible within one frame of OBS's own scene switch. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import emit, percentile, private_obs, summary_ms
from obswebsocket import obsws, requests
from PIL import Image

from studio_console.domain.card import CardLayout, card_rect
from studio_console.domain.rundown import Cue, CueKind, Rundown
from studio_console.obs.session import ObsSession
from studio_console.render.card_renderer import CardRenderer
from studio_console.services.obs_control.thumbnails import decode_data_uri
from studio_console.services.overlay.scene import OverlayService
from studio_console.services.products.catalog_io import demo_catalog_path, import_json
from studio_console.services.products.show import ProductShow
from studio_console.services.rundown.service import RundownService
from studio_console.services.rundown.stage import ShowStage

SHOT_WIDTH = 320
SCENES = {"Bench cue A": (200, 40, 40), "Bench cue B": (40, 60, 200)}


def abgr(rgb: tuple[int, int, int]) -> int:
    r, g, b = rgb
    return 0xFF000000 | (b << 16) | (g << 8) | r


class Observer(threading.Thread):
    """Program screenshots back to back on its own connection: (sent, received, scene colour, card shown)."""

    def __init__(self, port: int, password: str, shot_h: int, card: tuple[int, int, int, int]) -> None:
        super().__init__(name="program-observer", daemon=True)
        self.client = obsws("127.0.0.1", port, password, legacy=False, timeout=10)
        self.client.connect()
        self.shot_h = shot_h
        self.card = card
        self.seen: list[tuple[float, float, str | None, bool]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def grab(self) -> tuple[str | None, bool]:
        program = self.client.call(requests.GetCurrentProgramScene()).datain["currentProgramSceneName"]
        response = self.client.call(
            requests.GetSourceScreenshot(
                sourceName=program, imageFormat="png", imageWidth=SHOT_WIDTH, imageHeight=self.shot_h
            )
        )
        raw = decode_data_uri(str(response.datain.get("imageData", "")))
        image = Image.open(io.BytesIO(raw)).convert("RGB")
        corner = image.getpixel((SHOT_WIDTH - 4, 4))
        scene = next((name for name, rgb in SCENES.items() if _close(corner, rgb)), None)
        if scene is None:
            return None, False
        x, y, w, h = self.card
        backdrop = SCENES[scene]
        samples = [image.getpixel((px, py)) for py in range(y, y + h, 3) for px in range(x, x + w, 3)]
        changed = sum(not _close(p, backdrop) for p in samples) / max(1, len(samples))
        return scene, changed > 0.3

    def run(self) -> None:
        while not self.stopping.is_set():
            sent = time.perf_counter()
            scene, card = self.grab()
            with self.lock:
                self.seen.append((sent, time.perf_counter(), scene, card))

    def when(self, since: float, scene: str, card: bool, timeout: float = 10.0) -> float:
        """Seconds from ``since`` until a screenshot requested after it showed ``scene`` (with a card or not)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                first = next((r for s, r, sc, c in self.seen if s >= since and sc == scene and c == card), None)
            if first is not None:
                return first - since
            time.sleep(0.002)
        raise TimeoutError(f"{scene} {'with' if card else 'without'} a card never showed")

    def torn(self, since: float, until: float, scene: str) -> int:
        """Screenshots in [since, until] showing ``scene`` without its card (the picture changed in two goes)."""
        with self.lock:
            return sum(1 for s, _r, sc, c in self.seen if since <= s <= until and sc == scene and not c)

    def close(self) -> None:
        self.stopping.set()
        self.join(5)
        self.client.disconnect()


def _close(a: Any, b: tuple[int, int, int], tolerance: int = 10) -> bool:
    return all(abs(int(x) - y) <= tolerance for x, y in zip(a, b, strict=False))


async def observed(observer: Observer, since: float, scene: str, card: bool) -> float:
    return await asyncio.get_running_loop().run_in_executor(None, observer.when, since, scene, card)


async def measure(obs: Any, width: int, height: int, fps: int, n: int, folder: Path) -> dict[str, Any]:
    session = ObsSession("127.0.0.1", obs.port, obs.password)
    session.start()
    while not session.snapshot.connection.connected:
        await asyncio.sleep(0.05)
    observer: Observer | None = None
    try:
        await session.request(
            "SetVideoSettings",
            {
                "baseWidth": width,
                "baseHeight": height,
                "outputWidth": width,
                "outputHeight": height,
                "fpsNumerator": fps,
                "fpsDenominator": 1,
            },
        )
        await session.refresh_video()
        await session.request("SetCurrentSceneTransition", {"transitionName": "Cut"})
        for scene, rgb in SCENES.items():
            await session.request("CreateScene", {"sceneName": scene})
            await session.request(
                "CreateInput",
                {
                    "sceneName": scene,
                    "inputName": f"{scene} backdrop",
                    "inputKind": "color_source_v3",
                    "inputSettings": {"color": abgr(rgb), "width": width, "height": height},
                    "sceneItemEnabled": True,
                },
            )
        names = list(SCENES)
        await session.request("SetCurrentProgramScene", {"sceneName": names[0]})
        while set(names) - set(session.snapshot.scenes):
            await asyncio.sleep(0.05)
        shot_h = round(SHOT_WIDTH * height / width)
        rect = card_rect(CardLayout.LOWER_THIRD, width, height).scaled(SHOT_WIDTH / width, shot_h / height)
        observer = Observer(obs.port, obs.password, shot_h, (rect.x, rect.y, rect.width, rect.height))
        observer.start()

        # OBS's own scene switch, back and forth.
        obs_rtt, obs_visible = [], []
        for i in range(n + 2):
            target = names[(i + 1) % 2]
            await asyncio.sleep(0.011 * (i % 4))  # requests fall at different moments of OBS's frame
            sent = time.perf_counter()
            await session.request("SetCurrentProgramScene", {"sceneName": target})
            obs_rtt.append(time.perf_counter() - sent)
            obs_visible.append(await observed(observer, sent, target, False))

        catalog = import_json(demo_catalog_path()).catalog
        skus = [p.sku for p in catalog.products]
        overlay = OverlayService(session, folder / f"overlay-{width}x{height}")
        await overlay.install()
        await overlay.nest_into(names)
        show = ProductShow(overlay, CardRenderer(), catalog)
        cues = tuple(
            Cue(title=f"Cue {i}", kind=CueKind.PRODUCT, duration_s=60, scene=names[i % 2], sku=skus[i % len(skus)])
            for i in range(n + 3)
        )
        service = RundownService(ShowStage(show, lambda: session.snapshot.scenes), Rundown(cues=cues))
        app_return, app_visible = [], []
        app_torn = 0
        for i in range(1, n + 3):
            await asyncio.sleep(0.3)  # the next cue is drawn ahead while the current one runs
            await asyncio.sleep(0.011 * (i % 4))
            sent = time.perf_counter()
            await service.go(i)
            app_return.append(time.perf_counter() - sent)
            app_visible.append(await observed(observer, sent, cues[i].scene or "", True))
            app_torn += observer.torn(sent, time.perf_counter(), cues[i].scene or "")
        await service.close()

        # Peer: the same change as two requests, as without the batch.
        two_visible: list[float] = []
        two_torn = 0
        for i in range(n + 2):
            scene, sku = names[i % 2], skus[(i + 5) % len(skus)]
            card = show.card_of(sku)
            if card is not None:
                await show.prepare(card)  # drawn ahead too: only the requests differ
            await asyncio.sleep(0.3 + 0.011 * (i % 4))
            sent = time.perf_counter()
            await session.request("SetCurrentProgramScene", {"sceneName": scene})
            await show.pin(sku)
            two_visible.append(await observed(observer, sent, scene, True))
            two_torn += observer.torn(sent, time.perf_counter(), scene)
        await show.close()
        await overlay.uninstall()
        overlay.close()
        with observer.lock:
            shots = [r - s for s, r, _sc, _c in observer.seen[-200:]]
        obs_rtt, obs_visible, app_return, app_visible, two_visible = (
            s[2:] for s in (obs_rtt, obs_visible, app_return, app_visible, two_visible)
        )
        frame_ms = 1000 / fps
        added = percentile([v * 1000 for v in app_visible], 50) - percentile([v * 1000 for v in obs_visible], 50)
        stats = await session.request("GetStats")
        return {
            "canvas": f"{width}x{height}",
            "fps": fps,
            "obs_active_fps": round(float(stats.get("activeFps", 0)), 1),
            "obs_switch_rtt": summary_ms(obs_rtt),
            "obs_switch_to_visible": summary_ms(obs_visible),
            "app_go_return": summary_ms(app_return),
            "app_go_to_visible": summary_ms(app_visible),
            "app_frames_scene_without_card": app_torn,
            "two_requests_to_visible": summary_ms(two_visible),
            "two_requests_frames_scene_without_card": two_torn,
            "observer_screenshot": summary_ms(shots),
            "ratio_go_to_visible_vs_switch_to_visible_p50": round(
                percentile(app_visible, 50) / percentile(obs_visible, 50), 2
            ),
            "ratio_go_return_vs_switch_rtt_p50": round(percentile(app_return, 50) / percentile(obs_rtt, 50), 2),
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
    parser.add_argument("--canvas", default="640x360", help="WIDTHxHEIGHT (default 640x360)")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    width, height = (int(v) for v in args.canvas.split("x"))
    folder = Path(tempfile.mkdtemp(prefix="bench-cues-"))
    obs = private_obs()
    try:
        result = asyncio.run(measure(obs, width, height, args.fps, args.n, folder))
    finally:
        obs.stop()
    emit({"benchmark": "cue_go_to_visible", "n": args.n, "result": result})


if __name__ == "__main__":
    main()
