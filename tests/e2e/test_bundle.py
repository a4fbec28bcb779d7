"""The desktop bundle built here (PyInstaller, one folder) starts demo mode; GET /api/v1/state says OBS is connected."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_console.obs.launcher import VirtualDisplay
from tests.helpers.installed_app import DemoRun, demo_ready, start_demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("bundle")
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build_bundle.sh")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "BUNDLE_DIST": str(dist)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"bundle built in {time.monotonic() - started:.0f} s")
    program = dist / "studio-console" / "studio-console"
    assert program.exists()
    return program


@pytest.fixture
def demo_from_bundle(bundle: Path, tmp_path: Path, xvfb: VirtualDisplay) -> Iterator[DemoRun]:
    run = start_demo([str(bundle)], tmp_path)
    try:
        yield run
    finally:
        run.stop()


def test_bundle_carries_qt_plugins_resources_and_metadata(bundle: Path) -> None:
    internal = bundle.parent / "_internal"
    plugins = internal / "PySide6" / "Qt" / "plugins" / "platforms"
    assert (plugins / "libqxcb.so").exists() and (plugins / "libqoffscreen.so").exists()
    assert (internal / "studio_console" / "resources" / "demo_catalog" / "catalog.json").exists()
    assert len(list((internal / "studio_console" / "resources" / "demo_catalog" / "images").glob("*.png"))) == 12
    assert list(internal.glob("studio_console-*.dist-info/entry_points.txt"))
    assert list(internal.glob("av*"))  # FFmpeg for the local test server


def test_bundle_starts_demo_mode_connected_to_obs(demo_from_bundle: DemoRun) -> None:
    run = demo_from_bundle
    started = time.monotonic()
    state = run.wait_until(demo_ready, timeout=150)
    print(f"bundle: OBS connected and demo catalog loaded {time.monotonic() - started:.1f} s after launch")
    assert state["connection"] == "connected"
    assert len(state["products"]["queue"]) == 6
    # Entry points work in the frozen app: the sinks and the rehearsal chat source were found through them.
    assert state["output"]["selected"] == "local_test_server"
    assert {d["sink_id"] for d in state["output"]["destinations"]} >= {"local_test_server", "twitch"}
    assert "rehearsal" in str(state["chat"])
    status, _ = run.api("POST", "/api/v1/product/pin", {"sku": "ceramic-pour-over-set"})
    assert status == 200
    assert "demo mode: loaded the demo catalog (12 products)" in run.log()
    assert "Traceback" not in run.log()
    assert run.stop(), run.log()  # SIGTERM: an orderly shutdown, which also stops the demo OBS
    assert "Studio Console stopped" in run.log()
