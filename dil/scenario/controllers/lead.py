"""The object a controller-driven entity must follow or stop for: the nearest one ahead whose
bounding box is in its path (the width of its own box plus a margin), or will be by the time it
gets there (objects are predicted at constant velocity, for cut-ins and crossing pedestrians)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..entities import Entity

LOOKAHEAD = 200.0
"""Objects further ahead than this are not seen [m]."""


@dataclass(frozen=True)
class Lead:
    name: str
    gap: float
    """Free space between the two bounding boxes along the entity's heading [m] (>= 0)."""
    speed: float
    """The object's speed along the entity's heading [m/s]."""
    in_path: bool
    """In the path now (False: predicted to enter it)."""
    accel: float = 0.0
    """The object's longitudinal acceleration [m/s^2] (negative: braking)."""


def _half_extent(o: Entity, rel_yaw: float) -> tuple[float, float]:
    """Half extents [m] of o's box along and across a heading ``rel_yaw`` [rad] from its own."""
    c, s = abs(math.cos(rel_yaw)), abs(math.sin(rel_yaw))
    return 0.5 * (o.length * c + o.width * s), 0.5 * (o.width * c + o.length * s)


def find_lead(me: Entity, others: list[Entity], margin: float, predict: float) -> Lead | None:
    """The nearest object ahead of ``me`` in its path (``margin`` [m] beside its box counts), or
    entering it within ``predict`` [s]; None if the road ahead is free."""
    cx, cy = me.box_centre()
    c, s = math.cos(me.yaw), math.sin(me.yaw)
    half_w = 0.5 * me.width + margin
    best: Lead | None = None
    for o in others:
        if o is me or not o.present:
            continue
        ox, oy = o.box_centre()
        dx, dy = ox - cx, oy - cy
        ahead, side = dx * c + dy * s, -dx * s + dy * c
        if ahead <= 0.0 or ahead > LOOKAHEAD:
            continue
        rel = o.yaw - me.yaw
        along, across = _half_extent(o, rel)
        gap = ahead - 0.5 * me.length - along
        if gap < -0.5 * me.length:
            continue  # beside it, not ahead
        v_along = o.speed * math.cos(rel)
        in_path = abs(side) - across <= half_w
        if not in_path:
            if predict <= 0.0:
                continue
            v_side = o.speed * math.sin(rel)
            closing = max(me.speed - v_along, 0.1)
            t_reach = min(predict, max(gap, 0.0) / closing)
            side_then = side + v_side * t_reach
            crossed = (side > 0.0) != (side_then > 0.0)
            if not crossed and abs(side_then) - across > half_w:
                continue
        gap = max(gap, 0.0)
        if best is None or gap < best.gap:
            best = Lead(o.name, gap, v_along, in_path, o.accel * math.cos(rel))
    return best
