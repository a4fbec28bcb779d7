"""Secrets (OBS password, stream keys, tokens) in the OS keyring, with a user-only file as fallback."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Protocol

from studio_console import APP_ID
from studio_console.logs import secrets as secret_registry
from studio_console.settings.atomic import write_text_atomic

log = logging.getLogger(__name__)

OBS_PASSWORD = "obs-password"
REMOTE_TOKEN = "remote-control-token"


def stream_key_name(sink_id: str) -> str:
    return f"stream-key:{sink_id}"


class SecretBackend(Protocol):
    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class KeyringBackend:
    """The OS keyring (Secret Service, KWallet, macOS Keychain, Windows Credential Locker)."""

    def __init__(self, service: str) -> None:
        import keyring

        self._keyring = keyring
        self.service = service

    def get(self, name: str) -> str | None:
        value: str | None = self._keyring.get_password(self.service, name)
        return value

    def set(self, name: str, value: str) -> None:
        self._keyring.set_password(self.service, name, value)

    def delete(self, name: str) -> None:
        import keyring.errors

        try:
            self._keyring.delete_password(self.service, name)
        except keyring.errors.PasswordDeleteError:
            pass


class FileBackend:
    """Fallback when no keyring exists: a JSON file only the user can read (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.error("secrets file %s is unreadable (%s); treating it as empty", self.path, type(exc).__name__)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def get(self, name: str) -> str | None:
        return self._read().get(name)

    def set(self, name: str, value: str) -> None:
        data = self._read()
        data[name] = value
        write_text_atomic(self.path, json.dumps(data, indent=1), mode=0o600)

    def delete(self, name: str) -> None:
        data = self._read()
        if data.pop(name, None) is not None:
            write_text_atomic(self.path, json.dumps(data, indent=1), mode=0o600)


def keyring_usable() -> bool:
    """True when keyring found a real backend (not the 'fail' or 'null' placeholders)."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except Exception:  # pragma: no cover - keyring is a hard dependency
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return False
    return not (isinstance(backend, chainer.ChainerBackend) and not backend.backends)


class SecretStore:
    """Where the app keeps secrets. Every value read or written is registered for log redaction."""

    def __init__(self, backend: SecretBackend, warning: str | None = None) -> None:
        self.backend = backend
        # Shown in the UI when secrets are not in the OS keyring.
        self.warning = warning

    @classmethod
    def open(cls, config_dir: Path, namespace: Path | None = None) -> SecretStore:
        """The keyring when one works, else a 0600 file in ``config_dir``.

        ``namespace`` (the --config-dir) keeps separate studios' secrets apart in one keyring.
        STUDIO_CONSOLE_SECRETS=file forces the file (for tests and for machines without a keyring).
        """
        service = APP_ID
        if namespace is not None:
            service += "@" + hashlib.sha256(str(namespace).encode()).hexdigest()[:12]
        forced_file = os.environ.get("STUDIO_CONSOLE_SECRETS") == "file"
        if not forced_file and keyring_usable():
            return cls(KeyringBackend(service))
        path = config_dir / "secrets.json"
        warning = (
            "No OS keyring is available: secrets are stored in "
            f"{path} (readable only by you). Install a Secret Service provider "
            "(GNOME Keyring or KWallet) to keep them in the keyring."
        )
        log.warning("%s", warning)
        return cls(FileBackend(path), warning)

    def get(self, name: str) -> str | None:
        try:
            value = self.backend.get(name)
        except Exception as exc:
            log.error("could not read secret %r from the keyring: %s", name, type(exc).__name__)
            return None
        secret_registry.add(value)
        return value

    def set(self, name: str, value: str) -> None:
        secret_registry.add(value)
        self.backend.set(name, value)

    def delete(self, name: str) -> None:
        self.backend.delete(name)
