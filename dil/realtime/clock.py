"""Clocks: simulated (as fast as possible, deterministic) and wall (paced at the physics rate).

A clock hands the loop the start of each tick. Simulation time is always ``tick * step_ns``; the
clocks differ only in when a tick may start and in what the header's ``t_wall_ns`` says.
"""

from __future__ import annotations

import enum
import time
from typing import Protocol


class Overrun(enum.Enum):
    """What a wall clock does after a tick that started a whole period or more late."""

    SKIP = "skip"
    """Keep the deadline grid; the passed deadlines are missed (counted), the next tick takes the
    latest passed slot. Simulation time falls behind wall time by the missed slots."""
    STRETCH = "stretch"
    """Move the whole grid later by the lateness; no slot is skipped, but the run is longer."""


class Clock(Protocol):
    kind: str
    """``simulated`` or ``wall``."""
    step_ns: int

    def start(self) -> None:
        """Begin; the first tick's deadline is now (wall) or t = 0 (simulated)."""

    def wait(self) -> int:
        """Block until the next tick may start; return its lateness [ns] (0 for simulated)."""

    def wall_ns(self, t_sim_ns: int) -> int:
        """The header's ``t_wall_ns`` for a message about ``t_sim_ns``."""


class SimClock:
    """Ticks as fast as the loop runs. Wall times in messages are ``epoch_ns + t_sim_ns`` so that two
    runs produce identical messages."""

    kind = "simulated"

    def __init__(self, step_ns: int = 1_000_000, epoch_ns: int = 0) -> None:
        self.step_ns = step_ns
        self.epoch_ns = epoch_ns
        self.missed = 0

    def start(self) -> None:
        pass

    def wait(self) -> int:
        return 0

    def wall_ns(self, t_sim_ns: int) -> int:
        return self.epoch_ns + t_sim_ns


class WallClock:
    """Paces ticks against the monotonic clock: sleeps until ``spin_ns`` before the deadline, then
    spins. Lateness is the tick's start minus its deadline. ``missed`` counts deadlines that passed
    with no tick (SKIP) or ticks a whole period late (STRETCH)."""

    kind = "wall"

    def __init__(
        self, step_ns: int = 1_000_000, *, overrun: Overrun = Overrun.SKIP, spin_ns: int = 150_000
    ) -> None:
        if spin_ns < 0 or spin_ns > step_ns:
            raise ValueError(f"spin_ns = {spin_ns}: must be within [0, step_ns = {step_ns}]")
        self.step_ns = step_ns
        self.overrun = overrun
        self.spin_ns = spin_ns
        self.missed = 0
        self._next = 0  # deadline of the next tick [perf_counter ns]
        self.start_perf_ns = 0
        self.start_wall_ns = 0

    def start(self) -> None:
        self.start_wall_ns = time.time_ns()
        self.start_perf_ns = time.perf_counter_ns()
        self._next = self.start_perf_ns
        self.missed = 0

    def wait(self) -> int:
        clock = time.perf_counter_ns
        deadline = self._next
        now = clock()
        ahead = deadline - now - self.spin_ns
        if ahead > 0:
            time.sleep(ahead * 1e-9)
            now = clock()
        while now < deadline:
            now = clock()
        late = now - deadline
        step = self.step_ns
        if late >= step:
            if self.overrun is Overrun.SKIP:
                passed = late // step
                self.missed += passed
                deadline += passed * step
                late -= passed * step
            else:
                self.missed += 1
                deadline = now
        self._next = deadline + step
        return late

    def wall_ns(self, t_sim_ns: int) -> int:
        return time.time_ns()
