"""OpenSCENARIO triggers and conditions: edges, delays, ConditionGroups (OR of ANDs)."""

from __future__ import annotations

import math
import operator
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from lxml import etree

from .point_distance import distance_to_point
from .positions import Position, parse_position
from .separation import euclidean_distance as _euclidean
from .separation import lateral_gap as _lateral_gap
from .separation import longitudinal_gap as _longitudinal_gap
from .separation import time_headway, time_to_collision  # noqa: F401  (re-exported)
from .xml import Reader

if TYPE_CHECKING:
    from .context import Context
    from .entities import Entity

RULES: dict[str, Callable[[float, float], bool]] = {
    "greaterThan": operator.gt,
    "lessThan": operator.lt,
    "equalTo": lambda a, b: abs(a - b) < 1e-9,
    "greaterOrEqual": operator.ge,
    "lessOrEqual": operator.le,
    "notEqualTo": lambda a, b: abs(a - b) >= 1e-9,
}
EDGES = ("rising", "falling", "risingOrFalling", "none")

Quiet = tuple[Callable[[Any], Any], Any, Any]
"""A condition's guard: ``(get, obj, below)``, its test surely False while ``get(obj) < below``."""

ABOVE_ZERO = math.nextafter(0.0, math.inf)
"""The least float above 0: ``x < ABOVE_ZERO`` is ``x <= 0.0``."""


@dataclass
class Condition:
    name: str
    delay: float
    edge: str
    test: Callable[[Context], bool]
    previous: bool | None = None
    history: deque = field(default_factory=deque)
    looks_at: frozenset[str] = frozenset()
    """What the engine tracks only for conditions that look at it: ``off_road`` (time off the road)."""
    quiet: Callable[[Context], Quiet | None] | None = None
    """Makes :attr:`guard` for a running scenario (see :meth:`bind`); None: the test has no guard."""
    guard: Quiet | None = None
    """``(get, obj, below)``: the test is surely False while ``get(obj) < below`` (the simulation time
    before a time condition's value, an entity's travelled distance before its target, ...), one
    comparison that a trigger makes instead of calling the test (see :meth:`Trigger.fired`)."""

    def bind(self, ctx: Context) -> None:
        """Make the guard of the running scenario ``ctx`` (its entities and world); only where the
        guard's skip is exact: without a delay, or an edge (whose delay holds only true values)."""
        if self.quiet is not None and (self.delay <= 0.0 or self.edge != "none"):
            self.guard = self.quiet(ctx)

    def evaluate(self, ctx: Context) -> bool:
        now = bool(self.test(ctx))
        prev = self.previous
        self.previous = now
        edge = self.edge
        if edge == "none":
            if self.delay <= 0.0:
                return now
            value = now
        elif prev is None:
            value = False
        elif edge == "rising":
            value = now and not prev
        elif edge == "falling":
            value = prev and not now
        else:
            value = now != prev
        if self.delay <= 0.0:
            return value
        # the value seen ``delay`` seconds ago; a rising edge is held until it is delivered
        history = self.history
        due = ctx.t - self.delay + 1e-9
        if edge != "none":
            # an edge delivers whether one of the values that came due was true: only true ones are kept
            if value:
                history.append(ctx.t)
            out = False
            while history and history[0] <= due:
                history.popleft()
                out = True
            return out
        history.append((ctx.t, value))
        out = False
        while history and history[0][0] <= due:
            _, out = history.popleft()
        return out


@dataclass
class Trigger:
    groups: list[list[Condition]]
    _flat: list[Condition] | None = field(default=None, init=False, repr=False, compare=False)
    """Every condition of every group, in order (made at the first :meth:`fired`); empty where a group
    has none (such a group holds)."""

    def fired(self, ctx: Context) -> bool:
        if not self.groups:
            return True
        flat = self._flat
        if flat is None:
            groups = self.groups
            flat = self._flat = [c for group in groups for c in group] if all(groups) else []
        if flat:
            for c in flat:
                g = c.guard
                if g is None or c.previous is not False or c.history or not g[0](g[1]) < g[2]:
                    break
            else:
                # every condition's test is False as it was and no delayed edge is waiting: no group
                # holds and nothing changes (the loop below would skip each test by its guard)
                return False
        result = False
        for group in self.groups:  # every condition is evaluated each step so that edges stay true
            held = True
            for c in group:
                g = c.guard
                if g is not None and c.previous is False and not c.history and g[0](g[1]) < g[2]:
                    # its test is False as it was, no delayed edge is waiting: evaluate would
                    # return False and change nothing
                    held = False
                elif not c.evaluate(ctx):
                    held = False
            result = result or held
        return result


def parse_trigger(r: Reader, el: etree._Element | None) -> Trigger | None:
    """``None`` when the element is absent (the caller decides what that means)."""
    if el is None:
        return None
    groups = []
    for g in el.iterfind("ConditionGroup"):
        groups.append([parse_condition(r, c) for c in g.iterfind("Condition")])
    return Trigger(groups)


def parse_condition(r: Reader, el: etree._Element) -> Condition:
    name = r.raw(el, "name", "")
    delay = r.num(el, "delay", 0.0)
    edge = r.choice(el, "conditionEdge", EDGES)
    kind = r.one_child(el, ("ByValueCondition", "ByEntityCondition"))
    if name.startswith("criteria_") and kind.tag == "ByValueCondition":
        # CARLA ScenarioRunner's convention: ``criteria_*`` conditions name its evaluation criteria
        # (a ParameterCondition on no or an undeclared parameter); they are not storyboard conditions
        r.warn(el, f"name={name!r}: a ScenarioRunner evaluation criterion, never true here")
        return Condition(name, delay, edge, lambda ctx: False)
    if kind.tag == "ByValueCondition":
        test = _by_value(r, r.one_child(kind))
    else:
        trig = r.child(kind, "TriggeringEntities")
        rule = r.choice(trig, "triggeringEntitiesRule", ("any", "all"))
        refs = [r.raw(e, "entityRef") for e in trig.iterfind("EntityRef")]
        entity_condition = r.one_child(r.child(kind, "EntityCondition"))
        test_one = _by_entity(r, entity_condition)
        combine = any if rule == "any" else all

        if len(refs) == 1:  # the common case, without a generator per step

            def test(ctx: Context, only: str = refs[0], test_one: Callable = test_one) -> bool:
                e = ctx.entities.get(only)
                return bool(test_one(ctx, ctx.entity(only) if e is None else e))

        else:

            def test(
                ctx: Context,
                refs: list[str] = refs,
                combine: Callable = combine,
                test_one: Callable = test_one,
            ) -> bool:
                return combine(test_one(ctx, ctx.entity(n)) for n in refs)

        looks = frozenset({"off_road"}) if entity_condition.tag == "OffroadCondition" else frozenset()
        quiet = _entity_quiet(r, entity_condition, refs[0]) if len(refs) == 1 else None
        return Condition(name, delay, edge, test, looks_at=looks, quiet=quiet)

    return Condition(name, delay, edge, test, quiet=_value_quiet(r, r.one_child(kind)))


_TIME = attrgetter("t")
_BELOW = {"greaterThan": math.nextafter, "greaterOrEqual": lambda v, _up: v}
"""Rule -> the least value at which it may hold, from the rule's value (and inf): ``x > v`` is False
while ``x < nextafter(v, inf)``, ``x >= v`` while ``x < v``."""


def _value_quiet(r: Reader, el: etree._Element) -> Callable[[Context], Quiet] | None:
    """The guard maker of a by-value condition ``el`` whose test is surely False while the simulation
    time is below a value (a SimulationTimeCondition greaterThan or greaterOrEqual); None for others."""
    if el.tag != "SimulationTimeCondition" or r.raw(el, "rule") not in _BELOW:
        return None
    below = _BELOW[r.raw(el, "rule")](r.num(el, "value"), math.inf)
    return lambda ctx: (_TIME, ctx, below)


_TOUCHING = attrgetter("touching")
NO_PAIR = frozenset({(-1, -1)})
"""A pair of actor ids that never touch: ``touching < NO_PAIR`` (a proper subset of it) is True only
when no pair touches."""


def _entity_quiet(r: Reader, el: etree._Element, ref: str) -> Callable[[Context], Quiet | None] | None:
    """The guard maker of an entity condition ``el`` on entity ``ref`` whose test is surely False while
    one of the entity's values is below a bound (its standstill or end-of-road time, travelled
    distance, speed), or (a collision with an entity) while nothing touches; None for others."""
    tag = el.tag
    if tag == "CollisionCondition":
        target = el.find("EntityRef")
        if target is None:
            return None
        other = r.raw(target, "entityRef")

        def nothing_touches(ctx: Context) -> Quiet | None:  # (the test's errors where one is missing)
            if ref not in ctx.entities or other not in ctx.entities:
                return None
            return (_TOUCHING, ctx.world.events, NO_PAIR)

        return nothing_touches
    if tag == "StandStillCondition":
        # 0.0 < time >= duration - 1e-9: False below the duration, and at 0 (not in the state)
        attr, below = "standstill", max(r.num(el, "duration") - 1e-9, ABOVE_ZERO)
    elif tag == "EndOfRoadCondition":
        attr, below = "end_of_road", max(r.num(el, "duration") - 1e-9, ABOVE_ZERO)
    elif tag == "TraveledDistanceCondition":
        attr, below = "odometer", r.num(el, "value")
    elif tag == "SpeedCondition" and r.raw(el, "rule") in _BELOW:
        attr, below = "speed", _BELOW[r.raw(el, "rule")](r.num(el, "value"), math.inf)
    else:
        return None
    get = attrgetter(attr)

    def quiet(ctx: Context) -> Quiet | None:
        e = ctx.entities.get(ref)
        return None if e is None else (get, e, below)

    return quiet


def _rule(r: Reader, el: etree._Element) -> Callable[[float, float], bool]:
    return RULES[r.choice(el, "rule", tuple(RULES))]


def _by_value(r: Reader, el: etree._Element) -> Callable[[Context], bool]:
    tag = el.tag
    if tag == "SimulationTimeCondition":
        rule, value = _rule(r, el), r.num(el, "value")
        return lambda ctx: rule(ctx.t, value)
    if tag == "StoryboardElementStateCondition":
        kind = r.choice(
            el, "storyboardElementType", ("story", "act", "maneuverGroup", "maneuver", "event", "action")
        )
        ref = r.raw(el, "storyboardElementRef")
        state = r.choice(
            el,
            "state",
            (
                "startTransition",
                "endTransition",
                "stopTransition",
                "skipTransition",
                "completeState",
                "runningState",
                "standbyState",
            ),
        )
        mark = [0]  # the transitions this condition has already looked at

        def seen(ctx: Context) -> bool:  # a transition counts as soon as it happens (once)
            now = ctx.element_state(kind, ref, state, since=mark[0])
            mark[0] = ctx.seq
            return now

        return seen
    if tag == "ParameterCondition":
        rule_name = r.choice(el, "rule", tuple(RULES))
        ref = r.param_ref(el)
        if ref not in r.params:
            raise r.error(el, f"parameterRef={ref!r}: no such parameter is declared")
        value = el.get("value")
        return lambda ctx: _compare_parameter(ctx.params, ref, value, rule_name)
    if tag == "VariableCondition":
        from .variables import parse_variable_condition

        return parse_variable_condition(r, el, _compare_parameter, tuple(RULES))
    if tag in ("TrafficSignalCondition", "TrafficSignalControllerCondition"):
        signals = r.environment.signals
        if tag == "TrafficSignalCondition":
            sid, state = r.raw(el, "name"), r.raw(el, "state")
            return lambda ctx: signals.state(sid, ctx.t) == state
        ref, phase = r.raw(el, "trafficSignalControllerRef"), r.raw(el, "phase")
        c = signals.controllers.get(ref)
        if c is None or phase not in (p.name for p in c.phases):
            raise r.error(
                el,
                f"trafficSignalControllerRef={ref!r} phase={phase!r}: no such controller phase in the "
                f"RoadNetwork's TrafficSignals (controllers: {', '.join(signals.controllers) or 'none'})",
            )
        return lambda ctx: signals.phase(ref, ctx.t) == phase
    raise r.unsupported(el, "condition")


def _compare_parameter(params: dict[str, str], ref: str, value: str | None, rule: str) -> bool:
    current = params[ref]
    try:
        return RULES[rule](float(current), float(value or "nan"))
    except ValueError:
        return (
            (current == value) if rule == "equalTo" else (current != value) if rule == "notEqualTo" else False
        )


def _by_entity(r: Reader, el: etree._Element) -> Callable[[Context, Entity], bool]:
    tag = el.tag
    if tag in (
        "SpeedCondition",
        "AccelerationCondition",
        "TraveledDistanceCondition",
        "StandStillCondition",
        "EndOfRoadCondition",
        "OffroadCondition",
    ):
        if tag == "TraveledDistanceCondition":
            value = r.num(el, "value")
            return lambda ctx, e: e.odometer >= value
        if tag in ("StandStillCondition", "EndOfRoadCondition", "OffroadCondition"):
            duration = r.num(el, "duration")
            attr = {
                "StandStillCondition": "standstill",
                "EndOfRoadCondition": "end_of_road",
                "OffroadCondition": "off_road",
            }[tag]
            # 0 means not in that state at all (a duration of 0 asks for the state itself)
            least = duration - 1e-9
            if attr == "off_road":  # tracked by the engine, not an entity's own
                return lambda ctx, e: 0.0 < ctx.duration(e, attr) >= least
            if attr == "standstill":
                return lambda ctx, e: 0.0 < e.standstill >= least
            return lambda ctx, e: 0.0 < e.end_of_road >= least
        rule, value = _rule(r, el), r.num(el, "value")
        if tag == "SpeedCondition":
            return lambda ctx, e: rule(e.speed, value)
        return lambda ctx, e: rule(e.accel, value)
    if tag == "RelativeSpeedCondition":
        rule, value, ref = _rule(r, el), r.num(el, "value"), r.raw(el, "entityRef")
        return lambda ctx, e: rule(e.speed - ctx.entity(ref).speed, value)
    if tag in ("TimeHeadwayCondition", "TimeToCollisionCondition", "RelativeDistanceCondition"):
        rule, value = _rule(r, el), r.num(el, "value")
        freespace = r.boolean(el, "freespace", False)
        cs = r.raw(el, "coordinateSystem", "entity")
        if cs not in ("entity", "lane", "road"):
            raise r.unsupported(el, f"coordinateSystem={cs!r}")
        if tag == "TimeHeadwayCondition":
            from .gaps import headway

            ref = r.raw(el, "entityRef")
            frame = "road" if r.boolean(el, "alongRoute", False) else cs  # alongRoute: 1.0's name
            kind = r.choice(
                el,
                "relativeDistanceType",
                ("longitudinal", "lateral", "cartesianDistance", "euclidianDistance"),
                "euclidianDistance",
            )

            def holds(ctx: Context, e: Entity) -> bool:  # an undefined headway meets no rule
                h = headway(ctx.net, e, ctx.entity(ref), freespace, frame, kind)
                return h is not None and rule(h, value)

            return holds
        if tag == "TimeToCollisionCondition":
            target = r.one_child(r.child(el, "TimeToCollisionConditionTarget"), ("EntityRef", "Position"))
            if target.tag == "EntityRef":
                ref = r.raw(target, "entityRef")
                return lambda ctx, e: rule(time_to_collision(e, ctx.entity(ref), freespace), value)
            pos = parse_position(r, target)
            return lambda ctx, e: rule(_ttc_to_position(ctx, e, pos, freespace), value)
        ref = r.raw(el, "entityRef")
        kind = r.choice(
            el, "relativeDistanceType", ("longitudinal", "lateral", "cartesianDistance", "euclidianDistance")
        )
        if kind == "longitudinal":  # (entities.get: the error of ctx.entity only where it is missing)
            return lambda ctx, e: rule(
                abs(_longitudinal_gap(e, ctx.entities.get(ref) or ctx.entity(ref), freespace)), value
            )
        if kind == "lateral":
            return lambda ctx, e: rule(abs(_lateral_gap(e, ctx.entity(ref), freespace)), value)
        return lambda ctx, e: rule(_euclidean(e, ctx.entity(ref), freespace), value)
    if tag == "DistanceCondition":
        rule, value = _rule(r, el), r.num(el, "value")
        pos = parse_position(r, r.child(el, "Position"))
        freespace = r.boolean(el, "freespace", False)
        cs = r.raw(el, "coordinateSystem", "entity")
        if cs not in ("entity", "lane", "road"):
            raise r.unsupported(el, f"coordinateSystem={cs!r}")
        kind = r.choice(
            el,
            "relativeDistanceType",
            ("longitudinal", "lateral", "cartesianDistance", "euclidianDistance"),
            "euclidianDistance",
        )

        def within(ctx: Context, e: Entity) -> bool:
            p = pos.resolve(ctx)
            return rule(distance_to_point(ctx.net, e, p.x, p.y, freespace, cs, kind), value)

        return within
    if tag == "ReachPositionCondition":
        tol = r.num(el, "tolerance")
        pos = parse_position(r, r.child(el, "Position"))
        return lambda ctx, e: _distance_to(ctx, e, pos) <= tol
    if tag in ("AngleCondition", "RelativeAngleCondition"):
        from .angle_conditions import parse_angle_condition

        return parse_angle_condition(r, el)
    if tag == "RelativeClearanceCondition":
        from .clearance import parse_clearance

        return parse_clearance(r, el)
    if tag == "CollisionCondition":
        target = r.one_child(el, ("EntityRef", "ByType"))
        if target.tag == "EntityRef":
            ref = r.raw(target, "entityRef")
            return lambda ctx, e: ctx.touching(e.name, ref)
        if target.get("objectType") is None and target.get("type") is not None:  # 0.9's name
            r.warn(target, "attribute 'type' is read as objectType (the standard's name)")
            kind = r.raw(target, "type")
        else:
            kind = r.raw(target, "objectType")
        return lambda ctx, e: ctx.touching_type(e.name, kind)
    raise r.unsupported(el, "condition")


def _distance_to(ctx: Context, e: Entity, pos: Position) -> float:
    p = pos.resolve(ctx)
    return math.hypot(p.x - e.x, p.y - e.y)


def _ttc_to_position(ctx: Context, e: Entity, pos: Position, freespace: bool = False) -> float:
    """Time [s] for ``e`` to reach ``pos`` along its heading at its speed: from its reference
    point, or with ``freespace`` from the front of its bounding box; inf when not approaching."""
    p = pos.resolve(ctx)
    d = (p.x - e.x) * math.cos(e.yaw) + (p.y - e.y) * math.sin(e.yaw)
    if freespace:
        d -= e.centre_x + 0.5 * e.length
    return d / e.speed if d > 0 and e.speed > 1e-6 else math.inf
