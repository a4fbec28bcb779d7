"""The connection dialog offscreen: masked password in the keyring, Test errors named exactly, OK emits settings."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio_console.obs.launcher import free_port
from studio_console.obs.probe import ProbeOutcome
from studio_console.qt.dialogs.connection_dialog import ConnectionDialog, QLineEdit
from studio_console.settings.model import ObsSettings
from studio_console.settings.secrets import OBS_PASSWORD, SecretStore
from tests.helpers.dialogs import run_connection_test


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    return SecretStore.open(tmp_path)


def make_dialog(qtbot: QtBot, secrets: SecretStore, port: int, **kwargs: object) -> ConnectionDialog:
    dialog = ConnectionDialog(ObsSettings(host="127.0.0.1", port=port), secrets, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def test_the_password_is_masked_and_ok_keeps_it_in_the_keyring(qtbot: QtBot, secrets: SecretStore) -> None:
    secrets.set(OBS_PASSWORD, "old-secret")
    dialog = make_dialog(qtbot, secrets, 4455, reason="OBS refused the password")
    assert dialog.password_edit.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.password() == "old-secret"
    assert dialog.reason_label.text() == "OBS refused the password"
    dialog.show_password.setChecked(True)
    assert dialog.password_edit.echoMode() == QLineEdit.EchoMode.Normal

    dialog.host_edit.setText(" 192.168.1.20 ")
    dialog.port_spin.setValue(4466)
    dialog.password_edit.setText("new-secret")
    with qtbot.waitSignal(dialog.connection_accepted) as accepted:
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    settings = accepted.args[0]
    assert isinstance(settings, ObsSettings)
    assert (settings.host, settings.port) == ("192.168.1.20", 4466)
    assert "new-secret" not in settings.model_dump_json()
    assert secrets.get(OBS_PASSWORD) == "new-secret"


def test_an_empty_password_removes_the_stored_one(qtbot: QtBot, secrets: SecretStore) -> None:
    secrets.set(OBS_PASSWORD, "old-secret")
    dialog = make_dialog(qtbot, secrets, 4455)
    dialog.password_edit.clear()
    with qtbot.waitSignal(dialog.connection_accepted):
        dialog.accept()
    assert secrets.get(OBS_PASSWORD) is None


def test_cancel_changes_nothing(qtbot: QtBot, secrets: SecretStore) -> None:
    dialog = make_dialog(qtbot, secrets, 4455)
    dialog.password_edit.setText("typed")
    with qtbot.assertNotEmitted(dialog.connection_accepted):
        dialog.reject()
    assert secrets.get(OBS_PASSWORD) is None


def test_test_names_a_refused_connection(qtbot: QtBot, secrets: SecretStore, qloop: asyncio.AbstractEventLoop) -> None:
    port = free_port()  # nothing listens there
    dialog = make_dialog(qtbot, secrets, port)
    result = run_connection_test(dialog, qloop)
    assert result.outcome is ProbeOutcome.REFUSED
    assert f"127.0.0.1:{port}" in result.message and "not running" in result.message
    assert dialog.test_button.isEnabled()


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """Accepts TCP connections and never answers (a firewall-ish host, a hung server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_test_names_a_timeout(
    qtbot: QtBot, secrets: SecretStore, qloop: asyncio.AbstractEventLoop, silent_listener: int
) -> None:
    async def quick_probe(host: str, port: int, password: str | None):  # type: ignore[no-untyped-def]
        from studio_console.obs.probe import probe_obs

        return await probe_obs(host, port, password, timeout_s=0.5)

    dialog = make_dialog(qtbot, secrets, silent_listener, prober=quick_probe)
    result = run_connection_test(dialog, qloop)
    assert result.outcome is ProbeOutcome.TIMEOUT
    assert (
        result.message
        == f"127.0.0.1:{silent_listener} did not answer within 0.5 s: check the host, the port and the firewall."
    )


async def _websocket_that_closes_with(code: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A fake obs-websocket for a fault real OBS 29 cannot be made to produce: an RPC version refusal."""
    import base64
    import hashlib

    request = await reader.readuntil(b"\r\n\r\n")
    key = next(
        line.split(b":", 1)[1].strip()
        for line in request.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key")
    )
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    payload = struct.pack("!H", code) + b"unsupported"
    writer.write(bytes([0x88, len(payload)]) + payload)
    await writer.drain()
    writer.close()


def test_test_names_an_unsupported_version(
    qtbot: QtBot, secrets: SecretStore, qloop: asyncio.AbstractEventLoop
) -> None:
    async def start() -> asyncio.Server:
        return await asyncio.start_server(lambda r, w: _websocket_that_closes_with(4010, r, w), "127.0.0.1", 0)

    server = qloop.run_until_complete(start())
    try:
        port = server.sockets[0].getsockname()[1]
        dialog = make_dialog(qtbot, secrets, port)
        result = run_connection_test(dialog, qloop)
    finally:
        server.close()
    assert result.outcome is ProbeOutcome.UNSUPPORTED_VERSION
    assert "obs-websocket 5" in result.message
