"""SpeedProfileAction (OpenSCENARIO 1.2): a list of target speeds, each reached in its own time
(or as fast as the dynamic constraints allow), absolute or relative to another entity's speed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from .actions import Action
from .speed_profile_follow import Piece, follow_plan
from .xml import Reader

if TYPE_CHECKING:
    from .context import Context
    from .entities import Entity


@dataclass
class SpeedProfile(Action):
    """Entries (speed [m/s], time [s] or None) driven one after the other at constant acceleration.

    ``position`` mode keeps every entry's time exactly (an entry without time takes the acceleration
    limit); ``follow`` mode also never exceeds maxAcceleration / maxDeceleration [m/s^2], stretching
    an entry's time where it would. maxSpeed [m/s] caps every target.
    """

    entries: list[tuple[float, float | None]]
    following: str
    relative_to: str | None = None
    max_accel: float | None = None
    max_decel: float | None = None
    max_speed: float = math.inf
    max_accel_rate: float = math.inf
    max_decel_rate: float = math.inf

    def start(self, ctx: Context, actors: list[str]) -> None:
        self.actors = actors
        self.runs = []
        for n in actors:
            e = ctx.entity(n)
            run = _Profile(self, ctx, e)
            e.speed_transition = None
            e.speed_follow = run
            self.runs.append((e, run))

    def step(self, ctx: Context) -> bool:
        done = True
        for e, run in self.runs:
            if e.speed_follow is run and not run.done:
                done = False
        if done:
            for e, run in self.runs:
                if e.speed_follow is run:
                    e.speed_follow = None
        return done


class _Profile:
    def __init__(self, action: SpeedProfile, ctx: Context, e: Entity) -> None:
        self.a, self.ctx = action, ctx
        self.accel_limit = action.max_accel if action.max_accel is not None else e.max_accel
        self.decel_limit = action.max_decel if action.max_decel is not None else e.max_decel
        self.index = -1
        self.done = False
        self.v0 = e.speed
        self.plan: list[Piece] | None = None
        if action.following == "follow":
            targets = [(self._target(i), t) for i, (_, t) in enumerate(action.entries)]
            self.plan = follow_plan(
                e.speed,
                e.accel,
                targets,
                (self.accel_limit, self.decel_limit),
                (action.max_accel_rate, action.max_decel_rate),
            )
        self._next(e.speed)

    def _target(self, i: int) -> float:
        v = self.a.entries[i][0]
        if self.a.relative_to is not None:
            v += self.ctx.entity(self.a.relative_to).speed
        return min(max(v, 0.0), self.a.max_speed)

    def _next(self, v_now: float) -> None:
        self.index += 1
        self.elapsed = 0.0
        if self.index >= len(self.a.entries):
            self.done = True
            return
        self.v0 = v_now
        self.v1 = self._target(self.index)
        dv = self.v1 - v_now
        limit = self.accel_limit if dv >= 0.0 else self.decel_limit
        least = abs(dv) / limit if limit > 0.0 and math.isfinite(limit) else 0.0
        t = self.a.entries[self.index][1]
        if t is None or (self.a.following == "follow" and t < least):
            t = least
        self.duration = max(t, 0.0)

    def speed(self, e: Entity, t: float, dt: float) -> float:
        if self.done:
            return e.speed
        if self.plan is not None:
            return self._follow(dt)
        self.elapsed += dt
        while not self.done and self.elapsed >= self.duration - 1e-9:
            left = self.elapsed - self.duration
            v = self.v1
            self._next(v)
            self.elapsed = max(left, 0.0) if not self.done else 0.0
            if self.done:
                return v
        return self.v0 + (self.v1 - self.v0) * self.elapsed / self.duration

    def _follow(self, dt: float) -> float:
        """Speed [m/s] on the jerk-limited plan at the end of this step; done once the last piece
        (the last entry's speed held) is reached."""
        self.elapsed += dt
        plan = self.plan
        assert plan is not None
        i = len(plan) - 1
        while i > 0 and plan[i].t > self.elapsed + 1e-9:
            i -= 1
        if i == len(plan) - 1:
            self.done = True
            return plan[-1].v
        return plan[i].speed(self.elapsed)


def parse_speed_profile(r: Reader, el: etree._Element) -> SpeedProfile:
    entries = []
    for entry in el.iterfind("SpeedProfileEntry"):
        t = r.num(entry, "time") if entry.get("time") is not None else None
        if t is not None and t < 0.0:
            raise r.error(entry, f"attribute time={t:g} is negative")
        entries.append((r.num(entry, "speed"), t))
    if not entries:
        raise r.error(el, "has no SpeedProfileEntry")
    limits = el.find("DynamicConstraints")
    inf = math.inf

    def limit(name: str) -> float | None:
        return r.num(limits, name) if limits is not None and limits.get(name) is not None else None

    return SpeedProfile(
        entries,
        r.choice(el, "followingMode", ("position", "follow")),
        r.raw(el, "entityRef") if el.get("entityRef") is not None else None,
        limit("maxAcceleration"),
        limit("maxDeceleration"),
        r.num(limits, "maxSpeed", inf) if limits is not None else inf,
        limit("maxAccelerationRate") or inf,
        limit("maxDecelerationRate") or inf,
    )
