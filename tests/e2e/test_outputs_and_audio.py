"""Record controls, audio mute and volume, canvas orientation, against real OBS (streams: test_sinks.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from obswebsocket import requests

from studio_console.domain.obs_state import OutputPhase
from studio_console.services.obs_control.outputs import OutputBusy, OutputControl
from studio_console.services.obs_control.switcher import SceneSwitcher
from tests.e2e.test_obs_control import connected_session, wait_for
from tests.helpers.servers import RunningObs


def call(obs: RunningObs, request: Any) -> dict[str, Any]:
    client = obs.client()
    try:
        result = client.call(request)
        assert result.status, result.datain
        return dict(result.datain)
    finally:
        client.disconnect()


def test_record_start_state_follows_obs_and_no_double_start(obs: RunningObs) -> None:
    async def main() -> list[str]:
        session = await connected_session(obs)
        outputs = OutputControl(session)
        phases: list[str] = []
        session.subscribe(lambda snap: phases.append(snap.record.phase.value))
        try:
            await outputs.start_record()
            with pytest.raises(OutputBusy):
                await outputs.start_record()  # a second start while one is under way is refused
            await wait_for(lambda: session.snapshot.record.phase is OutputPhase.LIVE, timeout=20, what="recording")
            await outputs.stop_record()
            await wait_for(lambda: session.snapshot.record.phase is OutputPhase.STOPPED, timeout=20, what="stopped")
        finally:
            await session.stop()
        return phases

    phases = asyncio.run(main())
    assert "starting" in phases and "live" in phases and phases[-1] == "stopped"
    recordings = list((obs.process.config.home / "recordings").glob("*.mkv"))
    assert recordings and recordings[-1].stat().st_size > 0


def test_mute_and_volume_round_trip(obs: RunningObs) -> None:
    existing = {i["inputName"] for i in call(obs, requests.GetInputList())["inputs"]}
    if "Bench Mic" not in existing:
        call(
            obs,
            requests.CreateInput(
                sceneName="Alpha",
                inputName="Bench Mic",
                inputKind="pulse_input_capture",
                inputSettings={},
                sceneItemEnabled=True,
            ),
        )

    async def main() -> None:
        session = await connected_session(obs)
        outputs = OutputControl(session)
        try:
            await wait_for(lambda: session.snapshot.audio("Bench Mic") is not None, what="audio input mirrored")
            await outputs.set_mute("Bench Mic", True)
            await wait_for(lambda: session.snapshot.audio("Bench Mic").muted, what="mute event")  # type: ignore[union-attr]
            await outputs.set_volume("Bench Mic", 0.5)
            await wait_for(
                lambda: abs(session.snapshot.audio("Bench Mic").volume_mul - 0.5) < 0.01,  # type: ignore[union-attr]
                what="volume event",
            )
        finally:
            await session.stop()

    try:
        asyncio.run(main())
        assert call(obs, requests.GetInputMute(inputName="Bench Mic"))["inputMuted"] is True
    finally:
        call(obs, requests.RemoveInput(inputName="Bench Mic"))


def test_vertical_canvas_switch(obs: RunningObs) -> None:
    async def main() -> None:
        session = await connected_session(obs)
        switcher = SceneSwitcher(session)
        try:
            await switcher.set_orientation(True)
            assert session.snapshot.video is not None and session.snapshot.video.vertical
        finally:
            await switcher.set_orientation(False)
            await session.stop()

    video_during: dict[str, Any] = {}

    async def check() -> None:
        session = await connected_session(obs)
        try:
            await SceneSwitcher(session).set_orientation(True)
            video_during.update(call(obs, requests.GetVideoSettings()))
            await SceneSwitcher(session).set_orientation(False)
        finally:
            await session.stop()

    asyncio.run(check())
    assert (video_during["baseWidth"], video_during["baseHeight"]) == (360, 640)
    video = call(obs, requests.GetVideoSettings())
    assert (video["baseWidth"], video["baseHeight"]) == (640, 360)
