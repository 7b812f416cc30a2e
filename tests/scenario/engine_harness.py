"""The scenario engine stepped alone: no loop, vehicle, driving stack or sensors.

:class:`EngineHarness` loads a scenario file onto the embedded world and ticks its
:class:`~dil.scenario.engine.ScenarioNode` at the engine's rate, recording every entity's state and
every storyboard transition. The storyboard moves the ego, as with ``dil run --stack none``; a test can
instead move the ego itself (``ego=``): a function of time that gives the ego's box-centre pose and
motion, as the vehicle would, so conditions on the ego are checked with no dynamics in the way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dil.bus.transport import LocalBus
from dil.realtime.clock import SimClock
from dil.road.network import RoadNetwork
from dil.scenario.engine import EgoLink, ScenarioNode
from dil.scenario.loader import load
from dil.world.actors import ActorSpec
from dil.world.embedded import EmbeddedWorld

EgoMotion = Callable[[float], tuple[float, float, float, float, float]]
"""Time [s] -> the ego's box-centre x, y [m], heading [rad], speed [m/s], acceleration [m/s^2]."""


@dataclass(frozen=True)
class Sample:
    """One entity at one engine step."""

    t: float
    """Simulation time [s]."""
    x: float
    y: float
    """Box-centre position in the world frame [m]."""
    yaw: float
    """Heading [rad]."""
    speed: float
    """[m/s]"""


@dataclass
class EngineHarness:
    """Ticks one scenario's engine by hand. ``ego``: the test moves the ego (None: the storyboard does)."""

    path: Path
    params: Mapping[str, str] = field(default_factory=dict)
    ego: EgoMotion | None = None
    rate_hz: float = 100.0
    compiled: bool = True
    """The compiled mover moves the entities in the common state (False: the Python path moves them all)."""

    def __post_init__(self) -> None:
        self.scenario = load(self.path, dict(self.params))
        if self.scenario.road_file is None:
            net = RoadNetwork.empty(f"{self.path} (no RoadNetwork LogicFile)")
        else:
            net = RoadNetwork.load(self.scenario.road_file)
        ego = self.scenario.entities[self.scenario.ego]
        self.world = EmbeddedWorld(net, ActorSpec(ego.name, ego.kind, ego.length, ego.width, ego.height))
        self.cruise: list[float] = []
        """Cruise speeds the storyboard asked of the ego's stack [m/s] (with ``ego`` only)."""
        self.t = 0.0
        link = EgoLink(
            state=(lambda: self.ego(self.t)) if self.ego is not None else None,
            cruise=self.cruise.append,
            stack_active=self.ego is not None,
        )
        self.ended = ""
        self.engine = ScenarioNode(
            LocalBus(), self.scenario, self.world, SimClock(), link, rate_hz=self.rate_hz, on_end=self._end
        )
        if not self.compiled:
            self.engine.mover = None
        self.tracks: dict[str, list[Sample]] = {name: [] for name in self.scenario.entities}
        self._step_ns = round(1e9 / self.rate_hz)
        self._ticks = 0
        self.engine.start(0)

    def _end(self, why: str) -> None:
        self.ended = why

    def step(self, n: int = 1) -> None:
        """``n`` engine ticks; each records every entity's state after it."""
        for _ in range(n):
            t_ns = self._ticks * self._step_ns
            self.t = t_ns * 1e-9
            self.engine.tick(t_ns)
            self._ticks += 1
            for name, e in self.scenario.entities.items():
                self.tracks[name].append(Sample(self.t, e.x, e.y, e.yaw, e.speed))

    def run(self, until_s: float) -> str:
        """Step until the storyboard ends or ``until_s`` [s]; how it ended ('' if it did not)."""
        while not self.ended and self._ticks * self._step_ns <= round(until_s * 1e9):
            self.step()
        return self.ended

    def transitions(self) -> list[tuple[float, str, str, str]]:
        """(time [s], kind, name, transition) of every storyboard transition so far, in order."""
        return list(self.engine.log)

    def started_at(self, name: str) -> float | None:
        """When the storyboard element ``name`` first started running [s] (None: it did not)."""
        for t, _kind, el, transition in self.engine.log:
            if el == name and transition == "start":
                return t
        return None
