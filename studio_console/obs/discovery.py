"""Finds OBS Studio on Linux, Windows and macOS, and how each platform's OBS keeps a demo instance's settings apart."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any, Literal

System = Literal["linux", "windows", "darwin"]

FLATPAK_ID = "com.obsproject.Studio"
# Lets a studio point the app at an OBS the search misses (a portable copy, an unusual folder).
OVERRIDE_ENV = "STUDIO_CONSOLE_OBS"
# The OBS installer records its folder here (NSIS InstallDirRegKey HKLM "Software\OBS Studio").
WINDOWS_REGISTRY_KEY = r"SOFTWARE\OBS Studio"
WINDOWS_EXE = ("bin", "64bit", "obs64.exe")
# OBS 28+ names the binary OBS; older universal builds used obs.
MACOS_BINARIES = ("OBS.app/Contents/MacOS/OBS", "OBS.app/Contents/MacOS/obs")


def _run_quietly(argv: Sequence[str]) -> str | None:
    try:
        result = subprocess.run(list(argv), capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def _windows_registry_value(key: str, name: str) -> str | None:
    """A string value under HKEY_LOCAL_MACHINE (64-bit view first) or HKEY_CURRENT_USER, or None."""
    # Imported by name: the module exists only on Windows, and mypy checks this file on Linux.
    winreg: Any = importlib.import_module("winreg")

    views = (winreg.KEY_READ | getattr(winreg, "KEY_WOW64_64KEY", 0), winreg.KEY_READ)
    for hive in (winreg.HKEY_LOCAL_MACHINE, winreg.HKEY_CURRENT_USER):
        for access in views:
            try:
                with winreg.OpenKey(hive, key, 0, access) as handle:
                    value, _kind = winreg.QueryValueEx(handle, name)
            except OSError:
                continue
            if isinstance(value, str) and value:
                return value
    return None


def current_system() -> System:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "darwin"
    return "linux"


@dataclass(frozen=True)
class Platform:
    """Everything discovery asks of the machine, injected so tests can play Windows or macOS on Linux."""

    system: System
    environ: Mapping[str, str]
    home: PurePath
    which: Callable[[str], str | None]
    is_file: Callable[[str], bool]
    # Runs a short command; its standard output when it exits 0, else None (``flatpak info``).
    run: Callable[[Sequence[str]], str | None]
    # Reads a registry string (key, value name; "" is the key's default value); None off Windows.
    registry_value: Callable[[str, str], str | None] | None = None

    @classmethod
    def current(cls) -> Platform:
        system = current_system()
        return cls(
            system=system,
            environ=os.environ,
            home=Path.home(),
            which=shutil.which,
            is_file=os.path.isfile,
            run=_run_quietly,
            registry_value=_windows_registry_value if system == "windows" else None,
        )

    def path(self, first: str | PurePath, *rest: str) -> PurePath:
        """A path in this platform's syntax (backslashes on Windows, also when tests run on Linux)."""
        if self.system == "windows":
            return PureWindowsPath(first, *rest)
        return PurePosixPath(first, *rest)

    @property
    def has_display(self) -> bool:
        if self.system != "linux":
            return True  # Windows and macOS always have a desktop session when a person runs the app
        return bool(self.environ.get("DISPLAY") or self.environ.get("WAYLAND_DISPLAY"))


@dataclass(frozen=True)
class ObsInstall:
    """One OBS Studio found on this machine and how to start it."""

    command: tuple[str, ...]
    source: str  # where it was found, for logs and the About dialog ("PATH", "registry", "Flatpak"...)
    system: System
    # Windows: the folder holding bin\64bit (a demo OBS runs from a portable copy of it).
    install_root: str | None = None
    flatpak: bool = False

    @property
    def executable(self) -> str:
        return self.command[0]


def find_obs(platform: Platform | None = None) -> ObsInstall | None:
    """The OBS Studio to start, or None when none is installed where OBS installs itself."""
    platform = platform or Platform.current()
    override = platform.environ.get(OVERRIDE_ENV)
    if override and platform.is_file(override):
        return _native(platform, override, f"${OVERRIDE_ENV}")
    if platform.system == "windows":
        return _find_on_windows(platform)
    if platform.system == "darwin":
        return _find_on_macos(platform)
    return _find_on_linux(platform)


def _native(platform: Platform, exe: str, source: str) -> ObsInstall:
    root = None
    if platform.system == "windows":
        path = platform.path(exe)
        # ...\obs-studio\bin\64bit\obs64.exe -> ...\obs-studio
        if [p.lower() for p in path.parts[-3:-1]] == ["bin", "64bit"]:
            root = str(path.parents[2])
    return ObsInstall(command=(exe,), source=source, system=platform.system, install_root=root)


def _find_on_linux(platform: Platform) -> ObsInstall | None:
    exe = platform.which("obs")
    if exe:
        return _native(platform, exe, "PATH")
    if platform.which("flatpak") and platform.run(["flatpak", "info", FLATPAK_ID]) is not None:
        return ObsInstall(command=("flatpak", "run", FLATPAK_ID), source="Flatpak", system="linux", flatpak=True)
    return None


def _find_on_windows(platform: Platform) -> ObsInstall | None:
    for name in ("obs64", "obs64.exe"):
        exe = platform.which(name)
        if exe:
            return _native(platform, exe, "PATH")
    for root in _windows_install_folders(platform):
        exe = str(platform.path(root, *WINDOWS_EXE))
        if platform.is_file(exe):
            return _native(platform, exe, "Program Files")
    if platform.registry_value is not None:
        recorded = platform.registry_value(WINDOWS_REGISTRY_KEY, "")
        if recorded:
            exe = str(platform.path(recorded, *WINDOWS_EXE))
            if platform.is_file(exe):
                return _native(platform, exe, "registry")
    return None


def _windows_install_folders(platform: Platform) -> list[str]:
    env = platform.environ
    candidates = [
        str(platform.path(env[name], "obs-studio"))
        for name in ("ProgramW6432", "ProgramFiles", "ProgramFiles(x86)")
        if env.get(name)
    ]
    candidates.append(r"C:\Program Files\obs-studio")
    if env.get("LOCALAPPDATA"):
        candidates.append(str(platform.path(env["LOCALAPPDATA"], "Programs", "obs-studio")))
    return list(dict.fromkeys(candidates))


def _find_on_macos(platform: Platform) -> ObsInstall | None:
    exe = platform.which("obs")
    if exe:
        return _native(platform, exe, "PATH")
    for folder, label in (("/Applications", "/Applications"), (str(platform.home / "Applications"), "~/Applications")):
        for binary in MACOS_BINARIES:
            candidate = str(platform.path(folder, binary))
            if platform.is_file(candidate):
                return _native(platform, candidate, label)
    return None


def install_hint(system: System) -> str:
    """What to tell a producer whose machine has no OBS, in that platform's own terms."""
    if system == "windows":
        return (
            "OBS Studio is not installed (looked on PATH, in Program Files and in the registry). "
            "Install it from obsproject.com, or set STUDIO_CONSOLE_OBS to the full path of obs64.exe."
        )
    if system == "darwin":
        return (
            "OBS Studio is not installed (looked for OBS.app in /Applications and ~/Applications). "
            "Install it from obsproject.com (or: brew install --cask obs)."
        )
    return (
        "OBS Studio is not installed. Debian/Ubuntu: sudo apt-get install obs-studio; Fedora: sudo dnf install "
        f"obs-studio; any distribution: flatpak install flathub {FLATPAK_ID}."
    )


def xvfb_hint() -> str:
    return (
        "Xvfb is not installed (Debian/Ubuntu: sudo apt-get install xvfb xauth; "
        "Fedora: sudo dnf install xorg-x11-server-Xvfb)"
    )


def needs_virtual_display(platform: Platform, headless: bool | None) -> bool:
    """Xvfb only on Linux: when asked for a headless OBS, or when there is no screen to show OBS on."""
    if platform.system != "linux":
        return False
    if headless is None:
        return not platform.has_display
    return headless


@dataclass(frozen=True)
class DemoIsolation:
    """How to start an OBS whose settings, scenes and logs stay in the app's own folder."""

    command: tuple[str, ...]  # the program and the arguments that come before OBS's own
    config_root: Path  # the folder OBS reads global.ini, profiles, scenes and plugin_config from
    working_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    extra_args: tuple[str, ...] = ()
    # Windows: the installed OBS folder, copied once into the portable folder OBS then runs from.
    copy_from: Path | None = None
    copy_to: Path | None = None
    # False where this project could not watch that OBS honour it (see ``note``).
    verified: bool = True
    note: str = ""


def demo_isolation(install: ObsInstall, home: Path) -> DemoIsolation:
    """The per-platform way OBS honours a private configuration folder under ``home``."""
    if install.flatpak:
        # Inside the sandbox Flatpak sets XDG_CONFIG_HOME itself; --env overrides it and --filesystem lets OBS
        # write there.
        return DemoIsolation(
            command=("flatpak", "run", f"--env=XDG_CONFIG_HOME={home}", f"--filesystem={home}", FLATPAK_ID),
            config_root=home / "obs-studio",
            working_dir=home,
            verified=False,
            note="Flatpak OBS: XDG_CONFIG_HOME passed with flatpak run --env (no Flatpak on the test machine)",
        )
    if install.system == "windows":
        if install.install_root is None:
            raise ValueError(f"cannot make a portable copy of {install.executable}: it is not in a bin\\64bit folder")
        portable = home / "obs-portable"
        return DemoIsolation(
            command=(str(portable.joinpath(*WINDOWS_EXE)),),
            # Portable OBS keeps its settings in <folder>\config\obs-studio, found relative to its working
            # directory (CONFIG_PATH "../../config" from bin\64bit), and ignores XDG_CONFIG_HOME.
            config_root=portable / "config" / "obs-studio",
            working_dir=portable.joinpath(*WINDOWS_EXE[:-1]),
            extra_args=("--portable",),
            copy_from=Path(install.install_root),
            copy_to=portable,
            verified=False,
            note="Windows OBS: --portable in a copied folder, from its sources (not run on Windows here)",
        )
    if install.system == "darwin":
        # macOS OBS has no portable mode (ALLOW_PORTABLE_MODE is Windows-only) and reads its settings from
        # ~/Library/Application Support/obs-studio; a private HOME is the only separate folder left.
        return DemoIsolation(
            command=install.command,
            config_root=home / "Library" / "Application Support" / "obs-studio",
            working_dir=home,
            env={"HOME": str(home)},
            verified=False,
            note="macOS OBS: a private HOME; whether OBS.app follows HOME for Application Support is unverified",
        )
    return DemoIsolation(
        command=install.command,
        config_root=home / "obs-studio",
        working_dir=home,
        env={"XDG_CONFIG_HOME": str(home)},
    )
