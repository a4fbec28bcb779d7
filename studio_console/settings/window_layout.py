"""The saved window layout read straight from the settings file, for the first paint before pydantic loads.

Only two strings are read, without validation: anything unexpected gives the default layout, and
the full, validated load (``SettingsStore.load``) follows right after the window is up.
"""

from __future__ import annotations

import json
from pathlib import Path


def read_window_layout(settings_file: Path) -> tuple[str, str]:
    """``(geometry_b64, dock_state_b64)`` as last saved, or two empty strings."""
    try:
        window = json.loads(settings_file.read_text(encoding="utf-8")).get("window") or {}
        geometry, state = window.get("geometry_b64", ""), window.get("dock_state_b64", "")
    except (OSError, ValueError, AttributeError):
        return "", ""
    if not isinstance(geometry, str) or not isinstance(state, str):
        return "", ""
    return geometry, state
