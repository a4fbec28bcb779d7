"""Benchmark: a creator-preset switch with 500 products, from ``POST /api/v1/preset`` to its "ready" answer,
vs OBS's own SetCurrentSceneCollection round trip (raw obs-websocket-py, until OBS reports the collection),
against one private OBS in one run. The headless core (no Qt) serves the API."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

from _common import emit, private_obs, summary_ms

PRODUCTS = 500
ROUNDS = 8
TOKEN = "bench-preset-token-0123456789"


def catalog(prefix: str) -> Any:
    from studio_console.domain.catalog import Catalog, Product, Variant

    return Catalog(
        products=tuple(
            Product(
                sku=f"{prefix}{n:04d}",
                title=f"{prefix} product {n}",
                short_code=f"{prefix}{n}",
                variants=(Variant(sku=f"{prefix}{n:04d}-1", options={"Size": "One"}, price=Decimal("9.99"), stock=50),),
            )
            for n in range(PRODUCTS)
        )
    )


def raw_collection_switches(port: int, password: str) -> list[float]:
    """OBS's own round trip: SetCurrentSceneCollection, then GetSceneCollectionList until it names the new one."""
    from obswebsocket import obsws, requests

    client = obsws("127.0.0.1", port, password, legacy=False, timeout=30)
    client.connect()
    try:
        times = []
        for i in range(ROUNDS):
            name = "Bench A" if i % 2 else "Bench B"
            started = time.perf_counter()
            client.call(requests.SetCurrentSceneCollection(sceneCollectionName=name))
            while client.call(requests.GetSceneCollectionList()).datain["currentSceneCollectionName"] != name:
                time.sleep(0.005)
            times.append(time.perf_counter() - started)
        return times
    finally:
        client.disconnect()


def make_collections(port: int, password: str) -> None:
    from obswebsocket import obsws, requests

    client = obsws("127.0.0.1", port, password, legacy=False, timeout=30)
    client.connect()
    try:
        for collection, scene in (("Bench A", "A Main"), ("Bench B", "B Main")):
            client.call(requests.CreateSceneCollection(sceneCollectionName=collection))
            while client.call(requests.GetSceneCollectionList()).datain["currentSceneCollectionName"] != collection:
                time.sleep(0.05)
            client.call(requests.CreateScene(sceneName=scene))
            client.call(requests.SetCurrentProgramScene(sceneName=scene))
    finally:
        client.disconnect()


async def preset_switches(port: int, password: str, root: Path) -> list[float]:
    from studio_console.cli import LaunchOptions
    from studio_console.core import StudioCore
    from studio_console.domain.card import Theme
    from studio_console.domain.presets import Preset, PresetBrand
    from studio_console.settings.paths import AppPaths
    from studio_console.settings.secrets import OBS_PASSWORD, REMOTE_TOKEN, SecretStore
    from studio_console.settings.store import SettingsStore

    paths = AppPaths.under(root)
    paths.ensure()
    secrets = SecretStore.open(paths.config_dir, paths.custom_root)
    secrets.set(OBS_PASSWORD, password)
    secrets.set(REMOTE_TOKEN, TOKEN)
    store = SettingsStore(paths.settings_file)
    options = LaunchOptions(obs_port=port, remote_port=0, config_dir=root, headless=True)
    core = StudioCore(options, paths, store, store.load().settings, secrets=secrets)
    for name, prefix, panel in (("Preset A", "A", "#FF1E3A8A"), ("Preset B", "B", "#FF0F963C")):
        products = catalog(prefix)
        preset = Preset(
            name=name,
            brand=PresetBrand(theme=Theme(panel=panel)),
            queue=tuple(p.sku for p in products.products[:20]),
            obs_scene_collection=f"Bench {prefix}",
        )
        core.preset_store.save(preset, products)

    def post(name: str) -> dict[str, Any]:
        assert core.remote_server is not None
        request = urllib.request.Request(
            f"http://127.0.0.1:{core.remote_server.bound_port}/api/v1/preset",
            method="POST",
            data=json.dumps({"name": name}).encode(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as answer:
            body: dict[str, Any] = json.loads(answer.read())
            return body

    await core.start()
    try:
        started = time.monotonic()
        while not core.session.snapshot.connection.connected:
            assert time.monotonic() - started < 60, "OBS never connected"
            await asyncio.sleep(0.05)
        times = []
        for i in range(ROUNDS + 1):
            name = "Preset A" if i % 2 == 0 else "Preset B"
            t = time.perf_counter()
            body = await asyncio.to_thread(post, name)
            elapsed = time.perf_counter() - t
            assert body["preset"]["ok"], body
            if i:  # the first switch also installs the overlay in OBS: warm-up
                times.append(elapsed)
        return times
    finally:
        await core.close()


def main() -> None:
    os.environ["STUDIO_CONSOLE_SECRETS"] = "file"
    obs = private_obs()
    try:
        make_collections(obs.port, obs.password)
        raw = raw_collection_switches(obs.port, obs.password)
        ours = asyncio.run(preset_switches(obs.port, obs.password, Path(tempfile.mkdtemp(prefix="bench-preset-"))))
    finally:
        obs.stop()
    raw_s, ours_s = summary_ms(raw), summary_ms(ours)
    emit(
        {
            "benchmark": "preset_switch",
            "products_per_preset": PRODUCTS,
            "preset_switch_request_to_ready": ours_s,
            "obs_set_current_scene_collection": raw_s,
            "ratio_p50_preset_vs_obs_collection": round(ours_s["p50_ms"] / raw_s["p50_ms"], 2),
        }
    )


if __name__ == "__main__":
    main()
