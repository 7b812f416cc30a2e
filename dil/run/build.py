"""The one place a run is wired: from a :class:`~dil.run.spec.RunSpec` to the loop's node graph and
its observers. ``dil run``, ``dil drive``, ``dil replay --resim``, campaign workers and model
evaluation all build their runs here.

Nodes, in tick order: the scenario engine (100 Hz), the world (50 Hz, with the sensors the stack
reads), a scripted driver, the driving stack (50 Hz), the ego vehicle (1 kHz real time; 100 Hz with
10 physics steps a tick in batch), the control watch, force feedback and motion cueing, then the
observers: the KPI node (100 Hz), the pose trace and any the caller adds. The recorder and the OSI
writer tap the bus. On the simulated clock everything runs in one thread: a run is deterministic.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dil.bus.graph import NodeSpec, Port

from .stacks import STACKS, Driving, RunContext, StackEntry
from .trace import TraceNode
from .worlds import WORLDS

if TYPE_CHECKING:
    import vehicle_models
    from dil.bus.transport import Bus
    from dil.realtime.loop import Loop
    from dil.recording.recorder import Recorder
    from dil.scenario.engine import ScenarioNode
    from dil.scenario.loader import Scenario
    from dil.vehicle.control_watch import ControlWatch
    from dil.world.backend import WorldBackend
    from dil.world.node import WorldNode

    from .kpi import KpiNode
    from .reuse import Reuse
    from .spec import RunSpec


@dataclass
class BuiltRun:
    """A wired run: its loop and the parts the caller reads after it. :meth:`close` (or ``with``)
    releases the world and the stack's resources, whatever ended the run."""

    spec: RunSpec
    context: RunContext
    loop: Loop
    engine: ScenarioNode
    world_node: WorldNode
    driving: Driving
    kpi: KpiNode
    trace: TraceNode
    max_time: float
    """The time guard [s]."""
    watch: ControlWatch | None = None
    recorder: Recorder | None = None
    osi: Any = None
    """The OSI ground-truth tap, when the outputs ask for one."""
    observers: list[Any] = field(default_factory=list)
    """The caller's own observer nodes, in the order given."""
    unrecorded: tuple[str, ...] = ()
    """Topics the log leaves out: the embedded world's display cameras (drawn again from the log's
    own world state; ~17 MB/s each raw)."""

    @property
    def scenario(self) -> Scenario:
        return self.context.scenario

    @property
    def world(self) -> WorldBackend:
        return self.context.world

    @property
    def vehicle(self) -> vehicle_models.Vehicle:
        return self.context.vehicle

    def close(self) -> None:
        try:
            self.driving.close()
        finally:
            self.context.world.close()  # a server's settings back, whatever ended the run

    def __enter__(self) -> BuiltRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


ObserverFactory = Callable[[RunContext], Any]
"""Builds an observer node from the run's context (it must only listen)."""


def build(
    spec: RunSpec,
    *,
    bus: Bus | None = None,
    progress: Callable[[float, float], None] | None = None,
    stacks: Mapping[str, StackEntry] = STACKS,
    observers: Sequence[ObserverFactory] = (),
    on_ego_placed: Callable[[float, float, float, float], None] | None = None,
    reuse: Reuse | None = None,
) -> BuiltRun:
    """Load the scenario, open the world, wire the nodes. ``bus``: the bus to run on (a ZmqBus to meet
    a rig server or a wheel; default in-process). ``progress``: called with (simulated s, limit s)
    every simulated second. ``stacks``: the registry the driver is picked from. ``on_ego_placed``:
    called with the ego's reference-point pose [m, rad] and speed [m/s] when the scenario places it.
    ``reuse``: road networks and parameter sets already read by earlier runs of this process (a
    campaign worker's); the run is the same with or without."""
    from dil.scenario.loader import load
    from dil.world.actors import ActorSpec

    spec.validate(stacks)
    scen = load(spec.scenario.path, dict(spec.scenario.params), spec.scenario.ego)
    ego = scen.entities[scen.ego]
    world = WORLDS[spec.world.backend].open(
        spec, scen, ActorSpec(ego.name, ego.kind, ego.length, ego.width, ego.height), reuse
    )
    try:
        return _wire(spec, scen, world, bus, progress, stacks, observers, on_ego_placed, reuse)
    except BaseException:
        world.close()
        raise


def _wire(
    spec: RunSpec,
    scen: Scenario,
    world: WorldBackend,
    bus: Bus | None,
    progress: Callable[[float, float], None] | None,
    stacks: Mapping[str, StackEntry],
    observer_factories: Sequence[ObserverFactory],
    on_ego_placed: Callable[[float, float, float, float], None] | None,
    reuse: Reuse | None,
) -> BuiltRun:
    import vehicle_models
    from dil.bus.inbox import Drops
    from dil.bus.transport import LocalBus
    from dil.realtime.clock import SimClock, WallClock

    realtime = spec.timing.realtime
    ctx = RunContext(
        spec,
        scen,
        world.network,
        world,
        bus if bus is not None else LocalBus(),
        Drops(),
        WallClock() if realtime else SimClock(),
        vehicle_models.Vehicle(
            spec.vehicle.model,
            reuse.vehicle_params(spec.vehicle.params) if reuse is not None else spec.vehicle.params,
        ),
    )
    driving = stacks[spec.driver.stack].factory(ctx)
    try:
        return _nodes(ctx, driving, progress, observer_factories, on_ego_placed)
    except BaseException:
        driving.close()
        raise


def _nodes(
    ctx: RunContext,
    driving: Driving,
    progress: Callable[[float, float], None] | None,
    observer_factories: Sequence[ObserverFactory],
    on_ego_placed: Callable[[float, float, float, float], None] | None,
) -> BuiltRun:
    from dil.realtime.loop import Loop
    from dil.scenario.engine import EgoLink, ScenarioNode
    from dil.vehicle.control_watch import ControlWatch
    from dil.vehicle.node import VehicleNode
    from dil.vehicle.scripted_driver import ScriptedDriver
    from dil.world.node import WorldNode
    from dil.world.sensors import LaneGeometry, ObjectList

    from .ego import box_offset, ego_functions
    from .guard import default_max_time
    from .kpi import KpiNode

    spec, scen, net, world = ctx.spec, ctx.scenario, ctx.network, ctx.world
    bus, drops, clock, vehicle = ctx.bus, ctx.drops, ctx.clock, ctx.vehicle
    realtime, driven = spec.timing.realtime, driving.driven
    max_time = spec.timing.max_time if spec.timing.max_time is not None else default_max_time(scen)
    ego = scen.entities[scen.ego]
    offset = box_offset(vehicle)
    place, state = ego_functions(vehicle, ego.centre_x)
    if on_ego_placed is not None:
        place_vehicle = place

        def place(x: float, y: float, yaw: float, speed: float) -> None:
            place_vehicle(x, y, yaw, speed)
            on_ego_placed(x, y, yaw, speed)

    link = EgoLink(
        place=place,
        state=state if driven else None,
        cruise=driving.set_cruise,
        lane=driving.set_lane,
        stack_active=driven,
        configure=driving.configure,  # the file's ObjectController and overrides reach the built-in stack
        override=driving.override,
    )
    loop_ref: list[Loop] = []

    def on_end(why: str) -> None:
        loop_ref[0].stop_requested = True

    engine = ScenarioNode(bus, scen, world, clock, link, on_end=on_end)
    # the sensors a stack reads; a person at the wheel looks at the world instead
    with_stack = driven and driving.sensors
    sensors = [ObjectList(rate_hz=50.0, range_m=150.0), LaneGeometry(net, rate_hz=10.0)] if with_stack else []
    if driving.camera is not None:
        camera_spec, rate_hz = driving.camera
        sensors.append(world.camera("front", camera_spec, rate_hz))
    displays = world.display_sensors()  # the driver's displays, none when headless
    sensors += displays
    world_node = WorldNode(
        bus,
        drops,
        world,
        clock,
        rate_hz=50.0,
        ego_offset=offset,
        sensors=sensors,
        ego_from_state=driven,
        sensor_thread=realtime,  # camera frames must not hold up the 1 kHz loop
        ego_start=(lambda: state()[:4]) if driven else None,
    )
    kpi = KpiNode(bus, drops, with_state=driven)
    trace = TraceNode(
        scen,
        spec.outputs.trace_rate_hz,
        (lambda t: progress(t, max_time)) if progress is not None else None,
    )
    nodes: list = [engine, world_node]
    external: list[NodeSpec] = []
    watch = None
    if driven:
        seat, behind = driving.seat, driving.behind
        profile = spec.driver.profile
        if (seat or behind) and profile:
            nodes.append(ScriptedDriver(bus, clock, profile))
        elif seat or behind:
            external.append(NodeSpec("driver (another process)", outputs=(Port("input", "driver/input"),)))
        if behind:
            external.append(
                NodeSpec("console (another process)", outputs=(Port("command", "console/command"),))
            )
        if driving.node is not None:
            nodes.append(driving.node)
        vehicle_node = VehicleNode(
            bus,
            drops,
            vehicle,
            clock,
            input_topic="driver/input" if seat else "ai/command",
            input_timeout_ms=200.0 if seat else 500.0,
            substeps=1 if realtime else spec.vehicle.substeps,
        )
        nodes.append(vehicle_node)
        if seat:  # a person at the wheel: time with nobody in control is measured and announced
            watch = ControlWatch(bus, clock, vehicle_node)
            nodes.append(watch)
        if (seat or behind) and spec.driver.wheel:
            from hil_rigs.force_feedback import force_feedback_node

            nodes.append(force_feedback_node(bus, drops, clock, spec.driver.wheel))
        if spec.rig.rig_file:
            from hil_rigs.config import cueing_node

            nodes.append(cueing_node(bus, drops, clock, spec.rig.rig_file))
            external.append(
                NodeSpec("rig server (another process)", outputs=(Port("feedback", "rig/feedback"),))
            )
    observers = [make(ctx) for make in observer_factories]
    nodes += [kpi, trace, *observers]
    loop = Loop(nodes, clock, bus, drops, external=external)
    loop_ref.append(loop)
    built = BuiltRun(
        spec, ctx, loop, engine, world_node, driving, kpi, trace, max_time, watch, observers=observers
    )
    if spec.world.backend == "embedded":
        built.unrecorded = tuple(f"sensor/{d.name}" for d in displays)
    _outputs(built)
    return built


def _outputs(run: BuiltRun) -> None:
    """The recorder and the OSI writer, tapping the bus (observers: they change nothing)."""
    spec, ctx, loop = run.spec, run.context, run.loop
    out, realtime = spec.outputs, spec.timing.realtime
    if out.record is not None:
        from dil.recording.recorder import Recorder

        clock = ctx.clock
        run.recorder = Recorder(
            out.record,
            lambda: loop.tick * clock.step_ns,
            schemas=run.world_node.schemas,
            threaded=realtime,
            skip=frozenset(run.unrecorded),
        )
        ctx.bus.tap(run.recorder)
        describe(run.recorder, run)
    if out.osi is not None or (out.osi_in_log and run.recorder is not None):
        from dil.osi.live import run_tap

        run.osi = run_tap(
            ctx.network,
            ctx.vehicle.params,
            ctx.vehicle.model.name,
            trace=out.osi,
            recorder=run.recorder if out.osi_in_log else None,
            threaded=realtime,
            description=f"dil run of {ctx.scenario.source.name}",
        )
        ctx.bus.tap(run.osi)


def describe(recorder: Recorder, run: BuiltRun) -> None:
    """What a validator needs to know and to re-run: versions, inputs, files, clocks."""
    import yaml

    from dil import __version__

    spec, scen, vehicle = run.spec, run.scenario, run.vehicle
    recorder.metadata(
        "dil.run",
        {
            "dil_version": __version__,
            "scenario": str(scen.source),
            "scenario_sha256": scen.sha256,
            "parameters": json.dumps(scen.params, sort_keys=True),
            "overrides": json.dumps(dict(spec.scenario.params), sort_keys=True),
            "stack": spec.driver.stack,
            "vehicle": vehicle.params.name,
            "model": vehicle.model.name,
            "vehicle_substeps": str(spec.vehicle.substeps),
            "max_time_s": str(run.max_time),
            "ego": scen.ego,
            "seed": "0",
            "host": platform.node(),
            "clock": spec.timing.clock,
            "unrecorded_topics": ",".join(run.unrecorded),
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
