"""Secrets live outside the settings file and never reach a log line or an error message."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from studio_console.logs import redact, setup_logging
from studio_console.logs import secrets as registry
from studio_console.settings.model import Settings
from studio_console.settings.secrets import OBS_PASSWORD, FileBackend, SecretStore, stream_key_name
from studio_console.settings.store import SettingsStore


def test_file_fallback_is_user_only_and_warns(tmp_path: Path) -> None:
    store = SecretStore.open(tmp_path)
    assert isinstance(store.backend, FileBackend)
    assert store.warning is not None and "keyring" in store.warning
    store.set(OBS_PASSWORD, "hunter2-obs")
    assert oct(os.stat(tmp_path / "secrets.json").st_mode & 0o777) == "0o600"
    assert SecretStore.open(tmp_path).get(OBS_PASSWORD) == "hunter2-obs"
    store.delete(OBS_PASSWORD)
    assert store.get(OBS_PASSWORD) is None


def test_secrets_never_in_settings_file(tmp_path: Path) -> None:
    secrets = SecretStore.open(tmp_path)
    secrets.set(OBS_PASSWORD, "pw-not-in-settings")
    secrets.set(stream_key_name("tiktok"), "live_123456_abcdef")
    SettingsStore(tmp_path / "settings.json").save(Settings())
    text = (tmp_path / "settings.json").read_text()
    assert "pw-not-in-settings" not in text
    assert "live_123456_abcdef" not in text


def test_redaction_of_known_values_urls_and_tokens() -> None:
    registry.add("s3cr3t-value")
    assert "s3cr3t-value" not in redact("password was s3cr3t-value, yes")
    assert redact("push to rtmp://live.example.com/app/sk_live_999") == "push to rtmp://live.example.com/app/***"
    assert "abc.def" not in redact("Authorization: Bearer abc.def")
    assert "zzz" not in redact('{"streamKey": "zzz"}')


def test_log_file_and_tracebacks_are_redacted(tmp_path: Path) -> None:
    log_file = setup_logging(tmp_path, "DEBUG", to_stderr=False)
    store = SecretStore.open(tmp_path / "cfg")
    store.set(stream_key_name("youtube"), "yt-key-4242-abcd")
    logger = logging.getLogger("studio_console.test")
    logger.info("starting with key yt-key-4242-abcd")
    logger.info("url rtmp://a.rtmp.youtube.com/live2/%s", "other-key-777")
    try:
        raise RuntimeError("could not use yt-key-4242-abcd")
    except RuntimeError:
        logger.exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert "starting with key ***" in text
    assert "yt-key-4242-abcd" not in text
    assert "other-key-777" not in text
    assert "RuntimeError" in text


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    root = logging.getLogger()
    handlers = list(root.handlers)
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
