"""Secrets (OBS password, stream keys, tokens) in the OS keyring, with a user-only file as fallback."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets as pysecrets
import time
from pathlib import Path
from typing import Protocol

from studio_console import APP_ID
from studio_console.logs import secrets as secret_registry
from studio_console.settings.atomic import corrupt_aside_path, write_text_atomic

log = logging.getLogger(__name__)

OBS_PASSWORD = "obs-password"
REMOTE_TOKEN = "remote-control-token"


class SecretUnavailable(Exception):
    """A secret could not be read (keyring locked or erroring, secrets file unreadable).

    Distinct from "absent" (``None``): a caller that would create a missing secret must not
    replace one it merely failed to read.
    """


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
    """Fallback when no keyring exists: a JSON file only the user can read (mode 0600).

    A file that is not valid JSON is moved aside (``secrets.json.corrupt-<time>``, still 0600) so
    the next write cannot destroy what may still be recovered by hand; a file that cannot be read
    at all raises SecretUnavailable and is never written over.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def _read(self) -> dict[str, str]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SecretUnavailable(f"the secrets file {self.path} cannot be read ({exc.strerror or exc})") from exc
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            self._move_aside(type(exc).__name__)
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def _move_aside(self, why: str) -> None:
        target = corrupt_aside_path(self.path)
        try:
            os.replace(self.path, target)
        except OSError as exc:
            raise SecretUnavailable(
                f"the secrets file {self.path} is damaged and could not be moved aside ({exc.strerror or exc})"
            ) from exc
        with contextlib.suppress(OSError):
            os.chmod(target, 0o600)  # it still holds secrets
        problem = (
            f"The secrets file {self.path.name} was damaged ({why}) and was moved to {target.name}; "
            "enter the OBS password and stream keys again (the damaged copy is kept for recovery)."
        )
        log.error("%s", problem)
        self.problems.append(problem)

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

    @property
    def problems(self) -> list[str]:
        """Things the operator should be told once (a damaged secrets file was kept aside)."""
        return list(getattr(self.backend, "problems", []))

    def get(self, name: str) -> str | None:
        """The secret, or None when it is absent or could not be read (see ``read`` to tell them apart)."""
        try:
            return self.read(name)
        except SecretUnavailable:
            return None

    def read(self, name: str) -> str | None:
        """The secret, None when absent; raises SecretUnavailable when it could not be read."""
        try:
            value = self.backend.get(name)
        except SecretUnavailable:
            raise
        except Exception as exc:
            log.error("could not read secret %r from the keyring: %s", name, type(exc).__name__)
            raise SecretUnavailable(f"the keyring could not be read ({type(exc).__name__})") from exc
        secret_registry.add(value)
        return value

    def get_or_create_token(self, name: str = REMOTE_TOKEN, *, attempts: int = 3, retry_delay_s: float = 0.3) -> str:
        """The token ``name``; a new random one is stored only when it is really absent.

        A read error is retried ``attempts`` times and then raised as SecretUnavailable: creating a
        token then would lock out every client (Stream Deck, Companion) that knows the old one.
        """
        for attempt in range(1, attempts + 1):
            try:
                token = self.read(name)
            except SecretUnavailable:
                if attempt == attempts:
                    raise
                time.sleep(retry_delay_s)
                continue
            if token:
                return token
            break
        token = pysecrets.token_urlsafe(24)
        self.set(name, token)
        return token

    def set(self, name: str, value: str) -> None:
        secret_registry.add(value)
        self.backend.set(name, value)

    def delete(self, name: str) -> None:
        self.backend.delete(name)
