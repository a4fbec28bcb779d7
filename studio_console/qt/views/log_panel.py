"""The Log panel: the app's own log lines, newest at the bottom, as plain text."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from studio_console.logs import make_formatter


class LogSignaller(QObject):
    """Carries formatted log lines from any thread to the Log panel (queued across threads).

    Signals:
        line_logged(str, int): a formatted, redacted line and its level number.
    """

    line_logged = Signal(str, int)


class QtLogHandler(logging.Handler):
    """A logging handler that forwards lines to a LogSignaller."""

    def __init__(self, signaller: LogSignaller, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.signaller = signaller
        self.setFormatter(make_formatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.signaller.line_logged.emit(self.format(record), record.levelno)
        except RuntimeError:  # the signaller was deleted while the app quits
            pass


class LogPanel(QPlainTextEdit):
    """Read-only, capped view of log lines (plain text: log lines can quote viewer text)."""

    def __init__(self, parent: QWidget | None = None, max_lines: int = 5000) -> None:
        super().__init__(parent)
        self.setObjectName("logPanel")
        self.setReadOnly(True)
        self.setMaximumBlockCount(max_lines)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)

    def append_line(self, line: str, level: int = logging.INFO) -> None:
        self.appendPlainText(line)
