"""Presets on disk: one JSON file and one catalog file per preset, the day's order, export and import.

Every write is atomic. Secrets are never written here: an export carries no stream key or token, and
an import answers with the keyring entries the operator must fill in.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from studio_console.domain.catalog import Catalog
from studio_console.domain.presets import Preset, preset_slug
from studio_console.services.products.catalog_io import CatalogStore, catalog_json
from studio_console.settings.atomic import write_text_atomic

log = logging.getLogger(__name__)

EXPORT_FORMAT = "studio-console-preset"
EXPORT_VERSION = 1
_ORDER_FILE = "day-order.json"


class PresetError(ValueError):
    """A preset could not be read, written or found; the sentence names the file and field."""


@dataclass(frozen=True)
class ImportedPreset:
    """An imported preset and the keyring entries (destination id -> entry name) still to be asked for."""

    preset: Preset
    keys_to_ask: dict[str, str]
    catalog_products: int


def _field_problem(path: Path, exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{path}: field {where}: {first['msg']}"


def _preset_from(path: Path, data: Any) -> Preset:
    try:
        return Preset.model_validate(data)
    except ValidationError as exc:
        raise PresetError(_field_problem(path, exc)) from exc


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PresetError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"{path}: cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise PresetError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from exc


class PresetStore:
    """The presets of this studio, under ``<data dir>/presets``."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = Path(data_dir) / "presets"

    # -- paths -----------------------------------------------------------------------------------

    def preset_path(self, name: str) -> Path:
        return self.folder / f"{preset_slug(name)}.json"

    def catalog_store(self, name: str) -> CatalogStore:
        """The preset's own catalog file (the CatalogStore format, atomic writes)."""
        return CatalogStore(self.folder, f"{preset_slug(name)}.catalog.json")

    # -- reading ---------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every preset's name, in the day's order first, then the rest alphabetically."""
        found: dict[str, str] = {}
        for path in sorted(self.folder.glob("*.json")):
            if path.name == _ORDER_FILE or path.name.endswith(".catalog.json"):
                continue
            try:
                found[path.stem] = self.load_path(path).name
            except PresetError as exc:
                log.warning("%s (skipped)", exc)
        order = [name for name in self.day_order() if preset_slug(name) in found]
        rest = sorted((n for n in found.values() if n not in order), key=str.casefold)
        return order + rest

    def load_path(self, path: Path) -> Preset:
        return _preset_from(path, _read_json(path))

    def load(self, name: str) -> Preset:
        path = self.preset_path(name)
        if not path.exists():
            raise PresetError(f"There is no preset named {name!r}.")
        return self.load_path(path)

    def exists(self, name: str) -> bool:
        return self.preset_path(name).exists()

    def load_catalog(self, name: str) -> Catalog:
        loaded = self.catalog_store(name).load()
        if loaded.notice:
            log.warning("%s", loaded.notice)
        return loaded.catalog

    # -- writing ---------------------------------------------------------------------------------

    def save(self, preset: Preset, catalog: Catalog | None = None) -> None:
        """Write the preset (and its catalog when given); a name that folds onto another preset is refused."""
        path = self.preset_path(preset.name)
        if path.exists():
            other = self.load_path(path)
            if other.name != preset.name:
                raise PresetError(f"The name {preset.name!r} is too close to the preset {other.name!r}.")
        write_text_atomic(path, preset.model_dump_json(indent=1))
        if catalog is not None:
            self.catalog_store(preset.name).save(catalog)

    def delete(self, name: str) -> None:
        for path in (self.preset_path(name), self.catalog_store(name).path):
            path.unlink(missing_ok=True)
        self.set_day_order([n for n in self.day_order() if n != name])

    def rename(self, old: str, new: str) -> Preset:
        """Same preset under a new name (its catalog moves too); the day's order follows."""
        if self.exists(new) and preset_slug(new) != preset_slug(old):
            raise PresetError(f"A preset named {new!r} already exists.")
        preset = self.load(old)
        renamed = preset.model_copy(update={"name": new.strip()})
        catalog = self.load_catalog(old)
        self.preset_path(old).unlink(missing_ok=True)
        self.save(Preset.model_validate(renamed.model_dump()), catalog)
        if preset_slug(new) != preset_slug(old):
            self.catalog_store(old).path.unlink(missing_ok=True)
        self.set_day_order([renamed.name if n == old else n for n in self.day_order()])
        return renamed

    def duplicate(self, source: str, new: str) -> Preset:
        if self.exists(new):
            raise PresetError(f"A preset named {new!r} already exists.")
        copy = Preset.model_validate({**self.load(source).model_dump(), "name": new})
        self.save(copy, self.load_catalog(source))
        return copy

    # -- the day's order -------------------------------------------------------------------------

    def day_order(self) -> list[str]:
        path = self.folder / _ORDER_FILE
        if not path.exists():
            return []
        try:
            data = _read_json(path)
        except PresetError as exc:
            log.warning("%s (the day's order is empty)", exc)
            return []
        if not isinstance(data, list):
            log.warning("%s: not a list of preset names (the day's order is empty)", path)
            return []
        return [str(n) for n in data]

    def set_day_order(self, names: list[str]) -> None:
        unique = list(dict.fromkeys(names))
        write_text_atomic(self.folder / _ORDER_FILE, json.dumps(unique, indent=1))

    # -- export and import -----------------------------------------------------------------------

    def export(self, name: str, target: Path) -> None:
        """One file with the preset and its catalog; no stream key or token (they are only in the keyring)."""
        preset = self.load(name)
        document = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "preset": preset.model_dump(mode="json"),
            "catalog": json.loads(catalog_json(self.load_catalog(name))),
        }
        write_text_atomic(target, json.dumps(document, indent=1, ensure_ascii=False))

    def import_file(self, source: Path, *, name: str | None = None) -> ImportedPreset:
        """Read an exported preset, save it (under ``name`` when given) and list the keys to ask for."""
        document = _read_json(source)
        if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
            raise PresetError(f"{source}: field format: not a Studio Console preset export")
        version = document.get("version")
        if not isinstance(version, int) or version > EXPORT_VERSION:
            raise PresetError(f"{source}: field version: {version!r} is newer than this app reads")
        raw = document.get("preset")
        if not isinstance(raw, dict):
            raise PresetError(f"{source}: field preset: missing")
        if name is not None:
            raw = {**raw, "name": name}
        preset = _preset_from(source, raw)
        if self.exists(preset.name):
            raise PresetError(f"A preset named {preset.name!r} already exists; import it under another name.")
        # The catalog goes through the catalog store's own reader, which checks every product.
        catalog_store = self.catalog_store(preset.name)
        write_text_atomic(catalog_store.path, json.dumps(document.get("catalog") or {"products": []}))
        loaded = catalog_store.load()
        if loaded.notice:
            catalog_store.path.unlink(missing_ok=True)
            raise PresetError(f"{source}: field catalog: {loaded.notice}")
        self.save(preset)
        return ImportedPreset(preset, preset.stream_key_names(), len(loaded.catalog.products))
