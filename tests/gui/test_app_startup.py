"""The real app, started as a user would with no OBS running: window, status, clean quit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from studio_console.obs.launcher import free_port


def run_app(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "studio_console",
            "--config-dir",
            str(tmp_path / "cfg"),
            "--obs-port",
            str(free_port()),
            "--quit-after",
            "1.5",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
    )


def unexpected_lines(stderr: str) -> list[str]:
    """Tracebacks and Qt warnings, less the offscreen plugin's note about size hints."""
    bad = []
    for line in stderr.splitlines():
        if "Traceback" in line or "Error" in line.split(":", 1)[0]:
            bad.append(line)
        if " qt: " in line and "propagateSizeHints" not in line:
            bad.append(line)
    return bad


def test_starts_without_obs_and_quits_cleanly(tmp_path: Path) -> None:
    result = run_app(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "window shown" in result.stderr
    assert "OBS connection disconnected: OBS not connected" in result.stderr
    assert "Studio Console stopped" in result.stderr
    assert unexpected_lines(result.stderr) == []
    settings = (tmp_path / "cfg" / "settings.json").read_text()
    assert '"geometry_b64": ""' not in settings  # the window layout was saved on quit
    assert (tmp_path / "cfg" / "logs" / "studio-console.log").read_text().count("window shown") == 1


def test_corrupt_settings_start_on_defaults_and_say_so(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "settings.json").write_text("{ not json")
    result = run_app(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Settings could not be loaded, defaults are in use" in result.stderr
    assert list(cfg.glob("settings.json.corrupt-*"))


def test_password_from_environment_never_logged(tmp_path: Path) -> None:
    result = run_app(
        tmp_path, "--obs-password-env", "MY_OBS_PW", "--log-level", "DEBUG", env={"MY_OBS_PW": "pw-from-env-31337"}
    )
    assert result.returncode == 0, result.stderr
    log_text = (tmp_path / "cfg" / "logs" / "studio-console.log").read_text()
    assert "pw-from-env-31337" not in result.stderr + log_text
    assert "pw-from-env-31337" not in (tmp_path / "cfg" / "settings.json").read_text()
