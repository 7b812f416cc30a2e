"""KPIs of a run, measured by an observer that only reads: collisions, time to collision and
headway, distances, deceleration and jerk, lane departures, speeds, completion."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from dil.bus.graph import NodeSpec
from dil.scenario.conditions import _euclidean, _lateral_gap, time_headway, time_to_collision
from dil.scenario.engine import Context
from dil.world.events import WorldEvent


@dataclass
class Kpis:
    collision: bool = False
    collision_with: str = ""
    collision_speed: float = 0.0
    """Closing speed at the first collision [m/s]."""
    collision_time: float | None = None
    min_ttc: float = math.inf
    """To entities in the ego's path [s]."""
    min_headway: float = math.inf
    min_distance: float = math.inf
    """Free space to the nearest entity [m]."""
    max_decel: float = 0.0
    max_jerk: float = 0.0
    lane_invasions: int = 0
    off_road: int = 0
    initial_speed: float = 0.0
    min_speed: float = math.inf
    final_speed: float = 0.0
    speed_reduction: float = 0.0
    """Initial speed minus the speed at the first collision, or minus the lowest speed [m/s]."""
    duration: float = 0.0
    end: str = ""
    events: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        return {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in d.items()}


class KpiNode:
    """Reads the scenario context and world events each step; changes nothing."""

    def __init__(
        self,
        ctx: Context,
        ego: str,
        accel: Callable[[], float],
        *,
        rate_hz: float = 100.0,
        path_half_width: float = 1.2,
    ) -> None:
        self.ctx = ctx
        self.ego = ego
        self.accel = accel
        self.rate_hz = rate_hz
        self.kpis = Kpis()
        self.spec = NodeSpec("kpi")
        self._half = path_half_width
        self._last_ax: float | None = None
        self._started = False

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def world_events(self, events: list[WorldEvent]) -> None:
        k = self.kpis
        ego_id = self.ctx.entity(self.ego).world_id
        for e in events:
            k.events.append({"t": e.t_ns * 1e-9, "kind": e.kind, "detail": e.detail})
            if e.kind == "collision" and ego_id in (e.actor_id, e.other_id) and not k.collision:
                other = e.other_id if e.actor_id == ego_id else e.actor_id
                k.collision = True
                k.collision_with = next(
                    (n for n, x in self.ctx.entities.items() if x.world_id == other), str(other)
                )
                k.collision_speed = e.relative_speed
                k.collision_time = e.t_ns * 1e-9
                k.speed_reduction = k.initial_speed - self.ctx.entity(self.ego).speed
            elif e.kind == "lane_invasion":
                k.lane_invasions += 1
            elif e.kind == "off_road":
                k.off_road += 1

    def tick(self, t_sim_ns: int) -> None:
        k = self.kpis
        ego = self.ctx.entity(self.ego)
        if not self._started:
            k.initial_speed = ego.speed
            self._started = True
        k.duration = t_sim_ns * 1e-9
        k.min_speed = min(k.min_speed, ego.speed)
        k.final_speed = ego.speed
        ax = self.accel()
        k.max_decel = max(k.max_decel, -ax)
        if self._last_ax is not None:
            k.max_jerk = max(k.max_jerk, abs(ax - self._last_ax) * self.rate_hz)
        self._last_ax = ax
        for other in self.ctx.entities.values():
            if other is ego:
                continue
            k.min_distance = min(k.min_distance, _euclidean(ego, other, True))
            if (
                abs(_lateral_gap(ego, other, True)) <= 0.0 + 1e-9
                or abs(_lateral_gap(ego, other, False)) < self._half
            ):
                k.min_ttc = min(k.min_ttc, time_to_collision(ego, other, True))
                k.min_headway = min(k.min_headway, time_headway(ego, other, True))
        if not k.collision:
            k.speed_reduction = k.initial_speed - k.min_speed
