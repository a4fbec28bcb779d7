"""Logging set-up: a rotating log file, and redaction of secrets from every line that leaves the app."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REDACTED = "***"
# A stream key is the last path segment of an RTMP URL: rtmp://host/app/KEY.
_RTMP_KEY = re.compile(r"(rtmps?://[^\s/'\"]+/[^\s/'\"]+/)([^\s'\"]+)", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)([A-Za-z0-9._~+/=-]+)", re.IGNORECASE)
_KEY_VALUE = re.compile(
    r"((?:password|passwd|stream_?key|token|secret|authentication)[\"']?\s*[:=]\s*[\"']?)([^\s\"',}]+)",
    re.IGNORECASE,
)


class SecretRegistry:
    """The set of secret values known to this process; every log line is scrubbed of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()

    def add(self, value: str | None) -> None:
        # Very short values would scrub ordinary words; nobody uses a 1-3 character key.
        if not value or len(value) < 4:
            return
        with self._lock:
            if value not in self._values:
                # Longest first, so a secret that contains another is replaced whole.
                self._values = tuple(sorted((*self._values, value), key=len, reverse=True))

    def redact(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        text = _RTMP_KEY.sub(lambda m: m.group(1) + REDACTED, text)
        text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
        return _KEY_VALUE.sub(lambda m: m.group(1) + REDACTED, text)


secrets = SecretRegistry()


def redact(text: str) -> str:
    """``text`` with every known secret, RTMP stream key and bearer token replaced by ***."""
    return secrets.redact(text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then scrubs secrets from the whole line, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def make_formatter() -> logging.Formatter:
    return RedactingFormatter(LOG_FORMAT)


class LogFileHandler(logging.handlers.RotatingFileHandler):
    """The rotating log file; a write that fails (disk full) is counted and said once, not per line.

    The standard handler prints a traceback to stderr for every line it cannot write: 300 lines of a
    full disk gave 273 tracebacks. Here the first failure (and then one a minute) prints one line, the
    count of lost lines is kept, and ``on_problem`` (the app's problems channel) hears it once.
    """

    REPORT_EVERY_S = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lost_lines = 0
        self.on_problem: Callable[[str], None] | None = None
        self._last_report = -self.REPORT_EVERY_S

    def handleError(self, record: logging.LogRecord) -> None:
        self.lost_lines += 1
        now = time.monotonic()
        if now - self._last_report < self.REPORT_EVERY_S:
            return
        self._last_report = now
        error = sys.exc_info()[1]
        text = f"The log file {self.baseFilename} cannot be written ({error}); {self.lost_lines} lines lost so far."
        with contextlib.suppress(Exception):
            sys.stderr.write(text + "\n")
        if self.on_problem is not None:
            with contextlib.suppress(Exception):
                self.on_problem(text)


def log_file_handler() -> LogFileHandler | None:
    """The app's log file handler, once ``setup_logging`` has run."""
    return next((h for h in logging.getLogger().handlers if isinstance(h, LogFileHandler)), None)


def setup_logging(log_dir: Path, level: str = "INFO", to_stderr: bool = True) -> Path:
    """Send the app's logs to a rotating file (and stderr); returns the log file's path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / "studio-console.log"
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        if getattr(handler, "_studio_console", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = LogFileHandler(log_file, maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8")
    file_handler.setLevel(level)
    handlers: list[logging.Handler] = [file_handler]
    if to_stderr:
        stderr_handler = logging.StreamHandler(sys.stderr)
        stderr_handler.setLevel(level)
        handlers.append(stderr_handler)
    for handler in handlers:
        handler.setFormatter(make_formatter())
        handler._studio_console = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # Libraries that log whole websocket frames at DEBUG would write request payloads to the file.
    for noisy in ("obswebsocket", "websocket", "websockets", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return log_file
