"""Remembers which viewers came to earlier shows, to mark returning viewers; stores only hashes of their ids."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from pathlib import Path

from studio_console.settings.atomic import write_text_atomic

log = logging.getLogger(__name__)


def viewer_hash(platform: str, user: str) -> str:
    # A hash, not the id: the file should not become a list of the audience's accounts.
    return hashlib.sha256(f"{platform}\0{user}".encode()).hexdigest()[:20]


class ViewerBook:
    """Viewers seen in earlier sessions (loaded from ``path``) and this one; bounded, oldest forgotten first."""

    def __init__(self, path: Path | None = None, capacity: int = 200_000) -> None:
        self.path = path
        self.capacity = capacity
        self._earlier: set[str] = set()
        self._all: OrderedDict[str, None] = OrderedDict()
        self._dirty = False
        if path is not None:
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("viewer history %s is unreadable (%s); starting a new one", path, type(exc).__name__)
            return
        hashes = data.get("viewers", []) if isinstance(data, dict) else []
        for item in hashes[-self.capacity :]:
            if isinstance(item, str):
                self._all[item] = None
        self._earlier = set(self._all)

    def seen(self, platform: str, user: str) -> bool:
        """Record this viewer; True when they came to an earlier show."""
        key = viewer_hash(platform, user)
        if key in self._all:
            self._all.move_to_end(key)
        else:
            self._all[key] = None
            self._dirty = True
            if len(self._all) > self.capacity:
                self._all.popitem(last=False)
        return key in self._earlier

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        try:
            write_text_atomic(self.path, json.dumps({"version": 1, "viewers": list(self._all)}), mode=0o600)
        except OSError as exc:
            log.error("could not save the viewer history to %s: %s", self.path, exc)
            return
        self._dirty = False
