"""The one place that locates the app's data files (demo catalog, icons) in a wheel, a checkout or the bundle."""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

RESOURCES_PACKAGE = "studio_console.resources"
# A checkout run without installing (``PYTHONPATH=.``): the folder beside the package.
_CHECKOUT_RESOURCES = Path(__file__).resolve().parents[1] / "resources"


class MissingResourceError(FileNotFoundError):
    """A data file the app ships is not where the installation should have put it."""


@cache
def resources_dir() -> Path:
    """The folder holding the shipped data files, as a real directory on disk.

    Wheels, editable installs and the PyInstaller bundle all unpack ``studio_console.resources`` into
    a folder, so the catalog's relative image paths resolve as they do in the repository.
    """
    try:
        root = importlib.resources.files(RESOURCES_PACKAGE)
    except ModuleNotFoundError:
        root = None
    if root is not None:
        path = Path(str(root))
        if path.is_dir():
            return path
    if _CHECKOUT_RESOURCES.is_dir():
        return _CHECKOUT_RESOURCES
    raise MissingResourceError(
        f"Studio Console's data files ({RESOURCES_PACKAGE}) are missing from this installation; reinstall the app"
    )


def resource_path(*parts: str) -> Path:
    """Path of one shipped file, e.g. ``resource_path("icons", "studio-console-256.png")``."""
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise MissingResourceError(f"Studio Console's data file {'/'.join(parts)} is missing (looked in {path})")
    return path


def demo_catalog_file() -> Path:
    """The demo catalog (twelve products with pictures) demo mode loads when no catalog is saved."""
    return resource_path("demo_catalog", "catalog.json")


def icon_file(size: int | None = None) -> Path:
    """The app icon: the SVG, or the PNG drawn for ``size`` pixels (16, 32, 48, 64, 128, 256, 512)."""
    if size is None:
        return resource_path("icons", "studio-console.svg")
    return resource_path("icons", f"studio-console-{size}.png")


ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
