"""Checks that ``pip install studio-console`` resolves on every supported Python and OS, from this Linux machine.

For each target (Python 3.11-3.15 x Windows x64, macOS Intel and Apple silicon and Linux x86-64, each at
the oldest version supported with that Python) it evaluates pyproject.toml's dependency markers for that
target (pip evaluates markers against the interpreter running it, pypa/pip#11664, so ``--python-version``
alone would test the wrong requirement lines), then asks pip's resolver for wheels of that platform only:
``pip install --dry-run --only-binary=:all: --python-version X --platform TAG``.

Limitation: markers of *transitive* dependencies (keyring's ``pywin32-ctypes; sys_platform == "win32"``)
are still evaluated by pip against this Linux interpreter; those are pure-Python packages.

Run ``python packaging/check_install_matrix.py [--jobs N] [--only 3.15/win_amd64 ...]``; it ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ("3.11", "3.12", "3.13", "3.14", "3.15")


@dataclass(frozen=True)
class Target:
    name: str
    platforms: tuple[str, ...]
    sys_platform: str
    platform_system: str
    os_name: str
    platform_machine: str
    pythons: tuple[str, ...] = PYTHONS

    def environment(self, python: str) -> dict[str, str]:
        return {
            "python_version": python,
            "python_full_version": f"{python}.0",
            "sys_platform": self.sys_platform,
            "platform_system": self.platform_system,
            "os_name": self.os_name,
            "platform_machine": self.platform_machine,
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_version": "",
            "implementation_version": f"{python}.0",
            "extra": "",
        }


def _manylinux(glibc_minor: int) -> tuple[str, ...]:
    # pip does not widen a custom manylinux_2_N tag to older glibc versions: list them all.
    return (*(f"manylinux_2_{n}_x86_64" for n in range(glibc_minor, 16, -1)), "manylinux2014_x86_64")


def _mac(name: str, tag: str, machine: str, pythons: tuple[str, ...]) -> Target:
    # pip widens a macosx_N_0 tag to older macOS versions itself.
    return Target(name, (tag,), "darwin", "Darwin", "posix", machine, pythons)


def _linux(glibc_minor: int, pythons: tuple[str, ...]) -> Target:
    name = f"manylinux_2_{glibc_minor}_x86_64"
    return Target(name, _manylinux(glibc_minor), "linux", "Linux", "posix", "x86_64", pythons)


# Each platform at the oldest version supported with that Python (the README's support table). The
# newer the Python, the newer the OS: the only PySide6 releases for Python 3.14+ (6.10 and later) need
# glibc 2.34 and macOS 13 (3.14) or 14 (3.15); av 18 needs macOS 14 on Apple silicon.
TARGETS = (
    Target("win_amd64", ("win_amd64",), "win32", "Windows", "nt", "AMD64"),
    _mac("macos12_x86_64", "macosx_12_0_x86_64", "x86_64", ("3.11", "3.12", "3.13")),
    _mac("macos13_x86_64", "macosx_13_0_x86_64", "x86_64", ("3.14",)),
    _mac("macos14_x86_64", "macosx_14_0_x86_64", "x86_64", ("3.15",)),
    _mac("macos14_arm64", "macosx_14_0_arm64", "arm64", PYTHONS),
    _linux(28, ("3.11", "3.12", "3.13")),
    _linux(34, ("3.14", "3.15")),
)


def project_requirements() -> list[Requirement]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    return [Requirement(line) for line in project["dependencies"]]


def requirements_for(target: Target, python: str) -> list[str]:
    """pyproject.toml's dependency lines that apply on ``target`` with Python ``python``, markers removed."""
    env = target.environment(python)
    chosen = []
    for req in project_requirements():
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        plain = Requirement(str(req))
        plain.marker = None
        chosen.append(str(plain))
    return chosen


def check(target: Target, python: str, pip: str) -> dict[str, object]:
    """Resolve one cell; returns ok, the versions pip picked for the key packages, or pip's error."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        argv = [
            pip,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--ignore-installed",
            "--only-binary=:all:",
            "--python-version",
            python,
            "--implementation",
            "cp",
            *(arg for tag in target.platforms for arg in ("--platform", tag)),
            "--target",
            str(Path(tmp) / "site"),
            "--report",
            str(report),
            *requirements_for(target, python),
        ]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
        picked: dict[str, str] = {}
        if result.returncode == 0 and report.exists():
            for item in json.loads(report.read_text())["install"]:
                meta = item["metadata"]
                picked[meta["name"].lower().replace("_", "-")] = meta["version"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    return {
        "cell": f"{python}/{target.name}",
        "ok": result.returncode == 0,
        "versions": {k: v for k, v in sorted(picked.items()) if k in ("pyside6-essentials", "av", "pydantic-core")},
        "error": " ".join(errors)[-600:],
        "seconds": round(time.monotonic() - started, 1),
    }


def cells(only: list[str] | None = None) -> list[tuple[Target, str]]:
    every = [(target, python) for python in PYTHONS for target in TARGETS if python in target.pythons]
    if only:
        every = [(t, p) for t, p in every if f"{p}/{t.name}" in only]
    return every


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=4, help="cells resolved at once (pip mostly waits on the index)")
    parser.add_argument("--only", nargs="*", help="cells to check, e.g. 3.15/win_amd64")
    args = parser.parse_args()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda cell: check(cell[0], cell[1], sys.executable), cells(args.only)))
    for item in results:
        outcome = "ok" if item["ok"] else "FAILED"
        print(f"{item['cell']:32} {outcome} {item['versions'] or item['error']}", file=sys.stderr)
    print(json.dumps({"cells": results, "failed": [r["cell"] for r in results if not r["ok"]]}))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
