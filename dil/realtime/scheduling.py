"""Opt-in real-time settings for the loop's process: SCHED_FIFO, CPU affinity, mlockall, timer slack.

Each is tried on its own; one that the process is not allowed is reported in words (what failed,
why, and how to allow it) and the rest still apply. Linux only; elsewhere every request fails
with that message.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
from dataclasses import dataclass, field

MCL_CURRENT = 1
MCL_FUTURE = 2
PR_SET_TIMERSLACK = 29


@dataclass(frozen=True)
class RealtimeRequest:
    """What to ask for; all off by default."""

    fifo_priority: int | None = None
    """SCHED_FIFO priority 1..99, or None to keep the normal scheduler."""
    cpus: tuple[int, ...] = ()
    """CPUs to pin the process to; empty keeps the current affinity."""
    lock_memory: bool = False
    """mlockall(MCL_CURRENT | MCL_FUTURE): no page faults to disk during the run."""
    timer_slack_ns: int | None = 1
    """Timer slack for sleeps (Linux default 50 us); 1 ns makes wake-ups punctual."""
    switch_interval_s: float | None = 0.0002
    """The interpreter's thread switch interval (``sys.setswitchinterval``): how long the loop's
    thread waits at most for the interpreter lock held by another of the process's threads
    (sensors, recorder, CARLA synchronisation) before that thread is asked to let go. Python's
    default, 5 ms, is five ticks: each of the loop's blocking calls (sockets, sleeps) gives the lock
    away and may wait that long to get it back."""


@dataclass
class RealtimeResult:
    """What was obtained, and what was refused with the reason."""

    applied: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for ``run/status`` and logs."""
        return ", ".join(self.applied) if self.applied else "normal scheduling"


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


def apply(req: RealtimeRequest) -> RealtimeResult:
    """Apply ``req`` to this process; never raises for a refused setting."""
    res = RealtimeResult()
    if req.switch_interval_s is not None:
        sys.setswitchinterval(req.switch_interval_s)
        res.applied.append(f"thread switch interval {req.switch_interval_s * 1e6:g} us")
    libc = _libc()
    if req.timer_slack_ns is not None and libc is not None:
        if libc.prctl(PR_SET_TIMERSLACK, ctypes.c_ulong(req.timer_slack_ns), 0, 0, 0) == 0:
            res.applied.append(f"timer slack {req.timer_slack_ns} ns")
        else:
            res.refused.append(f"timer slack: {os.strerror(ctypes.get_errno())}")
    if req.cpus:
        try:
            os.sched_setaffinity(0, set(req.cpus))
            res.applied.append("cpu " + ",".join(map(str, req.cpus)))
        except (OSError, AttributeError) as e:
            res.refused.append(
                f"CPU affinity {list(req.cpus)}: {e} (CPUs available: "
                f"{sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'})"
            )
    if req.lock_memory:
        if libc is None:
            res.refused.append("mlockall: no C library found")
        elif libc.mlockall(MCL_CURRENT | MCL_FUTURE) == 0:
            res.applied.append("mlockall")
        else:
            res.refused.append(
                f"mlockall: {os.strerror(ctypes.get_errno())} (needs CAP_IPC_LOCK or a "
                "large enough 'ulimit -l')"
            )
    if req.fifo_priority is not None:
        prio = req.fifo_priority
        if not 1 <= prio <= 99:
            res.refused.append(f"SCHED_FIFO priority {prio}: must be 1..99")
        else:
            try:
                os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(prio))
                res.applied.append(f"SCHED_FIFO {prio}")
            except (OSError, AttributeError) as e:
                res.refused.append(
                    f"SCHED_FIFO {prio}: {e} (needs CAP_SYS_NICE or an rtprio limit in "
                    "/etc/security/limits.conf, e.g. '@realtime - rtprio 90')"
                )
    return res


def restore_normal() -> None:
    """Back to SCHED_OTHER (after a benchmark run with SCHED_FIFO)."""
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
