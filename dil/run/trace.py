"""The pose trace: every entity's pose, speed and lane place sampled at a fixed rate (an observer)."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING

from dil.bus.graph import NodeSpec

if TYPE_CHECKING:
    from dil.scenario.loader import Scenario

_SAMPLE = attrgetter("name", "x", "y", "yaw", "speed", "road", "lane", "s")
"""An entity's sampled values, in :attr:`TraceNode.rows`' order (one C-level call per entity)."""


class TraceNode:
    """Samples every entity's pose and speed (an observer). ``progress``: called with the simulated
    time [s] every simulated second.

    A tick keeps the entities' values as they are (numbers and strings, which nothing changes
    afterwards); :attr:`rows` turns the samples into rows on first need."""

    def __init__(
        self, scenario: Scenario, rate_hz: float, progress: Callable[[float], None] | None = None
    ) -> None:
        self.progress = progress
        self.scenario = scenario
        self.rate_hz = rate_hz
        self._samples: list[tuple[int, list[tuple]]] = []
        """Each tick's simulated time [ns] and the entities' values (:data:`_SAMPLE`)."""
        self._rows: list[tuple] = []
        self.spec = NodeSpec("trace")

    @property
    def rows(self) -> list[tuple]:
        """One row per entity and sample: (t [s] rounded to the microsecond, name, x, y, yaw, speed,
        road ("" for none), lane, s)."""
        samples = self._samples
        if samples:
            rows = self._rows
            for t_sim_ns, values in samples:
                t = round(t_sim_ns * 1e-9, 6)
                for name, x, y, yaw, speed, road, lane, s in values:
                    rows.append((t, name, x, y, yaw, speed, road or "", lane, s))
            samples.clear()
        return self._rows

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        if self.progress is not None and t_sim_ns % 1_000_000_000 == 0:
            self.progress(t_sim_ns * 1e-9)
        self._samples.append((t_sim_ns, list(map(_SAMPLE, self.scenario.entities.values()))))
