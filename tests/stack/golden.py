"""Golden node traces of the built-in stack: what it read and what it commanded, tick by tick.

A trace is recorded from a real batch run (``record``): at each of the stack's ticks, the sensor and
vehicle-state messages that arrived since its last tick (header stripped), the scenario's requests
(cruise speed, target lane, control overrides) and the stack's command and alerts. ``replay`` feeds the
same inputs to a fresh :class:`BuiltinStack` on an in-process bus, with no world, vehicle or scenario.

Regenerate the checked-in traces (after a deliberate change of the stack's behaviour) with
``python -m tests.stack.golden``; the diff of ``tests/stack/data/`` is the behaviour change to review.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dil.bus.codec import Encoder
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import AI_COMMAND, VEHICLE_STATE, sensor_schema
from dil.bus.schema import HEADER
from dil.bus.transport import Bus, LocalBus
from dil.realtime.clock import SimClock
from dil.stack.builtin import BuiltinStack, StackParameters

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
HEADER_NAMES = frozenset(f.name for f in HEADER)
OBJECTS, LANES = sensor_schema("objects", "objects"), sensor_schema("lanes", "lanes")
INPUTS = {"objects": OBJECTS, "lanes": LANES, "state": VEHICLE_STATE}
OUTPUTS = ("steering_wheel_angle", "throttle", "brake")


@dataclass(frozen=True)
class Case:
    """One golden trace: a catalog scenario driven by a stack of the registry, for a while."""

    name: str
    scenario: str
    stack: str
    seconds: float
    """How long the run goes [s]."""
    from_s: float = 0.0
    """The trace keeps the ticks from here on [s] (the first kept tick carries every input's newest)."""
    params: tuple[tuple[str, str], ...] = ()
    """The scenario's parameters set from outside (name, value)."""

    @property
    def path(self) -> Path:
        return DATA / f"{self.name}.json.gz"


CASES = (
    # emergency braking to a stop behind a stationary car at 40 km/h: warning, partial braking held to
    # a standstill (no switching back to the throttle while the car ahead still stands there)
    Case("ccrs_aeb", "scenarios/catalog/ccrs.xosc", "aeb", 8.0, 3.0),
    # the same at 60 km/h: warning, then at once full braking, held to a standstill
    Case("ccrs60_aeb", "scenarios/catalog/ccrs.xosc", "aeb", 8.0, 2.0, (("EgoSpeed", "60"),)),
    # adaptive cruise braking behind a slower car, then a lane change to the target lane it asks for
    Case("lane_change_builtin", "scenarios/catalog/lane_change_highway.xosc", "builtin", 6.4, 3.2),
)


def _fields(msg: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in msg.items() if k not in HEADER_NAMES}


class _Inputs:
    """Its own subscriptions to what the stack reads, and to what it commands, on the run's bus."""

    def __init__(self, bus: Bus) -> None:
        self.inboxes = {
            name: Inbox(bus.subscriber(s.topic, conflate=True), Drops(), {s.topic: s})
            for name, s in INPUTS.items()
        }
        self.commands = Inbox(bus.subscriber(AI_COMMAND.topic), Drops())

    def arrived(self) -> dict[str, Any]:
        out = {}
        for name, inbox in self.inboxes.items():
            msg = inbox.latest()
            if msg is not None:
                out[name] = _fields(msg)
        return out


class _RecordingStack:
    """Stands in the loop for the stack: ticks it and notes what it read and what it said."""

    def __init__(self, stack: BuiltinStack, bus: Bus) -> None:
        self.stack = stack
        self.spec = stack.spec
        self.rate_hz = stack.rate_hz
        self.ticks: list[dict[str, Any]] = []
        self._io = _Inputs(bus)

    def start(self, t_sim_ns: int) -> None:
        self.stack.start(t_sim_ns)

    def stop(self, t_sim_ns: int) -> None:
        self.stack.stop(t_sim_ns)

    def tick(self, t_sim_ns: int) -> None:
        s = self.stack
        row: dict[str, Any] = {"t_ns": t_sim_ns, "inputs": self._io.arrived()}
        row["cruise_speed"] = s.cruise_speed
        row["target_lane"] = list(s.target_lane) if s.target_lane is not None else None
        row["overrides"] = {k: list(v) for k, v in s.overrides.items()}
        s.tick(t_sim_ns)
        cmd = self._io.commands.latest()
        row["command"] = [cmd[k] for k in OUTPUTS] if cmd is not None else None
        row["warning"], row["aeb"] = s.warning, s.aeb
        self.ticks.append(row)


def record(case: Case) -> dict[str, Any]:
    """Run the case's scenario in batch and return its golden trace (JSON-ready)."""
    from dil.run.build import build
    from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
    from dil.run.stacks import STACKS, StackEntry

    recorders: list[_RecordingStack] = []
    entry = STACKS[case.stack]

    def factory(ctx):  # type: ignore[no-untyped-def]
        driving = entry.factory(ctx)
        recorders.append(_RecordingStack(driving.node, ctx.bus))
        driving.node = recorders[-1]
        return driving

    stacks = {**STACKS, case.stack: StackEntry(case.stack, entry.description, factory)}
    spec = RunSpec(
        ScenarioChoice(ROOT / case.scenario, dict(case.params)),
        DriverChoice(case.stack),
        timing=Timing(max_time=case.seconds),
    )
    with build(spec, stacks=stacks) as built:
        built.loop.run(round(case.seconds * 1000))
        stack = recorders[0].stack
        return {
            "scenario": case.scenario,
            "stack": case.stack,
            "params": vars(stack.p),
            "vehicle": spec.vehicle.params,
            "ticks": recorders[0].ticks,
        }


def load(case: Case) -> dict[str, Any]:
    with gzip.open(case.path, "rt") as f:
        return json.load(f)


def replay(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """Feed a trace's inputs to a fresh stack, tick by tick; its commands and alerts, as recorded."""
    from vehicle_models import load as load_parameters

    bus, clock = LocalBus(), SimClock()
    stack = BuiltinStack(
        bus, Drops(), clock, load_parameters(trace["vehicle"]), params=StackParameters(**trace["params"])
    )
    pubs = {name: (bus.publisher(s.topic), Encoder(s, "golden")) for name, s in INPUTS.items()}
    commands = Inbox(bus.subscriber(AI_COMMAND.topic), Drops())
    out = []
    stack.start(0)
    for row in trace["ticks"]:
        t = row["t_ns"]
        for name, fields in row["inputs"].items():
            pub, enc = pubs[name]
            pub.send(enc.encode(t, clock.wall_ns(t), fields))
        stack.cruise_speed = row["cruise_speed"]
        stack.target_lane = tuple(row["target_lane"]) if row["target_lane"] is not None else None
        stack.overrides = {k: (bool(a), float(v)) for k, (a, v) in row["overrides"].items()}
        stack.tick(t)
        cmd = commands.latest()
        out.append(
            {
                "command": [cmd[k] for k in OUTPUTS] if cmd is not None else None,
                "warning": stack.warning,
                "aeb": stack.aeb,
            }
        )
    return out


def window(trace: dict[str, Any], from_s: float) -> dict[str, Any]:
    """The trace from ``from_s`` [s] on, its first tick given the newest message of every input."""
    newest: dict[str, Any] = {}
    kept = []
    for row in trace["ticks"]:
        newest.update(row["inputs"])
        if row["t_ns"] >= round(from_s * 1e9):
            kept.append({**row, "inputs": dict(newest)} if not kept else row)
    return {**trace, "ticks": kept}


def golden(case: Case) -> dict[str, Any]:
    """A case's trace, checked: a fresh stack fed its inputs says exactly what the running one said
    (a window that cut away state the stack still needed would fail here)."""
    trace = window(record(case), case.from_s)
    for row, out in zip(trace["ticks"], replay(trace), strict=True):
        said = {k: row[k] for k in out}
        if said != out:
            raise AssertionError(f"{case.name} at {row['t_ns']} ns: the run said {said}, the replay {out}")
    return trace


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for case in CASES:
        trace = golden(case)
        with gzip.GzipFile(case.path, "wb", mtime=0) as raw:
            raw.write(json.dumps(trace, separators=(",", ":")).encode())
        print(f"{case.path.relative_to(ROOT)}: {len(trace['ticks'])} ticks, {case.path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
