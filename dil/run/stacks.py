"""Who drives the ego: a registry of stacks, each a one-line description and a factory.

A factory gets the run's :class:`RunContext` and returns a :class:`Driving`: the node it puts in the
loop (if any), what the vehicle listens to, which sensors it reads, and where the scenario's cruise
speed, target lane, ObjectController and overrides go. A caller may pass its own registry to
:func:`dil.run.build.build` (model evaluation adds an in-process model this way).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import vehicle_models
    from dil.bus.inbox import Drops
    from dil.bus.transport import Bus
    from dil.realtime.clock import Clock
    from dil.road.network import RoadNetwork
    from dil.scenario.controllers.base import Controller
    from dil.scenario.loader import Scenario
    from dil.stack.builtin import BuiltinStack
    from dil.world.backend import WorldBackend
    from dil.world.camera import CameraSpec

    from .spec import RunSpec


@dataclass
class RunContext:
    """What the parts of one run are built from."""

    spec: RunSpec
    scenario: Scenario
    network: RoadNetwork
    world: WorldBackend
    bus: Bus
    drops: Drops
    clock: Clock
    vehicle: vehicle_models.Vehicle


@dataclass
class Driving:
    """What the chosen stack puts into a run."""

    node: Any = None
    """The stack's loop node (None: the storyboard moves the ego, or a person drives)."""
    driven: bool = True
    """The ego moves by its dynamics (False: the storyboard places it every step)."""
    seat: bool = False
    """A person (or a scripted driver) at the wheel: the vehicle reads ``driver/input``."""
    behind: bool = False
    """A person at the wheel who can take over from this stack."""
    sensors: bool = True
    """The stack reads the object list and the lane geometry."""
    camera: tuple[CameraSpec, float] | None = None
    """A front camera the stack reads: its spec and rate [Hz]."""
    target: Any = None
    """Takes the scenario's ``cruise_speed`` [m/s] and ``target_lane`` (road, lane)."""
    builtin: BuiltinStack | None = None
    """Takes the file's ObjectController and control overrides."""
    kpis: Callable[[], dict] = dict
    """The stack's own figures for the result."""
    no_driver_s: Callable[[], float] | None = None
    """Seconds with nobody in control (a driver who took over from the stack and let go)."""
    close: Callable[[], None] = lambda: None
    cruise_log: list[float] = field(default_factory=list)
    """The cruise speeds the scenario set [m/s], in order (kept in the log for open-loop replays)."""

    def set_cruise(self, v: float) -> None:
        if self.target is not None:
            self.target.cruise_speed = v
            self.cruise_log.append(v)

    def set_lane(self, road: str, lane: int) -> None:
        if self.target is not None:
            self.target.target_lane = (road, lane)

    def configure(self, controller: Controller) -> None:
        if self.builtin is not None:
            from dil.scenario.controllers.stack_link import configure_stack

            configure_stack(self.builtin, controller)

    def override(self, values: dict[str, tuple[bool, float]]) -> None:
        if self.builtin is not None:
            self.builtin.overrides.update(values)


@dataclass(frozen=True)
class StackEntry:
    name: str
    description: str
    """One line: what drives the ego (``dil run --help`` shows it)."""
    factory: Callable[[RunContext], Driving]
    batch: bool = True
    """Offered by ``dil run`` (``replay`` is ``dil replay --resim``'s, ``driver`` ``dil drive``'s)."""


def _builtin(ctx: RunContext, acc: bool) -> Driving:
    from dil.stack.builtin import BuiltinStack, StackParameters

    v = ctx.vehicle
    stack = BuiltinStack(ctx.bus, ctx.drops, ctx.clock, v.params, params=StackParameters(acc=acc))
    return Driving(node=stack, target=stack, builtin=stack)


def _none(ctx: RunContext) -> Driving:
    return Driving(driven=False, sensors=False)


def _replay(ctx: RunContext) -> Driving:
    log = ctx.spec.driver.replay_log
    assert log is not None  # RunSpec.validate
    node = ReplayCommands(ctx.bus, log)
    return Driving(node=node, target=node)


def _driver(ctx: RunContext) -> Driving:
    return Driving(seat=True, sensors=False, target=_DriverSeat())


def _ai(ctx: RunContext) -> Driving:
    from dil.stack.ai import AiOptions, AiStackSetup

    d = ctx.spec.driver
    ai = AiStackSetup(
        ctx.bus,
        ctx.drops,
        ctx.clock,
        ctx.vehicle.params,
        d.ai or AiOptions(),
        wait=not ctx.spec.timing.realtime,
    )
    stack = ai.stack
    behind = stack.o.driver_seat
    return Driving(
        node=stack,
        behind=behind,
        camera=(ai.camera_spec, stack.o.rate_hz),
        target=stack,
        kpis=stack.kpis,
        no_driver_s=(lambda: stack.no_driver_s) if behind else None,
        close=ai.close,
    )


STACKS: Mapping[str, StackEntry] = {
    e.name: e
    for e in (
        StackEntry(
            "builtin", "lane keeping, adaptive cruise and emergency braking", lambda c: _builtin(c, True)
        ),
        StackEntry(
            "aeb",
            "lane keeping and emergency braking at a constant cruise speed (a driver who does not react)",
            lambda c: _builtin(c, False),
        ),
        StackEntry("none", "nobody: the storyboard moves the ego", _none),
        StackEntry("ai", "a model on inference nodes, with the built-in stack as its safety fallback", _ai),
        StackEntry("replay", "a recorded log's ai/command messages (re-simulation)", _replay, batch=False),
        StackEntry(
            "driver", "a person at the wheel (driver/input), or a scripted driver", _driver, batch=False
        ),
    )
}
"""The stacks, by name."""


def stacks_help(stacks: Mapping[str, StackEntry] = STACKS) -> str:
    """``name (description)`` of each batch stack, for a command's help."""
    return "; ".join(f"{e.name}: {e.description}" for e in stacks.values() if e.batch)


class _DriverSeat:
    """Stands where a stack would: the scenario's cruise and lane requests have nobody to act on them
    but the person at the wheel."""

    cruise_speed = 0.0
    target_lane = None


class ReplayCommands:
    """Re-publishes a log's ``ai/command`` frames at their recorded simulation times (re-simulation)."""

    rate_hz = 50.0

    def __init__(self, bus: Bus, log: Path, topic: str = "ai/command") -> None:
        from dil.bus.graph import NodeSpec, Port
        from dil.recording.fast import fast_records

        self.spec = NodeSpec("replayed-commands", outputs=(Port("command", topic, self.rate_hz),))
        self._pub = bus.publisher(topic)
        prefix = topic.encode() + b"\0"
        self._frames = [(t_ns, prefix + bytes(d)) for t, t_ns, d in fast_records(log) if t == topic]
        if not self._frames:
            raise ValueError(f"{log}: no {topic} messages to replay")
        self._i = 0
        self.cruise_speed = 0.0
        self.target_lane = None

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        frames, i = self._frames, self._i
        while i < len(frames) and frames[i][0] <= t_sim_ns:
            self._pub.send(frames[i][1])
            i += 1
        self._i = i
