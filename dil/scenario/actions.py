"""OpenSCENARIO actions: each starts on the entities it is given and says when it is complete."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from lxml import etree

from dil.road.routing import RouteError

from .controllers import activate as activate_controller
from .entities import Trajectory, Transition
from .gaps import longitudinal_distance
from .motion import duration_for_peak_second_derivative, extent_for_rate, speed_transition_duration
from .params import resolve
from .positions import Position, parse_position, shift_lane
from .xml import Reader, children

if TYPE_CHECKING:
    from .context import Context
    from .entities import Entity
    from .trajectories import Shape

SHAPES = ("linear", "cubic", "sinusoidal", "step")
_log = logging.getLogger(__name__)


class Action:
    """Base: ``start`` once, then ``step`` each engine step until it returns True."""

    name = ""

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors

    def step(self, ctx: Context) -> bool:
        return True

    def moved_to_end(self, ctx: Context) -> bool:
        """True when the entities' motion of the step just made (before any trigger of this step is
        looked at) completed the action: the reference player ends it in that step, so what waits
        for its end starts in this one. Actions that move their entities in ``step`` say False."""
        return False

    def step_is_motion(self) -> bool:
        """``step`` only says what :meth:`moved_to_end` says and changes nothing: while that is False,
        a step of this action changes nothing (the storyboard need not walk to it)."""
        return False


@dataclass
class Teleport(Action):
    position: Position

    def start(self, ctx: Context, actors: list[str]) -> None:
        for n in actors:
            p = self.position.resolve(ctx)
            e = ctx.entity(n)
            if not (ctx.init or e.stack_driven) and e.before_teleport is None:
                # as in esmini: what follows in this step sees it there, but as a state at t it is
                # where it was; the step to t + dt puts it there instead of moving it (the engine
                # calls Entity.defer_teleport at the end of the step)
                e.before_teleport = e.place_state()
            if p.road is not None:
                e.place_in_lane(ctx.net, p.road, p.lane, p.s, p.offset, yaw=p.yaw)
            else:
                e.place(ctx.net, p.x, p.y, p.z, p.yaw)
            ctx.teleported(e)


@dataclass
class Speed(Action):
    shape: str
    dimension: str
    value: float
    absolute: float | None = None
    relative_to: str | None = None
    relative_value: float = 0.0
    relative_kind: str = "delta"
    continuous: bool = False

    def target(self, ctx: Context) -> float:
        if self.absolute is not None:
            return self.absolute
        ref = ctx.entity(self.relative_to or "").speed
        return ref + self.relative_value if self.relative_kind == "delta" else ref * self.relative_value

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        for n in actors:
            e = ctx.entity(n)
            target = self.target(ctx)
            if e.stack_driven:
                ctx.set_cruise_speed(target)
                if ctx.t == 0.0:  # an Init action sets the starting speed as well
                    e.speed = target
                continue
            e.speed_follow = None
            target = min(target, e.max_speed)
            duration = speed_transition_duration(
                self.shape, self.dimension, self.value, e.speed, target, e.max_accel, e.max_decel
            )
            if duration <= 0.0:
                e.speed = target
                e.speed_transition = None
                continue
            e.speed_transition = Transition(e.speed, target, self.shape, duration)

    def step(self, ctx: Context) -> bool:
        done = _settled(ctx, self.actors, "speed_transition")
        if done and self.continuous and self.relative_to is not None:
            for n in self.actors:
                e = ctx.entity(n)
                if not e.stack_driven:
                    e.speed = self.target(ctx)
            return False
        return done

    def moved_to_end(self, ctx: Context) -> bool:
        if self.continuous and self.relative_to is not None:
            return False
        return _settled(ctx, self.actors, "speed_transition")

    def step_is_motion(self) -> bool:
        return not (self.continuous and self.relative_to is not None)  # (that one sets speeds)


@dataclass
class LaneChange(Action):
    shape: str
    dimension: str
    value: float
    absolute_lane: int | None = None
    relative_to: str | None = None
    relative_lanes: int = 0
    target_offset: float = 0.0
    where: str = ""
    """``file:line`` of the action, for what a run says about it."""

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        for n in actors:
            e = ctx.entity(n)
            if e.road is None:
                raise ValueError(f"LaneChangeAction: entity {n!r} is not on a lane")
            if self.absolute_lane is not None:
                lane = self.absolute_lane
            else:
                ref = ctx.entity(self.relative_to or n)
                # relative lanes count to the left of the reference entity's direction of travel
                d = self.relative_lanes if ref.forward else -self.relative_lanes
                lane = shift_lane(ref.lane, d)
            lane = self._existing(ctx, n, e.road, e.lane, lane, e.s)
            if e.stack_driven:
                ctx.set_target_lane(e.road, lane)
                continue
            # express the current lateral position relative to the target lane, then move to its offset
            t_now = ctx.net.lane_to_road(e.road, e.lane, e.s, e.offset)
            t_target_centre = ctx.net.lane_to_road(e.road, lane, e.s, 0.0)
            e.lane = lane
            e.offset = t_now - t_target_centre
            # a rate is the peak lateral speed [m/s]
            end = self.target_offset
            duration = distance = 0.0
            if self.dimension == "time":
                duration = max(self.value, 0.0)
            elif self.dimension == "distance":
                distance = max(self.value, 0.0)
            else:
                duration = extent_for_rate(self.shape, end - e.offset, self.value)
            e.lateral = Transition(e.offset, end, self.shape, duration, distance)

    def _existing(self, ctx: Context, name: str, road: str, lane: int, target: int, s: float) -> int:
        """``target`` if the road has that lane at ``s``; else the last lane that exists on the way
        there from ``lane`` (the outermost one on that side), with a warning: a lane change past the
        road's edge plays on, as the reference player plays it, rather than stopping the run."""
        if _has_lane(ctx, road, target, s):
            return target
        step = 1 if target > lane else -1
        last = lane
        while last != target and _has_lane(ctx, road, shift_lane(last, step), s):
            last = shift_lane(last, step)
        _log.warning(
            "%st = %.2f s: <LaneChangeAction> of %r: road %s has no lane %d at s = %.1f; it changes to "
            "lane %d, the last one on that side",
            f"{self.where}: " if self.where else "",
            ctx.t,
            name,
            road,
            target,
            s,
            last,
        )
        return last

    def step(self, ctx: Context) -> bool:
        return _settled(ctx, self.actors, "lateral")

    def moved_to_end(self, ctx: Context) -> bool:
        return self.step(ctx)

    def step_is_motion(self) -> bool:
        return True


def _settled(ctx: Context, actors: list[str], attr: str) -> bool:
    """None of ``actors`` has its motion ``attr`` (speed_transition, lateral, trajectory) any more:
    what the action asked of them has been made (a loop: this is looked at every step)."""
    entities = ctx.entities
    for n in actors:
        e = entities.get(n)
        if getattr(ctx.entity(n) if e is None else e, attr) is not None:
            return False
    return True


def _has_lane(ctx: Context, road: str, lane: int, s: float) -> bool:
    if lane == 0:
        return False
    try:
        ctx.net.lane_to_road(road, lane, s, 0.0)
    except KeyError:
        return False
    return True


@dataclass
class LaneOffset(Action):
    shape: str
    target: float
    relative_to: str | None
    max_lateral_acc: float
    continuous: bool

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        for n in actors:
            e = ctx.entity(n)
            target = self.target + (ctx.entity(self.relative_to).offset if self.relative_to else 0.0)
            # the shape's duration makes its peak lateral acceleration maxLateralAcc [m/s^2]
            duration = duration_for_peak_second_derivative(
                self.shape, target - e.offset, self.max_lateral_acc
            )
            e.lateral = Transition(e.offset, target, self.shape, duration, on_top=True)

    def step(self, ctx: Context) -> bool:
        done = _settled(ctx, self.actors, "lateral")
        return done and not self.continuous

    def moved_to_end(self, ctx: Context) -> bool:
        return self.step(ctx)

    def step_is_motion(self) -> bool:
        return True


FOLLOW_DONE = 0.1
"""How close [m] to its requested distance a non-continuous LongitudinalDistanceAction ends."""
SPRING = 0.4
"""Spring constant per m/s^2 of tension of the distance keeping with dynamic constraints [1/s^2]."""


class _Follow:
    """Keeps a distance or time gap to a referenced entity (LongitudinalDistanceAction).

    The distance is signed along the actor's heading: ``+d`` behind the referenced entity
    (trailing), ``-d`` ahead of it (leading). Without dynamic constraints the actor is held exactly
    there at the referenced entity's speed; with them a critically damped spring, whose tension is
    the acceleration limit, moves it within the limits of acceleration [m/s^2], jerk [m/s^3] and
    speed [m/s].
    """

    def __init__(self, action: LongitudinalDistance, sign: float, ctx: Context, e: Entity) -> None:
        self.a, self.sign, self.ctx = action, sign, ctx
        self.accel = 0.0
        # the constraints never exceed the vehicle's Performance [m/s^2, m/s]
        self.max_accel = min(action.max_accel, e.max_accel) if action.max_accel is not None else None
        self.max_decel = min(action.max_decel, e.max_decel)
        self.max_speed = min(action.max_speed, e.max_speed)

    def requested(self) -> float:
        lead = self.ctx.entity(self.a.leader)
        d = self.a.distance if self.a.distance is not None else (self.a.time_gap or 0.0) * abs(lead.speed)
        return self.sign * abs(d)

    def error(self, e: Entity) -> float:
        lead = self.ctx.entity(self.a.leader)
        gap = longitudinal_distance(self.ctx.net, e, lead, self.a.freespace, self.a.frame)
        return gap - self.requested()

    def speed(self, e: Entity, t: float, dt: float) -> float:
        a = self.a
        lead = self.ctx.entity(a.leader)
        diff = self.error(e)
        if self.max_accel is None:
            # held at the distance once both have moved this step (at the referenced entity's speed)
            shift(e, self.ctx, diff)
            return lead.speed
        k = (self.max_accel if diff < 0.0 else self.max_decel) * SPRING
        acc = diff * k - (e.speed - lead.speed) * 2.0 * math.sqrt(k)
        acc = min(max(acc, -self.max_decel), self.max_accel)
        # maxAccelerationRate / maxDecelerationRate bound how fast an acceleration or a deceleration
        # builds up [m/s^3]; easing off towards zero is not bounded (as the reference player reads them)
        if acc < 0.0 and acc < self.accel:
            acc = max(acc, self.accel - a.max_decel_rate * dt)
        elif acc > 0.0 and acc > self.accel:
            acc = min(acc, self.accel + a.max_accel_rate * dt)
        self.accel = acc
        return min(e.speed + acc * dt, self.max_speed)


def shift(e: Entity, ctx: Context, d: float) -> None:
    """Move ``e`` by ``d`` [m] along its direction of travel (along its lane when on one)."""
    if e.road is not None:
        length = ctx.net.roads[ctx.net.road_index(e.road)].length
        e.s = min(max(e.s + (d if e.forward else -d), 0.0), length)
    else:
        e.x += d * math.cos(e.yaw)
        e.y += d * math.sin(e.yaw)


@dataclass
class LongitudinalDistance(Action):
    leader: str
    distance: float | None
    time_gap: float | None
    freespace: bool
    continuous: bool
    max_accel: float | None = None
    """None: no DynamicConstraints (held at the distance exactly); else [m/s^2]."""
    max_decel: float = math.inf
    displacement: str | None = None
    """trailingReferencedEntity, leadingReferencedEntity, any; None (1.0): the sign of the value."""
    max_accel_rate: float = math.inf
    max_decel_rate: float = math.inf
    max_speed: float = math.inf
    frame: str = "entity"
    """coordinateSystem: entity (along the actor's heading), road or lane (along s)."""

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        self.follow = []
        for n in actors:
            e = ctx.entity(n)
            lead = ctx.entity(self.leader)
            if self.displacement == "leadingReferencedEntity":
                sign = -1.0
            elif self.displacement == "any":  # keep the side it is on now
                sign = (
                    -1.0 if longitudinal_distance(ctx.net, e, lead, self.freespace, self.frame) < 0.0 else 1.0
                )
            elif self.displacement is None:
                value = self.distance if self.distance is not None else self.time_gap or 0.0
                sign = -1.0 if value < 0.0 else 1.0
            else:
                sign = 1.0
            f = _Follow(self, sign, ctx, e)
            e.speed_follow = f
            e.speed_transition = None
            self.follow.append((e, f))
            if self.max_accel is None:  # held exactly there from the moment it starts
                shift(e, ctx, f.error(e))
                e.speed = lead.speed
                if e.road is not None and ctx.net is not None:
                    t_lat = ctx.net.lane_to_road(e.road, e.lane, e.s, e.offset)
                    e.x, e.y, e.z, h_ref = ctx.net.road_to_world(e.road, e.s, t_lat)
                    e.yaw = h_ref + e.h_rel

    def step(self, ctx: Context) -> bool:
        if self.continuous:
            return False
        done = True
        for e, f in self.follow:
            if e.speed_follow is not f:
                continue
            if abs(f.error(e)) > FOLLOW_DONE:
                done = False
            else:
                e.speed_follow = None
        return done


@dataclass
class FollowTrajectory(Action):
    shape: Shape
    timing: str
    """none (follow at the current speed) or absolute/relative: the shape's times, mapped to
    simulation time as ``offset + scale * t`` (relative: from the moment the action starts)."""
    offset: float = 0.0
    """[s]"""
    scale: float = 1.0
    following_mode: str = "position"
    """position or follow; both keep the entity exactly on the shape (it has no controller); on a
    timed Polyline, follow reaches each vertex at its time by one constant acceleration per segment
    (no speed jumps), position at one constant speed per segment (as the reference player does)."""
    initial_distance: float = 0.0
    """initialDistanceOffset: where along the trajectory the entity starts [m]."""
    where: str = ""
    """file:line of the action, for errors found when it starts."""

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        for n in actors:
            e = ctx.entity(n)
            sampled = self.shape.sample(ctx, n)
            tr = Trajectory(sampled.points, None, headings=sampled.headings, arc=sampled.arc)
            start = min(max(self.initial_distance, 0.0), tr.length)
            if self.timing != "none":
                if sampled.times is None:
                    raise ValueError(
                        f"{self.where}: FollowTrajectoryAction: timing {self.timing} needs a time on "
                        "every vertex (or control point, or the shape's start and stop times)"
                    )
                times = sampled.times * self.scale + self.offset
                if np.any(np.diff(times) < 0.0):
                    raise ValueError(f"{self.where}: FollowTrajectoryAction: the trajectory's times decrease")
                # an initial distance shifts the times: the entity is there when the action starts
                times = times - (float(np.interp(start, tr.cumulative, times)) - float(times[0]))
                if self.timing == "relative":
                    times = times + ctx.t
                from .trajectories import Polyline, follow_timing

                if self.following_mode == "follow" and isinstance(self.shape, Polyline):
                    # no speed jumps between the vertices: constant acceleration per segment
                    pts, times, heads, arc = follow_timing(
                        tr.points, tr.cumulative, times, tr.headings, e.speed
                    )
                    tr = Trajectory(pts, None, headings=heads, arc=arc)
                tr.times = times
                # the entity is on the trajectory from the moment it starts (at t = 0 for Init)
                tr.along = float(np.interp(ctx.t, times, tr.cumulative))
            else:
                tr.along = start
                # at a negative speed the entity backs along the shape (it faces the other way)
                tr.reverse = e.speed < 0.0
            e.trajectory = tr
            e.x, e.y, e.yaw = tr.pose()

    def step(self, ctx: Context) -> bool:
        return _settled(ctx, self.actors, "trajectory")

    def moved_to_end(self, ctx: Context) -> bool:
        return self.step(ctx)

    def step_is_motion(self) -> bool:
        return True


@dataclass
class AssignRoute(Action):
    waypoints: list[Position]

    def start(self, ctx: Context, actors: list[str]) -> None:
        for n in actors:
            e = ctx.entity(n)
            lanes: list[tuple[str, int]] = []
            here = (e.road, e.lane, e.s)
            for wp in self.waypoints:
                p = wp.resolve(ctx)
                pos = ctx.net.locate(p.x, p.y) if p.road is None else None
                goal = (p.road, p.lane, p.s) if p.road is not None else (pos.road, pos.lane, pos.s)  # type: ignore
                if here[0] is not None and goal[0] is not None:
                    try:
                        leg = ctx.net.graph.route(here, goal)  # type: ignore[arg-type]
                    except RouteError as err:  # as the reference player: it drives on without the rest
                        _log.warning("t = %.2f s: the route of %r ends before a waypoint: %s", ctx.t, n, err)
                        break
                    lanes += leg if not lanes else leg[1:]
                here = goal
            e.route = lanes


@dataclass
class ActivateController(Action):
    """ActivateControllerAction; a domain given None is left as it is."""

    longitudinal: bool | None
    lateral: bool | None
    line: int = 0

    def start(self, ctx: Context, actors: list[str]) -> None:
        for n in actors:
            e = ctx.entity(n)
            c = e.controller
            lon = self.longitudinal if self.longitudinal is not None else (c.longitudinal if c else True)
            lat = self.lateral if self.lateral is not None else (c.lateral if c else True)
            if e.is_ego and ctx.ego_link.state is not None:
                ctx.activate_stack(n, lon, lat)  # dil's stack drives the ego
            else:  # its assigned controller, if any, takes the domains (none: the storyboard keeps it)
                activate_controller(e, lon, lat)


@dataclass
class ParameterChange(Action):
    parameter: str
    value: str | None = None
    add: float | None = None
    multiply: float | None = None

    def start(self, ctx: Context, actors: list[str]) -> None:
        if self.parameter not in ctx.params:
            raise ValueError(f"parameter {self.parameter!r} is not declared")
        if self.value is not None:
            ctx.params[self.parameter] = self.value
        else:
            v = float(ctx.params[self.parameter])
            v = v + self.add if self.add is not None else v * (self.multiply or 1.0)
            ctx.params[self.parameter] = repr(v)


def _dynamics(r: Reader, el: etree._Element) -> tuple[str, str, float]:
    shape = r.choice(el, "dynamicsShape", SHAPES)
    dimension = r.choice(el, "dynamicsDimension", ("rate", "time", "distance"), "time")
    return shape, dimension, r.num(el, "value", 0.0)


def parse_action(r: Reader, el: etree._Element) -> Action:
    """An ``<Action>``'s content, a ``<PrivateAction>`` or a ``<GlobalAction>``."""
    if el.tag == "Action":
        if not children(el):  # ScenarioRunner's placeholder events hold an empty <Action/>
            r.warn(el, "holds no action (the schema wants one): it does nothing and ends at once")
            return Action()
        return parse_action(r, r.one_child(el, ("PrivateAction", "GlobalAction", "UserDefinedAction")))
    if el.tag == "UserDefinedAction":  # a command for the simulator that wrote it: none is run here
        cmd = el.find("CustomCommandAction")
        what = f" (type {cmd.get('type')!r})" if cmd is not None else ""
        r.warn(el, f"a user-defined command{what} is not run by dil: it does nothing and ends at once")
        return Action()
    node = r.one_child(el)
    tag = node.tag
    if el.tag == "GlobalAction":
        if tag != "ParameterAction":
            from .global_actions import parse_global

            return parse_global(r, node, r.environment)
        ref = r.param_ref(node)
        if ref not in r.params:
            raise r.error(node, f"parameterRef={ref!r}: no such parameter is declared")
        act = r.one_child(node, ("SetAction", "ModifyAction"))
        if act.tag == "SetAction":
            return ParameterChange(ref, value=resolve(act.get("value", ""), r.params))
        rule = r.one_child(r.child(act, "Rule"), ("AddValue", "MultiplyByValue"))
        if rule.tag == "AddValue":
            return ParameterChange(ref, add=r.num(rule, "value"))
        return ParameterChange(ref, multiply=r.num(rule, "value"))
    if tag == "TeleportAction":
        return Teleport(parse_position(r, r.child(node, "Position")))
    if tag == "LongitudinalAction":
        inner = r.one_child(node, ("SpeedAction", "LongitudinalDistanceAction", "SpeedProfileAction"))
        if inner.tag == "SpeedProfileAction":
            from .speed_profile import parse_speed_profile

            return parse_speed_profile(r, inner)
        if inner.tag == "SpeedAction":
            shape, dim, value = _dynamics(r, r.child(inner, "SpeedActionDynamics"))
            target = r.one_child(
                r.child(inner, "SpeedActionTarget"), ("AbsoluteTargetSpeed", "RelativeTargetSpeed")
            )
            if target.tag == "AbsoluteTargetSpeed":
                return Speed(shape, dim, value, absolute=r.num(target, "value"))
            return Speed(
                shape,
                dim,
                value,
                relative_to=r.raw(target, "entityRef"),
                relative_value=r.num(target, "value"),
                relative_kind=r.choice(target, "speedTargetValueType", ("delta", "factor")),
                continuous=r.boolean(target, "continuous", False),
            )
        dist = inner.get("distance")
        gap = inner.get("timeGap")
        if (dist is None) == (gap is None):
            raise r.error(inner, "needs exactly one of the attributes distance and timeGap")
        limits = inner.find("DynamicConstraints")
        displacement = None
        if inner.get("displacement") is not None:
            displacement = r.choice(
                inner, "displacement", ("trailingReferencedEntity", "leadingReferencedEntity", "any")
            )
        elif r_minor(inner) >= 1:
            displacement = "trailingReferencedEntity"
        inf = math.inf
        return LongitudinalDistance(
            r.raw(inner, "entityRef"),
            r.num(inner, "distance") if dist is not None else None,
            r.num(inner, "timeGap") if gap is not None else None,
            r.boolean(inner, "freespace", False),
            r.boolean(inner, "continuous", False),
            r.num(limits, "maxAcceleration", inf) if limits is not None else None,
            r.num(limits, "maxDeceleration", inf) if limits is not None else inf,
            displacement,
            r.num(limits, "maxAccelerationRate", inf) if limits is not None else inf,
            r.num(limits, "maxDecelerationRate", inf) if limits is not None else inf,
            r.num(limits, "maxSpeed", inf) if limits is not None else inf,
            r.choice(inner, "coordinateSystem", ("entity", "road", "lane", "trajectory"), "entity"),
        )
    if tag == "LateralAction":
        inner = r.one_child(node, ("LaneChangeAction", "LaneOffsetAction", "LateralDistanceAction"))
        if inner.tag == "LateralDistanceAction":
            from .lateral_distance import parse_lateral_distance

            return parse_lateral_distance(r, inner)
        if inner.tag == "LaneChangeAction":
            shape, dim, value = _dynamics(r, r.child(inner, "LaneChangeActionDynamics"))
            target = r.one_child(
                r.child(inner, "LaneChangeTarget"), ("RelativeTargetLane", "AbsoluteTargetLane")
            )
            offset = r.num(inner, "targetLaneOffset", 0.0)
            where = f"{r.source}:{inner.sourceline}"
            if target.tag == "AbsoluteTargetLane":
                return LaneChange(
                    shape,
                    dim,
                    value,
                    absolute_lane=r.integer(target, "value"),
                    target_offset=offset,
                    where=where,
                )
            return LaneChange(
                shape,
                dim,
                value,
                relative_to=r.raw(target, "entityRef"),
                relative_lanes=r.integer(target, "value"),
                target_offset=offset,
                where=where,
            )
        dyn = r.child(inner, "LaneOffsetActionDynamics")
        target = r.one_child(
            r.child(inner, "LaneOffsetTarget"), ("AbsoluteTargetLaneOffset", "RelativeTargetLaneOffset")
        )
        return LaneOffset(
            r.choice(dyn, "dynamicsShape", SHAPES),
            r.num(target, "value"),
            r.raw(target, "entityRef") if target.tag == "RelativeTargetLaneOffset" else None,
            r.num(dyn, "maxLateralAcc", 0.5),
            r.boolean(inner, "continuous", False),
        )
    if tag == "SynchronizeAction":
        from .synchronize import parse_synchronize

        return parse_synchronize(r, node)
    if tag == "RoutingAction":
        inner = r.one_child(node, ("AssignRouteAction", "FollowTrajectoryAction", "AcquirePositionAction"))
        if inner.tag == "AcquirePositionAction":  # a route from where the entity is to the position
            return AssignRoute([parse_position(r, r.child(inner, "Position"))])
        if inner.tag == "AssignRouteAction":
            from .routes import parse_route

            route, _ = parse_route(r, r.one_child(inner, ("Route", "CatalogReference")))
            return AssignRoute(list(route.waypoints))
        return _trajectory(r, inner)
    if tag in ("ControllerAction", "ActivateControllerAction"):
        from .controller_actions import parse_controller_action

        return parse_controller_action(r, node)
    if tag in ("VisibilityAction", "AppearanceAction"):
        from .appearance import parse_appearance, parse_visibility

        return parse_visibility(r, node) if tag == "VisibilityAction" else parse_appearance(r, node)
    if tag == "TrailerAction":
        from .trailers import parse_trailer_action

        return parse_trailer_action(r, node)
    raise r.unsupported(node, "action")


def _trajectory(r: Reader, el: etree._Element) -> FollowTrajectory:
    """A FollowTrajectoryAction: its trajectory (inline, in a TrajectoryRef, or from a catalog),
    timing and following mode."""
    from .trajectories import parse_shape, trajectory_reader

    traj = el.find("Trajectory")
    sub = r
    if traj is None:
        ref = r.child(el, "TrajectoryRef")
        traj = r.one_child(ref, ("Trajectory", "CatalogReference"))
        if traj.tag == "CatalogReference":
            if r.catalogs is None:
                raise r.unsupported(traj, "a catalog reference here")
            traj, sub = r.catalogs.entry(traj)
            if traj.tag != "Trajectory":
                raise sub.error(traj, "is not a Trajectory (the catalog reference must name a trajectory)")
    sub = trajectory_reader(sub, traj)
    shape = parse_shape(sub, sub.child(traj, "Shape"))
    timing_el = el.find("TimeReference")
    timing, offset, scale = "none", 0.0, 1.0
    if timing_el is not None and timing_el.find("Timing") is not None:
        t = timing_el.find("Timing")
        timing = r.choice(t, "domainAbsoluteRelative", ("absolute", "relative"))
        offset, scale = r.num(t, "offset", 0.0), r.num(t, "scale", 1.0)
        if scale <= 0.0:
            raise r.error(t, f"attribute scale={scale:g} must be above 0")
        if not shape.timed:  # as the reference player: the entity follows it at its own speed
            r.warn(
                t,
                f"domainAbsoluteRelative={timing} but the trajectory has no times (a time on every vertex "
                "or control point, a Clothoid's startTime and stopTime, a ClothoidSpline's timeStart "
                "and timeEnd): the timing is ignored and the entity keeps its speed along it",
            )
            timing = "none"
    mode_el = el.find("TrajectoryFollowingMode")
    mode = "position"
    if mode_el is not None:
        mode = r.choice(mode_el, "followingMode", ("position", "follow"))
    initial = r.coord(el, "initialDistanceOffset", 0.0)
    if initial < 0.0:
        raise r.error(el, f"attribute initialDistanceOffset={initial:g} must not be negative")
    return FollowTrajectory(shape, timing, offset, scale, mode, initial, f"{r.source}:{el.sourceline}")


def r_minor(el: etree._Element) -> int:
    """The file's OpenSCENARIO minor revision (FileHeader revMinor; 0 when absent)."""
    header = el.getroottree().getroot().find("FileHeader")
    try:
        return int(header.get("revMinor", "0")) if header is not None else 0
    except ValueError:
        return 0
