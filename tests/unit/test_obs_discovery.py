"""OBS discovery and demo isolation for Windows, macOS, Flatpak and Debian, run on Linux with the platform injected."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from studio_console.obs.discovery import (
    FLATPAK_ID,
    WINDOWS_REGISTRY_KEY,
    ObsInstall,
    Platform,
    System,
    demo_isolation,
    find_obs,
    install_hint,
    needs_virtual_display,
)
from studio_console.obs.launcher import ObsConfig, write_isolated_config

WIN_ENV = {"ProgramFiles": r"C:\Program Files", "ProgramFiles(x86)": r"C:\Program Files (x86)"}


def fake_platform(
    system: System,
    *,
    files: Sequence[str] = (),
    on_path: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    commands: Mapping[str, str] | None = None,
    registry: Mapping[tuple[str, str], str] | None = None,
    home: str = "/home/producer",
) -> Platform:
    """A machine that has exactly these files, PATH entries, command answers and registry values."""
    existing = set(files)
    answers = dict(commands or {})
    values = dict(registry or {})
    return Platform(
        system=system,
        environ=dict(environ or {}),
        home=PureWindowsPath(home) if system == "windows" else PurePosixPath(home),
        which=lambda name: (on_path or {}).get(name),
        is_file=lambda path: path in existing,
        run=lambda argv: answers.get(" ".join(argv)),
        registry_value=(lambda key, name: values.get((key, name))) if system == "windows" else None,
    )


# -- Debian and other Linux ---------------------------------------------------------------------------------


def test_debian_obs_on_path_is_found_first() -> None:
    platform = fake_platform("linux", on_path={"obs": "/usr/bin/obs", "flatpak": "/usr/bin/flatpak"})
    install = find_obs(platform)
    assert install == ObsInstall(command=("/usr/bin/obs",), source="PATH", system="linux")


def test_debian_isolation_is_xdg_config_home(tmp_path: Path) -> None:
    install = ObsInstall(command=("/usr/bin/obs",), source="PATH", system="linux")
    isolation = demo_isolation(install, tmp_path)
    assert isolation.env == {"XDG_CONFIG_HOME": str(tmp_path)}
    assert isolation.config_root == tmp_path / "obs-studio"
    assert isolation.command == ("/usr/bin/obs",)
    assert isolation.extra_args == ()
    assert isolation.verified


def test_flatpak_obs_is_found_through_flatpak_info() -> None:
    platform = fake_platform(
        "linux", on_path={"flatpak": "/usr/bin/flatpak"}, commands={f"flatpak info {FLATPAK_ID}": "Ref: app/..."}
    )
    install = find_obs(platform)
    assert install is not None
    assert install.flatpak
    assert install.command == ("flatpak", "run", FLATPAK_ID)
    assert install.source == "Flatpak"


def test_flatpak_without_obs_installed_is_not_obs() -> None:
    platform = fake_platform("linux", on_path={"flatpak": "/usr/bin/flatpak"})  # flatpak info fails
    assert find_obs(platform) is None


def test_flatpak_isolation_overrides_the_sandbox_config_folder(tmp_path: Path) -> None:
    install = ObsInstall(command=("flatpak", "run", FLATPAK_ID), source="Flatpak", system="linux", flatpak=True)
    isolation = demo_isolation(install, tmp_path)
    assert isolation.command[:2] == ("flatpak", "run")
    assert f"--env=XDG_CONFIG_HOME={tmp_path}" in isolation.command
    assert f"--filesystem={tmp_path}" in isolation.command
    assert isolation.command[-1] == FLATPAK_ID  # OBS's own arguments follow the app id
    assert isolation.config_root == tmp_path / "obs-studio"
    assert not isolation.verified


def test_linux_without_obs_says_how_to_install_it() -> None:
    assert find_obs(fake_platform("linux")) is None
    hint = install_hint("linux")
    assert "apt-get install obs-studio" in hint
    assert FLATPAK_ID in hint


def test_override_variable_wins_when_it_names_a_file() -> None:
    platform = fake_platform(
        "linux",
        files=["/opt/obs/bin/obs"],
        on_path={"obs": "/usr/bin/obs"},
        environ={"STUDIO_CONSOLE_OBS": "/opt/obs/bin/obs"},
    )
    install = find_obs(platform)
    assert install is not None
    assert install.command == ("/opt/obs/bin/obs",)


# -- Xvfb -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "environ", "headless", "expected"),
    [
        ("linux", {}, None, True),  # no screen at all: OBS can only run on a virtual one
        ("linux", {"DISPLAY": ":0"}, None, False),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, None, False),
        ("linux", {"DISPLAY": ":0"}, True, True),  # headless demo asked for
        ("windows", {}, None, False),  # no DISPLAY there, and no Xvfb either
        ("windows", {}, True, False),
        ("darwin", {}, True, False),
    ],
)
def test_xvfb_only_on_linux(system: System, environ: dict[str, str], headless: bool | None, expected: bool) -> None:
    assert needs_virtual_display(fake_platform(system, environ=environ), headless) is expected


# -- Windows --------------------------------------------------------------------------------------------


def test_windows_standard_folder() -> None:
    exe = r"C:\Program Files\obs-studio\bin\64bit\obs64.exe"
    install = find_obs(fake_platform("windows", files=[exe], environ=WIN_ENV))
    assert install is not None
    assert install.command == (exe,)
    assert install.source == "Program Files"
    assert install.install_root == r"C:\Program Files\obs-studio"


def test_windows_registry_names_an_unusual_folder() -> None:
    exe = r"D:\Streaming\OBS\bin\64bit\obs64.exe"
    platform = fake_platform(
        "windows", files=[exe], environ=WIN_ENV, registry={(WINDOWS_REGISTRY_KEY, ""): r"D:\Streaming\OBS"}
    )
    install = find_obs(platform)
    assert install is not None
    assert install.source == "registry"
    assert install.command == (exe,)
    assert install.install_root == r"D:\Streaming\OBS"


def test_windows_registry_pointing_at_a_removed_folder_is_ignored() -> None:
    platform = fake_platform("windows", environ=WIN_ENV, registry={(WINDOWS_REGISTRY_KEY, ""): r"D:\Gone"})
    assert find_obs(platform) is None


def test_windows_path_entry() -> None:
    exe = r"E:\tools\obs-studio\bin\64bit\obs64.exe"
    install = find_obs(fake_platform("windows", on_path={"obs64": exe}))
    assert install is not None
    assert install.source == "PATH"
    assert install.install_root == r"E:\tools\obs-studio"


def test_windows_isolation_is_a_portable_copy_run_from_bin_64bit(tmp_path: Path) -> None:
    install = ObsInstall(
        command=(r"C:\Program Files\obs-studio\bin\64bit\obs64.exe",),
        source="Program Files",
        system="windows",
        install_root=r"C:\Program Files\obs-studio",
    )
    isolation = demo_isolation(install, tmp_path)
    portable = tmp_path / "obs-portable"
    assert isolation.extra_args == ("--portable",)
    assert isolation.command == (str(portable / "bin" / "64bit" / "obs64.exe"),)
    assert isolation.working_dir == portable / "bin" / "64bit"
    assert isolation.config_root == portable / "config" / "obs-studio"
    assert isolation.copy_from == Path(r"C:\Program Files\obs-studio")
    assert isolation.copy_to == portable
    assert "XDG_CONFIG_HOME" not in isolation.env  # Windows OBS ignores it


def test_windows_hint_never_says_apt_get() -> None:
    hint = install_hint("windows")
    assert "apt-get" not in hint
    assert "obs64.exe" in hint
    assert find_obs(fake_platform("windows", environ=WIN_ENV)) is None


# -- macOS ----------------------------------------------------------------------------------------------


def test_macos_applications_folder() -> None:
    exe = "/Applications/OBS.app/Contents/MacOS/OBS"
    install = find_obs(fake_platform("darwin", files=[exe], home="/Users/producer"))
    assert install == ObsInstall(command=(exe,), source="/Applications", system="darwin")


def test_macos_user_applications_folder() -> None:
    exe = "/Users/producer/Applications/OBS.app/Contents/MacOS/OBS"
    install = find_obs(fake_platform("darwin", files=[exe], home="/Users/producer"))
    assert install is not None
    assert install.source == "~/Applications"
    assert install.command == (exe,)


def test_macos_isolation_is_a_private_home_and_says_it_is_unverified(tmp_path: Path) -> None:
    install = ObsInstall(command=("/Applications/OBS.app/Contents/MacOS/OBS",), source="/Applications", system="darwin")
    isolation = demo_isolation(install, tmp_path)
    assert isolation.env == {"HOME": str(tmp_path)}
    assert isolation.config_root == tmp_path / "Library" / "Application Support" / "obs-studio"
    assert not isolation.verified
    assert "unverified" in isolation.note
    assert "apt-get" not in install_hint("darwin")


# -- the files OBS reads ----------------------------------------------------------------------------------


def test_config_goes_where_the_platform_isolation_says(tmp_path: Path) -> None:
    cfg = ObsConfig(home=tmp_path, port=4567, password="s3cret-pw")
    root = tmp_path / "obs-portable" / "config" / "obs-studio"
    write_isolated_config(cfg, root)
    assert "ServerPort=4567" in (root / "global.ini").read_text()
    websocket = json.loads((root / "plugin_config" / "obs-websocket" / "config.json").read_text())
    assert websocket["server_port"] == 4567
    assert websocket["auth_required"] is True
    assert websocket["server_password"] == "s3cret-pw"
    assert (root / "basic" / "profiles" / "StudioConsole" / "basic.ini").exists()
    assert not (tmp_path / "obs-studio").exists()
