"""Autopilot driving for the Traffic Manager: dil's lane following with gap keeping.

Each autopilot vehicle is a row of a :class:`dil.world.lane_follow.LaneFollowers` (lane position,
direction of travel, the first successor at a lane's end). Every world step, before the vehicle model
runs, a numba kernel finds for each of them the nearest body ahead in a corridor as wide as the two
bodies (any vehicle or prop, autopilot or not) and the intelligent driver model gives its
acceleration towards the desired speed; a dead end of the network ahead counts as a standing
obstacle. The follower then moves the car along its lane by the new speed and the car's row in the
world table gets the pose, velocity, acceleration and a control that matches (throttle, brake, steer).

While on autopilot a vehicle's own model is off (``K_PHYSICS`` 0); unregistering hands it back with
its speed. Deterministic: the only randomness (``ignore_vehicles_percentage``) comes from a generator
seeded by ``set_random_device_seed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from dil.road.network import RoadNetwork
from dil.world.actors import A_SIZE, A_SPEED, A_X, A_Y, A_YAW, A_Z
from dil.world.lane_follow import (
    F_ACCEL,
    F_ACTIVE,
    F_DIRECTION,
    F_LANE,
    F_OFFSET,
    F_ROAD,
    F_S,
    F_TARGET,
    LaneFollowers,
)

from .dynamics import (
    K_ALIVE,
    K_AX,
    K_AY,
    K_BRAKE,
    K_CLASS,
    K_HAND_BRAKE,
    K_LENGTH,
    K_MAX_ACCEL,
    K_MAX_BRAKE,
    K_MAX_STEER,
    K_PARENT,
    K_PHYSICS,
    K_REVERSE,
    K_SPEED,
    K_STEER,
    K_THROTTLE,
    K_VX,
    K_VY,
    K_WHEELBASE,
    K_WIDTH,
    K_X,
    K_Y,
    K_YAW,
    K_YAW_RATE,
    K_Z,
)
from .junctions import JunctionReservations
from .lane_change import (
    COOLDOWN_S,
    LATERAL_SPEED,
    OVERTAKE_GAP,
    SLOWER_BY,
    centre_t,
    neighbour,
    target_is_free,
)
from .world import LiteWorld

CAPACITY = 1024
"""Autopilot registrations a server keeps (rows are reused when a vehicle registers again)."""
LOOKAHEAD = 120.0
"""How far ahead bodies and dead ends are looked for [m]."""
LATERAL_MARGIN = 0.4
"""Extra corridor width on each side [m]."""
TIME_HEADWAY = 1.2
"""Intelligent driver model: desired time gap to the body ahead [s]."""
COMFORT_ACCEL = 2.0
"""[m/s^2]; at most the vehicle's own full-throttle acceleration."""
COMFORT_DECEL = 3.0
"""[m/s^2]: the deceleration the model plans with; emergencies brake up to the vehicle's full brake."""
FREE_EXPONENT = 12.0
"""Intelligent driver model's acceleration exponent: higher than the usual 4 so that a car reaches the
speed it is told (``set_desired_speed``) as CARLA's Traffic Manager does."""
CLASS_VEHICLE = 1.0
CLASS_PROP = 3.0
CLASS_WALKER = 4.0
CENTRE_OFFSET = 0.02
"""Autopilot cars drive this far right of their lane's centre line [m]. A real car is never exactly on
it, and CARLA's agents see nothing exactly straight ahead of them (their angle test is strict): two
cars on one straight line would be invisible to each other."""
EXIT_ROOM = 12.0
"""A car enters a junction only when the lane it leaves the junction into is free for this long [m]."""
NOTHING_AHEAD = 1e9
"""The gap [m] when no body is ahead: no interaction."""
RELOCATE_DISTANCE = 0.5
"""A vehicle found this far [m] from where the autopilot put it was teleported: it is located anew."""


@dataclass
class DriverParams:
    """What the Traffic Manager's settings make of one vehicle."""

    desired_kmh: float | None = None
    """``set_desired_speed`` [km/h]; None: the speed limit less the speed difference."""
    speed_difference: float | None = None
    """Per-vehicle percentage below the speed limit; None: the TM's global one."""
    distance: float | None = None
    """Per-vehicle gap to keep at standstill [m]; None: the TM's global one."""
    ignore_vehicles: float = 0.0
    """Percentage of steps in which bodies ahead are not looked at."""
    lane_offset: float | None = None
    """[m], positive to the right (CARLA's sign); None: the TM's global one."""
    auto_lane_change: bool = True
    """Overtake a slower car ahead when the lane beside is free."""
    force_change: int = 0
    """A requested lane change: +1 left, -1 right, 0 none."""


@njit(cache=True)
def gaps_ahead(
    state: np.ndarray,
    n: int,
    rows: np.ndarray,
    m: int,
    lookahead: float,
    margin: float,
    widen: np.ndarray,
    autopilot: np.ndarray,
    out: np.ndarray,
) -> None:
    """For each world row ``rows[k]``: ``out[k] = (gap [m], speed of the body ahead along the heading
    [m/s])`` to the nearest body in its corridor, ``(NOTHING_AHEAD, 0)`` when none is within
    ``lookahead`` [m]. ``widen[k]`` [m] widens the corridor on both sides (a car changing lanes
    looks into both). A body whose world row has ``autopilot`` 1, heading against the car or (when the
    car is not changing lanes) with it, within 60 degrees, is passed over when the two boxes are clear
    sideways in that body's own frame: it keeps to its own lane (one changing into the car's lane is
    its lane leader from the start), so one waiting at a junction's entry beside a car leaving the
    junction still turning, or a wide one beside a car in the next lane, is not in its way (both
    waited: a jam); two wide buses that cannot pass in their lanes still see each other."""
    for k in range(m):
        a = state[rows[k]]
        c = math.cos(a[K_YAW])
        s = math.sin(a[K_YAW])
        best = NOTHING_AHEAD
        lead_v = 0.0
        for j in range(n):
            if j == rows[k]:
                continue
            b = state[j]
            if b[K_ALIVE] < 0.5 or b[K_PARENT] >= 0.0:
                continue
            if b[K_CLASS] != CLASS_VEHICLE and b[K_CLASS] != CLASS_PROP and b[K_CLASS] != CLASS_WALKER:
                continue
            dx = b[K_X] - a[K_X]
            dy = b[K_Y] - a[K_Y]
            lon = c * dx + s * dy
            if lon <= 0.0 or lon > lookahead + b[K_LENGTH]:
                continue
            lat = -s * dx + c * dy
            rel = b[K_YAW] - a[K_YAW]
            cr = abs(math.cos(rel))
            sr = abs(math.sin(rel))
            half_lat_b = 0.5 * (sr * b[K_LENGTH] + cr * b[K_WIDTH])
            if autopilot[j] > 0.5 and (math.cos(rel) < -0.5 or (math.cos(rel) > 0.5 and widen[k] == 0.0)):
                lat_b = -math.sin(b[K_YAW]) * dx + math.cos(b[K_YAW]) * dy
                if abs(lat_b) > 0.5 * (a[K_WIDTH] + b[K_WIDTH]):
                    continue
            if abs(lat) > 0.5 * a[K_WIDTH] + half_lat_b + margin + widen[k]:
                continue
            half_lon_b = 0.5 * (cr * b[K_LENGTH] + sr * b[K_WIDTH])
            gap = lon - 0.5 * a[K_LENGTH] - half_lon_b
            if gap < best:
                best = gap
                lead_v = b[K_VX] * c + b[K_VY] * s
        out[k, 0] = best
        out[k, 1] = lead_v


@njit(cache=True)
def idm_accel(
    v: float, v0: float, gap: float, lead_v: float, s0: float, a_max: float, b: float, brake: float
) -> float:
    """Intelligent driver model acceleration [m/s^2], between ``-brake`` and ``a_max``."""
    free = 1.0 - (v / v0) ** FREE_EXPONENT if v0 > 0.1 else -1.0
    dv = v - lead_v
    s_star = s0 + max(0.0, v * TIME_HEADWAY + v * dv / (2.0 * math.sqrt(a_max * b)))
    inter = (s_star / max(gap, 0.01)) ** 2
    acc = a_max * (free - inter)
    return min(max(acc, -brake), a_max)


class Autopilot:
    """The vehicles on autopilot and their driving."""

    def __init__(self, world: LiteWorld, network: RoadNetwork | None) -> None:
        self.world = world
        self.network = network
        self.followers = LaneFollowers(network, CAPACITY) if network is not None else None
        self._scratch = np.zeros((CAPACITY, A_SIZE))
        self.rows: dict[int, int] = {}
        """Actor id to follower row (active ones)."""
        self._free: list[int] = []
        self.params: dict[int, DriverParams] = {}
        self.ports: dict[int, int] = {}
        """Actor id to the Traffic Manager port that drives it."""
        self.parked: set[int] = set()
        """Registered vehicles off any driving lane: held still."""
        self._last: dict[int, tuple[float, float]] = {}
        self._dead_end: dict[tuple[int, int, int], float] = {}
        self._shift: dict[int, float] = {}
        """Lateral offset [m, road t] still to cover after a lane change."""
        self._next_change: dict[int, float] = {}
        """Simulation time [s] from which a car may change lanes again."""
        self.time = 0.0
        """Simulation time the autopilot has stepped [s]."""
        self._work = np.zeros(64)
        self.junctions = JunctionReservations(network) if network is not None else None
        self._next_keys: dict[tuple[int, int, int], tuple[int, int, int] | None] = {}
        self._by_lane: dict[tuple[int, int, int], list[tuple[float, int]]] = {}
        self.rng = np.random.default_rng(0)

    # --- registration ----------------------------------------------------------------------------

    def register(self, actor_id: int, port: int) -> None:
        """Put a vehicle on autopilot (again: its settings are kept)."""
        info = self.world.info(actor_id)
        if self.world.state[actor_id - 1, K_CLASS] != CLASS_VEHICLE:
            raise ValueError(f"actor {actor_id} ({info.blueprint.id}) is not a vehicle")
        self.ports[actor_id] = port
        self.params.setdefault(actor_id, DriverParams())
        if actor_id in self.rows or actor_id in self.parked:
            return
        r = self.world.state[actor_id - 1]
        r[K_PHYSICS] = 0.0
        r[K_HAND_BRAKE] = r[K_REVERSE] = 0.0
        self._locate(actor_id)

    def unregister(self, actor_id: int) -> None:
        """Hand the vehicle back to its controls, keeping its speed."""
        self.ports.pop(actor_id, None)
        self.parked.discard(actor_id)
        if self.junctions is not None:
            self.junctions.forget(actor_id)
        row = self.rows.pop(actor_id, None)
        if row is not None:
            self.followers.rows[row, F_ACTIVE] = 0.0
            self._free.append(row)
        if actor_id in self.world.actors:
            r = self.world.state[actor_id - 1]
            r[K_PHYSICS] = 1.0
            r[K_THROTTLE] = r[K_BRAKE] = r[K_STEER] = 0.0

    def forget(self, actor_id: int) -> None:
        """The actor was destroyed."""
        if actor_id in self.ports:
            self.unregister(actor_id)
        self.params.pop(actor_id, None)
        self._last.pop(actor_id, None)
        self._shift.pop(actor_id, None)
        self._next_change.pop(actor_id, None)

    def _locate(self, actor_id: int) -> None:
        """Find the vehicle's lane and start following it there."""
        r = self.world.state[actor_id - 1]
        pos = self.network.locate(float(r[K_X]), float(r[K_Y])) if self.network is not None else None
        if pos is None or pos.lane == 0 or pos.lane_type != "driving":
            self.parked.add(actor_id)
            r[K_VX] = r[K_VY] = r[K_SPEED] = r[K_YAW_RATE] = 0.0
            r[K_THROTTLE], r[K_BRAKE] = 0.0, 1.0
            return
        f = self.followers
        if self._free:
            row = self._free.pop()
        else:
            if f.n == CAPACITY:
                raise RuntimeError(f"more than {CAPACITY} autopilot registrations")
            row = f.n
            f.routes.append([])
            f.n += 1
        road_index = self.network.road_index(pos.road)
        travel = self.network.lane_to_world(pos.road, pos.lane, pos.s)[3]
        reference = self.network.road_to_world(pos.road, pos.s)[3]
        direction = 1.0 if math.cos(travel - reference) > 0.0 else -1.0  # the lane's, along s
        f.rows[row] = (road_index, pos.lane, pos.s, 0.0, direction, 0.0, 1e9, 1.0, row)
        f.routes[row] = []
        self.rows[actor_id] = row
        self._last[actor_id] = (float(r[K_X]), float(r[K_Y]))

    # --- driving ---------------------------------------------------------------------------------

    def step(self, dt: float, settings_of: dict[int, TrafficSettingsView]) -> None:
        """Set every autopilot vehicle's pose and motion for the coming step of ``dt`` [s]."""
        if not self.rows:
            return
        ids = sorted(self.rows)
        for actor_id in ids:  # teleported since the last step: follow from where it is now
            r = self.world.state[actor_id - 1]
            lx, ly = self._last[actor_id]
            if math.hypot(r[K_X] - lx, r[K_Y] - ly) > RELOCATE_DISTANCE:
                self.followers.rows[self.rows.pop(actor_id), F_ACTIVE] = 0.0
                self._locate(actor_id)
        ids = sorted(self.rows)
        if not ids:
            return
        world_rows = np.array([i - 1 for i in ids], dtype=np.int64)
        gaps = np.empty((len(ids), 2))
        widen = np.array([abs(self._shift.get(i, 0.0)) for i in ids])
        state, count = self.world.state, self.world.count
        on_autopilot = np.zeros(count)
        on_autopilot[world_rows] = 1.0
        gaps_ahead(state, count, world_rows, len(ids), LOOKAHEAD, LATERAL_MARGIN, widen, on_autopilot, gaps)
        f = self.followers
        scratch = self._scratch
        leaders = self._lane_leaders(ids)
        self.junctions.observe(self._others())
        before: dict[int, tuple[float, float]] = {}
        for k, actor_id in enumerate(ids):
            r = self.world.state[actor_id - 1]
            row = self.rows[actor_id]
            tm = settings_of[self.ports[actor_id]]
            p = self.params[actor_id]
            v = max(float(r[K_SPEED]), 0.0)
            v0 = self._desired_speed(actor_id, tm, p)
            s0 = p.distance if p.distance is not None else tm.distance
            ignore = self.rng.random() * 100.0 < p.ignore_vehicles if p.ignore_vehicles > 0.0 else False
            a_max = min(COMFORT_ACCEL, float(r[K_MAX_ACCEL]))
            brake = float(r[K_MAX_BRAKE])
            acc = idm_accel(v, v0, NOTHING_AHEAD, v, s0, a_max, COMFORT_DECEL, brake)
            if not ignore:
                acc = min(acc, idm_accel(v, v0, gaps[k, 0], gaps[k, 1], s0, a_max, COMFORT_DECEL, brake))
                if actor_id in leaders:  # along its lanes: the queue after a bend or a junction
                    gap, lead_v = leaders[actor_id]
                    acc = min(acc, idm_accel(v, v0, gap, lead_v, s0, a_max, COMFORT_DECEL, brake))
            end = self._distance_to_dead_end(row)
            if end < LOOKAHEAD:
                stop = idm_accel(v, v0, end - 0.5 * r[K_LENGTH], 0.0, 0.5, a_max, COMFORT_DECEL, brake)
                acc = min(acc, stop)
            fr = f.rows[row]
            line = self.junctions.stop_distance(
                actor_id,
                int(fr[F_ROAD]),
                int(fr[F_LANE]),
                int(fr[F_DIRECTION]),
                float(fr[F_S]),
                v,
                self._room,
            )
            if line is not None:  # the junction ahead is held: its entry is a stop line
                wait = idm_accel(v, v0, line - 0.5 * r[K_LENGTH], 0.0, 1.0, a_max, COMFORT_DECEL, brake)
                acc = min(acc, wait)
            offset = p.lane_offset if p.lane_offset is not None else tm.lane_offset
            base = -(offset + CENTRE_OFFSET) * f.rows[row, F_DIRECTION]
            wants = p.force_change or (
                1 if p.auto_lane_change and gaps[k, 0] < OVERTAKE_GAP and gaps[k, 1] < v0 - SLOWER_BY else 0
            )
            if wants and actor_id not in self._shift and self.time >= self._next_change.get(actor_id, 0.0):
                self._change_lane(actor_id, row, base, v, left_first=wants > 0, forced=bool(p.force_change))
            shift = self._shift.get(actor_id, 0.0)
            if shift:
                step = LATERAL_SPEED * dt
                shift = 0.0 if abs(shift) <= step else shift - math.copysign(step, shift)
                if shift:
                    self._shift[actor_id] = shift
                else:
                    del self._shift[actor_id]
            f.rows[row, F_OFFSET] = base + shift
            f.rows[row, F_TARGET] = max(0.0, v + acc * dt)
            f.rows[row, F_ACCEL] = 1e9
            scratch[row, A_SPEED] = v
            before[actor_id] = (float(r[K_YAW]), acc)
        f.step(scratch, dt)
        self.time += dt
        for actor_id in ids:
            self._write_back(actor_id, self.rows[actor_id], dt, *before[actor_id])

    def _others(self) -> list[tuple[int, int, int, int, float, float]]:
        """Vehicles not on autopilot on a driving lane: ``(id, road index, lane, direction, s, speed)``."""
        out = []
        state = self.world.state
        for actor_id in list(self.world.actors):
            r = state[actor_id - 1]
            if actor_id in self.rows or r[K_CLASS] != CLASS_VEHICLE or r[K_PARENT] >= 0.0:
                continue
            pos = self.network.locate(float(r[K_X]), float(r[K_Y]))
            if pos is None or pos.lane == 0 or pos.lane_type != "driving":
                continue
            reference = self.network.road_to_world(pos.road, pos.s)[3]
            direction = 1 if math.cos(float(r[K_YAW]) - reference) > 0.0 else -1
            speed = math.hypot(float(r[K_VX]), float(r[K_VY]))
            out.append((actor_id, self.network.road_index(pos.road), pos.lane, direction, pos.s, speed))
        return out

    def _lane_key(self, row: int) -> tuple[tuple[int, int, int], float]:
        """``(road index, lane, direction)`` of a follower and how far it is along that lane [m]."""
        fr = self.followers.rows[row]
        road, direction = int(fr[F_ROAD]), int(fr[F_DIRECTION])
        length = float(self.network.tables.road_length[road])
        along = float(fr[F_S]) if direction > 0 else length - float(fr[F_S])
        return (road, int(fr[F_LANE]), direction), along

    def _next_key(self, key: tuple[int, int, int]) -> tuple[int, int, int] | None:
        """The lane a follower continues into at the end of ``key`` (the first successor)."""
        if key in self._next_keys:
            return self._next_keys[key]
        net = self.network
        road, lane, direction = key
        rd = net.roads[road]
        options = net.graph.next_lanes(rd.id, lane, rd.length if direction > 0 else 0.0)
        nxt = None
        if options:
            nxt_road, nxt_lane = options[0]
            fwd = net.driving_heading(nxt_road, nxt_lane, 0.0) == 0.0
            nxt = (net.road_index(nxt_road), nxt_lane, 1 if fwd else -1)
        self._next_keys[key] = nxt
        return nxt

    def _lane_leaders(self, ids: list[int]) -> dict[int, tuple[float, float]]:
        """Gap [m] and speed [m/s] of the nearest autopilot car ahead along each car's lanes (its own,
        then the lanes it will take), within ``LOOKAHEAD``."""
        self._by_lane = by_lane = {}
        where = {}
        for i in ids:
            key, along = self._lane_key(self.rows[i])
            where[i] = (key, along)
            by_lane.setdefault(key, []).append((along, i))
        state = self.world.state
        out: dict[int, tuple[float, float]] = {}
        for i in ids:
            key, start = where[i]
            travelled = 0.0
            half = 0.5 * float(state[i - 1, K_LENGTH])
            for _ in range(4):
                ahead = [(d, j) for d, j in by_lane.get(key, ()) if j != i and d > start]
                if ahead:
                    d, j = min(ahead)
                    gap = travelled + d - start - half - 0.5 * float(state[j - 1, K_LENGTH])
                    out[i] = (gap, max(float(state[j - 1, K_SPEED]), 0.0))
                    break
                travelled += float(self.network.tables.road_length[key[0]]) - start
                nxt = self._next_key(key)
                if nxt is None or travelled > LOOKAHEAD:
                    break
                key, start = nxt, -1e-9
        return out

    def _room(self, road: int, lane: int, direction: int) -> bool:
        """The lane after connecting lane ``(road, lane)`` has room for a car at its start."""
        nxt = self._next_key((road, lane, direction))
        if nxt is None:
            return True
        return all(d > EXIT_ROOM for d, _ in self._by_lane.get(nxt, ()))

    def _change_lane(
        self, actor_id: int, row: int, base: float, speed: float, left_first: bool, forced: bool
    ) -> None:
        """Move the follower into a free neighbouring lane, keeping the car where it is for now."""
        f = self.followers.rows[row]
        road, lane, s = int(f[F_ROAD]), int(f[F_LANE]), float(f[F_S])
        direction = int(f[F_DIRECTION])
        sides = (left_first,) if forced else (left_first, not left_first)
        p = self.params[actor_id]
        for left in sides:
            other = neighbour(self.network, road, lane, direction, s, left)
            if other == 0:
                if forced:
                    p.force_change = 0  # no lane there: the request is dropped
                continue
            t_new = centre_t(self.network, road, other, s, self._work)
            t_now = centre_t(self.network, road, lane, s, self._work) + float(f[F_OFFSET])
            x, y, _z, _h = self.network.road_to_world(self.network.roads[road].id, s, t_new)
            r = actor_id - 1
            if not target_is_free(
                self.world.state, self.world.count, r, (x, y), float(self.world.state[r, K_YAW]), speed
            ):
                continue
            f[F_LANE] = other
            self._shift[actor_id] = t_now - t_new - base
            self._next_change[actor_id] = self.time + COOLDOWN_S
            p.force_change = 0
            return

    def _desired_speed(self, actor_id: int, tm: TrafficSettingsView, p: DriverParams) -> float:
        """[m/s]"""
        if p.desired_kmh is not None:
            return max(p.desired_kmh, 0.0) / 3.6
        r = self.world.state[actor_id - 1]
        limit = self.world.speed_limit_kmh(float(r[K_X]), float(r[K_Y]))
        difference = p.speed_difference if p.speed_difference is not None else tm.speed_difference
        return max(limit * (1.0 - difference / 100.0), 0.0) / 3.6

    def _write_back(self, actor_id: int, row: int, dt: float, yaw_before: float, acc: float) -> None:
        r = self.world.state[actor_id - 1]
        s = self._scratch[row]
        v = float(s[A_SPEED])
        yaw = float(s[A_YAW])
        yaw = (yaw + math.pi) % (2.0 * math.pi) - math.pi
        yaw_rate = math.remainder(yaw - yaw_before, 2.0 * math.pi) / dt
        vx, vy = v * math.cos(yaw), v * math.sin(yaw)
        r[K_AX], r[K_AY] = (vx - r[K_VX]) / dt, (vy - r[K_VY]) / dt
        r[K_X], r[K_Y], r[K_Z], r[K_YAW] = s[A_X], s[A_Y], s[A_Z], yaw
        r[K_VX], r[K_VY], r[K_SPEED], r[K_YAW_RATE] = vx, vy, v, yaw_rate
        r[K_THROTTLE] = min(max(acc, 0.0) / max(r[K_MAX_ACCEL], 1e-6), 1.0)
        r[K_BRAKE] = min(max(-acc, 0.0) / max(r[K_MAX_BRAKE], 1e-6), 1.0)
        wheel = math.atan(yaw_rate * r[K_WHEELBASE] / v) if v > 0.1 else 0.0
        r[K_STEER] = min(max(-wheel / r[K_MAX_STEER], -1.0), 1.0)  # CARLA: positive steers right
        self._last[actor_id] = (float(s[A_X]), float(s[A_Y]))

    def _distance_to_dead_end(self, row: int) -> float:
        """Along the lanes the follower will take [m]; ``LOOKAHEAD`` or more when none is that near."""
        f = self.followers.rows[row]
        road = int(f[F_ROAD])
        length = float(self.network.tables.road_length[road])
        direction = int(f[F_DIRECTION])
        left = length - f[F_S] if direction > 0 else f[F_S]
        return max(left, 0.0) + self._beyond(road, int(f[F_LANE]), direction)

    def _beyond(self, road: int, lane: int, direction: int) -> float:
        """Distance from the end of ``(road, lane)`` driven in ``direction`` to a dead end [m], at most
        ``2 * LOOKAHEAD`` (also around a loop, which has none)."""
        key = (road, lane, direction)
        if key in self._dead_end:
            return self._dead_end[key]
        far = 2.0 * LOOKAHEAD
        self._dead_end[key] = far  # a loop back here finds no dead end
        net = self.network
        rd = net.roads[road]
        options = net.graph.next_lanes(rd.id, lane, rd.length if direction > 0 else 0.0)
        if not options:
            result = 0.0
        else:
            nxt_road, nxt_lane = options[0]
            k = net.road_index(nxt_road)
            fwd = net.driving_heading(nxt_road, nxt_lane, 0.0) == 0.0
            result = min(net.roads[k].length + self._beyond(k, nxt_lane, 1 if fwd else -1), far)
        self._dead_end[key] = result
        return result


@dataclass
class TrafficSettingsView:
    """The settings of one Traffic Manager that its vehicles' driving reads."""

    speed_difference: float = 30.0
    """Global percentage below the speed limit (CARLA's default: 30)."""
    distance: float = 2.5
    """Global gap kept at standstill [m], bumper to bumper."""
    lane_offset: float = 0.0
    """Global lateral offset from the lane centre [m], positive to the right."""
