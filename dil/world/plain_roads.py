"""Road lookups without the lookup on a plain road: an isolated, level road whose reference line is
one straight line and whose lane borders do not change within a lane section.

There a point's station and offset are its projection onto the line in closed form, and a section's
lane borders are the same at every station of it. Where the point lies clear of the road's ends, of
the lookup's reach, of its section's ends and of every lane border (by :data:`EPS`), the lookup
(:func:`~dil.road.lookup.locate_near`, whose Newton steps end within about 1e-10 m of the same
projection, and which on an isolated road finds no other) would find the same road, section and
lane: the same road, lane, inside flag and lane type, and the heading; station and offset to the
lookup's own tolerance. On a level road the surface (:mod:`dil.world.ground`) depends on the road
and heading alone. Elsewhere nothing is written and the caller looks the point up.
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
    R_HEADING,
    R_ROAD,
    R_S,
    R_T,
    lane_place,
)
from dil.road.tables import L_NW, L_W0, S_LANE0, S_NLANES, S_START, Tables

HINT_PLAIN = 3
"""A road's hint class above :data:`~dil.road.lookup.HINT_FLAT` (so it is one too): its reference line
is one straight line and its lane borders are constant within each section (:func:`plain_roads`)."""

EPS = 1e-6
"""How far [m] a corner must lie from every edge of its answer (road ends, the lookup's reach,
section ends, lane borders) for the closed form to stand in for the lookup: far more than the
lookup's tolerance and the rounding of either computation."""


KEPT_ROAD = 0
KEPT_SECTION = 1
KEPT_LANES = 2
KEPT_BORDERS = 3
"""Where :func:`plain_locate`'s ``kept`` holds the road, section and lane count of its borders, and
where the borders begin."""


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
def plain_locate(
    T: Tables, reach: float, road: int, x: float, y: float, kept: np.ndarray, out: np.ndarray
) -> bool:
    """The lookup of world point ``x``, ``y`` [m] (:func:`~dil.road.lookup.locate_near`, with any hint)
    into ``out`` (``lookup.R_*``) in closed form, when ``road`` is a :data:`HINT_PLAIN` road (the
    caller's to know) and the point lies abeam of it and clear of its edges by :data:`EPS` (see the
    module's text); ``reach``: the lookup grid's search radius [m]. ``kept``: the road, section and
    lane count of the last section's borders, then the borders (a plain road's are the same at every
    station of a section: made again only for another section; NaN at first: none kept; at least
    3 + the most lanes of a section long). Returns False, with nothing written, where it cannot
    (the point is then looked up)."""
    g = T.geom[T.road_geom[road, 0]]
    hdg = g[G_HDG]
    ch, sh = math.cos(hdg), math.sin(hdg)
    dx, dy = x - g[G_X], y - g[G_Y]
    s = g[G_S] + dx * ch + dy * sh
    t = -dx * sh + dy * ch
    if not (EPS < s < T.road_length[road] - EPS and abs(t) <= reach - HINT_MARGIN - EPS):
        return False  # beyond an end or the lookup's reach, or not a number
    sec = section_at(T, road, s)
    if abs(s - T.sections[sec, S_START]) <= EPS:
        return False
    if sec + 1 < T.road_sections[road, 1] and abs(T.sections[sec + 1, S_START] - s) <= EPS:
        return False
    borders = kept[KEPT_BORDERS:]
    if kept[KEPT_ROAD] != road or kept[KEPT_SECTION] != sec:
        kept[KEPT_LANES] = lane_borders(T, road, sec, s, borders)
        kept[KEPT_ROAD] = road
        kept[KEPT_SECTION] = sec
    n = int(kept[KEPT_LANES])
    for j in range(n):
        if abs(t - borders[j]) <= EPS:
            return False
    out[R_ROAD] = road
    out[R_S] = s
    out[R_T] = t
    out[R_HEADING] = hdg
    lane_place(T, int(T.sections[sec, S_LANE0]), n, t, borders, out)
    return True
