"""OSI ``GroundTruth`` to dil's messages: ``world/actors``, the ego's ``vehicle/state`` and the
``sensor/objects`` and ``sensor/lanes`` a driving stack reads, with a report of which OSI fields were
used, which were missing and what that disables.

The host vehicle becomes dil's actor 0; other objects get dil ids 1, 2, ... in order of first
appearance, kept while they come and go. Positions are OSI's box centres; z goes back to the ground
(minus half the height). An object's speed is its velocity along its heading; without velocities,
speeds, accelerations and yaw rates come from differences between messages. The ego's
``vehicle/state`` is of its box centre (the reference point of a foreign trace is not known).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from osi3.osi_groundtruth_pb2 import GroundTruth
from osi3.osi_lane_pb2 import Lane
from osi3.osi_object_pb2 import MovingObject

from dil.bus.messages import VEHICLE_STATE
from dil.world.actors import (
    A_ALIVE,
    A_HEIGHT,
    A_KIND,
    A_LENGTH,
    A_SIZE,
    A_SPEED,
    A_WIDTH,
    A_X,
    A_Y,
    A_YAW,
    A_Z,
    ActorKind,
)
from dil.world.sensors import ObjectList

_KINDS = {k.label: k for k in ActorKind}

_CONSEQUENCES = {
    "host_vehicle_id": "the first moving object is taken as the ego",
    "base.velocity": "speeds from position differences",
    "base.acceleration": "the ego's acceleration (deceleration, jerk KPIs) from speed differences",
    "base.orientation_rate": "yaw rates from heading differences",
    "base.dimension": "default box sizes: distances, TTC and collisions are approximate",
    "lane": "no lanes: no sensor/lanes, so no lane keeping by a stack and no lane-departure KPI",
    "vehicle_classification": "objects without a type are taken as cars",
}


@dataclass
class MappingReport:
    used: set[str] = field(default_factory=set)
    missing: dict[str, int] = field(default_factory=dict)
    """Field -> messages (or objects) without it."""
    frames: int = 0
    objects: int = 0
    appeared: int = 0
    """Objects first seen after the first message."""
    vanished: int = 0
    """Objects gone before the last message."""
    ignored: set[str] = field(default_factory=set)
    departure_lanes: int = 0
    """Lane areas (between left and right boundaries) that lane departures are computed from."""
    lanes_without_boundaries: int = 0
    lane_invasions: int = 0
    off_road: int = 0

    def miss(self, name: str) -> None:
        self.missing[name] = self.missing.get(name, 0) + 1

    def text(self) -> str:
        lines = [f"OSI mapping: {self.frames} GroundTruth messages, {self.objects} objects"]
        lines.append("  used: " + ", ".join(sorted(self.used)))
        for name, n in sorted(self.missing.items()):
            lines.append(f"  missing: {name} ({n} x): {_CONSEQUENCES.get(name, 'not used')}")
        if self.ignored:
            lines.append("  present but not used: " + ", ".join(sorted(self.ignored)))
        if self.appeared or self.vanished:
            lines.append(
                f"  {self.appeared} objects appear after the start, {self.vanished} vanish before the end "
                "(absent from world/actors while gone)"
            )
        if self.departure_lanes:
            left_out = (
                f", {self.lanes_without_boundaries} lanes without boundaries left out"
                if self.lanes_without_boundaries
                else ""
            )
            lines.append(
                f"  lane departures: from {self.departure_lanes} lane areas between their lane_boundary "
                f"lines{left_out}: {self.lane_invasions} lane invasions, {self.off_road} off road (host)"
            )
        else:
            lines.append(
                "  lane departures: not computed (no lanes with lane_boundary lines in the trace): "
                "no lane-invasion or off-road events"
            )
        return "\n".join(lines)


def _wrap(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi


class Mapper:
    def __init__(self, objects_range_m: float = 150.0, lanes_range_m: float = 80.0) -> None:
        self.report = MappingReport()
        self._ids: dict[int, int] = {}
        self._prev: dict[int, tuple[int, float, float, float, float]] = {}
        """dil id -> (t_ns, x, y, yaw, speed)."""
        self._ego_prev: tuple[int, float, float] | None = None
        """(t_ns, vx, vy) of the ego in its frame."""
        self._lanes: list[tuple[str, np.ndarray]] = []
        self._objects = ObjectList(range_m=objects_range_m)
        self._lanes_range = lanes_range_m
        self._last_seen: set[int] = set()
        self._first = True

    def frame(self, t_ns: int, gt: GroundTruth) -> tuple[list[dict], dict, dict, dict | None] | None:
        """``(world/actors records, vehicle/state fields, sensor/objects fields, sensor/lanes fields
        or None)``; None when the host vehicle is not in the message."""
        r = self.report
        r.frames += 1
        if gt.lane:
            self._lanes = [(str(ln.id.value), self._lane_points(ln)) for ln in gt.lane]
            r.used.add("lane")
        if not self._lanes:
            r.miss("lane")
        if gt.lane_boundary:
            r.used.add("lane_boundary")
        for name in ("traffic_sign", "traffic_light", "road_marking", "occupant"):
            if len(getattr(gt, name)):
                r.ignored.add(name)
        if gt.HasField("host_vehicle_id"):
            host = gt.host_vehicle_id.value
            r.used.add("host_vehicle_id")
        else:
            r.miss("host_vehicle_id")
            host = gt.moving_object[0].id.value if gt.moving_object else -1
        if not any(o.id.value == host for o in gt.moving_object):
            return None
        self._ids.setdefault(host, 0)
        actors: list[dict] = []
        ego_obj = None
        for o in list(gt.moving_object) + list(gt.stationary_object):
            moving = isinstance(o, MovingObject)
            oid = o.id.value
            if oid not in self._ids:
                self._ids[oid] = len(self._ids)
                if not self._first:
                    r.appeared += 1
            aid = self._ids[oid]
            rec = self._record(t_ns, aid, o, moving)
            if aid == 0:
                ego_obj = o
                actors.insert(0, rec)
            else:
                actors.append(rec)
        r.objects = len(self._ids)
        seen = {a["id"] for a in actors}
        r.vanished += len(self._last_seen - seen)
        self._last_seen = seen
        self._first = False
        state = self._state(t_ns, ego_obj, actors[0])
        table = np.zeros((len(actors), A_SIZE))
        for i, a in enumerate(actors):
            table[i, [A_X, A_Y, A_Z, A_YAW, A_SPEED, A_LENGTH, A_WIDTH, A_HEIGHT]] = (
                a["x"], a["y"], a["z"], a["yaw"], a["speed"], a["length"], a["width"], a["height"],
            )  # fmt: skip
            table[i, A_KIND] = int(_KINDS[a["kind"]])
            table[i, A_ALIVE] = 1.0
        objects = self._objects.measure(table, len(actors))
        lanes = self._lane_message(actors[0]) if self._lanes else None
        return actors, state, objects, lanes

    def _record(self, t_ns: int, aid: int, o: object, moving: bool) -> dict:
        r = self.report
        b = o.base  # type: ignore[attr-defined]
        if b.HasField("dimension"):
            r.used.add("base.dimension")
            length, width, height = b.dimension.length, b.dimension.width, b.dimension.height
        else:
            r.miss("base.dimension")
            length, width, height = 4.6, 1.85, 1.45
        yaw = b.orientation.yaw
        x, y, z = b.position.x, b.position.y, b.position.z - 0.5 * height
        r.used.update(("base.position", "base.orientation"))
        if moving:
            if o.type == MovingObject.TYPE_PEDESTRIAN:  # type: ignore[attr-defined]
                kind = "pedestrian"
            elif o.HasField("vehicle_classification"):  # type: ignore[attr-defined]
                r.used.add("vehicle_classification")
                bike = o.vehicle_classification.type == MovingObject.VehicleClassification.TYPE_BICYCLE  # type: ignore[attr-defined]
                kind = "cyclist" if bike else "vehicle"
            else:
                r.miss("vehicle_classification")
                kind = "vehicle"
            if b.HasField("velocity"):
                r.used.add("base.velocity")
                speed = b.velocity.x * math.cos(yaw) + b.velocity.y * math.sin(yaw)
            else:
                r.miss("base.velocity")
                p = self._prev.get(aid)
                speed = 0.0
                if p is not None and t_ns > p[0]:
                    dt = (t_ns - p[0]) * 1e-9
                    speed = ((x - p[1]) * math.cos(yaw) + (y - p[2]) * math.sin(yaw)) / dt
        else:
            kind, speed = "object", 0.0
        self._prev[aid] = (t_ns, x, y, yaw, speed)
        return {
            "id": aid,
            "kind": kind,
            "name": f"osi-{o.id.value}",  # type: ignore[attr-defined]
            "x": x,
            "y": y,
            "z": z,
            "yaw": yaw,
            "speed": speed,
            "length": length,
            "width": width,
            "height": height,
        }

    def _state(self, t_ns: int, o: MovingObject, ego: dict) -> dict:
        r = self.report
        b = o.base
        yaw = ego["yaw"]
        c, s = math.cos(yaw), math.sin(yaw)
        if b.HasField("velocity"):
            vx = b.velocity.x * c + b.velocity.y * s
            vy = -b.velocity.x * s + b.velocity.y * c
        else:
            vx, vy = ego["speed"], 0.0
        prev = self._ego_prev
        if b.HasField("acceleration"):
            r.used.add("base.acceleration")
            ax = b.acceleration.x * c + b.acceleration.y * s
            ay = -b.acceleration.x * s + b.acceleration.y * c
        else:
            r.miss("base.acceleration")
            ax = ay = 0.0
            if prev is not None and t_ns > prev[0]:
                dt = (t_ns - prev[0]) * 1e-9
                ax, ay = (vx - prev[1]) / dt, (vy - prev[2]) / dt
        self._ego_prev = (t_ns, vx, vy)
        if b.HasField("orientation_rate"):
            r.used.add("base.orientation_rate")
            yaw_rate = b.orientation_rate.yaw
        else:
            r.miss("base.orientation_rate")
            yaw_rate = 0.0
        st = {f.name: 0.0 for f in VEHICLE_STATE.fields}
        st.update(
            x=ego["x"], y=ego["y"], z=ego["z"], roll=b.orientation.roll, pitch=b.orientation.pitch, yaw=yaw,
            vx=vx, vy=vy, yaw_rate=yaw_rate, ax=ax, ay=ay, speed=math.hypot(vx, vy),
        )  # fmt: skip
        st["gear"] = 1
        return st

    @staticmethod
    def _lane_points(ln: Lane) -> np.ndarray:
        c = ln.classification
        pts = np.array([(p.x, p.y) for p in c.centerline]).reshape(-1, 2)
        if c.HasField("centerline_is_driving_direction") and not c.centerline_is_driving_direction:
            pts = pts[::-1]
        kind = c.type
        return (
            pts
            if kind in (Lane.Classification.TYPE_DRIVING, Lane.Classification.TYPE_INTERSECTION)
            else pts[:0]
        )

    def _lane_message(self, ego: dict) -> dict:
        c, s = math.cos(ego["yaw"]), math.sin(ego["yaw"])
        out = []
        for lane_id, pts in self._lanes:
            if len(pts) < 2:
                continue
            dx, dy = pts[:, 0] - ego["x"], pts[:, 1] - ego["y"]
            near = np.hypot(dx, dy) <= self._lanes_range
            if near.sum() < 2:
                continue
            xs, ys = dx[near] * c + dy[near] * s, -dx[near] * s + dy[near] * c
            flat = np.empty(2 * xs.size)
            flat[0::2], flat[1::2] = xs, ys
            out.append({"road": lane_id, "lane": -1, "type": "driving", "points": flat.tolist()})
        return {"lanes": out}
