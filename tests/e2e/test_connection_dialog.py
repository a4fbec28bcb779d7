"""The connection dialog's Test against a real OBS: success with its version, a wrong password named as such."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pytestqt.qtbot import QtBot

from studio_console.obs.probe import ProbeOutcome
from studio_console.qt.dialogs.connection_dialog import ConnectionDialog
from studio_console.settings.model import ObsSettings
from studio_console.settings.secrets import OBS_PASSWORD, SecretStore
from tests.helpers.dialogs import run_connection_test
from tests.helpers.servers import RunningObs


def test_test_connects_to_a_real_obs_and_ok_saves(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, obs: RunningObs, tmp_path: Path
) -> None:
    secrets = SecretStore.open(tmp_path)
    dialog = ConnectionDialog(ObsSettings(host="127.0.0.1", port=obs.port), secrets)
    qtbot.addWidget(dialog)
    dialog.password_edit.setText(obs.password)
    result = run_connection_test(dialog, qloop)
    assert result.outcome is ProbeOutcome.OK, result.message
    assert result.obs_version and result.obs_version.startswith(("29.", "30.", "31.", "32."))
    assert result.message.startswith(f"Connected to OBS {result.obs_version}")
    with qtbot.waitSignal(dialog.connection_accepted) as accepted:
        dialog.accept()
    assert accepted.args[0].port == obs.port
    assert secrets.get(OBS_PASSWORD) == obs.password


def test_test_says_the_password_is_wrong(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, obs: RunningObs, tmp_path: Path
) -> None:
    dialog = ConnectionDialog(ObsSettings(host="127.0.0.1", port=obs.port), SecretStore.open(tmp_path))
    qtbot.addWidget(dialog)
    dialog.password_edit.setText(obs.password + "-wrong")
    result = run_connection_test(dialog, qloop)
    assert result.outcome is ProbeOutcome.WRONG_PASSWORD
    assert "4009" in result.message
    dialog.password_edit.clear()
    result = run_connection_test(dialog, qloop)
    assert result.outcome is ProbeOutcome.WRONG_PASSWORD  # OBS needs a password and none was given
