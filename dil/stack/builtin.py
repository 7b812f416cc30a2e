"""The built-in classical driving stack: lane keeping (pure pursuit on the lane centre line),
adaptive cruise (intelligent driver model) and autonomous emergency braking from time to
collision, with a warning stage. It sees only what sensors give (the world's object list and
lane geometry, the vehicle's own state) and commands the pedals and steering wheel like a
driver, on ``ai/command``. It is the reference AI stacks are compared with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dil.bus.codec import Encoder
from dil.bus.fixed import field_reader
from dil.bus.graph import NodeSpec, Port
from dil.bus.handoff import Outlet
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import AI_COMMAND, VEHICLE_STATE, sensor_schema
from dil.bus.transport import Bus
from dil.bus.values import NO_LANES, NO_OBJECTS, LaneSet, ObjectSet
from dil.realtime.clock import Clock, SimClock
from dil.road.tables import DRIVABLE
from vehicle_models import VehicleParameters

from .aeb import EmergencyBraking
from .control import C_SIZE, control_step, pack_parameters
from .kernels import lane_path_ahead


@dataclass(frozen=True)
class StackParameters:
    time_gap: float = 1.6
    """ACC time gap [s]."""
    min_gap: float = 3.0
    """Standstill distance to the lead vehicle [m]."""
    max_accel: float = 1.8
    """IDM acceleration [m/s^2]."""
    comfort_decel: float = 2.5
    """IDM comfortable deceleration [m/s^2]."""
    ttc_warning: float = 2.6
    """Forward collision warning below this time to collision [s]."""
    ttc_partial: float = 1.8
    """Partial emergency braking below this [s]."""
    ttc_full: float = 1.1
    """Full emergency braking below this [s]."""
    partial_decel: float = 4.0
    full_decel: float = 10.0
    lookahead_time: float = 0.9
    """Pure-pursuit look-ahead distance per m/s of speed [s]."""
    min_lookahead: float = 6.0
    corridor_half_width: float = 1.5
    """Objects whose box reaches within this of the ego's centre line are in its path [m]."""
    stop_margin: float = 2.0
    """Distance the emergency braking aims to stop short of the obstacle [m]."""
    standstill_hold: float = 3.0
    """How long the AEB holds the car after stopping it [s]."""
    ttc_hysteresis: float = 0.4
    """The warning ends, and fired braking may end, only once the time to collision is this much above
    the warning threshold [s]."""
    min_brake_time: float = 1.0
    """Emergency braking, once fired, and the warning last at least this long [s]."""
    acc: bool = True
    """Adaptive cruise: follow a slower lead. Off, the stack holds its cruise speed like a driver
    who does not react, and only the emergency braking acts (Euro NCAP AEB tests)."""


def idm_acceleration(
    v: float,
    v0: float,
    gap: float,
    v_lead: float,
    time_gap: float,
    min_gap: float,
    max_accel: float,
    comfort_decel: float,
) -> float:
    """Intelligent driver model: the acceleration [m/s^2] at speed ``v`` [m/s] towards the desired
    speed ``v0`` [m/s] behind a lead ``gap`` [m] ahead moving at ``v_lead`` [m/s] (``gap`` = inf:
    free road), keeping ``min_gap`` [m] plus ``time_gap`` [s] of travel; ``max_accel`` and
    ``comfort_decel`` [m/s^2] are the model's a and b. Shared by the stack and scenario controllers."""
    v0 = max(v0, 0.1)
    if not math.isfinite(gap):
        return max_accel * (1.0 - (v / v0) ** 4)
    dv = v - v_lead
    s_star = min_gap + max(0.0, v * time_gap + v * dv / (2.0 * math.sqrt(max_accel * comfort_decel)))
    return max_accel * (1.0 - (v / v0) ** 4 - (s_star / max(gap, 0.1)) ** 2)


def apply_overrides(
    cmd: tuple[float, float, float], overrides: dict[str, tuple[bool, float]], max_wheel: float
) -> tuple[float, float, float]:
    """A command (steering-wheel angle [rad], throttle 0..1, brake 0..1) with the active overrides in
    place: ``steering_wheel`` [rad, clamped to +-max_wheel], ``throttle``, ``brake`` (0..1); an
    active parking brake brakes fully and cuts the throttle, as does a neutral or park gear (<= 0)
    for the throttle."""
    steer, throttle, brake = cmd
    for control, (active, value) in overrides.items():
        if not active:
            continue
        if control == "steering_wheel":
            steer = max(-max_wheel, min(max_wheel, value))
        elif control == "throttle":
            throttle = min(max(value, 0.0), 1.0)
        elif control == "brake":
            brake = min(max(value, 0.0), 1.0)
        elif control == "parking_brake" and value > 0.0:
            throttle, brake = 0.0, 1.0
        elif control == "gear" and value <= 0.0:
            throttle = 0.0
    return steer, throttle, brake


class BuiltinStack:
    """Runs at ``rate_hz``; ``cruise_speed`` and ``target_lane`` are set by the scenario."""

    def __init__(
        self,
        bus: Bus,
        drops: Drops,
        clock: Clock,
        vehicle: VehicleParameters,
        *,
        rate_hz: float = 50.0,
        objects: str = "objects",
        lanes: str = "lanes",
        params: StackParameters | None = None,
        name: str = "builtin-stack",
    ) -> None:
        self.rate_hz = rate_hz
        self.clock = clock
        # a simulated clock's wall time is its epoch plus the simulated time: added here, no call
        self._epoch: int | None = clock.epoch_ns if type(clock) is SimClock else None
        self.wheelbase = vehicle.chassis.cg_to_front_axle + vehicle.chassis.cg_to_rear_axle
        self.ratio = vehicle.steering.ratio
        self.max_wheel = vehicle.steering.max_road_wheel_angle * vehicle.steering.ratio
        self.ego_length = vehicle.chassis.length
        self.cruise_speed = 0.0
        self.target_lane: tuple[str, int] | None = None
        obj_schema, lane_schema = sensor_schema(objects, "objects"), sensor_schema(lanes, "lanes")
        schemas = {
            obj_schema.topic: obj_schema,
            lane_schema.topic: lane_schema,
            VEHICLE_STATE.topic: VEHICLE_STATE,
        }
        self._objects = Inbox(bus.subscriber(obj_schema.topic, conflate=True), drops, schemas)
        self._lanes = Inbox(bus.subscriber(lane_schema.topic, conflate=True), drops, schemas)
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops)
        self._state_speed = field_reader(VEHICLE_STATE, ("speed",))
        # commands are checked in publish (plain numbers within bounds at a glance, else the schema's check)
        self._out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, name, check=False))
        by_name = {f.name: (f.lo, f.hi) for f in AI_COMMAND.fields}
        self._bounds = tuple(b for n in ("steering_wheel_angle", "throttle", "brake") for b in by_name[n])
        """Lowest and highest steering-wheel angle, throttle, brake, one after the other."""
        self.spec = NodeSpec(
            name,
            inputs=(
                Port("objects", obj_schema.topic),
                Port("lanes", lane_schema.topic),
                Port("state", VEHICLE_STATE.topic),
            ),
            outputs=(Port("command", AI_COMMAND.topic, rate_hz),),
        )
        self.schemas = {obj_schema.topic: obj_schema, lane_schema.topic: lane_schema}
        self._last_objects: ObjectSet = NO_OBJECTS
        self._last_lanes: LaneSet = NO_LANES
        self._speed: float | None = None
        """The ego's speed from the newest vehicle/state [m/s] (None before the first)."""
        # work arrays of the path ahead (grown to the largest lane message): each lane's use and target
        # flags and first row, the followed lane's points ahead [m] and their distances [m]
        self._use = self._target = self._first = np.zeros(0, dtype=np.int64)
        self._ahead, self._dist = np.zeros((0, 2)), np.zeros(0)
        self._path_n = -1
        """How many of the path's rows are valid (-1: to be worked out for the newest lanes)."""
        self._path_target: tuple[str, int] | None = None
        """The target lane the path was worked out for."""
        self._flags: tuple = ()
        """The lanes' types, roads and ids and the target lane that the use and target flags hold."""
        self._frame = 0
        self.emergency = EmergencyBraking(rate_hz)
        """Forward collision warning and emergency braking."""
        self._braking = self.emergency.state
        self._out_cmd = np.zeros(C_SIZE)
        self.p = params or StackParameters()
        self.overrides: dict[str, tuple[bool, float]] = {}
        """A scenario's OverrideControllerValueAction: control -> (active, value), see apply_overrides."""

    @property
    def p(self) -> StackParameters:
        """The stack's parameters (a scenario's controller may replace them during the run)."""
        return self._p

    @p.setter
    def p(self, params: StackParameters) -> None:
        self._p = params
        self._packed = pack_parameters(
            params, self.wheelbase, self.ratio, self.max_wheel, self.ego_length, self.emergency.dt
        )

    @property
    def warning(self) -> bool:
        """Forward collision warning active."""
        return self.emergency.warning

    @property
    def aeb(self) -> str:
        """Emergency braking stage: '', 'partial' or 'full'."""
        return self.emergency.stage

    @property
    def min_ttc(self) -> float:
        """Least time to collision seen [s]."""
        return self.emergency.min_ttc

    def start(self, t_sim_ns: int) -> None:
        """Load (or compile) the tick's kernels before the loop, on copies: nothing changes."""
        ahead, dist = self._ahead, self._dist
        lane_path_ahead(NO_LANES.points, NO_LANES.ends, self._use, self._target, self._first, ahead, dist)
        braking, out = self._braking.copy(), self._out_cmd.copy()
        control_step(NO_OBJECTS.rows, self._packed, braking, ahead, dist, 0, 0.0, 0.0, out)

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        """:meth:`command`, the scenario's overrides and :meth:`publish` in one call: the same
        commands and messages."""
        decided = self.command()
        if decided is None:
            return
        if self.overrides:
            self.publish(t_sim_ns, *apply_overrides(decided, self.overrides, self.max_wheel))
            return
        steer, throttle, brake = decided
        s_lo, s_hi, t_lo, t_hi, b_lo, b_hi = self._bounds
        if not (s_lo <= steer <= s_hi and t_lo <= throttle <= t_hi and b_lo <= brake <= b_hi):
            self.publish(t_sim_ns, steer, throttle, brake)  # the schema's whole check
            return
        # publish's common case: plain floats within bounds, valid as they are
        epoch = self._epoch
        wall = t_sim_ns + epoch if epoch is not None else self.clock.wall_ns(t_sim_ns)
        frame = self._frame
        # the fields in schema order: steering_wheel_angle, throttle, brake, gear, frame_id, inference_ns
        self._out.publish_fields(t_sim_ns, wall, (steer, throttle, brake, 1, frame, 0), True)
        self._frame = frame + 1

    def command(self) -> tuple[float, float, float] | None:
        """Read the sensors and decide: steering-wheel angle, throttle, brake (None before the
        first vehicle state)."""
        objects = self._objects.latest_value()  # from the world in this process: an array, no records
        if objects is not None:
            self._last_objects = (
                objects if type(objects) is ObjectSet else ObjectSet.from_fields(objects["objects"])
            )
        lanes = self._lanes.latest_value()  # from the world in this process: arrays, no lists
        if lanes is not None:
            self._last_lanes = lanes if type(lanes) is LaneSet else LaneSet.from_fields(lanes["lanes"])
            self._path_n = -1
        st = self._state.latest_value()  # in-process: the vehicle's values tuple (read by position)
        if st is not None:
            self._speed = float(self._state_speed(st))
        elif self._speed is None:
            return None
        if self._path_n < 0 or self._path_target != self.target_lane:
            self._path_ahead()
        out = self._out_cmd
        control_step(
            self._last_objects.rows,
            self._packed,
            self._braking,
            self._ahead,
            self._dist,
            self._path_n,
            self._speed,
            float(self.cruise_speed),
            out,
        )
        steer, throttle, brake = out.tolist()  # Python floats (one call; .item() each costs more)
        return steer, throttle, brake

    def publish(
        self, t_sim_ns: int, steer: float, throttle: float, brake: float, inference_ns: int = 0
    ) -> None:
        """Publish a command (steering-wheel angle [rad], pedals 0..1, the model's compute time [ns]);
        one the schema refuses raises :class:`~dil.bus.schema.MessageError` naming the field."""
        epoch = self._epoch
        wall = t_sim_ns + epoch if epoch is not None else self.clock.wall_ns(t_sim_ns)
        frame = self._frame
        s_lo, s_hi, t_lo, t_hi, b_lo, b_hi = self._bounds
        if not (  # plain floats within bounds (a NaN fails): valid as they are, vouched for readers
            type(steer) is float
            and type(throttle) is float
            and type(brake) is float
            and type(inference_ns) is int
            and s_lo <= steer <= s_hi
            and t_lo <= throttle <= t_hi
            and b_lo <= brake <= b_hi
            and inference_ns >= 0
        ):  # anything else gets the schema's whole check, as before the fast path
            enc = self._out.encoder
            AI_COMMAND.check(
                {"schema_version": AI_COMMAND.version, "seq": enc.seq, "t_sim_ns": t_sim_ns,
                 "t_wall_ns": wall, "source": enc.source, "steering_wheel_angle": steer,
                 "throttle": throttle, "brake": brake, "gear": 1, "frame_id": frame,
                 "inference_ns": inference_ns}
            )  # fmt: skip
        # the fields in schema order: steering_wheel_angle, throttle, brake, gear, frame_id, inference_ns
        self._out.publish_fields(t_sim_ns, wall, (steer, throttle, brake, 1, frame, inference_ns), True)
        self._frame = frame + 1

    def _path_ahead(self) -> None:
        """The followed lane's centre-line points ahead of the ego (x, y in the ego frame [m]) and
        their distances [m] into the first rows of the work arrays, and how many (0: none). Worked
        out again only when a new lane message or another target lane arrives (the stack runs 5
        times per lane message)."""
        lanes = self._last_lanes
        n = len(lanes)
        if len(self._use) < n:
            self._use, self._target, self._first = (np.zeros(2 * n, dtype=np.int64) for _ in range(3))
        if len(self._ahead) < len(lanes.points):
            self._ahead, self._dist = np.zeros((2 * len(lanes.points), 2)), np.zeros(2 * len(lanes.points))
        use, target = self._use[:n], self._target[:n]
        target_lane = self.target_lane
        flags = (lanes.types, lanes.roads, lanes.lanes, target_lane)
        if flags != self._flags:  # the lanes in range changed (most lane messages list the same ones)
            for k, kind in enumerate(lanes.types):  # only drivable lanes; the target lane if set and visible
                use[k] = kind in DRIVABLE
                target[k] = target_lane is not None and (lanes.roads[k], lanes.lanes[k]) == target_lane
            self._flags = flags
        self._path_n = lane_path_ahead(
            lanes.points, lanes.ends, use, target, self._first, self._ahead, self._dist
        )
        self._path_target = target_lane
