"""dil's ground truth of one world tick as an OSI ``GroundTruth`` message.

Inputs are the fields of ``world/actors`` (every actor's bounding-box centre on the ground, heading,
speed and size) and, for the ego vehicle, ``vehicle/state`` (the vehicle model's reference point:
the centre of gravity, or the rear axle for the kinematic model). OSI wants, in the world frame
(x, y, z in metres, angles in radians, counter-clockwise from x):

- ``base.position``: the centre of the 3D bounding box, so z is the ground height under the actor
  plus half its height;
- ``base.velocity``, ``base.acceleration``: of that centre, in the world frame. The ego's come from
  its state moved from the reference point to the box centre, ``d`` metres ahead of it:
  ``v_C = v_R + omega x r`` and ``a_C = a_R + alpha x r + omega x (omega x r)`` with ``r = (d, 0)``;
  other actors move along their heading, so their velocity is the speed along it and their
  acceleration and yaw rate are differences between consecutive ticks;
- ``base.orientation``, ``base.orientation_rate``: roll, pitch, yaw and their rates.

Ids: an actor's OSI id is its dil id + 1 (the ego, dil's actor 0, is OSI id 1); lanes and lane
boundaries use :mod:`dil.osi.lanes`'s ranges. Lanes and boundaries go into the first message only
(written once); moving objects refer to them by id (``assigned_lane_id``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import osi3
from osi3.osi_groundtruth_pb2 import GroundTruth
from osi3.osi_object_pb2 import MovingObject, StationaryObject

from dil.road.lookup import R_INSIDE, R_LANE, R_ROAD, R_S, R_SIZE
from dil.road.network import RoadNetwork

from .lanes import OsiLanes

OSI_VERSION = tuple(int(p) for p in osi3.__version__.split(".")[:3])
"""The OSI version of the bindings in use (major, minor, patch)."""

ID_OFFSET = 1
"""OSI id = dil actor id + ID_OFFSET."""

_VC = MovingObject.VehicleClassification
_LIGHTS = _VC.LightState


@dataclass(frozen=True)
class EgoGeometry:
    """Where the ego's reference point, axles and wheels are relative to its bounding-box centre."""

    offset: float
    """Box centre ahead of the vehicle model's reference point [m]."""
    half_wheelbase: float
    """Front axle ahead of (and rear axle behind) the box centre [m]."""
    track_front: float = 1.6
    """[m]"""
    track_rear: float = 1.6
    """[m]"""
    wheel_radius: float = 0.32
    """[m]"""

    @staticmethod
    def of(vehicle_params: object, model: str) -> EgoGeometry:
        """From a vehicle parameter set (``vehicle_models`` parameters) and the model's name."""
        c = vehicle_params.chassis  # type: ignore[attr-defined]
        a, b = c.cg_to_front_axle, c.cg_to_rear_axle
        offset = 0.5 * (a + b) if model == "kinematic" else 0.5 * (a - b)
        radius = getattr(getattr(vehicle_params, "tyres", None), "radius", 0.32)
        return EgoGeometry(offset, 0.5 * (a + b), c.track_front, c.track_rear, radius)


def _wrap(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi


class GroundTruthBuilder:
    """Builds one ``GroundTruth`` per world tick; keeps what it needs from the previous tick.

    ``lanes``: the network's lanes and boundaries (written into the first message); ``net``: to
    assign each moving object to its lane; ``ego``: the ego's geometry (None: the ego is treated
    like any other actor, its reference point being the box centre); ``map_reference``: the
    OpenDRIVE file the lanes come from.
    """

    def __init__(
        self,
        lanes: OsiLanes | None = None,
        net: RoadNetwork | None = None,
        ego: EgoGeometry | None = None,
        map_reference: str = "",
    ) -> None:
        self.map_reference = map_reference
        self.lanes = lanes
        self.net = net
        self.ego = ego
        self._static_sent = False
        self._prev: dict[int, tuple[int, float, float, float]] = {}
        """Actor id -> (t_ns, vx, vy, yaw) at the previous tick."""
        self._prev_yaw_rate: tuple[int, float] | None = None
        self._xy = np.zeros((64, 2))
        self._where = np.zeros((64, R_SIZE))
        self._found = np.zeros(64, np.int64)

    def build(self, t_ns: int, actors: list[dict], state: dict | None = None) -> GroundTruth:
        """The ground truth at ``t_ns`` of the ``world/actors`` records ``actors`` (ego first, id 0)
        and the ego's latest ``vehicle/state`` fields ``state``."""
        gt = GroundTruth()
        gt.version.version_major, gt.version.version_minor, gt.version.version_patch = OSI_VERSION
        gt.timestamp.seconds, gt.timestamp.nanos = divmod(int(t_ns), 1_000_000_000)
        gt.host_vehicle_id.value = ID_OFFSET
        if not self._static_sent and self.lanes is not None:
            gt.lane.extend(self.lanes.lanes)
            gt.lane_boundary.extend(self.lanes.boundaries)
            if self.map_reference:
                gt.map_reference = self.map_reference
        self._static_sent = True
        prev = self._prev
        seen: dict[int, tuple[int, float, float, float]] = {}
        for a in actors:
            aid = a["id"]
            if a["kind"] == "object":
                self._stationary(gt.stationary_object.add(), a)
                continue
            o = gt.moving_object.add()
            o.id.value = aid + ID_OFFSET
            b = o.base
            b.dimension.length, b.dimension.width, b.dimension.height = a["length"], a["width"], a["height"]
            yaw = a["yaw"]
            b.position.x, b.position.y, b.position.z = a["x"], a["y"], a["z"] + 0.5 * a["height"]
            b.orientation.yaw = yaw
            c, s = math.cos(yaw), math.sin(yaw)
            if aid == 0 and state is not None:
                vx, vy = self._ego_motion(o, t_ns, state, c, s)
            else:
                vx, vy = a["speed"] * c, a["speed"] * s
                b.velocity.x, b.velocity.y = vx, vy
                p = prev.get(aid)
                if p is not None and t_ns > p[0]:
                    dt = (t_ns - p[0]) * 1e-9
                    b.acceleration.x, b.acceleration.y = (vx - p[1]) / dt, (vy - p[2]) / dt
                    b.orientation_rate.yaw = _wrap(yaw - p[3]) / dt
            seen[aid] = (t_ns, vx, vy, yaw)
            kind = a["kind"]
            if kind == "pedestrian":
                o.type = MovingObject.TYPE_PEDESTRIAN
            else:
                o.type = MovingObject.TYPE_VEHICLE
                vc = o.vehicle_classification
                vc.type = _VC.TYPE_BICYCLE if kind == "cyclist" else _VC.TYPE_CAR
                vc.role = _VC.ROLE_CIVIL
        self._prev = seen
        if self.net is not None and self.lanes is not None:
            self._assign_lanes(gt, actors)
        return gt

    def _ego_motion(self, o: MovingObject, t_ns: int, st: dict, c: float, s: float) -> tuple[float, float]:
        b = o.base
        d = self.ego.offset if self.ego is not None else 0.0
        w = st["yaw_rate"]
        alpha = 0.0
        if self._prev_yaw_rate is not None and t_ns > self._prev_yaw_rate[0]:
            alpha = (w - self._prev_yaw_rate[1]) / ((t_ns - self._prev_yaw_rate[0]) * 1e-9)
        self._prev_yaw_rate = (t_ns, w)
        # the box centre's velocity and acceleration in the vehicle frame, then in the world frame
        u, v = st["vx"], st["vy"] + w * d
        ax, ay = st["ax"] - w * w * d, st["ay"] + alpha * d
        vx, vy = u * c - v * s, u * s + v * c
        b.velocity.x, b.velocity.y, b.velocity.z = vx, vy, st["vz"]
        b.acceleration.x, b.acceleration.y = ax * c - ay * s, ax * s + ay * c
        b.orientation.roll, b.orientation.pitch = st["roll"], st["pitch"]
        b.orientation_rate.roll = st["roll_rate"]
        b.orientation_rate.pitch = st["pitch_rate"]
        b.orientation_rate.yaw = w
        if self.ego is not None:
            g = self.ego
            h = o.base.dimension.height
            va = o.vehicle_attributes
            va.number_wheels = 4
            va.radius_wheel = g.wheel_radius
            va.steering_wheel_angle = st["steering_wheel_angle"]
            z = g.wheel_radius - 0.5 * h
            va.bbcenter_to_rear.x, va.bbcenter_to_rear.z = -g.half_wheelbase, z
            va.bbcenter_to_front.x, va.bbcenter_to_front.z = g.half_wheelbase, z
            # index counts right to left (along +y) on each axle, axle 0 is the front
            for axle, index, x, y, spin in (
                (0, 0, g.half_wheelbase, -0.5 * g.track_front, st["wheel_speed_fr"]),
                (0, 1, g.half_wheelbase, 0.5 * g.track_front, st["wheel_speed_fl"]),
                (1, 0, -g.half_wheelbase, -0.5 * g.track_rear, st["wheel_speed_rr"]),
                (1, 1, -g.half_wheelbase, 0.5 * g.track_rear, st["wheel_speed_rl"]),
            ):
                wd = va.wheel_data.add()
                wd.axle, wd.index = axle, index
                wd.position.x, wd.position.y, wd.position.z = x, y, z
                wd.wheel_radius = g.wheel_radius
                wd.rotation_rate = spin
                if axle == 0:
                    wd.orientation.yaw = st["road_wheel_angle"]
        lights = o.vehicle_classification.light_state
        lights.brake_light_state = (
            _LIGHTS.BRAKE_LIGHT_STATE_NORMAL if st["brake"] > 0.01 else _LIGHTS.BRAKE_LIGHT_STATE_OFF
        )
        lights.reversing_light = (
            _LIGHTS.GENERIC_LIGHT_STATE_ON if st["gear"] < 0 else _LIGHTS.GENERIC_LIGHT_STATE_OFF
        )
        return vx, vy

    @staticmethod
    def _stationary(o: StationaryObject, a: dict) -> None:
        o.id.value = a["id"] + ID_OFFSET
        b = o.base
        b.dimension.length, b.dimension.width, b.dimension.height = a["length"], a["width"], a["height"]
        b.position.x, b.position.y, b.position.z = a["x"], a["y"], a["z"] + 0.5 * a["height"]
        b.orientation.yaw = a["yaw"]
        o.classification.type = StationaryObject.Classification.TYPE_OTHER

    def _assign_lanes(self, gt: GroundTruth, actors: list[dict]) -> None:
        """Each moving object's lane, all looked up in one call."""
        net, lanes = self.net, self.lanes
        assert net is not None and lanes is not None
        moving = [a for a in actors if a["kind"] != "object"]
        n = len(moving)
        if n > len(self._xy):
            self._xy, self._where, self._found = (
                np.zeros((n, 2)),
                np.zeros((n, R_SIZE)),
                np.zeros(n, np.int64),
            )
        for i, a in enumerate(moving):
            self._xy[i, 0], self._xy[i, 1] = a["x"], a["y"]
        net.locate_many_into(self._xy[:n], self._where, self._found)
        roads = net.roads
        where, found = self._where[:n].tolist(), self._found[:n].tolist()  # plain floats: cheap to read
        for o, r, f in zip(gt.moving_object, where, found, strict=True):
            if not f or r[R_INSIDE] < 0.5:
                continue
            lane = lanes.lane_id(roads[int(r[R_ROAD])].id, int(r[R_LANE]), r[R_S])
            if lane is not None:
                o.moving_object_classification.assigned_lane_id.add().value = lane
