"""Numba kernel of the KPI observer's per-tick work: the gaps from the ego to every other actor and the
least time to collision and headway to those in its path.

Actors are rows of ``(x, y, yaw, speed, length, width)`` [m, m, rad, m/s, m, m] of their box centres,
row 0 the ego. The arithmetic is that of :mod:`dil.scenario.separation` (freespace gaps between the
bounding boxes), in the same order, so the KPIs are the same to the bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

K_X, K_Y, K_YAW, K_SPEED, K_LENGTH, K_WIDTH = range(6)
"""Columns of an actor row."""
K_SIZE = 6


@njit(cache=True)
def _extent_along(b: np.ndarray, direction: float) -> float:
    """Length [m] of actor row ``b``'s box projected on the heading ``direction`` [rad]."""
    c, s = abs(math.cos(b[K_YAW] - direction)), abs(math.sin(b[K_YAW] - direction))
    return b[K_LENGTH] * c + b[K_WIDTH] * s


@njit(cache=True)
def ego_gaps(actors: np.ndarray, n: int, path_half_width: float, gaps: np.ndarray, least: np.ndarray) -> None:
    """For actors ``1..n-1``: ``gaps[i]`` = freespace longitudinal and lateral gap from the ego [m]
    (along and across its heading); ``least`` = (time to collision [s], headway [s]) lowered to those of
    the actors in the ego's path (within ``path_half_width`` [m] of its centre line, or overlapping it
    sideways)."""
    a = actors[0]
    ax, ay, yaw = a[K_X], a[K_Y], a[K_YAW]
    cy, sy = math.cos(yaw), math.sin(yaw)
    for i in range(1, n):
        b = actors[i]
        dx, dy = b[K_X] - ax, b[K_Y] - ay
        lon = dx * cy + dy * sy
        lon = math.copysign(max(0.0, abs(lon) - (0.5 * a[K_LENGTH] + 0.5 * _extent_along(b, yaw))), lon)
        lat_centre = -dx * sy + dy * cy
        lat = math.copysign(
            max(0.0, abs(lat_centre) - (0.5 * a[K_WIDTH] + 0.5 * _extent_along(b, yaw + math.pi / 2))),
            lat_centre,
        )
        gaps[i, 0] = lon
        gaps[i, 1] = lat
        if abs(lat_centre) < path_half_width or abs(lat) <= 1e-9:
            ttc = math.inf
            if lon >= 0.0:
                closing = a[K_SPEED] - b[K_SPEED] * math.cos(b[K_YAW] - yaw)
                if closing > 1e-6:
                    ttc = lon / closing
            if ttc < least[0]:
                least[0] = ttc
            headway = math.inf
            if not (lon < 0.0 or a[K_SPEED] < 1e-6):
                headway = lon / a[K_SPEED]
            if headway < least[1]:
                least[1] = headway
