"""Lane kernels: sections, lane borders, road and lane coordinates to world coordinates.

The kernels of one lane place (section, lane index, borders, lane centre, world pose) are inlined into
the kernels that call them: each takes the network's :class:`~dil.road.tables.Tables`, fifteen arrays
that a call passes field by field, which cost more than the arithmetic of a lane place itself.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .geometry import find_record, poly_value, reference_pose
from .tables import L_ID, L_NW, L_W0, S_LANE0, S_NLANES, S_START, Tables


@njit(cache=True, inline="always")
def section_at(T: Tables, road: int, s: float) -> int:
    """Row of the lane section of ``road`` that holds ``s``."""
    return find_record(T.sections, S_START, T.road_sections[road, 0], T.road_sections[road, 1], s)


@njit(cache=True, inline="always")
def lane_offset(T: Tables, road: int, s: float) -> float:
    return poly_value(T.offset, T.road_offset[road, 0], T.road_offset[road, 1], s, 0.0)[0]


@njit(cache=True)
def lane_borders(T: Tables, road: int, sec: int, s: float, out: np.ndarray) -> int:
    """Outer border t of each lane of section ``sec`` at ``s`` into ``out`` (lanes in section order,
    decreasing id; the centre lane's entry is the lane offset). Returns the lane count."""
    n = int(T.sections[sec, S_NLANES])
    lane_borders_between(T, road, sec, s, out, 0, n - 1)
    return n


@njit(cache=True, inline="always")
def lane_borders_between(T: Tables, road: int, sec: int, s: float, out: np.ndarray, lo: int, hi: int) -> None:
    """:func:`lane_borders` of the lanes at positions ``lo`` to ``hi`` of section ``sec`` (and those
    between them and the centre lane) into ``out``: each border is the sum of the widths from the centre
    outwards, in the same order, so the values are those :func:`lane_borders` gives."""
    n = int(T.sections[sec, S_NLANES])
    first = int(T.sections[sec, S_LANE0])
    s_sec = T.sections[sec, S_START]
    centre = 0
    for k in range(n):
        if T.lanes[first + k, L_ID] == 0:
            centre = k
    t0 = lane_offset(T, road, s)
    out[centre] = t0
    t = t0
    for k in range(centre - 1, lo - 1, -1):  # left lanes, outwards
        row = first + k
        w0 = T.lanes[row, L_W0]
        t += max(0.0, poly_value(T.widths, w0, w0 + T.lanes[row, L_NW], s, s_sec)[0])
        out[k] = t
    t = t0
    for k in range(centre + 1, hi + 1):  # right lanes, outwards
        row = first + k
        w0 = T.lanes[row, L_W0]
        t -= max(0.0, poly_value(T.widths, w0, w0 + T.lanes[row, L_NW], s, s_sec)[0])
        out[k] = t


@njit(cache=True, inline="always")
def lane_index(T: Tables, sec: int, lane_id: int) -> int:
    """Position of ``lane_id`` within section ``sec``, or -1."""
    first = int(T.sections[sec, S_LANE0])
    for k in range(int(T.sections[sec, S_NLANES])):
        if T.lanes[first + k, L_ID] == lane_id:
            return k
    return -1


@njit(cache=True, inline="always")
def lane_centre_t(T: Tables, road: int, lane_id: int, s: float, work: np.ndarray) -> float:
    """t of the centre of lane ``lane_id`` at ``s`` (NaN if the section has no such lane)."""
    sec = section_at(T, road, s)
    k = lane_index(T, sec, lane_id)
    if k < 0:
        return math.nan
    if lane_id == 0:
        lane_borders_between(T, road, sec, s, work, k, k)
        return work[k]
    inner = k + 1 if lane_id > 0 else k - 1
    lane_borders_between(T, road, sec, s, work, min(k, inner), max(k, inner))  # (only the borders it needs)
    return 0.5 * (work[inner] + work[k])


@njit(cache=True, inline="always")
def road_to_world(T: Tables, road: int, s: float, t: float) -> tuple:
    """``(x, y, z, heading)`` of road coordinate ``(s, t)`` (superelevation tilts the cross-section)."""
    x, y, h = reference_pose(T.geom, T.spiral_pts, T.road_geom[road, 0], T.road_geom[road, 1], s)
    z = poly_value(T.elev, T.road_elev[road, 0], T.road_elev[road, 1], s, 0.0)[0]
    roll = poly_value(T.superelev, T.road_super[road, 0], T.road_super[road, 1], s, 0.0)[0]
    # (cos and sin of a roll of +-0 are 1 and +-0 exactly: no call for a road without superelevation)
    lateral = t * (math.cos(roll) if roll != 0.0 else 1.0)
    rise = t * (math.sin(roll) if roll != 0.0 else roll)
    return x - lateral * math.sin(h), y + lateral * math.cos(h), z + rise, h


@njit(cache=True)
def lane_poses(
    T: Tables,
    roads: np.ndarray,
    lanes: np.ndarray,
    s: np.ndarray,
    offsets: np.ndarray,
    work: np.ndarray,
    out: np.ndarray,
) -> None:
    """World ``(x, y, z, heading of the reference line)`` of each lane position into ``out[i]``."""
    for i in range(roads.size):
        t = lane_centre_t(T, roads[i], lanes[i], s[i], work) + offsets[i]
        x, y, z, h = road_to_world(T, roads[i], s[i], t)
        out[i, 0] = x
        out[i, 1] = y
        out[i, 2] = z
        out[i, 3] = h
