"""The app's own OBS overlay scene: image slots (product card, featured comment, alert) shown over any scene.

One scene ("Studio Console Overlay") holds one ``image_source`` per slot, placed where its picture
belongs (at (0, 0) for a canvas-sized picture). The producer chooses scenes to nest it into; the app
never touches their other sources. The app writes each slot's picture as a PNG in its data folder and
points the input at it. The input must read the app's files, so OBS has to run on the same computer.

Checked against OBS 29 / obs-websocket 5.1 (tests/e2e/test_product_cards.py, benchmarks/):

- Setting an image source's file over the websocket makes it reload on the next video tick, also
  with the same file name; without it OBS notices a changed file only on its once-a-second check. Slots still alternate
  between two file names, so the file OBS shows is never the one being written.
- In a serial-realtime batch "set file, enable item" the enable applies at once and the new file
  only on the next tick: the previous picture flashes for a frame or more. Disabling an item answers
  at once but the item stays drawn until the next tick. A serial-frame batch applies everything inside
  one video tick and answers after it: no flash, and the change is on air when the call returns.
  It costs a wait for the next tick (at most one frame).
- A scene removed while other scenes nest it stays alive in OBS 29, unlisted and holding its name;
  installing again removes those nested items (the app's own) so the name is freed.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from studio_console.domain.obs_state import ObsSnapshot
from studio_console.kernel.listeners import Listeners
from studio_console.obs import events
from studio_console.obs.errors import ObsRequestError
from studio_console.obs.protocol import BatchExecution, RequestStatus
from studio_console.obs.requests import (
    TOP_LEFT,
    CreateInput,
    CreateScene,
    CreateSceneItem,
    GetInputList,
    GetSceneItemList,
    GetSceneList,
    ItemTransform,
    RemoveInput,
    RemoveScene,
    RemoveSceneItem,
    Request,
    SceneItem,
    SetCurrentProgramScene,
    SetInputSettings,
    SetSceneItemEnabled,
    SetSceneItemLocked,
    SetSceneItemTransform,
    first_failure,
    raise_first_failure,
)
from studio_console.obs.session import ObsSession
from studio_console.settings.atomic import write_atomic

log = logging.getLogger(__name__)

DEFAULT_SCENE = "Studio Console Overlay"
DEFAULT_SLOTS = ("product_card", "featured_comment", "alert")
# How often a picture that could not be written is tried again (the card is right within this of
# space coming back).
WRITE_RETRY_S = 0.5
IMAGE_KIND = "image_source"
_INSTALL_ATTEMPTS = 20
_INSTALL_RETRY_S = 0.1
# Every slot's item drawn at its picture's own size from the canvas's top-left corner.
_HOME = ItemTransform(
    position_x=0.0,
    position_y=0.0,
    scale_x=1.0,
    scale_y=1.0,
    rotation=0.0,
    alignment=TOP_LEFT,
    no_bounds=True,
    crop=(0, 0, 0, 0),
)


class OverlayError(Exception):
    """The overlay cannot be installed or used; the message tells the producer what to do."""


class OverlayChange(StrEnum):
    """Why the overlay's pictures may need to be pushed again."""

    RECONNECTED = "reconnected"  # OBS (re)connected: its state may differ from what the app last sent
    CANVAS_CHANGED = "canvas_changed"  # the canvas size changed: pictures must be rendered anew


def blank_png(width: int = 1, height: int = 1) -> bytes:
    """A fully transparent RGBA PNG, built without an imaging library (the core has none)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00" * 4 * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@dataclass
class _Slot:
    name: str
    input_name: str
    item_id: int | None = None
    # What OBS shows, and what the app last asked for: an overlay rebuilt behind the app's back
    # (removed in OBS) comes back hidden, and the next picture restores what was asked for.
    visible: bool = False
    wanted_visible: bool = False
    position: tuple[int, int] = (0, 0)
    # Which of the slot's two files is written next.
    next_file: int = 0
    # A picture written ahead (the run of show's next cue) and its file; putting it on air then only
    # sends requests. Its two files are apart from the two above, and never the one OBS shows.
    prepared: tuple[bytes, Path] | None = None
    shown_file: Path | None = None


class OverlayService:
    """Installs and drives the overlay scene. All OBS changes go through one lock, in call order."""

    def __init__(
        self,
        session: ObsSession,
        data_dir: Path,
        *,
        scene_name: str = DEFAULT_SCENE,
        slots: Sequence[str] = DEFAULT_SLOTS,
    ) -> None:
        if not slots:
            raise ValueError("the overlay needs at least one slot")
        self.session = session
        self.scene_name = scene_name
        self.folder = Path(data_dir) / "overlay"
        self._slots = {name: _Slot(name, f"{scene_name} - {name}") for name in slots}
        self._installed = False
        self._nest_targets: list[str] = []
        self._lock = asyncio.Lock()
        self._listeners: Listeners[[OverlayChange]] = Listeners("listeners")
        self._connected = session.snapshot.connection.connected
        self._canvas = _canvas_of(session.snapshot)
        self._unsubscribe = [session.subscribe(self._on_snapshot), session.subscribe_obs_events(self._on_event)]
        # A picture that could not be written (disk full) is kept, latest per slot, and retried until
        # it lands; the producer hears once when it starts and once when it is over.
        self.on_write_problem: Callable[[str], None] | None = None
        self.on_write_recovered: Callable[[], None] | None = None
        self.write_problem: str | None = None
        self._unwritten: dict[str, tuple[bytes, tuple[int, int], bool]] = {}
        self._retrying: asyncio.Task[None] | None = None

    # -- observers -------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[OverlayChange], None]) -> Callable[[], None]:
        """Call ``listener(change)`` when pictures should be pushed again; returns an unsubscribe function."""
        return self._listeners.add(listener)

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._listeners.clear()
        if self._retrying is not None:
            self._retrying.cancel()

    def _notify(self, change: OverlayChange) -> None:
        self._listeners.notify(change)

    def _on_snapshot(self, snapshot: ObsSnapshot) -> None:
        connected = snapshot.connection.connected
        canvas = _canvas_of(snapshot)
        was_connected, self._connected = self._connected, connected
        old_canvas, self._canvas = self._canvas, canvas
        if connected and not was_connected:
            # A restarted OBS may have lost the scene, or kept it showing a stale picture.
            self._installed = False
            self._notify(OverlayChange.RECONNECTED)
        elif connected and canvas is not None and old_canvas is not None and canvas != old_canvas:
            self._notify(OverlayChange.CANVAS_CHANGED)

    def _on_event(self, event: events.ObsEvent) -> None:
        ours = {s.input_name for s in self._slots.values()}
        match event:
            case (
                events.SceneRemoved(scene=self.scene_name)
                | events.SceneNameChanged(old=self.scene_name)
                | events.SceneItemRemoved(scene=self.scene_name)
            ):
                # Someone removed or renamed part of the overlay in OBS: rebuild it on next use.
                self._installed = False
            case events.InputRemoved(name=name) | events.InputNameChanged(old=name) if name in ours:
                self._installed = False
            case events.SceneItemEnableStateChanged(scene=self.scene_name):
                for slot in self._slots.values():
                    if slot.item_id == event.item_id:
                        slot.visible = event.enabled

    # -- queries ---------------------------------------------------------------------------------

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(self._slots)

    @property
    def installed(self) -> bool:
        return self._installed

    def input_name(self, slot: str) -> str:
        return self._slot(slot).input_name

    def is_visible(self, slot: str) -> bool:
        return self._slot(slot).visible

    async def canvas_size(self) -> tuple[int, int]:
        """OBS's base canvas (width, height), the size slot pictures are rendered at."""
        video = self.session.snapshot.video
        if video is None:
            await self.session.refresh_video()
            video = self.session.snapshot.video
        if video is None:  # pragma: no cover - refresh_video always sets it or raises
            raise OverlayError("OBS did not report its canvas size")
        return video.base_width, video.base_height

    def _slot(self, name: str) -> _Slot:
        try:
            return self._slots[name]
        except KeyError:
            raise OverlayError(f"no overlay slot {name!r} (slots: {', '.join(self._slots)})") from None

    # -- installing ------------------------------------------------------------------------------

    async def install(self) -> None:
        """Create the overlay scene and slot inputs where missing; idempotent, every slot hidden after."""
        async with self._lock:
            await self._install()
            for slot in self._slots.values():
                slot.wanted_visible = False

    async def _ensure_installed(self) -> None:
        if not self._installed:
            await self._install()

    async def _install(self) -> None:
        for attempt in range(1, _INSTALL_ATTEMPTS + 1):
            try:
                await self._install_once()
                return
            except ObsRequestError as exc:
                still_removing = exc.status in (RequestStatus.RESOURCE_NOT_FOUND, RequestStatus.RESOURCE_ALREADY_EXISTS)
                if not still_removing or attempt == _INSTALL_ATTEMPTS:
                    raise
                # OBS finishes removing a source on its video thread after it answered the removal:
                # for a few frames the name stays taken or the item stays listed. Look again.
                log.info("overlay install met a source OBS is still removing (%s); retrying", exc)
                await asyncio.sleep(_INSTALL_RETRY_S)

    async def _install_once(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        blank = self.folder / "blank.png"
        if not blank.exists():
            write_atomic(blank, blank_png())
        scene_list, input_list = await self.session.call_batch((GetSceneList(), GetInputList()))
        scenes = set(scene_list.unwrap().scenes)
        kinds = dict(input_list.unwrap())
        if self.scene_name in kinds:
            raise OverlayError(
                f"OBS already has an input named {self.scene_name!r}; rename it so the overlay scene can be created"
            )
        items: tuple[SceneItem, ...] = ()
        created_scene = self.scene_name not in scenes
        if created_scene:
            await self._create_scene()
        else:
            items = await self.session.call(GetSceneItemList(self.scene_name))
        for slot in self._slots.values():
            kind = kinds.get(slot.input_name)
            if kind is not None and kind != IMAGE_KIND:
                raise OverlayError(
                    f"OBS already has an input named {slot.input_name!r} of kind {kind}; rename or remove it"
                )
            mine = [i for i in items if i.source_name == slot.input_name]
            if kind is None:
                slot.item_id = await self.session.call(
                    CreateInput(
                        self.scene_name,
                        slot.input_name,
                        IMAGE_KIND,
                        {"file": str(blank), "unload": False},
                        enabled=False,
                    )
                )
            elif not mine:
                slot.item_id = await self.session.call(CreateSceneItem(self.scene_name, slot.input_name, enabled=False))
            else:
                slot.item_id = mine[0].item_id
                if len(mine) > 1:
                    # Left by an interrupted earlier install; the overlay scene belongs to the app.
                    duplicates = [RemoveSceneItem(self.scene_name, i.item_id) for i in mine[1:]]
                    raise_first_failure(await self.session.call_batch(duplicates))
        calls: list[Request[None]] = []
        for slot in self._slots.values():
            item_id = self._item_id(slot)
            calls += [
                SetSceneItemEnabled(self.scene_name, item_id, False),
                SetSceneItemTransform(self.scene_name, item_id, _HOME),
                SetSceneItemLocked(self.scene_name, item_id, True),
                SetInputSettings(slot.input_name, {"file": str(blank)}),
            ]
        raise_first_failure(await self.session.call_batch(calls))
        for slot in self._slots.values():
            slot.visible = False
            slot.position = (0, 0)
        if created_scene and self._nest_targets:
            # Only scenes OBS has now: after a scene-collection switch the remembered ones may be gone
            # (the placement nests into the new collection's scenes once OBS lists them).
            self._nest_targets = [s for s in self._nest_targets if s in scenes]
            await self._nest(self._nest_targets)
        self._installed = True

    def _item_id(self, slot: _Slot) -> int:
        if slot.item_id is None:  # pragma: no cover - every install gives each slot its item
            raise OverlayError(f"the overlay slot {slot.name!r} is not installed in OBS")
        return slot.item_id

    async def _create_scene(self) -> None:
        try:
            await self.session.call(CreateScene(self.scene_name))
        except ObsRequestError as exc:
            if exc.status is not RequestStatus.RESOURCE_ALREADY_EXISTS:
                raise
            # OBS 29 keeps a removed scene alive, unlisted and holding its name, while other scenes
            # still nest it. Those nested items are the app's own: remove them so OBS frees the name.
            freed = await self._remove_nested(await self._listed_scenes())
            log.info("the overlay scene was removed in OBS but still nested in %s; cleaned up", freed or "no scene")
            raise
        log.info("created the overlay scene %r", self.scene_name)

    async def nest_into(self, scene_names: Iterable[str]) -> list[str]:
        """Add the overlay scene on top of each named scene that lacks it; returns the scenes changed.

        Only an item showing the overlay scene is added (locked, so it is not moved by accident);
        nothing else in the producer's scenes changes. The scenes are remembered: when the overlay
        has to be rebuilt (someone deleted it in OBS), it is nested into them again.
        """
        async with self._lock:
            targets = [s for s in dict.fromkeys(scene_names) if s != self.scene_name]
            self._nest_targets += [s for s in targets if s not in self._nest_targets]
            await self._ensure_installed()
            return await self._nest(targets)

    async def _nest(self, targets: Sequence[str]) -> list[str]:
        if not targets:
            return []
        lists = await self.session.call_batch([GetSceneItemList(s) for s in targets])
        missing = []
        for scene, listed in zip(targets, lists, strict=True):
            if not listed.ok:
                log.warning("cannot nest the overlay into %r: %s", scene, listed.comment)
                continue
            if not any(i.source_name == self.scene_name for i in listed.unwrap()):
                missing.append(scene)
        if not missing:
            return []
        created = await self.session.call_batch([CreateSceneItem(s, self.scene_name) for s in missing])
        raise_first_failure(created)
        await self.session.call_batch(
            [SetSceneItemLocked(s, item.unwrap(), True) for s, item in zip(missing, created, strict=True)]
        )
        log.info("overlay nested into %s", ", ".join(missing))
        return missing

    async def remove_from(self, scene_names: Iterable[str]) -> list[str]:
        """Remove the overlay's nested item from the named scenes (only that item); returns the scenes changed."""
        async with self._lock:
            targets = list(dict.fromkeys(scene_names))
            self._nest_targets = [s for s in self._nest_targets if s not in targets]
            return await self._remove_nested(targets)

    async def _remove_nested(self, scenes: Sequence[str]) -> list[str]:
        """Remove every item showing the overlay scene from ``scenes``; returns the scenes changed."""
        if not scenes:
            return []
        lists = await self.session.call_batch([GetSceneItemList(s) for s in scenes])
        calls: list[RemoveSceneItem] = []
        changed = []
        for scene, listed in zip(scenes, lists, strict=True):
            if not listed.ok:
                continue
            for item in listed.unwrap():
                if item.source_name == self.scene_name:
                    calls.append(RemoveSceneItem(scene, item.item_id))
                    changed.append(scene)
        if calls:
            raise_first_failure(await self.session.call_batch(calls))
        return list(dict.fromkeys(changed))

    async def _listed_scenes(self) -> list[str]:
        listed = await self.session.call(GetSceneList())
        return [s for s in listed.scenes if s != self.scene_name]

    # -- pictures --------------------------------------------------------------------------------

    async def show(
        self, slot: str, png: bytes, position: tuple[int, int] = (0, 0), *, program_scene: str | None = None
    ) -> None:
        """Put ``png`` on air in ``slot``, its top-left corner at ``position`` on the canvas.

        A canvas-sized picture goes at (0, 0); a smaller one (a card) where it belongs. Picture,
        position and visibility change in the same frame; the call returns once OBS shows it.
        With ``program_scene`` (a run-of-show cue) the program scene switches in the same batch.
        """
        await self._put(slot, png, position, make_visible=True, program_scene=program_scene)

    async def update(
        self, slot: str, png: bytes, position: tuple[int, int] = (0, 0), *, program_scene: str | None = None
    ) -> None:
        """Replace the slot's picture (and position); a slot the app hid stays hidden."""
        await self._put(slot, png, position, make_visible=False, program_scene=program_scene)

    async def hide(self, slot: str, *, program_scene: str | None = None) -> None:
        async with self._lock:
            target = self._slot(slot)
            target.wanted_visible = False
            if not self._installed:
                await self._install()  # installing leaves every slot hidden
                if program_scene is None:
                    return

            def calls() -> list[Request[None]]:
                return [
                    *_program_scene_calls(program_scene),
                    SetSceneItemEnabled(self.scene_name, self._item_id(target), False),
                ]

            await self._send_with_reinstall(calls)
            target.visible = False

    async def _put(
        self, slot: str, png: bytes, position: tuple[int, int], make_visible: bool, program_scene: str | None = None
    ) -> None:
        async with self._lock:
            target = self._slot(slot)
            await self._ensure_installed()
            if target.prepared is not None and target.prepared[0] == png:
                path = target.prepared[1]  # written ahead: only the requests go out now
            else:
                path = self.folder / f"{target.name}-{'ab'[target.next_file]}.png"
                # Off the loop: PNGs are small, but a slow disk must not stall the UI.
                try:
                    await asyncio.to_thread(write_atomic, path, png)
                except OSError as exc:
                    # Never raised to the caller (a stock click, a countdown tick): OBS keeps the last
                    # picture, the producer is told it is stale, and the write is retried until it lands.
                    self._write_failed(slot, (png, position, make_visible), exc)
                    return
                self._unwritten.pop(slot, None)
                self._write_succeeded()
                target.next_file ^= 1
            target.prepared = None
            show = make_visible or target.wanted_visible

            def calls() -> list[Request[None]]:
                batch: list[Request[None]] = [
                    *_program_scene_calls(program_scene),
                    SetInputSettings(target.input_name, {"file": str(path)}),
                ]
                item_id = self._item_id(target)
                if position != target.position:
                    moved = ItemTransform(position_x=float(position[0]), position_y=float(position[1]))
                    batch.append(SetSceneItemTransform(self.scene_name, item_id, moved))
                if show and not target.visible:
                    batch.append(SetSceneItemEnabled(self.scene_name, item_id, True))
                return batch

            await self._send_with_reinstall(calls)
            target.visible = target.wanted_visible = show
            target.position = position
            target.shown_file = path

    async def prepare(self, slot: str, png: bytes) -> None:
        """Write ``png`` for ``slot`` ahead of time; a later show/update of the same picture only sends requests."""
        async with self._lock:
            target = self._slot(slot)
            if target.prepared is not None and target.prepared[0] == png:
                return
            path = next(
                p for p in (self.folder / f"{target.name}-next-{k}.png" for k in (0, 1)) if p != target.shown_file
            )
            await asyncio.to_thread(write_atomic, path, png)
            target.prepared = (png, path)

    def _write_failed(self, slot: str, picture: tuple[bytes, tuple[int, int], bool], exc: OSError) -> None:
        self._unwritten[slot] = picture
        if self.write_problem is None:
            self.write_problem = (
                f"The on-air picture could not be saved to {self.folder} ({exc.strerror or exc}): OBS still "
                "shows the previous card. Free some disk space; the app keeps trying."
            )
            log.error("%s", self.write_problem)
            if self.on_write_problem is not None:
                self.on_write_problem(self.write_problem)
        if self._retrying is None or self._retrying.done():
            self._retrying = asyncio.get_running_loop().create_task(self._retry_writes(), name="overlay-write-retry")

    def _write_succeeded(self) -> None:
        if self.write_problem is None or self._unwritten:
            return
        self.write_problem = None
        log.info("on-air pictures are written again")
        if self.on_write_recovered is not None:
            self.on_write_recovered()

    async def _retry_writes(self) -> None:
        while self._unwritten:
            await asyncio.sleep(WRITE_RETRY_S)
            for slot, (png, position, make_visible) in list(self._unwritten.items()):
                if self._unwritten.get(slot) != (png, position, make_visible):
                    continue  # a newer picture came meanwhile; it is retried on the next round
                try:
                    await self._put(slot, png, position, make_visible)
                except Exception as exc:  # OBS away: the picture is written; OBS gets it on reconnect
                    log.info("retrying an on-air picture failed: %s", exc)
                    self._unwritten.pop(slot, None)
                    self._write_succeeded()

    async def _send_with_reinstall(self, calls: Callable[[], list[Request[None]]]) -> None:
        """Send a serial-frame batch; when OBS lost part of the overlay, rebuild it once and send again.

        Serial-frame: OBS applies the whole batch inside one video tick and answers after it, so the
        change is on air when this returns, and a new file and a visibility change land in the same
        frame (no flash of a previous card).
        """
        execution = BatchExecution.SERIAL_FRAME
        outcomes = await self.session.call_batch(calls(), execution=execution, halt_on_failure=True)
        failure = first_failure(outcomes)
        if failure is None:
            return
        if failure.status is not RequestStatus.RESOURCE_NOT_FOUND or isinstance(
            failure.request, SetCurrentProgramScene
        ):
            # A missing program scene is the cue's fault, not a sign the overlay was lost.
            raise failure.error()
        log.info("overlay part missing in OBS (%s); reinstalling", failure.comment)
        self._installed = False
        await self._install()
        raise_first_failure(await self.session.call_batch(calls(), execution=execution, halt_on_failure=True))

    async def uninstall(self) -> None:
        """Remove the overlay scene, its inputs and every item nesting it from OBS."""
        async with self._lock:
            self._installed = False
            self._nest_targets = []
            # Nested items first: OBS 29 keeps a removed scene alive while other scenes nest it.
            await self._remove_nested(await self._listed_scenes())
            calls: list[Request[None]] = [RemoveScene(self.scene_name)]
            calls += [RemoveInput(s.input_name) for s in self._slots.values()]
            await self.session.call_batch(calls)


def _program_scene_calls(scene: str | None) -> list[Request[None]]:
    """The program switch that goes first in a cue's batch, so scene and card change together."""
    return [] if scene is None else [SetCurrentProgramScene(scene)]


def _canvas_of(snapshot: ObsSnapshot) -> tuple[int, int] | None:
    video = snapshot.video
    return (video.base_width, video.base_height) if video else None
