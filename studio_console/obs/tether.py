"""Child processes (the OBS the app starts, its Xvfb) that end when the app ends, even after ``kill -9``.

Linux: ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` in the child between fork and exec (verified by the e2e
tests). Windows: a job object that kills its processes when its last handle (held by the app) closes.
macOS and other POSIX systems: a small watchdog process that polls for the app's death. The Windows
and macOS paths are written but not verified on those systems.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


@dataclass
class Tether:
    """Extra ``Popen`` arguments and a step to run once the child exists."""

    popen_kwargs: dict[str, Any] = field(default_factory=dict)
    after_start: Callable[[subprocess.Popen[bytes]], None] = lambda _child: None


def _linux_pdeathsig(parent_pid: int) -> Callable[[], None]:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl

    def in_child() -> None:
        # Runs between fork and exec: no logging, no locks, only the system calls.
        # Caveat: the signal fires when the *thread* that forked exits, so launch from a long-lived
        # thread (the loop's executor threads live as long as the loop).
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent_pid:  # the app died before prctl took effect
            os._exit(1)

    return in_child


# Job handles live as long as the app: Windows closes them when the app dies, which ends the job.
_windows_jobs: list[int] = []


def _windows_job(child: subprocess.Popen[bytes]) -> None:  # pragma: no cover - Windows only
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]

    class _BasicLimits(ctypes.Structure):
        _fields_ = [
            ("PerProcessUserTimeLimit", ctypes.c_int64),
            ("PerJobUserTimeLimit", ctypes.c_int64),
            ("LimitFlags", wintypes.DWORD),
            ("MinimumWorkingSetSize", ctypes.c_size_t),
            ("MaximumWorkingSetSize", ctypes.c_size_t),
            ("ActiveProcessLimit", wintypes.DWORD),
            ("Affinity", ctypes.c_size_t),
            ("PriorityClass", wintypes.DWORD),
            ("SchedulingClass", wintypes.DWORD),
        ]

    class _IoCounters(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint64) for name in ("r", "w", "o", "rb", "wb", "ob")]

    class _ExtendedLimits(ctypes.Structure):
        _fields_ = [
            ("BasicLimitInformation", _BasicLimits),
            ("IoInfo", _IoCounters),
            ("ProcessMemoryLimit", ctypes.c_size_t),
            ("JobMemoryLimit", ctypes.c_size_t),
            ("PeakProcessMemoryUsed", ctypes.c_size_t),
            ("PeakJobMemoryUsed", ctypes.c_size_t),
        ]

    job_object_limit_kill_on_job_close = 0x2000
    job_object_extended_limit_information = 9
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        raise OSError(ctypes.get_last_error(), "CreateJobObjectW failed")  # type: ignore[attr-defined]
    limits = _ExtendedLimits()
    limits.BasicLimitInformation.LimitFlags = job_object_limit_kill_on_job_close
    if not kernel32.SetInformationJobObject(
        job, job_object_extended_limit_information, ctypes.byref(limits), ctypes.sizeof(limits)
    ):
        raise OSError(ctypes.get_last_error(), "SetInformationJobObject failed")  # type: ignore[attr-defined]
    if not kernel32.AssignProcessToJobObject(job, int(child._handle)):  # type: ignore[attr-defined]
        raise OSError(ctypes.get_last_error(), "AssignProcessToJobObject failed")  # type: ignore[attr-defined]
    _windows_jobs.append(job)


# The watchdog: exits with the child; SIGTERMs it (then SIGKILLs after 10 s) once the app is gone.
_WATCHDOG = """
import os, signal, sys, time
app, child = int(sys.argv[1]), int(sys.argv[2])
def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
while alive(child):
    if os.getppid() != app:
        os.kill(child, signal.SIGTERM)
        for _ in range(100):
            if not alive(child):
                sys.exit(0)
            time.sleep(0.1)
        os.kill(child, signal.SIGKILL)
        sys.exit(0)
    time.sleep(0.5)
"""


def _watchdog(child: subprocess.Popen[bytes]) -> None:
    subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(child.pid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def child_dies_with_parent() -> Tether:
    """How to start a child so that it ends with this process on this platform."""
    if sys.platform.startswith("linux"):
        return Tether(popen_kwargs={"preexec_fn": _linux_pdeathsig(os.getpid())})
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return Tether(after_start=_windows_job)
    return Tether(after_start=_watchdog)  # pragma: no cover - macOS and other POSIX systems


def tethered_after_start(tether: Tether, child: subprocess.Popen[bytes]) -> None:
    """Run the tether's post-start step; a failure leaves the child running and is logged."""
    try:
        tether.after_start(child)
    except Exception:
        log.warning("could not tie process %s to the app's life: it may outlive a crash of the app", child.pid)
