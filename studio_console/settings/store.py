"""Loads and saves Settings as JSON: corrupt files are moved aside, saves are atomic."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from studio_console.settings.atomic import corrupt_aside_path, write_text_atomic
from studio_console.settings.migrations import MigrationError, migrate
from studio_console.settings.model import Settings

log = logging.getLogger(__name__)


class SettingsSaveError(OSError):
    """Saving failed; the previous settings file is intact."""


@dataclass(frozen=True)
class LoadResult:
    settings: Settings
    # A sentence for the user when the file could not be used as it was (None when all is well).
    notice: str | None = None
    moved_aside_to: Path | None = None


def describe_validation_error(exc: ValidationError, source: str) -> str:
    """One line per problem: ``source: field.path: message``."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(f"{source}: {where}: {err['msg']}")
    return "\n".join(lines)


class SettingsStore:
    """Reads and writes one settings file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> LoadResult:
        if not self.path.exists():
            return LoadResult(Settings())
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return self._move_aside(f"{self.path}: cannot be read ({exc.__class__.__name__}: {exc})")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            return self._move_aside(f"{self.path}: line {exc.lineno}, column {exc.colno}: {exc.msg}")
        if not isinstance(raw, dict):
            return self._move_aside(f"{self.path}: expected a JSON object, found {type(raw).__name__}")
        try:
            raw, migrated = migrate(raw)
        except MigrationError as exc:
            return self._move_aside(f"{self.path}: {exc}")
        try:
            settings = Settings.model_validate(raw)
        except ValidationError as exc:
            return self._move_aside(describe_validation_error(exc, str(self.path)))
        if migrated:
            log.info("settings migrated to schema version %s", settings.schema_version)
            try:
                self.save(settings)
            except SettingsSaveError:
                log.warning("could not write the migrated settings back; will retry on the next save")
        return LoadResult(settings)

    def save(self, settings: Settings) -> None:
        text = json.dumps(settings.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
        try:
            write_text_atomic(self.path, text, mode=0o600)
        except OSError as exc:
            raise SettingsSaveError(
                exc.errno or 0, f"Could not save settings to {self.path}: {exc.strerror or exc}"
            ) from exc

    def _move_aside(self, problem: str) -> LoadResult:
        target: Path | None = corrupt_aside_path(self.path)
        assert target is not None
        try:
            os.replace(self.path, target)
        except OSError as exc:
            log.error("could not move the unusable settings file aside: %s", exc)
            target = None
        where = f" It was moved to {target.name}." if target else ""
        notice = f"Settings could not be loaded, defaults are in use.{where}\n{problem}"
        log.warning("%s", notice)
        return LoadResult(Settings(), notice=notice, moved_aside_to=target)
