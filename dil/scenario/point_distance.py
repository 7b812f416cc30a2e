"""Distance from an entity to a position, as OpenSCENARIO's DistanceCondition measures it.

Lengths in m. ``freespace`` false: from the entity's reference point; true: from the nearest point of
its bounding box (0 when the position lies within it). ``kind``: ``euclidianDistance`` (the default,
``cartesianDistance`` its 1.0 name), ``longitudinal`` or ``lateral``. ``frame`` ``entity``: along and
across the entity's heading; ``road`` or ``lane``: in s and t of the road both lie on (the bounding box's
corners taken to road coordinates with freespace), else as ``entity``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dil.road.lookup import R_ROAD, R_S, R_T

if TYPE_CHECKING:
    from dil.road.network import RoadNetwork

    from .entities import Entity


def distance_to_point(
    net: RoadNetwork | None, e: Entity, px: float, py: float, freespace: bool, frame: str, kind: str
) -> float:
    """Unsigned distance [m] from ``e`` to the world point ``(px, py)``."""
    if frame in ("road", "lane") and kind in ("longitudinal", "lateral") and net is not None:
        d = _road_distance(net, e, px, py, freespace, kind)
        if d is not None:
            return d
    if freespace:  # the point in the box's frame, less the box's half sides
        cx, cy = e.box_centre()
        c, s = math.cos(e.yaw), math.sin(e.yaw)
        lon, lat = (px - cx) * c + (py - cy) * s, -(px - cx) * s + (py - cy) * c
        lon, lat = max(0.0, abs(lon) - 0.5 * e.length), max(0.0, abs(lat) - 0.5 * e.width)
    else:
        c, s = math.cos(e.yaw), math.sin(e.yaw)
        lon, lat = (px - e.x) * c + (py - e.y) * s, -(px - e.x) * s + (py - e.y) * c
    if kind == "longitudinal":
        return abs(lon)
    if kind == "lateral":
        return abs(lat)
    return math.hypot(lon, lat)


def _road_distance(
    net: RoadNetwork, e: Entity, px: float, py: float, freespace: bool, kind: str
) -> float | None:
    """The difference in s (longitudinal) or t (lateral) on the road the point lies on, from the
    reference point or (freespace) the nearest of the box's corners' span; None when the point or
    the entity is not on that road."""
    if not net.locate_into(px, py):
        return None
    r = net.result
    road, sp, tp = int(r[R_ROAD]), float(r[R_S]), float(r[R_T])
    axis = R_S if kind == "longitudinal" else R_T
    target = sp if kind == "longitudinal" else tp
    if not freespace:
        points = [(e.x, e.y)]
    else:
        cx, cy = e.box_centre()
        c, s = math.cos(e.yaw), math.sin(e.yaw)
        hl, hw = 0.5 * e.length, 0.5 * e.width
        points = [(cx + a * hl * c - b * hw * s, cy + a * hl * s + b * hw * c) for a, b in _CORNERS]
    values = []
    for x, y in points:
        if not net.locate_into(x, y) or int(r[R_ROAD]) != road:
            return None
        values.append(float(r[axis]))
    lo, hi = min(values), max(values)
    return max(0.0, lo - target, target - hi)


_CORNERS = ((1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0))
