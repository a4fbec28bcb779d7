"""Command-line options: documented, and overriding saved settings for one run only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from studio_console.cli import build_parser, parse_args
from studio_console.core import overrides_from
from studio_console.settings.model import Settings


def test_help_documents_the_options() -> None:
    text = build_parser().format_help()
    for option in (
        "--obs-host",
        "--obs-port",
        "--obs-password-env",
        "--config-dir",
        "--demo",
        "--log-level",
        "--remote-port",
        "--remote-token-env",
    ):
        assert option in text


def test_module_entry_point_prints_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "studio_console", "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert "--obs-password-env NAME" in result.stdout


def test_overrides_do_not_touch_saved_settings() -> None:
    saved = Settings()
    options = parse_args(
        ["--obs-host", "10.1.1.1", "--obs-port", "4999", "--log-level", "debug", "--config-dir", "/tmp/x"]
    )
    effective = overrides_from(options).apply(saved)
    assert (effective.obs.host, effective.obs.port, effective.log_level) == ("10.1.1.1", 4999, "DEBUG")
    assert (saved.obs.host, saved.obs.port, saved.log_level) == ("127.0.0.1", 4455, "INFO")
    assert options.config_dir == Path("/tmp/x")
    # What the producer changes in the app lands in the saved settings.
    assert effective.products is saved.products and effective.chat is saved.chat and effective.output is saved.output


def test_bad_port_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--obs-port", "70000"])
    assert "not a TCP port" in capsys.readouterr().err
