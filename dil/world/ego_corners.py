"""The ego's box corners placed in their lanes without a lookup each, on a plain road: an isolated,
level road whose reference line is one straight line and whose lane borders do not change within a
lane section.

There a point's station and offset are the projection onto the line in closed form, and the section's
lane borders are the same at every station of it. Where each corner lies clear of the road's ends,
of the lookup's reach, of its section's ends and of every lane border (by :data:`EPS`), the lookup
(:func:`~dil.road.lookup.locate_near`, whose Newton steps end within about 1e-10 m of the same
projection) would find the same road, section and lane: the same road, lane, inside flag and lane
type; station, offset and heading to the lookup's own tolerance. Where one corner does not, nothing
is written and the caller looks all four up.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dil.road.geometry import G_HDG, G_KIND, G_S, G_X, G_Y, K_LINE
from dil.road.lanes import lane_borders, section_at
from dil.road.lookup import (
    HINT_FLAT,
    HINT_MARGIN,
    R_DISTANCE,
    R_HEADING,
    R_INSIDE,
    R_LANE,
    R_OFFSET,
    R_ROAD,
    R_S,
    R_T,
    R_TYPE,
)
from dil.road.tables import L_ID, L_NW, L_TYPE, L_W0, S_LANE0, S_NLANES, S_START, Tables

HINT_PLAIN = 3
"""A road's hint class above :data:`~dil.road.lookup.HINT_FLAT` (so it is one too): its reference line
is one straight line and its lane borders are constant within each section (:func:`plain_roads`)."""

EPS = 1e-6
"""How far [m] a corner must lie from every edge of its answer (road ends, the lookup's reach,
section ends, lane borders) for the closed form to stand in for the lookup: far more than the
lookup's tolerance and the rounding of either computation."""

CORNERS = ((1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0))
"""Signs (along, across) of the ego's box corners, in the order they are checked."""


def plain_roads(T: Tables) -> np.ndarray:
    """Per road: True when its reference line is one straight line record, its lane offset and each
    lane's width are constant (at most one record each, with no s terms), so that every lane border
    is one number within a section."""
    n = T.road_geom.shape[0]
    plain = np.zeros(n, dtype=bool)
    for r in range(n):
        g0, g1 = T.road_geom[r]
        if g1 - g0 != 1 or int(T.geom[g0, G_KIND]) != K_LINE:
            continue
        o0, o1 = T.road_offset[r]
        if o1 - o0 > 1 or np.any(T.offset[o0:o1, 2:] != 0.0):
            continue
        constant = True
        s0, s1 = T.road_sections[r]
        for sec in range(s0, s1):
            first, count = int(T.sections[sec, S_LANE0]), int(T.sections[sec, S_NLANES])
            for lane in range(first, first + count):
                w0, nw = int(T.lanes[lane, L_W0]), int(T.lanes[lane, L_NW])
                if nw > 1 or np.any(T.widths[w0 : w0 + nw, 2:] != 0.0):
                    constant = False
        plain[r] = constant
    return plain


def with_plain(hints: np.ndarray, T: Tables) -> np.ndarray:
    """``hints`` (:func:`~dil.road.lookup.road_hints`) with every level, isolated road that is plain
    raised to :data:`HINT_PLAIN` (a copy)."""
    out = hints.copy()
    out[(hints == HINT_FLAT) & plain_roads(T)] = HINT_PLAIN
    return out


@njit(cache=True)
def plain_corners(
    T: Tables,
    reach: float,
    hints: np.ndarray,
    box: np.ndarray,
    where: np.ndarray,
    where_found: np.ndarray,
    borders: np.ndarray,
    corner: np.ndarray,
) -> bool:
    """The ego's box ``box`` (centre x, y [m], heading [rad], length, width [m]) has its four corners
    (:data:`CORNERS`) placed into ``where[1:5]`` / ``where_found[1:5]`` as the lookup would place
    them, when its centre (``where[0]``, found) lies on a :data:`HINT_PLAIN` road and every corner
    lies clear of that road's edges by :data:`EPS` (see the module's text); ``reach``: the lookup
    grid's search radius [m]. ``borders`` and ``corner`` (4, 3) are scratch. Returns False, with
    nothing written, where it cannot."""
    if where_found[0] != 1:
        return False
    road = int(where[0, R_ROAD])
    if hints[road] != HINT_PLAIN:
        return False
    g = T.geom[T.road_geom[road, 0]]
    gx, gy, gs, hdg = g[G_X], g[G_Y], g[G_S], g[G_HDG]
    ch, sh = math.cos(hdg), math.sin(hdg)
    length = T.road_length[road]
    sec_end = T.road_sections[road, 1]
    x, y, yaw, half_l, half_w = box[0], box[1], box[2], 0.5 * box[3], 0.5 * box[4]
    c, s = math.cos(yaw), math.sin(yaw)
    last_sec = -1
    n = 0
    for k in range(4):  # every corner clear of its edges, or none is placed
        a, b = CORNERS[k]
        px = x + a * half_l * c - b * half_w * s
        py = y + a * half_l * s + b * half_w * c
        dx, dy = px - gx, py - gy
        sk = gs + dx * ch + dy * sh
        tk = -dx * sh + dy * ch
        if not (EPS < sk < length - EPS and abs(tk) <= reach - HINT_MARGIN - EPS):
            return False
        sec = section_at(T, road, sk)
        if abs(sk - T.sections[sec, S_START]) <= EPS:
            return False
        if sec + 1 < sec_end and abs(T.sections[sec + 1, S_START] - sk) <= EPS:
            return False
        if sec != last_sec:
            if last_sec >= 0:  # another section: one set of borders at a time
                return False
            n = lane_borders(T, road, sec, sk, borders)
            last_sec = sec
        for j in range(n):
            if abs(tk - borders[j]) <= EPS:
                return False
        corner[k, 0] = sk
        corner[k, 1] = tk
    first = int(T.sections[last_sec, S_LANE0])
    for k in range(4):
        row = where[k + 1]
        row[R_ROAD] = road
        row[R_S] = corner[k, 0]
        row[R_T] = corner[k, 1]
        row[R_HEADING] = hdg
        _lane_place(T, first, n, corner[k, 1], borders, row)
        where_found[k + 1] = 1
    return True


@njit(cache=True)
def _lane_place(T: Tables, first: int, n: int, t: float, borders: np.ndarray, out: np.ndarray) -> None:
    """The lane of offset ``t`` [m] among a section's ``n`` lanes (rows from ``first``) with outer
    borders ``borders``: R_LANE, R_OFFSET, R_INSIDE, R_TYPE and R_DISTANCE of ``out``, as the
    lookup's classification makes them (inside a lane; else the outermost lane on that side, or the
    centre lane where that side has none)."""
    centre = 0
    for k in range(n):
        if T.lanes[first + k, L_ID] == 0:
            centre = k
    k_found = -1
    if t >= borders[centre]:
        for k in range(centre - 1, -1, -1):
            if t <= borders[k]:
                k_found = k
                break
        outer = borders[0] if centre > 0 else borders[centre]
    else:
        for k in range(centre + 1, n):
            if t >= borders[k]:
                k_found = k
                break
        outer = borders[n - 1] if centre < n - 1 else borders[centre]
    if k_found < 0:
        out[R_INSIDE] = 0.0
        out[R_DISTANCE] = abs(t - outer)
        k_found = 0 if t >= borders[centre] else n - 1
        if k_found == centre:
            out[R_LANE] = 0.0
            out[R_TYPE] = T.lanes[first + centre, L_TYPE]
            out[R_OFFSET] = t - borders[centre]
            return
    else:
        out[R_INSIDE] = 1.0
        out[R_DISTANCE] = 0.0
    lane_id = T.lanes[first + k_found, L_ID]
    inner = borders[k_found + 1] if lane_id > 0 else borders[k_found - 1]
    out[R_LANE] = lane_id
    out[R_TYPE] = T.lanes[first + k_found, L_TYPE]
    out[R_OFFSET] = t - 0.5 * (inner + borders[k_found])
