"""Secrets survive a corrupt fallback file and a flaky keyring; the remote token is never rotated by an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio_console.settings.secrets import (
    OBS_PASSWORD,
    REMOTE_TOKEN,
    FileBackend,
    SecretStore,
    SecretUnavailable,
    stream_key_name,
)


class FlakyKeyring:
    """A keyring whose reads fail ``failures`` times (a locked Secret Service, a D-Bus timeout)."""

    def __init__(self, values: dict[str, str], failures: int) -> None:
        self.values = dict(values)
        self.failures = failures
        self.writes: list[tuple[str, str]] = []

    def get(self, name: str) -> str | None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("org.freedesktop.DBus.Error.NoReply")
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.writes.append((name, value))
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_a_corrupt_secrets_file_is_kept_aside_and_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    original = '{"obs-password": "hunter2", "stream-key:yt": "abcd-efgh'  # cut off mid-write
    path.write_text(original, encoding="utf-8")
    store = SecretStore(FileBackend(path))
    assert store.get(OBS_PASSWORD) is None
    store.set(stream_key_name("tw"), "live_new_key_value")
    kept = sorted(tmp_path.glob("secrets.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == original
    assert oct(kept[0].stat().st_mode & 0o777) == "0o600"
    assert json.loads(path.read_text(encoding="utf-8")) == {"stream-key:tw": "live_new_key_value"}
    assert any("secrets.json.corrupt-" in p for p in store.problems)


def test_an_unreadable_secrets_file_is_never_written_over(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.mkdir()  # reading it fails with an OSError other than "not found"
    store = SecretStore(FileBackend(path))
    with pytest.raises(SecretUnavailable):
        store.set(OBS_PASSWORD, "pw")
    assert path.is_dir()


def test_a_keyring_read_error_never_rotates_the_remote_token() -> None:
    keyring = FlakyKeyring({REMOTE_TOKEN: "the-token-the-stream-deck-knows"}, failures=1)
    store = SecretStore(keyring)
    assert store.get_or_create_token(REMOTE_TOKEN, retry_delay_s=0) == "the-token-the-stream-deck-knows"
    assert keyring.writes == []


def test_a_keyring_that_keeps_failing_raises_and_writes_nothing() -> None:
    keyring = FlakyKeyring({REMOTE_TOKEN: "the-token-the-stream-deck-knows"}, failures=100)
    store = SecretStore(keyring)
    with pytest.raises(SecretUnavailable):
        store.get_or_create_token(REMOTE_TOKEN, retry_delay_s=0)
    assert keyring.writes == []


def test_an_absent_token_is_created_once() -> None:
    keyring = FlakyKeyring({}, failures=0)
    store = SecretStore(keyring)
    token = store.get_or_create_token(REMOTE_TOKEN)
    assert len(token) >= 16
    assert store.get_or_create_token(REMOTE_TOKEN) == token
    assert keyring.writes == [(REMOTE_TOKEN, token)]
