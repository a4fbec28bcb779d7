"""A starter scene collection for a shopping show, built in OBS over the websocket (demo mode)."""

from __future__ import annotations

import logging
from typing import Any

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
    kinds = set((await session.request("GetInputKindList")).get("inputKinds", []))
    text_kind = next((k for k in ("text_ft2_source_v2", "text_gdiplus_v2", "text_gdiplus") if k in kinds), None)
    created: list[str] = []
    calls: list[tuple[str, dict[str, Any] | None]] = []
    for scene, (colour, label) in STARTER_SCENES.items():
        if scene in existing:
            continue
        created.append(scene)
        calls.append(("CreateScene", {"sceneName": scene}))
        calls.append(
            (
                "CreateInput",
                {
                    "sceneName": scene,
                    "inputName": f"{scene} background",
                    "inputKind": "color_source_v3",
                    "inputSettings": {"color": colour, "width": width, "height": height},
                    "sceneItemEnabled": True,
                },
            )
        )
        if text_kind:
            calls.append(
                (
                    "CreateInput",
                    {
                        "sceneName": scene,
                        "inputName": f"{scene} placeholder",
                        "inputKind": text_kind,
                        "inputSettings": {
                            "text": label,
                            "font": {"face": "DejaVu Sans", "size": max(24, height // 10), "style": "Bold", "flags": 1},
                        },
                        "sceneItemEnabled": True,
                    },
                )
            )
    if calls:
        results = await session.batch(calls)
        centre: list[tuple[str, dict[str, Any] | None]] = []
        for call, result in zip(calls, results, strict=True):
            if not result.ok:
                log.warning("starter scenes: %s failed (%s %s)", result.request_type, result.code, result.comment)
            elif call[1] and str(call[1].get("inputName", "")).endswith(" placeholder"):
                transform = {"positionX": width / 2, "positionY": height / 2, "alignment": 0}
                item = {"sceneName": call[1]["sceneName"], "sceneItemId": result.data.get("sceneItemId")}
                centre.append(("SetSceneItemTransform", {**item, "sceneItemTransform": transform}))
        if centre:
            await session.batch(centre)
    # OBS's own empty default scene is noise in a rehearsal studio.
    if "Scene" in existing and created:
        items = await session.request("GetSceneItemList", {"sceneName": "Scene"})
        if not items.get("sceneItems"):
            await session.request("SetCurrentProgramScene", {"sceneName": "Host"})
            await session.request("RemoveScene", {"sceneName": "Scene"})
    if created:
        log.info("created starter scenes: %s", ", ".join(created))
    return created
