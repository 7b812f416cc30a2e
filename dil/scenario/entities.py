"""Scenario entities and how the engine moves those that follow the storyboard.

An entity's pose is of its reference point (OpenSCENARIO: the rear axle centre of a vehicle on
the ground, or the bounding box's centre for other objects); ``centre_x`` is how far ahead of
it the bounding box's centre lies. The ego is moved by the vehicle dynamics when a stack drives
it; every other entity (and the ego without a stack) is moved here: along its lane at its speed,
shifted sideways by lane changes and offsets, or along a trajectory.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from dil.road.network import RoadNetwork
from dil.world.actors import ActorKind

from .kernels import step_in_lane
from .motion import ds_for_distance, shape_slope

if TYPE_CHECKING:
    from .controllers.base import Controller


LaneStep = tuple[float, float, float]
"""A step along the lane left to make: distance along the lane [m], sideways change of the lane offset
[m] and the world step [m] (see :meth:`Entity.move_start`)."""

TWO_PI = 2.0 * math.pi

LATERAL_CLOSE = 1e-6
"""A lane change or lane offset within this of its target [m] has arrived (as the reference player has it)."""


PLACE_FIELDS = ("x", "y", "z", "yaw", "road", "lane", "s", "offset", "forward", "h_rel", "end_of_road")
"""The fields of an entity that say where it is (see Entity.place_state)."""


def shape_value(shape: str, u: float) -> float:
    """Progress 0..1 of a transition shape at normalised time ``u`` in [0, 1]."""
    u = min(max(u, 0.0), 1.0)
    if shape == "step":
        return 1.0
    if shape == "linear":
        return u
    if shape == "cubic":
        return u * u * (3.0 - 2.0 * u)
    if shape == "sinusoidal":
        return 0.5 - 0.5 * math.cos(math.pi * u)
    raise ValueError(f"unknown dynamics shape {shape!r}")


@dataclass
class Transition:
    """A value moving from ``start`` to ``end`` over ``duration`` seconds or ``distance`` metres."""

    start: float
    end: float
    shape: str
    duration: float = 0.0
    distance: float = 0.0
    elapsed: float = 0.0
    travelled: float = 0.0
    on_top: bool = False
    """A lane offset's sideways motion: it comes on top of the speed along the lane (which is kept),
    and each step applies the value reached at the step's start (as the reference player moves it)."""

    def value(self) -> float:
        if self.distance > 0.0:
            u = self.travelled / self.distance
        elif self.duration > 0.0:
            u = self.elapsed / self.duration
        else:
            u = 1.0
        return self.start + (self.end - self.start) * shape_value(self.shape, u)

    @property
    def done(self) -> bool:
        # within a rounding of the sum of the steps (300 steps of 0.01 s fall short of 3 s)
        if self.distance > 0.0:
            return self.travelled >= self.distance - 1e-9
        return self.elapsed >= self.duration - 1e-9


@dataclass
class Trajectory:
    """A polyline in the world, followed at the entity's speed or by vertex times."""

    points: np.ndarray
    """(n, 2) x, y [m]."""
    times: np.ndarray | None = None
    """Arrival time at each vertex [s of simulation time], or None to follow at the current speed."""
    along: float = 0.0
    """Distance travelled along the polyline [m]."""
    headings: np.ndarray | None = None
    """(n,) heading at each vertex [rad] (a curved shape's tangent), interpolated between vertices;
    None: each segment's direction."""
    arc: np.ndarray | None = None
    """(n,) distance along the shape at each vertex [m] (a shape's own arc length, where a jump
    between two pieces takes no distance); None: the sum of the chords."""
    reverse: bool = False
    """Driven backwards (it started at a negative speed): it faces against the direction of travel."""

    def __post_init__(self) -> None:
        if self.arc is not None:
            self.cumulative = np.asarray(self.arc, dtype=float)
            self.lengths = np.diff(self.cumulative)
            return
        seg = np.diff(self.points, axis=0)
        self.lengths = np.hypot(seg[:, 0], seg[:, 1])
        self.cumulative = np.concatenate([[0.0], np.cumsum(self.lengths)])

    @property
    def length(self) -> float:
        return float(self.cumulative[-1])

    def pose(self) -> tuple[float, float, float]:
        """x [m], y [m], heading [rad] at ``along``."""
        d = min(max(self.along, 0.0), self.length)
        i = int(min(np.searchsorted(self.cumulative, d, side="right") - 1, len(self.lengths) - 1))
        u = (d - self.cumulative[i]) / self.lengths[i] if self.lengths[i] > 0 else 0.0
        a, b = self.points[i], self.points[i + 1]
        if self.headings is not None:
            h0 = float(self.headings[i])
            yaw = h0 + u * _wrap(float(self.headings[i + 1]) - h0)
        else:
            yaw = math.atan2(b[1] - a[1], b[0] - a[0])
        if self.reverse:
            yaw = _wrap(yaw + math.pi)
        return float(a[0] + u * (b[0] - a[0])), float(a[1] + u * (b[1] - a[1])), yaw


@dataclass
class Entity:
    name: str
    kind: ActorKind
    length: float
    width: float
    height: float
    centre_x: float = 0.0
    """Bounding-box centre ahead of the reference point [m]."""
    max_speed: float = 70.0
    max_accel: float = 10.0
    max_decel: float = 10.0
    world_id: int = -1
    is_ego: bool = False
    stack_driven: bool = False
    """The ego under a driving stack: moved by the vehicle dynamics, not here."""
    present: bool = True
    """In the world (a DeleteEntityAction takes it out, an AddEntityAction brings it back)."""
    held_speed: float = 0.0
    """The speed it had when a DeleteEntityAction took it out (it stands at 0 while out): an
    AddEntityAction brings it back moving at it [m/s]."""
    controller_line: int = 0
    """Line of the file's ObjectController for it (0: none)."""
    hitch_dx: float | None = None
    """TrailerHitch: where a trailer hangs on, ahead of the reference point [m] (None: none)."""
    coupler_dx: float | None = None
    """TrailerCoupler: where it holds on to a tractor, ahead of the reference point [m] (None: none)."""
    towing: str | None = None
    """The trailer entity connected to its hitch (dil.scenario.trailers moves it)."""
    controller: Controller | None = None
    """The scenario controller assigned to it (see dil/scenario/controllers); it drives the domains
    it is active on."""
    # state of the reference point
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    yaw: float = 0.0
    speed: float = 0.0
    accel: float = 0.0
    odometer: float = 0.0
    standstill: float = 0.0
    """How long it has been standing still [s]."""
    # lane-bound motion
    road: str | None = None
    lane: int = 0
    s: float = 0.0
    offset: float = 0.0
    forward: bool = True
    """It moves towards increasing s (its heading is within 90 degrees of the reference line's)."""
    h_rel: float = 0.0
    """Heading relative to the road's reference line at the entity [rad], kept while it moves along
    the road (pi: it faces and moves against s)."""
    route: list[tuple[str, int]] = field(default_factory=list)
    # what the storyboard asked for
    speed_transition: Transition | None = None
    speed_follow: object | None = None
    """A continuous longitudinal action (distance keeping, synchronisation) setting the speed."""
    planned_speed: float | None = None
    """This step's speed from ``speed_follow``, worked out before any entity moved [m/s]."""
    lateral_follow: object | None = None
    """The lateral distance keeping that moves it sideways (the latest one started)."""
    lateral: Transition | None = None
    trajectory: Trajectory | None = None
    end_of_road: float = 0.0
    """How long it has been at the end of the network [s], from the step it reached it (plus 1e-9
    while it is there)."""
    pending_place: Callable[[], None] | None = None
    """A teleport started at t - dt: the step to t puts the entity there instead of moving it."""
    before_teleport: tuple | None = None
    """Its place before a teleport started in this step (see :meth:`defer_teleport`)."""

    def place_state(self) -> tuple:
        """Where it is: pose and lane place (what a teleport changes)."""
        return tuple(getattr(self, f) for f in PLACE_FIELDS)

    def set_place_state(self, state: tuple) -> None:
        for f, v in zip(PLACE_FIELDS, state, strict=True):
            setattr(self, f, v)

    def defer_teleport(self) -> None:
        """End of a step in which a teleport placed it: for the rest of the step (triggers, actions)
        it was at the new place; as a state at t it is where it was, and the step to t + dt puts
        it at the new place instead of moving it (as esmini has it)."""
        if self.before_teleport is None:
            return
        after, before, self.before_teleport = self.place_state(), self.before_teleport, None
        self.set_place_state(before)
        self.pending_place = lambda: self.set_place_state(after)

    def box_centre(self) -> tuple[float, float]:
        return self.x + self.centre_x * math.cos(self.yaw), self.y + self.centre_x * math.sin(self.yaw)

    def place_in_lane(
        self, net: RoadNetwork, road: str, lane: int, s: float, offset: float, yaw: float | None = None
    ) -> None:
        """Put the entity on a lane, facing ``yaw`` [rad] (default: the lane's direction of travel);
        it moves along s or against it as its heading says."""
        self.road, self.lane, self.s, self.offset = str(road), int(lane), float(s), float(offset)
        self.end_of_road = 0.0  # placed anew: not at an end of the network
        x, y, z, h = net.lane_to_world(road, lane, s, offset)
        ref = net.road_to_world(road, s)[3]
        h = h if yaw is None else yaw
        self.h_rel = _wrap(h - ref)
        self.forward = math.cos(self.h_rel) > 0.0
        self.x, self.y, self.z, self.yaw = x, y, z, h

    def place(self, net: RoadNetwork | None, x: float, y: float, z: float, yaw: float) -> None:
        """Teleport to a world pose; the lane is looked up so that lane following can continue."""
        self.x, self.y, self.z, self.yaw = x, y, z, yaw
        self.road = None
        self.end_of_road = 0.0
        if net is None:
            return
        pos = net.locate(x, y)
        if pos is not None and pos.inside and pos.lane != 0:
            self.road, self.lane, self.s, self.offset = pos.road, pos.lane, pos.s, pos.offset
            self.h_rel = _wrap(yaw - pos.heading)
            self.forward = math.cos(self.h_rel) > 0.0

    def plan(self, t: float, dt: float) -> None:
        """Work out this step's speed from the others' states at ``t - dt``, before anyone moves
        (distance keeping, synchronisation: the result does not depend on the order of moving)."""
        if self.present and self.speed_follow is not None:
            self.planned_speed = self.speed_follow.speed(self, t, dt)  # type: ignore[attr-defined]

    def move(self, net: RoadNetwork | None, t: float, dt: float) -> None:
        """Advance a storyboard-driven entity by ``dt`` [s] to time ``t`` [s]."""
        lane_step = self.move_start(net, t, dt)
        if lane_step is not None:
            assert net is not None and self.road is not None
            pose = step_in_lane(net, self.road, self.lane, self.s, self.offset, lane_step[0], self.forward)
            self.move_finish(net, lane_step, pose)

    def move_start(self, net: RoadNetwork | None, t: float, dt: float) -> LaneStep | None:
        """The first part of :meth:`move`: speed, sideways motion, trajectories. Returns the step
        along its lane that is left to make (with :meth:`move_finish`), None when it has moved. The
        engine makes the lane steps of all entities in one kernel call between the two parts."""
        if not self.present:
            return None
        # the time at an end of the network counts from the step that reached it, as esmini counts it
        if self.end_of_road > 0.0:
            self.end_of_road += dt
        old_speed = self.speed
        # teleported away from where it stood at the end of the network: in this step it stands at
        # the new place (esmini holds its speed at 0 there while its speed actions go on)
        held = self.pending_place is not None and self.end_of_road > 0.0 and old_speed == 0.0
        if self.speed_follow is not None:
            planned, self.planned_speed = self.planned_speed, None
            if planned is None:
                planned = self.speed_follow.speed(self, t, dt)  # type: ignore[attr-defined]
            self.speed = max(0.0, planned)
        elif self.speed_transition is not None:
            tr = self.speed_transition
            tr.elapsed += dt
            tr.travelled += self.speed * dt
            # within the transition's span: a transition to or from a negative speed reverses
            v = min(max(tr.value(), min(tr.start, tr.end, 0.0)), max(tr.start, tr.end))
            # and within the performance limits from the speed now (the shape's duration keeps it
            # there unless the speed was held)
            self.speed = min(max(v, old_speed - self.max_decel * dt), old_speed + self.max_accel * dt)
            if tr.done:
                self.speed = tr.end
                self.speed_transition = None
        if self.controller is not None and self.controller.active:
            self.controller.drive(self, self.speed, old_speed, dt)
        if self.max_speed < self.speed:  # min(speed, max_speed) without the call
            self.speed = self.max_speed
        self.accel = (self.speed - old_speed) / dt if dt > 0 else 0.0
        if self.pending_place is not None:
            place, self.pending_place = self.pending_place, None
            place()
            if held:
                self.speed = self.accel = 0.0
            return None
        step = self.speed * dt
        self.odometer += step
        # [s] from the step that stops (as the off-road and end-of-road times); reversing is moving
        self.standstill = (
            (self.standstill + dt if self.standstill > 0.0 else 1e-9) if -1e-3 < self.speed < 1e-3 else 0.0
        )
        if self.trajectory is not None:
            tr = self.trajectory
            if tr.times is not None:
                before = tr.along
                tr.along = float(np.interp(t, tr.times, tr.cumulative))
                # timed vertices set the speed: it is kept when the trajectory ends
                self.speed = (tr.along - before) / dt if dt > 0 else self.speed
                self.accel = (self.speed - old_speed) / dt if dt > 0 else 0.0
            else:
                tr.along += abs(step)  # reversing (speed < 0) runs it forwards, facing back
            self.x, self.y, self.yaw = tr.pose()
            # a timed trajectory ends at its last time (it may wait at its end), others at their end
            if (tr.along >= tr.length) if tr.times is None else (t >= tr.times[-1] - 1e-9):
                self.end_trajectory(net)
            return None
        if self.road is None or net is None:
            self.x += step * math.cos(self.yaw)
            self.y += step * math.sin(self.yaw)
            return None
        along, d_offset = step, 0.0
        lat = self.lateral
        if lat is not None:
            before = self.offset
            if lat.on_top:
                value = lat.value()
                ended = lat.done or abs(value - lat.end) < LATERAL_CLOSE
                self.offset = lat.end if ended else value
                lat.elapsed = min(lat.elapsed + dt, lat.duration)
            else:
                if lat.distance > 0.0:
                    # progress by distance along the road; the path's slope shortens each step along it
                    slope = (lat.end - lat.start) * shape_slope(lat.shape, lat.travelled / lat.distance)
                    along = step / math.sqrt(1.0 + (slope / lat.distance) ** 2)
                    lat.travelled += along
                else:
                    lat.elapsed += dt
                self.offset = lat.value()
                ended = lat.done or abs(self.offset - lat.end) < LATERAL_CLOSE
            if ended:
                self.offset = lat.end
                self.lateral = None
            d_offset = self.offset - before
            if lat.distance <= 0.0 and lat.shape != "step" and not lat.on_top:
                # the world step is speed * dt: what goes sideways is not made along the road
                along = math.sqrt(max(step * step - d_offset * d_offset, 0.0))
            if lat.shape == "step":
                d_offset = 0.0
        return along, d_offset, step

    def end_trajectory(self, net: RoadNetwork | None) -> None:
        """The step that reached the end of its trajectory (at its pose there): an untimed one goes on
        along its last heading for the rest of the step's distance; the trajectory ends and the lane at
        the new pose is looked up."""
        tr = self.trajectory
        assert tr is not None
        if tr.times is None:  # the rest of the step's distance goes on along the last heading
            rest = tr.along - tr.length
            way = self.yaw + (math.pi if tr.reverse else 0.0)
            self.x += rest * math.cos(way)
            self.y += rest * math.sin(way)
        self.trajectory = None
        self.place(net, self.x, self.y, self.z, self.yaw)

    def move_finish(self, net: RoadNetwork, lane_step: LaneStep, pose: tuple | None) -> None:
        """The last part of :meth:`move`: the lane step ``lane_step`` (from :meth:`move_start`) made
        by the kernel (``pose``: new s, x, y, z [m] and the reference line's heading [rad]), or by the
        Python path where the kernel did not take it (``pose`` None)."""
        along, d_offset, step = lane_step
        assert self.road is not None
        if pose is not None:  # the common case, in one kernel call (dil.scenario.kernels)
            self.s, self.x, self.y, self.z, h_ref = pose
        else:
            t_lat = net.lane_to_road(self.road, self.lane, self.s, self.offset)
            ds = ds_for_distance(net, self.road, self.s, t_lat, along)
            s_before = self.s
            self.s += ds if self.forward else -ds
            length = net.roads[net.road_index(self.road)].length
            if self.s > length or self.s < 0.0:
                self._next_road(net, length)
            else:
                self.lane = lane_across_sections(net, self.road, self.lane, s_before, self.s)
            if self.road is None:
                return
            t_lat = net.lane_to_road(self.road, self.lane, self.s, self.offset)
            x, y, z, h_ref = net.road_to_world(self.road, self.s, t_lat)
            self.x, self.y, self.z = x, y, z
        if self.lateral is not None or d_offset != 0.0:
            # heading follows the path: sideways motion turns the vehicle towards it
            if step > 0.0:
                self.yaw = _wrap(h_ref + math.atan2(d_offset, along if self.forward else -along))
            if self.lateral is None:
                self.h_rel = 0.0 if self.forward else math.pi
        else:
            self.yaw = (h_ref + self.h_rel + math.pi) % TWO_PI - math.pi  # _wrap, inline on the common path

    def _next_road(self, net: RoadNetwork, length: float) -> None:
        excess = self.s - length if self.s > length else -self.s
        s_here = min(max(self.s, 0.0), length)
        assert self.road is not None
        options = net.graph.next_lanes(self.road, self.lane, s_here)
        while self.route and self.route[0] == (self.road, self.lane):
            self.route.pop(0)
        nxt = (
            self.route.pop(0)
            if self.route and self.route[0] in options
            else (options[0] if options else None)
        )
        if nxt is None:
            self.s = s_here
            if self.end_of_road == 0.0:
                # the step that reaches the end keeps the speed (what triggers on the end in this
                # step, a teleport back to the start say, carries on at it, as in the reference
                # player); a step that finds the entity still there stops it
                self.end_of_road = 1e-9
                return
            self.speed = 0.0
            self.speed_transition = None
            return
        other = net.roads[net.road_index(nxt[0])]
        self.road, self.lane = nxt
        was_forward = self.forward
        self.forward = net.driving_heading(other.id, nxt[1], 0.0) == 0.0
        if self.forward != was_forward:  # the roads meet head to head: t turns round, the side stays
            self.offset = -self.offset
        self.h_rel = 0.0 if self.forward else math.pi
        self.s = min(excess, other.length) if self.forward else max(other.length - excess, 0.0)


def lane_across_sections(net: RoadNetwork, road: str, lane: int, s0: float, s1: float) -> int:
    """The lane a car in ``lane`` at ``s0`` [m] is in at ``s1`` on the same road: across each lane
    section boundary it follows the lane's successor (predecessor when s decreases), keeping its id
    where the file links none."""
    secs = net.roads[net.road_index(road)].lane_sections
    if len(secs) < 2:
        return lane
    k0 = _section_at(secs, s0)
    k1 = _section_at(secs, s1)
    step = 1 if k1 > k0 else -1
    for k in range(k0, k1, step):
        here = next((ln for ln in secs[k].lanes if ln.id == lane), None)
        link = None if here is None else (here.successor if step > 0 else here.predecessor)
        if link is not None and any(ln.id == link for ln in secs[k + step].lanes):
            lane = link
    return lane


def _section_at(secs: tuple, s: float) -> int:
    """Index of the lane section that holds s [m]."""
    k = 0
    while k + 1 < len(secs) and secs[k + 1].s <= s:
        k += 1
    return k


def _wrap(a: float) -> float:
    """An angle in [-pi, pi) [rad]."""
    return (a + math.pi) % (2.0 * math.pi) - math.pi
