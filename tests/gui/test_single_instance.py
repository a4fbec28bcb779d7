"""One app per config folder: a second start hands over, or says clearly why it cannot run."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from studio_console.qt.single_instance import InstanceRole, SingleInstance, channel_name

ROOT = Path(__file__).resolve().parents[2]


def second_start(config_dir: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.second_instance", str(config_dir), "2000", *extra],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_start_hands_over_and_the_first_raises(qtbot: QtBot, tmp_path: Path) -> None:
    first = SingleInstance(tmp_path)
    assert first.claim().role is InstanceRole.FIRST
    try:
        with qtbot.waitSignal(first.activation_requested, timeout=20000):
            second = second_start(tmp_path)
        out, err = second.communicate(timeout=20)
        role, message = out.splitlines()[:2]
        assert role == "handed_over", err
        assert "already runs" in message and "raised" in message
    finally:
        first.release()


def test_a_holder_that_does_not_answer_is_named(qtbot: QtBot, tmp_path: Path) -> None:
    first = SingleInstance(tmp_path)
    assert first.claim().role is InstanceRole.FIRST
    assert first.server is not None
    first.server.close()  # alive and holding the folder, but hung
    try:
        with qtbot.assertNotEmitted(first.activation_requested):
            out, err = second_start(tmp_path).communicate(timeout=20)
        role, message = out.splitlines()[:2]
        assert role == "blocked", err
        assert f"uses the folder {tmp_path}" in message and "does not answer" in message
        assert "--config-dir" in message
    finally:
        first.release()


def test_a_crashed_holder_does_not_block_the_next_start(tmp_path: Path) -> None:
    crashed = second_start(tmp_path, "hold")
    assert crashed.stdout is not None
    assert crashed.stdout.readline().strip() == "first"
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(10)
    assert (tmp_path / "instance.lock").exists()  # left behind, as after a crash
    after = SingleInstance(tmp_path)
    try:
        assert after.claim().role is InstanceRole.FIRST
        assert after.server is not None and after.server.isListening()
    finally:
        after.release()


def test_folders_are_kept_apart(tmp_path: Path) -> None:
    one, two = SingleInstance(tmp_path / "one"), SingleInstance(tmp_path / "two")
    try:
        assert one.claim().role is InstanceRole.FIRST
        assert two.claim().role is InstanceRole.FIRST
        assert channel_name(tmp_path / "one") != channel_name(tmp_path / "two")
        assert channel_name(tmp_path / "one" / ".." / "one") == channel_name(tmp_path / "one")
    finally:
        one.release()
        two.release()
