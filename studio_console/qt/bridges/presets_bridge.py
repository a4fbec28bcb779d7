"""Presets on screen: the switcher's progress and the store's list to the picker; the picker's intents back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from studio_console.core import StudioCore
from studio_console.domain.presets import SwitchProgress, SwitchResult
from studio_console.qt.views.preset_picker import PresetPicker
from studio_console.services.presets.switcher import PresetSwitcher, SwitchFailed


class PresetsBridge(QObject):
    """Translates between the preset switcher/store and the preset picker.

    Signals:
        progress(object): a SwitchProgress of the running switch.
        finished(object): the SwitchResult of a switch.
        keys_needed(dict): destination id -> keyring entry, after an import.
    """

    progress = Signal(object)
    finished = Signal(object)
    keys_needed = Signal(dict)

    def __init__(self, core: StudioCore, picker: PresetPicker) -> None:
        super().__init__()
        assert core.presets is not None
        self.core = core
        self.picker = picker
        switcher: PresetSwitcher = core.presets
        self.switcher = switcher
        store = core.preset_store
        self._unsubscribe = [switcher.progress.add(self.progress.emit), switcher.finished.add(self.finished.emit)]
        self.progress.connect(self._on_progress)
        self.finished.connect(self._on_finished)
        self.keys_needed.connect(picker.ask_keys)
        picker.switch_requested.connect(lambda name: core.tasks.latest("preset-switch", lambda: self._switch(name)))
        picker.create_requested.connect(self._create)
        picker.duplicate_requested.connect(lambda src, new: self._call(lambda: store.duplicate(src, new)))
        picker.rename_requested.connect(lambda old, new: self._call(lambda: store.rename(old, new)))
        picker.delete_requested.connect(self._delete)
        picker.export_requested.connect(lambda name, path: self._call(lambda: store.export(name, Path(path))))
        picker.import_requested.connect(self._import)
        picker.order_changed.connect(lambda names: self._call(lambda: store.set_day_order(list(names))))
        picker.key_entered.connect(lambda entry, key: self._call(lambda: core.secrets.set(entry, key)))
        self.refresh()

    def refresh(self) -> None:
        self.picker.set_presets(self.core.preset_store.names(), self.switcher.active)

    def _call(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as exc:
            self.core.report_error(exc)
        self.refresh()

    async def _switch(self, name: str) -> None:
        self.picker.set_switching(True)
        try:
            await self.switcher.switch(name)
        except SwitchFailed:
            pass  # the result reached the picker through ``finished``
        except Exception as exc:
            self.picker.set_progress(str(exc))
        finally:
            self.picker.set_switching(False)
            self.refresh()

    def _on_progress(self, progress: SwitchProgress) -> None:
        state = "done" if progress.done else "…"
        self.picker.set_progress(
            f"{progress.preset}: {progress.index + 1}/{progress.total} {progress.step.value} {state}"
        )

    def _on_finished(self, result: SwitchResult) -> None:
        self.picker.set_progress(result.message if not result.ok else f"{result.message} ({result.seconds:.1f} s)")

    def _create(self, name: str) -> None:
        ports = self.core.preset_ports
        if ports is None:
            return
        self._call(lambda: self.core.preset_store.save(*ports.current(name)))

    def _delete(self, name: str) -> None:
        def delete() -> None:
            preset = self.core.preset_store.load(name)
            for entry in preset.stream_key_names().values():
                self.core.secrets.delete(entry)
            self.core.preset_store.delete(name)

        self._call(delete)

    def _import(self, path: str) -> None:
        try:
            imported = self.core.preset_store.import_file(Path(path))
        except Exception as exc:
            self.core.report_error(exc)
            return
        self.refresh()
        if imported.keys_to_ask:
            self.keys_needed.emit(dict(imported.keys_to_ask))

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
