"""The Qt-free core stays Qt-free: import-linter's contracts, and a run of the core without PySide6."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CORE_PROGRAM = textwrap.dedent(
    """
    import asyncio, sys, tempfile
    from pathlib import Path
    import studio_console.domain.obs_state as state
    from studio_console.obs import translate
    from studio_console.obs.client import ObsClient
    from studio_console.obs.errors import ObsNotRunning
    from studio_console.obs.session import ObsSession
    from studio_console.services.obs_control.switcher import SceneSwitcher
    from studio_console.settings.store import SettingsStore
    from studio_console.settings.model import Settings
    from studio_console.settings.secrets import SecretStore
    from studio_console.obs.launcher import free_port

    tmp = Path(tempfile.mkdtemp())
    SettingsStore(tmp / "s.json").save(Settings())
    assert SettingsStore(tmp / "s.json").load().settings == Settings()
    SecretStore.open(tmp).set("x", "y")
    snap = translate.apply_event(state.ObsSnapshot(), "CurrentProgramSceneChanged", {"sceneName": "A"})
    assert snap.program_scene == "A"

    async def main():
        try:
            await ObsClient("127.0.0.1", free_port(), "pw").connect()
        except ObsNotRunning:
            pass
        session = ObsSession("127.0.0.1", free_port(), None)
        SceneSwitcher(session)
        session.start()
        await asyncio.sleep(0.3)
        await session.stop()

    asyncio.run(main())
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "qasync", "shiboken6"))
    assert not leaked, leaked
    print("core ran without Qt")
    """
)


def test_core_runs_without_importing_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CORE_PROGRAM],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"STUDIO_CONSOLE_SECRETS": "file", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "core ran without Qt" in result.stdout


def test_import_linter_contracts_hold() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    result = subprocess.run(
        [lint, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert len(declared) >= 5  # layers, no Qt in the core, obs-websocket-py only in obs/, views x2
    assert f"Contracts: {len(declared)} kept, 0 broken" in result.stdout
