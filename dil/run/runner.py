"""One batch run of a scenario: load it, wire the nodes, run the simulated-time loop, score it.

Nodes, in tick order: the scenario engine (100 Hz), the world (50 Hz, with the sensors the stack
reads), the driving stack (50 Hz), the ego vehicle (1 kHz, from ``ai/command``), the KPI
observer (100 Hz) and a trace recorder (10 Hz). Everything runs in one thread on the in-process
bus with the simulated clock, so a run is deterministic.
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

import vehicle_models
from dil import __version__
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops
from dil.bus.transport import Bus, LocalBus
from dil.drive.control_watch import ControlWatch
from dil.drive.scripted import ScriptedDriver
from dil.drive.vehicle_node import VehicleNode
from dil.realtime.clock import Clock, SimClock, WallClock
from dil.realtime.loop import Loop
from dil.recording.recorder import Recorder
from dil.road.network import RoadNetwork
from dil.scenario.controllers.stack_link import configure_stack
from dil.scenario.engine import EgoLink, ScenarioNode
from dil.scenario.loader import Scenario, load
from dil.stack.ai import AiOptions, AiStackSetup
from dil.stack.builtin import BuiltinStack, StackParameters
from dil.world.actors import ActorSpec
from dil.world.carla_backend import DISPLAY_CAMERAS, CarlaOptions, CarlaWorld
from dil.world.embedded import EmbeddedWorld
from dil.world.node import WorldNode
from dil.world.sensors import LaneGeometry, ObjectList

from .criteria import Criteria, judge
from .ego import box_offset, ego_functions
from .guard import default_max_time, guard_cut_is_incomplete
from .kpi import KpiNode
from .outcome import aborted_verdict, outcome_of

STACKS = ("builtin", "aeb", "none", "replay", "driver", "ai")
"""builtin: lane keeping, adaptive cruise and emergency braking; aeb: lane keeping and emergency
braking at a constant cruise speed (a driver who does not react); none: the storyboard moves the ego;
replay: the ego's commands come from a recorded log (re-simulation); driver: from driver/input (a
person at the wheel, or a scripted driver); ai: a learned model on inference nodes, with the built-in
stack as its safety fallback (``RunOptions.ai``)."""


@dataclass
class RunOptions:
    scenario: Path
    params: dict[str, str] = field(default_factory=dict)
    stack: str = "builtin"
    vehicle: str = "sedan_bmw320i"
    model: str = "single_track"
    max_time: float | None = None
    """Simulated seconds before the run is cut off (the time guard); None: derived from the scenario
    (:func:`dil.run.guard.default_max_time`)."""
    ego: str | None = None
    criteria: Criteria | None = None
    trace_rate_hz: float = 10.0
    progress: Callable[[float, float], None] | None = None
    """Called with (simulated s, limit s) every simulated second (a progress display)."""
    record: Path | None = None
    """Write the run's MCAP log here."""
    osi: Path | None = None
    """Also write OSI ground truth at the world rate to this standalone trace (.mcap or .osi)."""
    osi_in_log: bool = False
    """Also write OSI ground truth into the run's log (a ``ground_truth`` channel)."""
    replay_log: Path | None = None
    """With stack ``replay``: the log whose ai/command messages drive the ego."""
    realtime: bool = False
    """Pace the loop by the wall clock at 1 kHz (driver in the loop) instead of simulated time."""
    bus: object | None = None
    """The bus to run on (a ZmqBus to meet a rig server or a wheel); default: in-process."""
    driver_profile: str | None = None
    """With stack ``driver``: a scripted driver in this process instead of driver/input from the bus."""
    rig_file: str | None = None
    """Cue a motion rig (served by ``dil rig serve``) with this rig file."""
    wheel: str | None = None
    """With stack ``driver``: publish force feedback (``driver/feedback``) for this wheel mapping."""
    on_loop: Callable[[Loop], None] | None = None
    """Called with the loop before it runs (to install signal handlers)."""
    ai: AiOptions | None = None
    """With stack ``ai``: the inference nodes or the model, deadlines."""
    world: str = "embedded"
    """embedded (the default, no server) or carla (a CARLA server renders; ``carla`` says which)."""
    carla: CarlaOptions | None = None
    """With world ``carla``: the server, its timeouts and map."""
    vehicle_substeps: int = 10
    """Physics steps per vehicle-node tick: the stack commands at 50 Hz, so holding its command for
    10 ms steps the same physics as 1 kHz ticks, with vehicle/state published at 100 Hz."""


@dataclass
class RunResult:
    scenario: Scenario
    kpis: dict
    verdict: dict
    trace: list[tuple]
    end: str
    simulated_s: float
    wall_s: float
    transitions: list[tuple[float, str, str, str]]
    max_time: float = 0.0
    """The time guard the run ran under [s]."""

    @property
    def passed(self) -> bool:
        return bool(self.verdict["passed"])

    @property
    def outcome(self) -> str:
        """pass, fail, aborted or incomplete (:mod:`dil.run.outcome`)."""
        return outcome_of(self.verdict)

    @property
    def realtime_factor(self) -> float:
        return self.simulated_s / self.wall_s if self.wall_s > 0 else math.inf


class TraceNode:
    """Samples every entity's pose and speed (an observer)."""

    def __init__(
        self, scenario: Scenario, rate_hz: float, progress: Callable[[float], None] | None = None
    ) -> None:
        self.progress = progress
        self.scenario = scenario
        self.rate_hz = rate_hz
        self.rows: list[tuple] = []
        self.spec = NodeSpec("trace")

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        t = t_sim_ns * 1e-9
        if self.progress is not None and t_sim_ns % 1_000_000_000 == 0:
            self.progress(t)
        for e in self.scenario.entities.values():
            self.rows.append((round(t, 6), e.name, e.x, e.y, e.yaw, e.speed, e.road or "", e.lane, e.s))


def run(opts: RunOptions) -> RunResult:
    if opts.stack not in STACKS:
        raise ValueError(f"--stack {opts.stack!r}: must be one of {', '.join(STACKS)}")
    scen = load(opts.scenario, opts.params, opts.ego)
    ego = scen.entities[scen.ego]
    ego_spec = ActorSpec(ego.name, ego.kind, ego.length, ego.width, ego.height)
    if opts.world == "carla":
        carla = opts.carla or CarlaOptions()
        if scen.road_map is not None and carla.map is None:  # a map name (Town01) is the server's map
            carla = dataclasses.replace(carla, map=scen.road_map)
        world = open_carla_world(carla, scen, ego_spec, threaded=opts.realtime)
        net = world.network
    elif opts.world == "embedded":
        if scen.road_file is None and scen.road_map is None:  # no LogicFile: an open plane, no roads
            net = RoadNetwork.empty(f"{scen.source} (no RoadNetwork LogicFile)")
        elif scen.road_file is None:
            raise ValueError(
                f"{scen.source}: RoadNetwork LogicFile {scen.road_map!r} is a CARLA map name, not a file: "
                "the embedded world needs an OpenDRIVE (.xodr) file; run with --world carla (a server "
                "with that map) or give the .xodr file's path"
            )
        else:
            net = RoadNetwork.load(scen.road_file)
        world = EmbeddedWorld(net, ego_spec)
    else:
        raise ValueError(f"--world {opts.world!r}: must be embedded or carla")
    try:
        return _run_in(opts, scen, net, world)
    finally:
        if isinstance(world, CarlaWorld):
            world.close()  # the server's settings back, whatever ended the run


def open_carla_world(options: CarlaOptions, scen: Scenario, ego: ActorSpec, threaded: bool) -> CarlaWorld:
    """The CARLA world for ``scen``: the server's map must be the scenario's road network.
    ``threaded``: a real-time loop never waits for the server."""
    for name in options.cameras:
        if name not in DISPLAY_CAMERAS:
            raise ValueError(f"--carla-camera {name!r}: must be one of {', '.join(DISPLAY_CAMERAS)}")
    world = CarlaWorld(options, ego, threaded=threaded)
    want = scen.road_map if scen.road_file is None else Path(scen.road_file).stem
    if world.map_name != want:
        world.close()
        named = Path(scen.road_file).name if scen.road_file is not None else f"the map {want!r}"
        serve = f" or serve the file (dil carla-lite --map {scen.road_file})" if scen.road_file else ""
        raise ValueError(
            f"{scen.source}: the scenario's road network is {named} but the CARLA "
            f"server has map {world.map_name!r} loaded; load that map (--carla-map {want}){serve}"
        )
    return world


def _run_in(opts: RunOptions, scen: Scenario, net: RoadNetwork, world: EmbeddedWorld) -> RunResult:
    bus = opts.bus if opts.bus is not None else LocalBus()
    clock = WallClock() if opts.realtime else SimClock()
    drops = Drops()
    vehicle = vehicle_models.Vehicle(opts.model, opts.vehicle)
    ai = None
    if opts.stack == "ai":
        ai = AiStackSetup(bus, drops, clock, vehicle.params, opts.ai or AiOptions(), wait=not opts.realtime)
    try:
        return _run(opts, scen, net, world, bus, clock, drops, vehicle, ai)
    finally:
        if ai is not None:
            ai.close()


def _run(
    opts: RunOptions,
    scen: Scenario,
    net: RoadNetwork,
    world: EmbeddedWorld,
    bus: Bus,
    clock: Clock,
    drops: Drops,
    vehicle: vehicle_models.Vehicle,
    ai: AiStackSetup | None,
) -> RunResult:
    driven = opts.stack != "none"
    max_time = opts.max_time if opts.max_time is not None else default_max_time(scen)
    if not (math.isfinite(max_time) and max_time > 0.0):
        raise ValueError(f"--max-time {max_time:g}: must be a positive, finite number of seconds")
    ego = scen.entities[scen.ego]
    offset = box_offset(vehicle)
    place, state = ego_functions(vehicle, ego.centre_x)

    cruise_log: list[float] = []
    if ai is not None:
        stack = ai.stack
    elif opts.stack == "driver":
        stack = _DriverSeat()
    elif opts.stack == "replay":
        if opts.replay_log is None:
            raise ValueError("--stack replay needs the log to replay")
        stack = ReplayCommands(bus, opts.replay_log)
    elif driven:
        stack = BuiltinStack(
            bus, drops, clock, vehicle.params, params=StackParameters(acc=opts.stack == "builtin")
        )
    else:
        stack = None
    builtin = isinstance(stack, BuiltinStack)
    link = EgoLink(
        place=place,
        state=state if driven else None,
        cruise=(lambda v: _set_cruise(stack, v, cruise_log)) if stack else (lambda v: None),
        lane=(lambda road, lane: setattr(stack, "target_lane", (road, lane)))
        if stack
        else (lambda road, lane: None),
        stack_active=driven,
        # the file's ObjectController and overrides reach the built-in stack
        configure=(lambda c: configure_stack(stack, c)) if builtin else (lambda c: None),
        override=stack.overrides.update if builtin else (lambda values: None),
    )
    loop_ref: list[Loop] = []
    watch: ControlWatch | None = None

    def on_end(why: str) -> None:
        loop_ref[0].stop_requested = True

    engine = ScenarioNode(bus, scen, world, clock, link, on_end=on_end)
    # the sensors a stack reads; a person at the wheel looks at the world instead
    with_stack = driven and opts.stack != "driver"
    sensors = [ObjectList(rate_hz=50.0, range_m=150.0), LaneGeometry(net, rate_hz=10.0)] if with_stack else []
    if ai is not None and isinstance(world, CarlaWorld):
        sensors.append(world.add_camera("front", ai.camera_spec, ai.stack.o.rate_hz))
    elif ai is not None:
        sensors.append(ai.camera(net))
    if isinstance(world, CarlaWorld):  # the driver's displays
        for name in world.options.cameras:
            if name not in {s.name for s in sensors}:
                sensors.append(world.add_camera(name, DISPLAY_CAMERAS[name], 25.0))
    world_node = WorldNode(
        bus,
        drops,
        world,
        clock,
        rate_hz=50.0,
        ego_offset=offset,
        sensors=sensors,
        ego_from_state=driven,
        sensor_thread=opts.realtime,  # camera frames must not hold up the 1 kHz loop
        ego_start=(lambda: state()[:4]) if driven else None,
    )
    kpi = KpiNode(bus, drops, with_state=driven)
    progress = opts.progress
    trace = TraceNode(
        scen, opts.trace_rate_hz, (lambda t: progress(t, max_time)) if progress is not None else None
    )
    nodes: list = [engine, world_node]
    external: list[NodeSpec] = []
    if driven:
        assert stack is not None
        seat = opts.stack == "driver"
        behind_ai = ai is not None and ai.stack.o.driver_seat  # a person who can take over from the AI
        if (seat or behind_ai) and opts.driver_profile:
            nodes.append(ScriptedDriver(bus, clock, opts.driver_profile))
        elif seat or behind_ai:
            external.append(NodeSpec("driver (another process)", outputs=(Port("input", "driver/input"),)))
        if behind_ai:
            external.append(
                NodeSpec("console (another process)", outputs=(Port("command", "console/command"),))
            )
        if not seat:
            nodes.append(stack)
        substeps = 1 if opts.realtime else opts.vehicle_substeps
        vehicle_node = VehicleNode(
            bus,
            drops,
            vehicle,
            clock,
            input_topic="driver/input" if seat else "ai/command",
            input_timeout_ms=200.0 if seat else 500.0,
            substeps=substeps,
        )
        nodes.append(vehicle_node)
        if seat:  # a person at the wheel: time with nobody in control is measured and announced
            watch = ControlWatch(bus, clock, vehicle_node)
            nodes.append(watch)
        if (seat or behind_ai) and opts.wheel:
            from hil_rigs.force_feedback import force_feedback_node

            nodes.append(force_feedback_node(bus, drops, clock, opts.wheel))
        if opts.rig_file:
            from hil_rigs.config import cueing_node

            nodes.append(cueing_node(bus, drops, clock, opts.rig_file))
            external.append(
                NodeSpec("rig server (another process)", outputs=(Port("feedback", "rig/feedback"),))
            )
    nodes += [kpi, trace]
    loop = Loop(nodes, clock, bus, drops, external=external)
    if opts.on_loop is not None:
        opts.on_loop(loop)
    loop_ref.append(loop)
    recorder = None
    if opts.record is not None:
        recorder = Recorder(
            opts.record, lambda: loop.tick * clock.step_ns, schemas=world_node.schemas, threaded=opts.realtime
        )
        bus.tap(recorder)
        describe(recorder, scen, opts, vehicle, max_time)
    osi = None
    if opts.osi is not None or (opts.osi_in_log and recorder is not None):
        from dil.osi.live import run_tap

        osi = run_tap(
            net,
            vehicle.params,
            vehicle.model.name,
            trace=opts.osi,
            recorder=recorder if opts.osi_in_log else None,
            threaded=opts.realtime,
            description=f"dil run of {scen.source.name}",
        )
        bus.tap(osi)
    t0 = time.perf_counter()
    limit_ticks = round(max_time * 1000)
    try:
        report = loop.run(limit_ticks)
    except BaseException as e:
        if osi is not None:
            osi.close()
        if recorder is not None:
            why = "interrupted" if isinstance(e, KeyboardInterrupt) else f"error: {type(e).__name__}: {e}"
            recorder.close({"end": why, "verdict": json.dumps(aborted_verdict(why))})
        raise
    wall = time.perf_counter() - t0
    if osi is not None:
        osi.close()  # before the recorder: its last frames go into the log
    t_end = report.t_sim_ns * 1e-9
    aborted = incomplete = ""
    if report.error:  # a node failed: the loop stopped safely, the run proves nothing
        aborted = end = f"error in the loop: {report.error}"
    elif engine.aborted:
        aborted = end = engine.aborted
    elif engine.ended:
        end = engine.ended
    elif report.ticks >= limit_ticks:
        end = f"time limit {max_time:g} s"
        if guard_cut_is_incomplete(scen):
            incomplete = (
                f"the time guard (--max-time {max_time:g} s) ended the run before the scenario's stop trigger"
            )
    else:  # stopped from outside (a signal) with no reason given
        aborted = end = "interrupted"
    kpi.kpis.end = end
    if watch is not None:
        kpi.kpis.driver_seat = True
        kpi.kpis.no_driver_s = round(watch.no_driver_s, 3)
    elif ai is not None and ai.stack.o.driver_seat:  # a driver who took over and then let go
        kpi.kpis.no_driver_s = round(ai.stack.no_driver_s, 3)
    verdict = judge(
        kpi.kpis,
        opts.criteria or Criteria.for_scenario(opts.scenario),
        timed_out=not engine.ended,
        aborted=aborted,
        incomplete=incomplete,
    )
    if recorder is not None:
        recorder.close(
            {
                "end": end,
                "verdict": json.dumps(verdict),
                "kpis": json.dumps(kpi.kpis.as_dict()),
                "cruise_speeds": json.dumps(cruise_log),
            }
        )
    kpis = kpi.kpis.as_dict()
    if ai is not None:
        kpis.update(ai.stack.kpis())
    if isinstance(world, CarlaWorld):
        kpis.update(world.kpis())
    if opts.realtime and sensors:
        kpis["sensor_frames_dropped"] = world_node.sensor_frames_dropped
    return RunResult(scen, kpis, verdict, trace.rows, end, t_end, wall, engine.log, max_time)


def _set_cruise(stack: object, v: float, log: list[float]) -> None:
    """The scenario sets the stack's cruise speed; the log keeps the values for open-loop replays."""
    stack.cruise_speed = v  # type: ignore[attr-defined]
    log.append(v)


def describe(
    recorder: Recorder, scen: Scenario, opts: RunOptions, vehicle: vehicle_models.Vehicle, max_time: float
) -> None:
    """What a validator needs to know and to re-run: versions, inputs, files, clocks."""
    recorder.metadata(
        "dil.run",
        {
            "dil_version": __version__,
            "scenario": str(scen.source),
            "scenario_sha256": scen.sha256,
            "parameters": json.dumps(scen.params, sort_keys=True),
            "overrides": json.dumps(opts.params, sort_keys=True),
            "stack": opts.stack,
            "vehicle": vehicle.params.name,
            "model": vehicle.model.name,
            "vehicle_substeps": str(opts.vehicle_substeps),
            "max_time_s": str(max_time),
            "ego": scen.ego,
            "seed": "0",
            "host": platform.node(),
            "clock": "simulated",
            "start_sim_ns": "0",
            "start_wall_ns": str(time.time_ns()),
        },
    )
    recorder.attach("scenario.xosc", scen.source.read_bytes(), "application/xml")
    if scen.road_file is not None:
        recorder.attach("road.xodr", scen.road_file.read_bytes(), "application/xml")
    recorder.attach(
        "vehicle.yaml",
        yaml.safe_dump(dataclasses.asdict(vehicle.params), sort_keys=False).encode(),
        "application/yaml",
    )


class _DriverSeat:
    """Stands where a stack would: the scenario's cruise and lane requests have nobody to act on them
    but the person at the wheel."""

    cruise_speed = 0.0
    target_lane = None


class ReplayCommands:
    """Re-publishes a log's ``ai/command`` frames at their recorded simulation times (re-simulation)."""

    rate_hz = 50.0

    def __init__(self, bus: LocalBus, log: Path, topic: str = "ai/command") -> None:
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
