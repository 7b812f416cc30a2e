"""SynchronizeAction: an entity adjusts its speed so that it reaches its target position when the
master entity reaches the master's target position, optionally arriving at a final speed (absolute
or relative to the master's) that it holds over a steady-state stretch before the target."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from .actions import Action
from .positions import Position, parse_position
from .xml import Reader, children

if TYPE_CHECKING:
    from .context import Context
    from .entities import Entity

ARRIVED = 0.01
"""Slack [m] beyond one step's travel within which a target counts as reached."""
ABREAST = 5.0
"""Distance [m] within which a target position beside the path counts as reached once abreast."""


@dataclass
class FinalSpeed:
    value: float
    """[m/s] for absolute; for relative: delta [m/s] or factor [-] of the master's speed."""
    kind: str = "absolute"
    """absolute, delta or factor."""
    steady_distance: float | None = None
    """TargetDistanceSteadyState [m]: the final speed is held over this last stretch."""
    steady_time: float | None = None
    """TargetTimeSteadyState [s]: the final speed is held for this last time."""

    def speed(self, master: Entity) -> float:
        if self.kind == "absolute":
            return self.value
        return master.speed + self.value if self.kind == "delta" else master.speed * self.value


@dataclass
class Synchronize(Action):
    master: str
    master_position: Position
    target_position: Position
    final: FinalSpeed | None = None
    tolerance: float = 0.0
    """targetTolerance [m]: the entity has arrived within this of its target position."""
    tolerance_master: float = 0.0
    """targetToleranceMaster [m]: the master has arrived within this of its target position."""

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        self.sync = []
        for n in actors:
            e = ctx.entity(n)
            s = _Sync(self, ctx)
            e.speed_transition = None
            e.speed_follow = s
            self.sync.append((e, s))

    def step(self, ctx: Context) -> bool:
        if all(s.arrived or e.speed_follow is not s for e, s in self.sync):
            for e, s in self.sync:
                if e.speed_follow is s:
                    e.speed_follow = None
            return True
        return False


class _Sync:
    def __init__(self, action: Synchronize, ctx: Context) -> None:
        self.a, self.ctx = action, ctx
        self.arrived = False

    def speed(self, e: Entity, t: float, dt: float) -> float:
        a, ctx = self.a, self.ctx
        m = ctx.entity(a.master)
        mp, tp = a.master_position.resolve(ctx), a.target_position.resolve(ctx)
        d_master = math.hypot(mp.x - m.x, mp.y - m.y)
        d = math.hypot(tp.x - e.x, tp.y - e.y)
        v = e.speed
        final = a.final.speed(m) if a.final is not None else None
        if d < a.tolerance + 1e-6 or d_master < a.tolerance_master + 1e-6:
            self.arrived = True  # within the tolerance of a target position
            return final if final is not None else v
        # the motion aims at the tolerance circles around the targets
        d, d_master = d - a.tolerance, d_master - a.tolerance_master
        # a target position is reached when the distance ahead to it (along the heading) is covered:
        # one beside the entity's path (another lateral offset) is reached when it is abreast
        # (within ABREAST of it: a target far along a bending road may lie beside the heading)
        reached = d <= ABREAST and _ahead(e, tp.x, tp.y) <= v * dt + ARRIVED
        reached_master = d_master <= ABREAST and _ahead(m, mp.x, mp.y) <= m.speed * dt + ARRIVED
        if reached or reached_master or d <= v * dt + ARRIVED or d_master <= m.speed * dt + ARRIVED:
            self.arrived = True
            return final if final is not None else v
        if m.speed < 1e-6:
            # the master stands: it never arrives, so neither may the entity: it waits (speed 0)
            return 0.0
        remaining = d_master / m.speed  # [s] until the master arrives
        if final is not None and a.final is not None:
            steady = a.final.steady_distance
            if a.final.steady_time is not None:
                steady = a.final.steady_time * final
            if steady:
                if d <= steady:
                    return final
                remaining -= steady / final if final > 0.0 else 0.0
                d -= steady
        if remaining <= dt:
            return final if final is not None else d / max(dt, 1e-9)
        if final is None:
            # constant acceleration that covers d in the time left
            acc = 2.0 * (d - v * remaining) / remaining**2
            return max(v + acc * dt, 0.0)
        return max(_two_phase(v, final, d, remaining, dt), 0.0)


def _ahead(e: Entity, x: float, y: float) -> float:
    """Distance [m] from ``e`` to the point (x, y) [m] along its heading (negative once behind)."""
    return (x - e.x) * math.cos(e.yaw) + (y - e.y) * math.sin(e.yaw)


def _two_phase(v: float, final: float, d: float, left: float, dt: float) -> float:
    """The speed one step ``dt`` on along a profile that changes speed at a constant rate ``a`` for a
    time ``x``, then at ``-a`` until it arrives: ``d`` [m] in ``left`` [s] at speed ``final``
    [m/s], from ``v``. Falls back to a quadratic speed profile where no such ``x`` exists."""
    excess, dv = d - v * left, final - v  # a (-x^2 + 2 x T - T^2 / 2) = excess; a (2 x - T) = dv
    x = -1.0
    if abs(dv) < 1e-9:
        x, a = 0.5 * left, 4.0 * excess / left**2
    else:
        qa, qb, qc = dv, 2.0 * excess - 2.0 * dv * left, dv * left * left / 2.0 - excess * left
        disc = qb * qb - 4.0 * qa * qc
        if disc >= 0.0:
            for root in sorted((-qb + sign * math.sqrt(disc)) / (2.0 * qa) for sign in (1.0, -1.0)):
                if 0.0 <= root <= left and abs(2.0 * root - left) > 1e-9:
                    x = root
                    break
        a = dv / (2.0 * x - left) if x >= 0.0 else 0.0
    if x < 0.0:
        c = (3.0 * dv * left - 6.0 * excess) / left**3
        b = dv / left - c * left
        return v + b * dt + c * dt * dt
    if x >= dt:
        return v + a * dt
    return v + a * x - a * (dt - x)


def parse_synchronize(r: Reader, node: etree._Element) -> Synchronize:
    final = None
    fs_el = node.find("FinalSpeed")
    if fs_el is not None:
        fs = r.one_child(fs_el, ("AbsoluteSpeed", "RelativeSpeedToMaster"))
        if fs.tag == "AbsoluteSpeed":
            final = FinalSpeed(r.num(fs, "value"))
        else:
            final = FinalSpeed(r.num(fs, "value"), r.choice(fs, "speedTargetValueType", ("delta", "factor")))
        # the SteadyState group: its element directly in the speed element
        for kind in children(fs):
            if kind.tag not in ("TargetDistanceSteadyState", "TargetTimeSteadyState"):
                raise r.unsupported(kind, "steady state")
            if kind.tag == "TargetDistanceSteadyState":
                final.steady_distance = r.coord(kind, "distance")
            else:
                final.steady_time = r.num(kind, "time")
    tolerances = []
    for name in ("targetTolerance", "targetToleranceMaster"):
        tol = r.coord(node, name, 0.0)
        if tol < 0.0:
            raise r.error(node, f"attribute {name}={node.get(name)!r} is negative")
        tolerances.append(tol)
    return Synchronize(
        r.raw(node, "masterEntityRef"),
        parse_position(r, r.child(node, "TargetPositionMaster")),
        parse_position(r, r.child(node, "TargetPosition")),
        final,
        *tolerances,
    )
