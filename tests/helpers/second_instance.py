"""Run as a process: claims a config folder like a second app start would and prints the outcome."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from studio_console.qt.single_instance import SingleInstance

if __name__ == "__main__":
    app = QCoreApplication([])
    instance = SingleInstance(Path(sys.argv[1]))  # holds the lock for as long as it lives
    claim = instance.claim(timeout_ms=int(sys.argv[2]) if len(sys.argv) > 2 else 3000)
    print(claim.role.value)
    print(claim.message)
    if len(sys.argv) > 3 and sys.argv[3] == "hold":
        sys.stdout.flush()
        sys.stdin.read()  # keep the lock until the test kills this process
