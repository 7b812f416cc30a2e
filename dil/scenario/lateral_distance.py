"""LateralDistanceAction: hold an entity at a lateral distance [m] to the left or right of another.

The distance is measured across the road (road and entity coordinate systems are both taken
across the road the two share: on a road, the referenced entity's heading is the road's), between
reference points, or between the vehicles' sides with ``freespace``. Without DynamicConstraints
the actor is put at the distance each step; with ``maxSpeed`` [m/s] it moves sideways at most that
fast; with ``maxAcceleration`` [m/s^2] (and ``maxAccelerationRate`` [m/s^3]) a critically damped
spring, whose tension scales with the acceleration limit, brings it there. What it moves sideways is
taken from its speed along the road, so the world speed stays its speed. Not continuous: complete
once within 1 cm; continuous: it keeps the distance until another lateral action replaces it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from .actions import SPRING, Action
from .xml import Reader, ScenarioError

if TYPE_CHECKING:
    from .context import Context
    from .entities import Entity

DONE = 0.01
"""Within this of the requested distance a non-continuous action is complete [m]."""
DISPLACEMENTS = ("leftToReferencedEntity", "rightToReferencedEntity", "any")


@dataclass
class _Keep:
    """One actor's state while the action runs."""

    entity: Entity
    lat_speed: float = 0.0
    """Sideways speed across the road [m/s], positive towards +t."""
    lat_accel: float = 0.0
    done: bool = False
    moving: bool = False
    """False in the step it starts: it moves sideways from the next step on."""


@dataclass
class LateralDistance(Action):
    reference: str
    distance: float
    """[m], >= 0."""
    freespace: bool
    continuous: bool
    displacement: str
    max_accel: float = math.inf
    max_accel_rate: float = math.inf
    max_speed: float = math.inf
    keeps: list[_Keep] = field(default_factory=list)
    where: str = ""
    """``file:line`` of the action, for errors met when it starts."""

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        self.keeps = []
        for n in actors:
            e = ctx.entity(n)
            if e.road is None:
                raise ScenarioError(f"{self.where}: <LateralDistanceAction> entity {n!r} is not on a road")
            if e.stack_driven:
                continue  # a driving stack steers it: the storyboard does not move it sideways
            e.lateral = None  # this action moves it sideways from now on
            e.trajectory = None
            k = _Keep(e)
            e.lateral_follow = k
            self.keeps.append(k)

    def step(self, ctx: Context) -> bool:
        ref = ctx.entity(self.reference)
        for k in self.keeps:
            if k.done:
                continue
            e = k.entity
            if e.lateral is not None or e.lateral_follow is not k or e.road is None or e.road != ref.road:
                k.done = True  # another lateral action took over, or the two are on different roads
                if e.lateral_follow is k:
                    e.lateral_follow = None
                continue
            if not k.moving:  # the action starts at t; its motion is from t on
                k.moving = True
                continue
            error = self._target_t(ctx, e, ref) - self._t(ctx, e)
            finished = self._move(ctx, k, ref, error)
            if finished and not self.continuous:
                k.done = True
                e.lateral_follow = None
                e.h_rel = 0.0 if e.forward else math.pi
        return all(k.done for k in self.keeps)

    def _t(self, ctx: Context, e: Entity) -> float:
        return ctx.net.lane_to_road(e.road, e.lane, e.s, e.offset)  # type: ignore[arg-type]

    def _target_t(self, ctx: Context, e: Entity, ref: Entity) -> float:
        d = self.distance + (0.5 * (e.width + ref.width) if self.freespace else 0.0)
        side = self.displacement
        if side == "any":  # the side it is on now
            left = (self._t(ctx, e) >= self._t(ctx, ref)) == ref.forward
        else:
            left = side == "leftToReferencedEntity"
        # the referenced entity's left is +t when it drives along s
        return self._t(ctx, ref) + (d if left == ref.forward else -d)

    def _move(self, ctx: Context, k: _Keep, ref: Entity, error: float) -> bool:
        """Move ``k``'s entity sideways for this step; True once it is at the distance."""
        e, dt = k.entity, ctx.dt
        if math.isinf(self.max_speed) and math.isinf(self.max_accel):
            self._shift(ctx, e, error, 0.0)
            return abs(error) < DONE
        cap = max(min(self.max_speed, e.speed) - 1e-6, 0.0)
        reached = False
        if math.isinf(self.max_accel):
            v = math.copysign(cap, error)
            if abs(v * dt) >= abs(error):
                v, reached = error / dt, True
        else:
            tension = SPRING * self.max_accel
            ref_v = 0.0  # the referenced entity's sideways speed is not tracked: it follows its lane
            a = tension * error - 2.0 * math.sqrt(tension) * (k.lat_speed - ref_v)
            step = self.max_accel_rate * dt
            a = min(max(a, k.lat_accel - step), k.lat_accel + step)
            a = min(max(a, -self.max_accel), self.max_accel)
            k.lat_accel = a
            v = min(max(k.lat_speed + a * dt, -cap), cap)
            reached = abs(error) < DONE
        k.lat_speed = v
        self._shift(ctx, e, v * dt, v)
        return reached

    def _shift(self, ctx: Context, e: Entity, dt_lat: float, lat_speed: float) -> None:
        """Move ``e`` by ``dt_lat`` [m] across the road; the along-road step it made this tick is
        shortened so that its world speed stays its speed, and it heads along its path."""
        net = ctx.net
        along = e.speed * ctx.dt
        if lat_speed != 0.0 and e.speed > abs(lat_speed):
            keep = math.sqrt(e.speed * e.speed - lat_speed * lat_speed) * ctx.dt
            back = along - keep
            e.s += -back if e.forward else back
            along = keep
        e.offset += dt_lat  # offsets are along the road's t
        t = net.lane_to_road(e.road, e.lane, e.s, e.offset)  # type: ignore[arg-type]
        x, y, z, h_ref = net.road_to_world(e.road, e.s, t)  # type: ignore[arg-type]
        if along > 0.0:
            sideways = dt_lat if e.forward else -dt_lat
            h_rel = math.atan2(sideways, along) + (0.0 if e.forward else math.pi)
            e.h_rel = (h_rel + math.pi) % (2.0 * math.pi) - math.pi  # kept while it moves along the road
            e.yaw = (h_ref + e.h_rel + math.pi) % (2.0 * math.pi) - math.pi
        e.x, e.y, e.z = x, y, z


def parse_lateral_distance(r: Reader, el: etree._Element) -> LateralDistance:
    cs = r.raw(el, "coordinateSystem", "entity")
    if cs not in ("entity", "road"):
        raise r.unsupported(el, f"coordinateSystem={cs!r} (entity and road are)")
    distance = r.num(el, "distance", 0.0)
    if distance < 0.0:
        raise r.error(el, f"attribute distance={distance:g} is negative (displacement gives the side)")
    limits = el.find("DynamicConstraints")
    inf = math.inf

    def limit(name: str) -> float:
        if limits is None:
            return inf
        v = r.num(limits, name, inf)
        if v <= 0.0:
            raise r.error(limits, f"attribute {name}={v:g} must be positive")
        return v

    return LateralDistance(
        r.raw(el, "entityRef"),
        distance,
        r.boolean(el, "freespace"),
        r.boolean(el, "continuous"),
        r.choice(el, "displacement", DISPLACEMENTS, "any"),
        limit("maxAcceleration"),
        limit("maxAccelerationRate"),
        limit("maxSpeed"),
        where=f"{r.source}:{el.sourceline}",
    )
