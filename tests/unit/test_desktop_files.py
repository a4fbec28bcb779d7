"""The icon in every size desktops ask for, and a Linux desktop entry that names it and the gui entry point."""

from __future__ import annotations

import configparser
import struct

from studio_console import APP_ID
from studio_console.assets import ICON_SIZES, icon_file, resource_path


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


def test_every_icon_size_is_a_square_png_of_that_size() -> None:
    for size in ICON_SIZES:
        assert png_size(icon_file(size).read_bytes()) == (size, size)
    svg = icon_file().read_text(encoding="utf-8")
    assert "<svg" in svg and 'viewBox="0 0 512 512"' in svg
    assert resource_path("icons", "studio-console.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"


def test_desktop_entry_runs_the_app_with_its_icon() -> None:
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(resource_path("linux", "studio-console.desktop").read_text(encoding="utf-8"))
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "studio-console"
    assert entry["Icon"] == APP_ID == icon_file(256).stem.rsplit("-", 1)[0]
    assert entry["StartupWMClass"] == APP_ID  # QGuiApplication.setDesktopFileName(APP_ID) matches it
    assert entry["Terminal"] == "false"
