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


def lateral_distance(net: RoadNetwork | None, a: Entity, b: Entity, freespace: bool, frame: str) -> float:
    """Signed distance [m] from ``a`` to ``b`` across the measuring direction (left positive): the
    difference in t when both are on the same road in a road frame, else across ``a``'s heading."""
    same_road = net is not None and a.road is not None and a.road == b.road
    if frame in ROAD_FRAMES and same_road:
        assert net is not None and a.road is not None and b.road is not None
        ta = net.lane_to_road(a.road, a.lane, a.s, a.offset)
        tb = net.lane_to_road(b.road, b.lane, b.s, b.offset)
        d = (tb - ta) * (1.0 if a.forward else -1.0)
        u = net.road_to_world(a.road, a.s)[3] + (0.0 if a.forward else math.pi)
    else:
        u = a.yaw
        d = -(b.x - a.x) * math.sin(u) + (b.y - a.y) * math.cos(u)
    if not freespace:
        return d
    d += b.centre_x * math.sin(b.yaw - u) - a.centre_x * math.sin(a.yaw - u)
    reach = 0.5 * _extent_along(a, u + math.pi / 2) + 0.5 * _extent_along(b, u + math.pi / 2)
    return math.copysign(max(0.0, abs(d) - reach), d)


def headway(
    net: RoadNetwork | None, a: Entity, b: Entity, freespace: bool, frame: str, kind: str = "euclidean"
) -> float | None:
    """Time headway [s] from ``a`` to ``b`` ahead of it: their distance over ``a``'s speed, the
    distance longitudinal, lateral or (the default, as in OpenSCENARIO 1.0) euclidean, signed by
    which side of ``a`` ``b`` is on along the measuring direction. None (undefined) when ``b`` is
    not ahead (level with ``a``'s reference point, or behind its box with freespace) or ``a`` stands
    still or reverses."""
    lon = longitudinal_distance(net, a, b, freespace, frame)
    # ahead: reference points strictly ahead; bounding boxes ahead or overlapping along the way
    if (lon < 0.0 if freespace else lon <= 0.0) or a.speed < 1e-9:
        return None
    if kind == "longitudinal":
        d = lon
    elif kind == "lateral":
        d = abs(lateral_distance(net, a, b, freespace, frame))
    else:
        d = math.hypot(lon, lateral_distance(net, a, b, freespace, frame))
    return d / a.speed
