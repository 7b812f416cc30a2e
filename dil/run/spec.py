"""The typed description of one run: what to play, who drives, in which world, with which vehicle,
rig and outputs, on which clock. Frozen data; :func:`dil.run.build.build` wires a run from it.

:meth:`RunSpec.validate` rejects a bad value with a :class:`SpecError` naming the field and the
value (``dil run`` prints it and exits 2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dil.stack.ai import AiOptions
    from dil.world.carla_backend import CarlaOptions

    from .criteria import Criteria


class SpecError(ValueError):
    """A run spec field holds a value the run cannot take: names the field and the value."""

    def __init__(self, name: str, value: object, why: str, flag: str | None = None) -> None:
        shown = f"{value:g}" if isinstance(value, float) else repr(value)
        said = f"{flag} {shown} ({name})" if flag else f"{name} = {shown}"
        super().__init__(f"{said}: {why}")
        self.field = name
        self.value = value


@dataclass(frozen=True)
class ScenarioChoice:
    """The OpenSCENARIO file and what the run sets in it."""

    path: Path
    params: Mapping[str, str] = field(default_factory=dict)
    """Declared parameters set from outside (name -> value as written)."""
    ego: str | None = None
    """The ego entity; None: the one named Ego/hero, else the first."""


@dataclass(frozen=True)
class DriverChoice:
    """Who drives the ego: a stack of :data:`dil.run.stacks.STACKS` and what it needs."""

    stack: str = "builtin"
    replay_log: Path | None = None
    """With ``replay``: the log whose ai/command messages drive the ego."""
    profile: str | None = None
    """With ``driver`` (or ``ai`` with a driver seat): a scripted driver in this process."""
    wheel: str | None = None
    """With a person at the wheel: publish force feedback (driver/feedback) for this wheel mapping."""
    ai: AiOptions | None = None
    """With ``ai``: the inference nodes or the model, deadlines."""


@dataclass(frozen=True)
class WorldChoice:
    """The world backend of :data:`dil.run.worlds.WORLDS` and its options."""

    backend: str = "embedded"
    carla: CarlaOptions | None = None
    """With ``carla``: the server, its timeouts and map."""
    cameras: tuple[str, ...] = ()
    """The driver's display cameras (``front``, ``mirror``) on ``sensor/<name>`` at 25 Hz, rendered by
    whichever world runs (:mod:`dil.world.display_cameras`); with ``carla`` they replace the options'."""


@dataclass(frozen=True)
class VehicleChoice:
    """The ego's dynamics."""

    params: str = "sedan_bmw320i"
    """Parameter set name or YAML file."""
    model: str = "single_track"
    substeps: int = 10
    """Physics steps (1 ms each) per vehicle-node tick in batch runs: the stack commands at 50 Hz, so
    holding its command for 10 ms steps the same physics as 1 kHz ticks; a real-time run uses 1."""


@dataclass(frozen=True)
class RigChoice:
    """A motion rig served by ``dil rig serve``."""

    rig_file: str | None = None
    """Cue the rig with this rig file; None: no rig."""


@dataclass(frozen=True)
class Outputs:
    """What the run writes besides its result."""

    record: Path | None = None
    """The run's MCAP log."""
    osi: Path | None = None
    """A standalone OSI GroundTruth trace at the world rate (.mcap or .osi)."""
    osi_in_log: bool = False
    """OSI GroundTruth in the run's log too (channel ``ground_truth``)."""
    trace_rate_hz: float = 10.0
    """Rate of the pose trace (trace.csv) [Hz]."""


@dataclass(frozen=True)
class Timing:
    """The clock and the time guard."""

    realtime: bool = False
    """Pace the loop by the wall clock at 1 kHz (driver in the loop) instead of simulated time."""
    max_time: float | None = None
    """Simulated seconds before the run is cut off [s]; None: derived from the scenario."""

    @property
    def clock(self) -> str:
        """``wall`` or ``simulated``: what the log's description says."""
        return "wall" if self.realtime else "simulated"


@dataclass(frozen=True)
class RunSpec:
    """One run, grouped: scenario, driver, world, vehicle, rig, outputs, timing and pass criteria."""

    scenario: ScenarioChoice
    driver: DriverChoice = DriverChoice()
    world: WorldChoice = WorldChoice()
    vehicle: VehicleChoice = VehicleChoice()
    rig: RigChoice = RigChoice()
    outputs: Outputs = Outputs()
    timing: Timing = Timing()
    criteria: Criteria | None = None
    """The pass criteria; None: the scenario's own (its .criteria.yaml or the defaults)."""

    def validate(self, stacks: Mapping[str, object] | None = None) -> RunSpec:
        """Raise :class:`SpecError` on the first field the run cannot take; returns ``self``.
        ``stacks``: the registry the run picks from (default :data:`dil.run.stacks.STACKS`)."""
        from .stacks import STACKS
        from .worlds import WORLDS

        stacks = STACKS if stacks is None else stacks
        d, t, v = self.driver, self.timing, self.vehicle
        if d.stack not in stacks:
            raise SpecError("driver.stack", d.stack, f"must be one of {', '.join(stacks)}", "--stack")
        if d.stack == "replay" and d.replay_log is None:
            raise SpecError("driver.replay_log", None, "the replay stack needs the log to replay")
        if self.world.backend not in WORLDS:
            raise SpecError(
                "world.backend", self.world.backend, f"must be one of {', '.join(WORLDS)}", "--world"
            )
        if self.world.cameras:
            from dil.world.display_cameras import DISPLAY_CAMERAS

            for name in self.world.cameras:
                if name not in DISPLAY_CAMERAS:
                    raise SpecError(
                        "world.cameras", name, f"must be one of {', '.join(DISPLAY_CAMERAS)}", "--cameras"
                    )
        if t.max_time is not None and not (math.isfinite(t.max_time) and t.max_time > 0.0):
            raise SpecError(
                "timing.max_time", t.max_time, "must be a positive, finite number of seconds", "--max-time"
            )
        if not isinstance(v.substeps, int) or v.substeps < 1:
            raise SpecError("vehicle.substeps", v.substeps, "must be a whole number >= 1")
        rate = self.outputs.trace_rate_hz
        if not (math.isfinite(rate) and rate > 0.0):
            raise SpecError("outputs.trace_rate_hz", rate, "must be a positive rate [Hz]")
        return self
