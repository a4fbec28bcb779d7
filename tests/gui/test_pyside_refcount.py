"""Regression guard for PySide6 6.12.0 on CPython 3.11, whose Signal.emit leaks references to True/None.

On that build every emit and every void C++ call drops one reference to True or None and the process
aborts after a few thousand (PLATFORM_FACTS). On a good build the counts do not drift.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    fired = Signal(object)
    flag = Signal(bool)


def test_signal_emit_and_void_calls_keep_refcounts(qapp: object) -> None:
    emitter = Emitter()
    received: list[object] = []
    emitter.fired.connect(received.append)
    emitter.flag.connect(received.append)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    calls = 3000
    for i in range(calls):
        emitter.fired.emit(None)
        emitter.flag.emit(True)
        emitter.setObjectName(f"e{i % 7}")  # a C++ method returning void
    received.clear()
    true_drift = sys.getrefcount(True) - true_before
    none_drift = sys.getrefcount(None) - none_before
    # Immortal objects (CPython 3.12+) report a huge constant count; a leak shows as -calls.
    assert abs(true_drift) < calls // 10, f"True refcount drifted by {true_drift}"
    assert abs(none_drift) < calls // 10, f"None refcount drifted by {none_drift}"
