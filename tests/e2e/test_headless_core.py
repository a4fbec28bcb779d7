"""The whole core with no window and no Qt: against a real OBS, the remote API pins a card and features a comment.

Runs in a fresh interpreter so ``sys.modules`` tells the truth: after building every service, pinning
through ``POST /api/v1/product/pin`` and featuring through ``POST /api/v1/chat/feature``, and seeing
both in OBS's program picture (pixels of OBS's own screenshot), PySide6, qasync and shiboken6 were
never imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.e2e.test_product_cards import remove_overlay
from tests.helpers.servers import RunningObs

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = textwrap.dedent(
    """
    import asyncio, base64, io, json, sys, time, urllib.request
    from pathlib import Path
    from PIL import Image, ImageChops

    from studio_console.cli import LaunchOptions
    from studio_console.core import StudioCore, run_headless
    from studio_console.domain.card import CardLayout, card_rect
    from studio_console.services.obs_control.thumbnails import ScreenshotFeed
    from studio_console.services.products.catalog_io import CatalogStore, demo_catalog_path, import_json
    from studio_console.settings.paths import AppPaths
    from studio_console.settings.secrets import OBS_PASSWORD, REMOTE_TOKEN, SecretStore
    from studio_console.settings.store import SettingsStore

    port, password, root = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    TOKEN = "headless-token-0123456789"
    paths = AppPaths.under(root)
    paths.ensure()
    secrets = SecretStore.open(paths.config_dir, paths.custom_root)
    secrets.set(OBS_PASSWORD, password)
    secrets.set(REMOTE_TOKEN, TOKEN)
    CatalogStore(paths.data_dir).save(import_json(demo_catalog_path()).catalog)
    store = SettingsStore(paths.settings_file)
    options = LaunchOptions(obs_port=port, remote_port=0, config_dir=root, headless=True)
    core = StudioCore(options, paths, store, store.load().settings, secrets=secrets)

    def api(method, path, body=None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{core.remote_server.bound_port}{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())

    async def until(predicate, what, timeout=15.0):
        started = time.monotonic()
        while not predicate():
            assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
            await asyncio.sleep(0.02)

    async def program_picture():
        # Screenshots through the app's own OBS session: still no Qt anywhere.
        shot = await feed.capture(core.session.snapshot.program_scene)
        assert shot, "OBS sent no screenshot"
        return Image.open(io.BytesIO(shot)).convert("RGB").resize((640, 360))

    def changed(before, after, box):
        x, y, w, h = box
        diff = ImageChops.difference(before.crop((x, y, x + w, y + h)), after.crop((x, y, x + w, y + h)))
        pixels = list(diff.getdata())
        return sum(1 for p in pixels if max(p) > 12) / max(1, len(pixels))

    feed = ScreenshotFeed(core.session, lambda *_: None, width=640)

    async def drive():
        await until(lambda: core.is_ready and core.remote_server is not None and core.remote_server.bound_port, "core")
        await until(lambda: core.session.snapshot.connection.connected, "OBS connection")
        await until(lambda: core.placement.shows_on_program(core.session.snapshot), "cards placed")
        before = await program_picture()
        status, body = await asyncio.to_thread(api, "POST", "/api/v1/product/pin", {"sku": "ceramic-pour-over-set"})
        assert status == 200, body
        card = card_rect(CardLayout.LOWER_THIRD, 640, 360)
        started = time.monotonic()
        while changed(before, await program_picture(), card) < 0.3:
            assert time.monotonic() - started < 10, "the card never reached OBS's program picture"
        status, state = await asyncio.to_thread(api, "GET", "/api/v1/state")
        assert state["products"]["on_air"] is True, state["products"]

        status, body = await asyncio.to_thread(
            api, "POST", "/api/v1/chat/messages", {"platform": "tiktok", "user": "ana", "text": "link please?"}
        )
        assert status == 201, body
        status, _ = await asyncio.to_thread(api, "POST", "/api/v1/chat/feature", {"id": body["id"]})
        assert status == 200
        started = time.monotonic()
        while not core.chat_on_air.featured_on_air:
            assert time.monotonic() - started < 10, "the featured comment never went on air"
            await asyncio.sleep(0.05)
        after = await program_picture()
        # The comment card sits in the lower left, above the product card.
        assert changed(before, after, (0, 0, 320, card.y)) > 0.05, "no featured comment above the product card"
        status, state = await asyncio.to_thread(api, "GET", "/api/v1/state")
        assert state["chat"]["featured_on_air"] is True, state["chat"]
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "qasync", "shiboken6"))
        assert not leaked, leaked
        print("headless core pinned and featured without Qt", flush=True)

    async def main():
        runner = asyncio.create_task(run_headless(core))
        try:
            await drive()
        finally:
            import os, signal
            os.kill(os.getpid(), signal.SIGTERM)  # the orderly shutdown a service manager asks for
            await runner

    asyncio.run(main())
    """
)


def test_core_runs_headless_against_real_obs_with_the_remote_api(obs: RunningObs, tmp_path: Path) -> None:
    remove_overlay(obs)
    env = {**os.environ, "STUDIO_CONSOLE_SECRETS": "file"}
    env.pop("QT_QPA_PLATFORM", None)
    try:
        result = subprocess.run(
            [sys.executable, "-c", PROGRAM, str(obs.port), obs.password, str(tmp_path / "studio")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
    finally:
        remove_overlay(obs)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert "headless core pinned and featured without Qt" in result.stdout
