"""Closed-loop evaluation: the catalog scenario and courses, with the model or the built-in stack."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dil.bus.codec import Encoder
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import AI_COMMAND, VEHICLE_STATE
from dil.bus.transport import Bus
from dil.world.camera import Camera, CameraSpec
from dil.world.embedded import EmbeddedWorld

from .common import CRUISE, IMAGE, RATE_HZ, SCENARIOS
from .data import camera_of, network_of
from .harness import Course, Harness, LaneKeeping, camera_frame
from .policy import ModelPolicy


@dataclass
class Result:
    run: str
    driver: str
    distance: float
    """Along the road [m]."""
    max_offset: float
    """Largest distance of the box centre from the lane centre [m]."""
    mean_offset: float
    lane_invasions: int
    off_road: int
    left_lane: bool
    """The box centre strayed more than ``LOST`` from the lane centre, or off the road."""
    speed: tuple[float, float, float]
    """Lowest, mean and highest speed [km/h]."""
    end: str = ""

    def row(self) -> tuple:
        lo, mean, hi = self.speed
        return (
            self.run,
            self.driver,
            f"{self.distance:.0f}",
            f"{self.max_offset:.2f}",
            f"{self.mean_offset:.2f}",
            str(self.lane_invasions),
            str(self.off_road),
            "yes" if self.left_lane else "no",
            f"{lo:.0f} / {mean:.0f} / {hi:.0f}",
            self.end,
        )


COLUMNS = (
    "run",
    "driver",
    "distance m",
    "max |offset| m",
    "mean |offset| m",
    "invasions",
    "off road",
    "left lane",
    "speed min/mean/max km/h",
    "end",
)


def result(run: str, driver: str, lane: LaneKeeping, invasions: int, off_road: int, end: str) -> Result:
    lat = np.abs(np.asarray([e for e in lane.lateral if not math.isnan(e)]))
    v = 3.6 * np.asarray([s for s in lane.speeds if not math.isnan(s)])
    return Result(
        run,
        driver,
        lane.travelled,
        float(lat.max()) if len(lat) else math.nan,
        float(lat.mean()) if len(lat) else math.nan,
        invasions,
        off_road,
        lane.lost,
        (float(v.min()), float(v.mean()), float(v.max())) if len(v) else (math.nan,) * 3,
        end,
    )


class ModelNode:
    """The model in the loop of a scenario run: at ``RATE_HZ`` it renders the front camera from
    the world (the ego on the road surface), runs the model on it and the ego speed, and
    publishes the command on ``ai/command``."""

    def __init__(self, bus: Bus, drops: Drops, world: EmbeddedWorld, policy: ModelPolicy) -> None:
        self.world = world
        self.policy = policy
        self.rate_hz = RATE_HZ
        self.camera = Camera(
            world.network, CameraSpec(width=IMAGE.source_size[0], height=IMAGE.source_size[1])
        )
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops)
        self._pub = bus.publisher(AI_COMMAND.topic)
        self._enc = Encoder(AI_COMMAND, "lane-keeper")
        self.spec = NodeSpec(
            "lane-keeper",
            inputs=(Port("state", VEHICLE_STATE.topic),),
            outputs=(Port("command", AI_COMMAND.topic, RATE_HZ),),
        )
        self.speed: float | None = None
        self.cruise_speed = CRUISE
        """Set by the scenario, as on any stack."""
        self._frame = 0

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        msg = self._state.latest()
        if msg is not None:
            self.speed = msg["speed"]
        if self.speed is None:
            return
        state, _ = self.world.actor_state()
        frame = camera_frame(self.camera, self.world.network, state)
        steer, throttle, brake = self.policy.command(
            frame, {"speed": self.speed, "cruise_speed": self.cruise_speed}
        )
        fields = {"steering_wheel_angle": steer, "throttle": throttle, "brake": brake, "gear": 1}
        self._pub.send(
            self._enc.encode(t_sim_ns, t_sim_ns, {**fields, "frame_id": self._frame, "inference_ns": 0})
        )
        self._frame += 1


class LaneObserver:
    """Measures the ego's lane offset and speed from ``vehicle/state`` at ``RATE_HZ`` (an observer;
    changes nothing). ``offset``: the box centre ahead of the state's reference point [m]."""

    def __init__(self, bus: Bus, drops: Drops, offset: float) -> None:
        self.offset = offset
        self.rate_hz = RATE_HZ
        self.lane: LaneKeeping | None = None
        """Set when the scenario's Init places the ego."""
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops)
        self.spec = NodeSpec("lane-observer", inputs=(Port("state", VEHICLE_STATE.topic),))

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        msg = self._state.latest()
        if self.lane is not None and msg is not None:
            c, s = math.cos(msg["yaw"]), math.sin(msg["yaw"])
            self.lane.measure(msg["x"] + self.offset * c, msg["y"] + self.offset * s, msg["speed"])


def evaluate_scenario(
    scenario: Path,
    manifest: Path | None,
    interpolation: int = cv2.INTER_AREA,
    params: dict[str, str] | None = None,
) -> Result:
    """Drive ``scenario`` with the model (or, without a manifest, the built-in stack) as the ego's
    stack, built as a batch run is built (:func:`dil.run.build.build`): scenario engine (100 Hz),
    world (50 Hz), stack, vehicle (100 Hz, 10 physics steps a tick), KPIs, on the simulated clock,
    with a 120 s time guard."""
    from dil.run.build import build
    from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
    from dil.run.stacks import STACKS, Driving, RunContext, StackEntry

    def model_stack(ctx: RunContext) -> Driving:
        assert manifest is not None
        node = ModelNode(ctx.bus, ctx.drops, ctx.world, ModelPolicy.open(manifest, interpolation))
        return Driving(node=node, sensors=False, target=node)

    stacks = {**STACKS, "model": StackEntry("model", "the lane-keeping model in this process", model_stack)}
    observers: list[LaneObserver] = []
    contexts: list[RunContext] = []

    def observe(ctx: RunContext) -> LaneObserver:
        from dil.run.ego import box_offset

        contexts.append(ctx)
        observers.append(LaneObserver(ctx.bus, ctx.drops, box_offset(ctx.vehicle)))
        return observers[0]

    def placed(x: float, y: float, yaw: float, speed: float) -> None:
        scen, net = contexts[0].scenario, contexts[0].network
        ego = scen.entities[scen.ego]
        cx, cy = x + ego.centre_x * math.cos(yaw), y + ego.centre_x * math.sin(yaw)
        pos = net.locate(cx, cy)
        observers[0].lane = LaneKeeping(net, Course(scen.road_file.name, pos.road, pos.lane, pos.s))

    spec = RunSpec(
        ScenarioChoice(scenario, dict(params or {})),
        DriverChoice("builtin" if manifest is None else "model"),
        timing=Timing(max_time=120.0),
    )
    with build(spec, stacks=stacks, observers=[observe], on_ego_placed=placed) as built:
        report = built.loop.run(round(built.max_time * 1000))
        engine, kpi = built.engine, built.kpi
    if report.error:
        raise RuntimeError(f"{scenario}: the run stopped with an error: {report.error}")
    observer = observers[0]
    assert observer.lane is not None
    k = kpi.kpis
    driver = "built-in" if manifest is None else "model"
    name = scenario.stem + "".join(f" {k}={v}" for k, v in (params or {}).items())
    return result(name, driver, observer.lane, k.lane_invasions, k.off_road, engine.ended or "time limit")


def evaluate_course(course: Course, manifest: Path | None, name: str) -> Result:
    """Drive ``course`` with the model (or, without a manifest, the built-in stack)."""
    h = Harness(network_of(course.network), camera_of(course.network))
    if manifest is None:
        lane = h.drive(course, lambda frame, speed, label: label)
    else:
        policy = ModelPolicy.open(manifest)
        lane = h.drive(
            course,
            lambda frame, speed, label: policy.command(
                frame, {"speed": speed, "cruise_speed": course.cruise}
            ),
        )
    events = [e.kind for e in h.world_node.events]
    end = "lost" if lane.lost else ("road end" if lane.done else "time limit")
    driver = "built-in" if manifest is None else "model"
    return result(name, driver, lane, events.count("lane_invasion"), events.count("off_road"), end)


COURSES = {
    "rural.xodr lane 1 (other way)": Course("rural.xodr", "1", 1, 635.0, seconds=40.0),
    "rural.xodr lane -1, start 0.6 m left": Course("rural.xodr", "1", -1, 10.0, offset=0.6, seconds=40.0),
    "highway.xodr lane -2 (straight)": Course("highway.xodr", "1", -2, 50.0, seconds=30.0),
    "highway.xodr lane -1, 100 km/h from 80": Course(
        "highway.xodr", "1", -1, 50.0, speed=80.0 / 3.6, seconds=30.0, cruise=100.0 / 3.6
    ),
}


def evaluate(manifest: Path, baseline: bool = True) -> list[Result]:
    """The catalog's lane-keeping scenario (resizing frames with either interpolation, and at 50 and
    90 km/h), then the courses in ``COURSES``; each also with the built-in stack for comparison."""
    rural = SCENARIOS / "lane_keeping_rural.xosc"
    results = [evaluate_scenario(rural, manifest)]
    linear = evaluate_scenario(rural, manifest, cv2.INTER_LINEAR)
    linear.driver += " (linear resize)"
    results.append(linear)
    if baseline:
        results.append(evaluate_scenario(rural, None))
    for kmh in ("50", "90"):  # the scenario's own speed parameter: the model holds what it asks
        results.append(evaluate_scenario(rural, manifest, params={"EgoSpeed": kmh}))
        if baseline:
            results.append(evaluate_scenario(rural, None, params={"EgoSpeed": kmh}))
    for name, course in COURSES.items():
        results.append(evaluate_course(course, manifest, name))
        if baseline:
            results.append(evaluate_course(course, None, name))
    return results


def format_table(columns: tuple[str, ...], rows: list[tuple]) -> str:
    widths = [max(len(str(r[i])) for r in [columns, *rows]) for i in range(len(columns))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in [columns, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
