"""A starter scene collection for a shopping show, built in OBS over the websocket (demo mode)."""

from __future__ import annotations

import logging
from typing import Any

from studio_console.obs.requests import (
    CENTRE,
    CreateInput,
    CreateScene,
    GetInputKindList,
    GetSceneItemList,
    ItemTransform,
    RemoveScene,
    Request,
    SetCurrentProgramScene,
    SetSceneItemTransform,
)
from studio_console.obs.session import ObsSession

log = logging.getLogger(__name__)

# scene -> (background colour ABGR, placeholder label)
STARTER_SCENES: dict[str, tuple[int, str]] = {
    "Host": (0xFF5A3A2A, "HOST CAMERA"),
    "Product close-up": (0xFF2A4A5A, "PRODUCT CAMERA"),
    "Split": (0xFF3A2A5A, "HOST  |  PRODUCT"),
    "Be right back": (0xFF202020, "BE RIGHT BACK"),
}


async def install_starter_scenes(session: ObsSession) -> list[str]:
    """Create the starter scenes that are missing; returns the names created. Idempotent."""
    await session.resync()
    existing = set(session.snapshot.scenes)
    video = session.snapshot.video
    width = video.base_width if video else 1280
    height = video.base_height if video else 720
    kinds = await session.call(GetInputKindList())
    text_kind = next((k for k in ("text_ft2_source_v2", "text_gdiplus_v2", "text_gdiplus") if k in kinds), None)
    created: list[str] = []
    calls: list[Request[Any]] = []
    for scene, (colour, label) in STARTER_SCENES.items():
        if scene in existing:
            continue
        created.append(scene)
        calls.append(CreateScene(scene))
        calls.append(
            CreateInput(
                scene,
                f"{scene} background",
                "color_source_v3",
                {"color": colour, "width": width, "height": height},
            )
        )
        if text_kind:
            font = {"face": "DejaVu Sans", "size": max(24, height // 10), "style": "Bold", "flags": 1}
            calls.append(CreateInput(scene, f"{scene} placeholder", text_kind, {"text": label, "font": font}))
    if calls:
        outcomes = await session.call_batch(calls)
        centre = ItemTransform(position_x=width / 2, position_y=height / 2, alignment=CENTRE)
        centring: list[Request[Any]] = []
        for call, outcome in zip(calls, outcomes, strict=True):
            if not outcome.ok:
                log.warning("starter scenes: %s", outcome.error())
            elif isinstance(call, CreateInput) and call.name.endswith(" placeholder"):
                centring.append(SetSceneItemTransform(call.scene, int(outcome.unwrap()), centre))
        if centring:
            await session.call_batch(centring)
    # OBS's own empty default scene is noise in a rehearsal studio.
    if "Scene" in existing and created:
        items = await session.call(GetSceneItemList("Scene"))
        if not items:
            await session.call(SetCurrentProgramScene("Host"))
            await session.call(RemoveScene("Scene"))
    if created:
        log.info("created starter scenes: %s", ", ".join(created))
    return created
