"""An OSI ground-truth trace as a dil log, so that everything that reads dil logs reads it: KPIs and
verdicts (``score_log``, the same observer as a live run), reports, playback on the bus, and
open-loop regression of the built-in stack (which sees the trace's objects and lanes; its
commands are recorded in the log and summarised).

Each GroundTruth becomes, at its timestamp: ``world/actors``, the ego's ``vehicle/state``,
``sensor/objects`` and (with lanes) ``sensor/lanes``, and ``world/events``: a collision when the
ego's box first overlaps another (the embedded world's own box test), and lane invasions and
leaving the road from the trace's lanes and lane boundaries (:mod:`dil.osi.departures`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import msgpack
import numpy as np

import vehicle_models
from dil.bus.codec import Encoder
from dil.bus.inbox import Drops
from dil.bus.messages import AI_COMMAND, VEHICLE_STATE, WORLD_ACTORS, WORLD_EVENTS, sensor_schema
from dil.bus.transport import LocalBus
from dil.realtime.clock import SimClock
from dil.recording.recorder import Recorder
from dil.world.collision import boxes_overlap

from .departures import LaneDepartures
from .mapping import Mapper, MappingReport
from .trace import TraceWarnings, read_ground_truth


@dataclass
class OpenLoopSummary:
    commands: int = 0
    max_brake: float = 0.0
    first_brake_s: float | None = None
    """First command with the brake above 0.1."""
    max_abs_steering: float = 0.0
    """[rad] at the steering wheel."""

    def text(self) -> str:
        first = "never" if self.first_brake_s is None else f"t = {self.first_brake_s:.2f} s"
        return (
            f"open loop: {self.commands} built-in stack commands recorded; brake above 0.1 first at {first}, "
            f"max brake {self.max_brake:.2f}, max |steering wheel| {self.max_abs_steering:.3f} rad"
        )


@dataclass
class Conversion:
    log: Path
    frames: int
    mapping: MappingReport
    warnings: TraceWarnings
    open_loop: OpenLoopSummary | None = None
    skipped_no_host: int = 0
    notes: list[str] = field(default_factory=list)


def trace_to_log(
    trace: str | Path, out: str | Path, *, topic: str | None = None, open_loop: bool = False
) -> Conversion:
    """Write ``trace`` as the dil log ``out``; with ``open_loop`` the built-in stack (lane keeping and
    emergency braking, its set speed the ego's speed in the trace) runs on it at 50 Hz."""
    trace, out = Path(trace), Path(out)
    bus = LocalBus()
    now = [0]
    recorder = Recorder(out, lambda: now[0])
    bus.tap(recorder)
    obj_schema, lane_schema = sensor_schema("objects", "objects"), sensor_schema("lanes", "lanes")
    pubs = {s.topic: (bus.publisher(s.topic), Encoder(s, "osi")) for s in
            (WORLD_ACTORS, VEHICLE_STATE, WORLD_EVENTS, obj_schema, lane_schema)}  # fmt: skip
    stack = commands = None
    if open_loop:
        from dil.stack.builtin import BuiltinStack, StackParameters

        # lane keeping and emergency braking at the trace's speed, no cruise control: what the stack
        # would do about the situation, not how it would follow the trace's traffic
        stack = BuiltinStack(
            bus, Drops(), SimClock(), vehicle_models.load("sedan_bmw320i"), params=StackParameters(acc=False)
        )
        commands = bus.subscriber(AI_COMMAND.topic)
    mapper = Mapper()
    departures = LaneDepartures()
    warnings = TraceWarnings()
    conv = Conversion(out, 0, mapper.report, warnings)
    summary = OpenLoopSummary() if open_loop else None
    collided: set[int] = set()
    period = 20_000_000
    next_stack = None
    try:
        for t, gt in read_ground_truth(trace, warnings, topic):
            mapped = mapper.frame(t, gt)
            if mapped is None:
                conv.skipped_no_host += 1
                warnings.add(
                    "host vehicle missing",
                    f"{trace}: message at t = {t * 1e-9:.3f} s: the host vehicle (field host_vehicle_id) "
                    "is not among its moving objects (message skipped)",
                )
                continue
            actors, state, objects, lanes = mapped
            now[0] = t
            if gt.lane:
                departures.update_lanes(gt)
                mapper.report.departure_lanes = len(departures.areas)
                mapper.report.lanes_without_boundaries = departures.lanes_without_boundaries

            def send(topic_: str, fields: dict, t_: int = t) -> None:
                pub, enc = pubs[topic_]
                pub.send(enc.encode(t_, t_, fields))

            for event in _collisions(actors, collided) + departures.step(actors[0]):
                if event["kind"] == "lane_invasion":
                    mapper.report.lane_invasions += 1
                elif event["kind"] == "off_road":
                    mapper.report.off_road += 1
                send(WORLD_EVENTS.topic, event)
            send(WORLD_ACTORS.topic, {"actors": actors})
            send(obj_schema.topic, objects)
            if lanes is not None:
                send(lane_schema.topic, lanes)
            send(VEHICLE_STATE.topic, state)
            conv.frames += 1
            if stack is not None and commands is not None and summary is not None:
                # the set speed follows the trace: the stack's own braking and steering are what is scored
                stack.cruise_speed = state["speed"]
                if next_stack is None:
                    next_stack = t
                if t >= next_stack:
                    stack.tick(t)
                    next_stack = t + period
                    while (frame := commands.recv()) is not None:
                        cmd = msgpack.unpackb(frame[frame.index(b"\0") + 1 :])
                        summary.commands += 1
                        summary.max_brake = max(summary.max_brake, cmd["brake"])
                        summary.max_abs_steering = max(
                            summary.max_abs_steering, abs(cmd["steering_wheel_angle"])
                        )
                        if summary.first_brake_s is None and cmd["brake"] > 0.1:
                            summary.first_brake_s = t * 1e-9
    finally:
        recorder.metadata(
            "dil.run",
            {"scenario": str(trace), "source": "ASAM OSI ground-truth trace", "model": "osi-trace",
             "stack": "builtin" if open_loop else "none", "vehicle": "sedan_bmw320i", "ego": "host vehicle"},
        )  # fmt: skip
        recorder.close({"end": "end of the OSI trace", "osi_frames": str(conv.frames)})
    conv.open_loop = summary
    return conv


def _collisions(actors: list[dict], collided: set[int]) -> list[dict]:
    """world/events fields of collisions of the ego that begin now."""
    ego = actors[0]
    eb = np.array([ego["x"], ego["y"], ego["yaw"], ego["length"], ego["width"]])
    out = []
    for a in actors[1:]:
        if a["id"] in collided:
            continue
        ab = np.array([a["x"], a["y"], a["yaw"], a["length"], a["width"]])
        if boxes_overlap(eb, ab):
            collided.add(a["id"])
            rel = ego["speed"] - a["speed"] * math.cos(a["yaw"] - ego["yaw"])
            out.append(
                {"kind": "collision", "actor_id": 0, "other_id": a["id"], "x": ego["x"], "y": ego["y"],
                 "relative_speed": max(0.0, rel), "detail": f"with {a['name']}"}
            )  # fmt: skip
    return out
