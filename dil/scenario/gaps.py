"""Longitudinal distance between two entities as LongitudinalDistanceAction measures it.

``freespace`` false: between the reference points; true: between the bounding boxes (the reference
distance less both boxes' half extents along the measuring direction). ``coordinateSystem`` entity:
along the actor's heading; road or lane: along the road's s axis in the actor's direction of travel
(the difference in s when both are on the same road).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dil.road.network import RoadNetwork

    from .entities import Entity

ROAD_FRAMES = ("road", "lane", "trajectory")


def longitudinal_distance(
    net: RoadNetwork | None, a: Entity, b: Entity, freespace: bool, frame: str
) -> float:
    """Signed distance [m] from ``a`` to ``b`` (``b`` ahead of ``a`` is positive)."""
    same_road = net is not None and a.road is not None and a.road == b.road
    if frame in ROAD_FRAMES and same_road:
        assert net is not None and a.road is not None
        sign = 1.0 if a.forward else -1.0
        d = (b.s - a.s) * sign
        u = net.road_to_world(a.road, a.s)[3] + (0.0 if a.forward else math.pi)
    else:
        u = a.yaw
        d = (b.x - a.x) * math.cos(u) + (b.y - a.y) * math.sin(u)
    if not freespace:
        return d
    # centres instead of reference points, then the boxes' half extents along u
    d += b.centre_x * math.cos(b.yaw - u) - a.centre_x * math.cos(a.yaw - u)
    reach = 0.5 * _extent_along(a, u) + 0.5 * _extent_along(b, u)
    return math.copysign(max(0.0, abs(d) - reach), d)


def _extent_along(e: Entity, direction: float) -> float:
    """Length [m] of the entity's bounding box projected on ``direction``."""
    c, s = abs(math.cos(e.yaw - direction)), abs(math.sin(e.yaw - direction))
    return e.length * c + e.width * s


def headway(net: RoadNetwork | None, a: Entity, b: Entity, freespace: bool, frame: str) -> float | None:
    """Time headway [s] from ``a`` to ``b`` ahead of it: their longitudinal distance over ``a``'s
    speed. None (undefined) when ``b`` is behind or ``a`` stands still or reverses."""
    d = longitudinal_distance(net, a, b, freespace, frame)
    if d < 0.0 or a.speed < 1e-9:
        return None
    return d / a.speed
