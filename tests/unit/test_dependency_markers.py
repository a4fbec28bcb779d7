"""pyproject.toml's dependency markers, evaluated per target the way packaging/check_install_matrix.py feeds pip."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_matrix() -> ModuleType:
    path = ROOT / "packaging" / "check_install_matrix.py"
    spec = importlib.util.spec_from_file_location("check_install_matrix", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def pyside_line(python: str) -> str:
    matrix = load_matrix()
    windows = next(t for t in matrix.TARGETS if t.name == "win_amd64")
    lines = [line for line in matrix.requirements_for(windows, python) if line.lower().startswith("pyside6")]
    assert len(lines) == 1, lines
    return str(lines[0])


def test_pyside_6_12_0_is_excluded_on_python_3_11_only() -> None:
    assert "!=6.12.0" in pyside_line("3.11")
    for python in ("3.12", "3.13", "3.14", "3.15"):
        assert "6.12.0" not in pyside_line(python), python


def test_every_python_is_checked_on_windows_both_macs_and_linux() -> None:
    matrix = load_matrix()
    for python in matrix.PYTHONS:
        names = [target.name for target, py in matrix.cells() if py == python]
        assert "win_amd64" in names, python
        assert "macos14_arm64" in names, python
        assert any(n.startswith("macos") and n.endswith("x86_64") for n in names), python
        assert any(n.startswith("manylinux") for n in names), python


def test_websocket_client_and_truststore_are_declared() -> None:
    matrix = load_matrix()
    names = {req.name.lower() for req in matrix.project_requirements()}
    assert {"websocket-client", "truststore", "av", "pyside6-essentials"} <= names
