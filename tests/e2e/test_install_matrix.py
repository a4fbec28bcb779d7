"""pip resolves the app's dependencies to wheels on Python 3.11-3.15 x Windows x64, macOS and Linux (asks PyPI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def matrix() -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "check_install_matrix.py"), "--jobs", "4"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-3000:]
    return {cell["cell"]: cell for cell in json.loads(lines[-1])["cells"]}


def test_every_supported_python_and_platform_resolves(matrix: dict[str, dict[str, Any]]) -> None:
    failed = {name: cell["error"] for name, cell in matrix.items() if not cell["ok"]}
    assert not failed, failed
    assert len(matrix) == 20  # five Pythons x (Windows, Intel Mac, Apple silicon Mac, Linux)


def test_python_3_11_never_gets_pyside_6_12_0(matrix: dict[str, dict[str, Any]]) -> None:
    for name, cell in matrix.items():
        if name.startswith("3.11/"):
            assert cell["versions"]["pyside6-essentials"] != "6.12.0", name


def test_python_3_15_gets_the_only_pyside_it_has(matrix: dict[str, dict[str, Any]]) -> None:
    assert matrix["3.15/win_amd64"]["versions"]["pyside6-essentials"] >= "6.12"
