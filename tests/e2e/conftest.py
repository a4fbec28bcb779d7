"""e2e fixtures: real OBS Studio under Xvfb and real nginx-rtmp, on free loopback ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from obswebsocket import requests

from studio_console.obs.launcher import VirtualDisplay
from tests.conftest import failed
from tests.helpers.servers import (
    INSTALL_HINT,
    NginxRtmp,
    RunningObs,
    missing_e2e_tools,
    start_nginx_rtmp,
    start_obs,
)

BASE_SCENES = ("Alpha", "Bravo", "Charlie")


@pytest.fixture(scope="session")
def e2e_tools() -> None:
    missing = missing_e2e_tools()
    if missing:
        if os.environ.get("STUDIO_CONSOLE_SKIP_E2E") == "1":
            pytest.skip(f"e2e opted out with STUDIO_CONSOLE_SKIP_E2E=1 (missing: {', '.join(missing)})")
        pytest.fail(f"e2e tests need: {', '.join(missing)}\n{INSTALL_HINT}", pytrace=False)


@pytest.fixture(scope="session")
def xvfb(e2e_tools: None) -> Iterator[VirtualDisplay]:
    display = VirtualDisplay.start()
    yield display
    display.stop()


@pytest.fixture(scope="session")
def shared_obs(xvfb: VirtualDisplay, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningObs]:
    obs = start_obs(tmp_path_factory.mktemp("obs-shared"), display=xvfb)
    yield obs
    obs.process.display = None  # the session's Xvfb is stopped by its own fixture
    obs.stop()


def reset_obs(obs: RunningObs) -> None:
    """Bring the shared OBS back to a known state: three scenes, Alpha on program, studio mode off."""
    client = obs.client()
    try:
        # Cut: a reset must not leave a fade running into the next test.
        client.call(requests.SetCurrentSceneTransition(transitionName="Cut"))
        client.call(requests.SetStudioModeEnabled(studioModeEnabled=False))
        status = client.call(requests.GetStreamStatus())
        if status.datain.get("outputActive"):
            client.call(requests.StopStream())
        existing = {s["sceneName"] for s in client.call(requests.GetSceneList()).datain["scenes"]}
        for scene in BASE_SCENES:
            if scene not in existing:
                client.call(requests.CreateScene(sceneName=scene))
        client.call(requests.SetCurrentProgramScene(sceneName=BASE_SCENES[0]))
        extra = existing - set(BASE_SCENES)
        # A scene removed while another nests it stays alive and drawn there (OBS 29): unnest first.
        for scene in BASE_SCENES:
            items = client.call(requests.GetSceneItemList(sceneName=scene)).datain.get("sceneItems", [])
            for item in items:
                if item.get("sourceName") in extra:
                    client.call(requests.RemoveSceneItem(sceneName=scene, sceneItemId=item["sceneItemId"]))
        for scene in extra:
            client.call(requests.RemoveScene(sceneName=scene))
    finally:
        client.disconnect()


@pytest.fixture
def obs(shared_obs: RunningObs, request: pytest.FixtureRequest) -> Iterator[RunningObs]:
    """The session's OBS, reset; its log is printed into the report when the test fails."""
    reset_obs(shared_obs)
    yield shared_obs
    if failed(request):
        print("----- OBS log -----")
        print(shared_obs.process.latest_log()[-30000:])


@pytest.fixture
def own_obs(xvfb: VirtualDisplay, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RunningObs]:
    """An OBS for this test alone (tests that kill or restart it)."""
    obs = start_obs(tmp_path / "obs", display=xvfb)
    yield obs
    if failed(request):
        print("----- OBS log -----")
        print(obs.process.latest_log()[-30000:])
    obs.process.display = None
    obs.stop()


@pytest.fixture
def nginx_rtmp(e2e_tools: None, tmp_path: Path) -> Iterator[NginxRtmp]:
    server = start_nginx_rtmp(tmp_path / "nginx")
    yield server
    server.stop()
