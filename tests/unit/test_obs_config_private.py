"""The isolated OBS configuration the app writes is closed to other local users (it holds the websocket password)."""

from __future__ import annotations

from pathlib import Path

from studio_console.obs.launcher import ObsConfig, write_isolated_config


def test_the_obs_config_folder_is_readable_by_this_user_only(tmp_path: Path) -> None:
    write_isolated_config(ObsConfig(home=tmp_path, port=4455, password="not-for-other-users"))
    root = tmp_path / "obs-studio"
    assert (root / "global.ini").read_text().count("not-for-other-users") == 1
    # OBS rewrites global.ini and service.json with the default umask (seen as 0644 by
    # tests/e2e/test_secrets_scrutiny.py): the folder must keep others out, not the file's own mode.
    assert (root.stat().st_mode & 0o777) == 0o700
