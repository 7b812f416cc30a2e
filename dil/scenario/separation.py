"""Distances and times between two entities, as OpenSCENARIO's distance conditions measure them.

Lengths in m, angles in rad, times in s; ``a``'s heading sets the longitudinal and lateral axes.
``freespace``: between the bounding boxes' sides rather than the entities' reference points.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .entities import Entity


def reference_points(a: Entity, b: Entity, freespace: bool) -> tuple[float, float, float, float]:
    """Where distances between ``a`` and ``b`` are measured from: the bounding boxes' centres
    (freespace: their sides then come off) or the reference points (as the standard has it)."""
    if freespace:
        return (*a.box_centre(), *b.box_centre())
    return a.x, a.y, b.x, b.y


def longitudinal_gap(a: Entity, b: Entity, freespace: bool) -> float:
    """Distance from ``a`` to ``b`` along ``a``'s heading (b ahead is positive). The arithmetic of
    :func:`reference_points` and :func:`extent_along`, inline (a distance condition looks each step)."""
    cos, sin = math.cos, math.sin
    ca, sa = cos(a.yaw), sin(a.yaw)
    if not freespace:
        return (b.x - a.x) * ca + (b.y - a.y) * sa
    ax, ay = a.x + a.centre_x * ca, a.y + a.centre_x * sa  # the box centres (Entity.box_centre)
    bx, by = b.x + b.centre_x * cos(b.yaw), b.y + b.centre_x * sin(b.yaw)
    d = (bx - ax) * ca + (by - ay) * sa
    turn = b.yaw - a.yaw  # b's box along a's heading (extent_along)
    reach = 0.5 * a.length + 0.5 * (b.length * abs(cos(turn)) + b.width * abs(sin(turn)))
    return math.copysign(max(0.0, abs(d) - reach), d)


def lateral_gap(a: Entity, b: Entity, freespace: bool) -> float:
    """Distance from ``a`` to ``b`` across ``a``'s heading [m] (b to the left is positive)."""
    ax, ay, bx, by = reference_points(a, b, freespace)
    d = -(bx - ax) * math.sin(a.yaw) + (by - ay) * math.cos(a.yaw)
    if freespace:
        reach = 0.5 * a.width + 0.5 * extent_along(b, a.yaw + math.pi / 2)
        d = math.copysign(max(0.0, abs(d) - reach), d)
    return d


def extent_along(e: Entity, direction: float) -> float:
    """The length of ``e``'s bounding box projected on the heading ``direction`` [rad], in m."""
    c, s = abs(math.cos(e.yaw - direction)), abs(math.sin(e.yaw - direction))
    return e.length * c + e.width * s


def euclidean_distance(a: Entity, b: Entity, freespace: bool) -> float:
    """Straight-line distance from ``a`` to ``b`` [m] (freespace: between the bounding boxes)."""
    ax, ay, bx, by = reference_points(a, b, freespace)
    d = math.hypot(bx - ax, by - ay)
    if freespace:
        lon, lat = abs(longitudinal_gap(a, b, True)), abs(lateral_gap(a, b, True))
        return math.hypot(lon, lat)
    return d


def time_to_collision(a: Entity, b: Entity, freespace: bool = True) -> float:
    """Longitudinal gap over closing speed, for ``b`` ahead of ``a``; inf when not closing."""
    gap = longitudinal_gap(a, b, freespace)
    if gap < 0.0:
        return math.inf
    closing = a.speed - b.speed * math.cos(b.yaw - a.yaw)
    return gap / closing if closing > 1e-6 else math.inf


def time_headway(a: Entity, b: Entity, freespace: bool = True) -> float:
    """Longitudinal gap over ``a``'s speed [s]; inf when ``b`` is behind or ``a`` stands."""
    gap = longitudinal_gap(a, b, freespace)
    if gap < 0.0 or a.speed < 1e-6:
        return math.inf
    return gap / a.speed
