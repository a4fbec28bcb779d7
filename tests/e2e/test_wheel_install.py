"""The built wheel is the app: in a fresh venv outside the checkout it starts demo mode with the twelve products.

The venv gets the wheel and the exact versions of requirements/constraints.txt; every program runs from a
temporary folder with the checkout nowhere on ``sys.path`` (``python -I``, no PYTHONPATH).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.installed_app import demo_ready, start_demo

ROOT = Path(__file__).resolve().parents[2]
BUILD_LEFTOVERS = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".mypy_cache", ".ruff_cache", "tmp")


@dataclass(frozen=True)
class WheelVenv:
    python: Path
    wheel: Path
    outside: Path  # a folder outside the checkout to run things from

    @property
    def bin(self) -> Path:
        return self.python.parent

    def run(self, code: str) -> str:
        result = subprocess.run(
            [str(self.python), "-I", "-c", code],
            cwd=self.outside,
            capture_output=True,
            text=True,
            timeout=120,
            env=_clean_env(),
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> WheelVenv:
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    # From a clean copy of the sources: setuptools reuses a checkout's build/lib, and modules deleted
    # since the last build there would end up in the wheel.
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = dist.glob("studio_console-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "-c",
            str(ROOT / "requirements" / "constraints.txt"),
            f"{wheel}[test]",
        ],
        check=True,
        timeout=600,
        capture_output=True,
        env=_clean_env(),
    )
    outside = base / "run"
    outside.mkdir()
    return WheelVenv(python, wheel, outside)


def test_installed_package_is_the_wheel_not_the_checkout(wheel_venv: WheelVenv) -> None:
    out = wheel_venv.run(
        "import json, studio_console, studio_console.assets as a, sys\n"
        "print(json.dumps({'package': studio_console.__file__, 'resources': str(a.resources_dir()),"
        " 'path': sys.path}))"
    )
    found = json.loads(out)
    site = str(wheel_venv.python.parent.parent)
    assert found["package"].startswith(site), found
    assert found["resources"].startswith(site), found
    assert not any(entry.startswith(str(ROOT)) for entry in found["path"] if entry), found["path"]


def test_wheel_carries_catalog_icons_desktop_entry_and_entry_points(wheel_venv: WheelVenv) -> None:
    out = wheel_venv.run(
        "import json\n"
        "from importlib.metadata import entry_points\n"
        "from studio_console.assets import demo_catalog_file, icon_file, resource_path\n"
        "from studio_console.services.products.catalog_io import demo_catalog_path, import_json\n"
        "result = import_json(demo_catalog_path())\n"
        "print(json.dumps({'products': len(result.catalog.products), 'errors': len(result.errors),"
        " 'same': demo_catalog_path() == demo_catalog_file(), 'icon': icon_file(256).stat().st_size,"
        " 'svg': icon_file().exists(), 'desktop': resource_path('linux', 'studio-console.desktop').exists(),"
        " 'sinks': sorted(e.name for e in entry_points(group='studio_console.sinks')),"
        " 'chat': sorted(e.name for e in entry_points(group='studio_console.chat_sources'))}))"
    )
    found = json.loads(out)
    assert found["products"] == 12
    assert found["errors"] == 0  # every product picture resolved inside the installed package
    assert found["same"]
    assert found["icon"] > 1000 and found["svg"] and found["desktop"]
    assert "local_test_server" in found["sinks"]
    assert "rehearsal" in found["chat"]
    assert (wheel_venv.bin / "studio-console").exists()
    assert (wheel_venv.bin / "studio-console-gui").exists()


@pytest.fixture
def demo_from_wheel(wheel_venv: WheelVenv, tmp_path: Path, xvfb: object) -> Iterator[object]:
    run = start_demo([str(wheel_venv.bin / "studio-console")], tmp_path)
    try:
        yield run
    finally:
        run.stop()


def test_wheel_starts_demo_mode_with_the_twelve_demo_products(demo_from_wheel: object, wheel_venv: WheelVenv) -> None:
    from tests.helpers.installed_app import DemoRun

    assert isinstance(demo_from_wheel, DemoRun)
    run = demo_from_wheel
    state = run.wait_until(demo_ready, timeout=150)
    assert state["connection"] == "connected"
    skus = json.loads(
        wheel_venv.run(
            "import json\nfrom studio_console.assets import demo_catalog_file\n"
            "print(json.dumps([p['sku'] for p in json.load(open(demo_catalog_file()))['products']]))"
        )
    )
    assert len(skus) == 12
    for sku in skus:  # each one is in the running app's catalog: pinning an unknown SKU answers 404
        status, body = run.api("POST", "/api/v1/product/pin", {"sku": sku})
        assert status == 200, (sku, body)
    saved = json.loads((run.root / "config" / "data" / "catalog.json").read_text())
    assert len(saved["products"]) == 12
    assert "demo mode: loaded the demo catalog (12 products)" in run.log()


def test_unit_and_gui_tiers_pass_against_the_wheel(wheel_venv: WheelVenv, tmp_path: Path) -> None:
    """The unit and gui tests, copied out of the checkout, run against the installed package."""
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "tests", copy / "tests", ignore=shutil.ignore_patterns("e2e", "__pycache__"))
    shutil.copytree(ROOT / "packaging", copy / "packaging", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")  # pytest's and import-linter's settings
    result = subprocess.run(
        [
            str(wheel_venv.python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "tests/unit",
            "tests/gui",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=900,
        env={**_clean_env(), "QT_QPA_PLATFORM": "offscreen"},
    )
    tail = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    summary = result.stdout.strip().splitlines()[-1]
    passed = int(summary.split(" passed")[0].split()[-1])
    assert passed > 200, tail  # the whole unit and gui tiers ran, not a handful
    assert "studio_console" not in {p.name for p in copy.iterdir()}
