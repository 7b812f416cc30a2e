"""World point to road and lane: a uniform grid over sampled reference-line segments, then Newton
refinement on the exact geometry and a search of the lane borders, all in one numba call."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from .geometry import poly_value, reference_pose
from .lanes import lane_borders, road_to_world, section_at
from .tables import L_ID, L_TYPE, S_LANE0, Tables

SEG_ROAD = 0
SEG_S0 = 1
SEG_S1 = 2
SEG_X0 = 3
SEG_Y0 = 4
SEG_X1 = 5
SEG_Y1 = 6

MAX_CANDIDATES = 16

# the result row of locate()
R_ROAD = 0
R_LANE = 1
R_S = 2
R_T = 3
R_OFFSET = 4
"""t relative to the lane's centre line [m]."""
R_HEADING = 5
"""Reference-line heading at s [rad]."""
R_INSIDE = 6
"""1 when the point lies within the road's outermost lane borders."""
R_TYPE = 7
"""Lane type code (``tables.LANE_TYPES``)."""
R_DISTANCE = 8
"""0 inside a lane, else the distance to the nearest road's outer border [m]."""
R_SIZE = 9


class Grid(NamedTuple):
    segments: np.ndarray
    cell_start: np.ndarray
    cell_items: np.ndarray
    meta: np.ndarray
    """origin x, origin y, cell size, nx, ny, search radius."""


def build_grid(T: Tables, segments: np.ndarray, radius: float, cell: float = 8.0) -> Grid:
    """Index ``segments`` (rows as ``SEG_*``) by the cells their bounding boxes touch (no segments:
    one empty cell, so that every lookup finds no road)."""
    if len(segments) == 0:
        return Grid(
            segments,
            np.zeros(2, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.array([0.0, 0.0, cell, 1, 1, radius]),
        )
    xs = np.concatenate([segments[:, SEG_X0], segments[:, SEG_X1]])
    ys = np.concatenate([segments[:, SEG_Y0], segments[:, SEG_Y1]])
    x0, y0 = xs.min() - radius, ys.min() - radius
    nx = int((xs.max() + radius - x0) / cell) + 1
    ny = int((ys.max() + radius - y0) / cell) + 1
    while nx * ny > 4_000_000:  # keep the index small for huge networks
        cell *= 2.0
        nx = int((xs.max() + radius - x0) / cell) + 1
        ny = int((ys.max() + radius - y0) / cell) + 1
    cells: list[list[int]] = [[] for _ in range(nx * ny)]
    for i, seg in enumerate(segments):
        ix0 = int((min(seg[SEG_X0], seg[SEG_X1]) - x0) / cell)
        ix1 = int((max(seg[SEG_X0], seg[SEG_X1]) - x0) / cell)
        iy0 = int((min(seg[SEG_Y0], seg[SEG_Y1]) - y0) / cell)
        iy1 = int((max(seg[SEG_Y0], seg[SEG_Y1]) - y0) / cell)
        for ix in range(ix0, ix1 + 1):
            for iy in range(iy0, iy1 + 1):
                cells[iy * nx + ix].append(i)
    start = np.zeros(nx * ny + 1, dtype=np.int64)
    start[1:] = np.cumsum([len(c) for c in cells])
    items = np.array([i for c in cells for i in c], dtype=np.int64)
    return Grid(segments, start, items, np.array([x0, y0, cell, nx, ny, radius]))


@njit(cache=True)
def _refine(T: Tables, road: int, s: float, x: float, y: float) -> tuple:
    """Newton steps on s so that the point is abeam the reference line; returns s, t, heading and
    whether the steps converged. The step divides the along-track error by ``1 - curvature * t``:
    exact for arcs."""
    g0, g1 = T.road_geom[road, 0], T.road_geom[road, 1]
    length = T.road_length[road]
    t = 0.0
    h = 0.0
    converged = False
    for _ in range(8):
        rx, ry, h = reference_pose(T.geom, T.spiral_pts, g0, g1, s)
        dx, dy = x - rx, y - ry
        c, sn = math.cos(h), math.sin(h)
        along = dx * c + dy * sn
        t = -dx * sn + dy * c
        if abs(along) < 1e-10:
            converged = True
            break
        h2 = reference_pose(T.geom, T.spiral_pts, g0, g1, min(s + 1e-3, length))[2]
        kappa = _wrap(h2 - h) / 1e-3 if s + 1e-3 <= length else 0.0
        scale = 1.0 - kappa * t
        step = along / scale if scale > 0.1 else along
        s_new = min(max(s + step, 0.0), length)
        if abs(s_new - s) < 1e-10:
            converged = True
            break
        s = s_new
    # t is measured on the road surface: undo the superelevation's foreshortening
    roll = poly_value(T.superelev, T.road_super[road, 0], T.road_super[road, 1], s, 0.0)[0]
    return s, t / math.cos(roll), h, converged


@njit(cache=True, inline="always")
def lane_place(T: Tables, first: int, n: int, t: float, borders: np.ndarray, out: np.ndarray) -> None:
    """The lane of offset ``t`` [m] among a section's ``n`` lanes (rows from ``first``) with outer
    borders ``borders``: fills R_LANE, R_OFFSET, R_INSIDE, R_TYPE and R_DISTANCE of ``out`` (inside a
    lane; else the outermost lane on that side, or the centre lane where that side has none)."""
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
        # the outermost lane on that side, so callers still get the nearest lane
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


@njit(cache=True)
def _classify(T: Tables, road: int, s: float, t: float, borders: np.ndarray, out: np.ndarray) -> None:
    """Lane of ``t`` at ``s``: fills R_LANE, R_OFFSET, R_INSIDE, R_TYPE, R_DISTANCE."""
    sec = section_at(T, road, s)
    n = lane_borders(T, road, sec, s, borders)
    lane_place(T, int(T.sections[sec, S_LANE0]), n, t, borders, out)


@njit(cache=True)
def locate(
    T: Tables,
    G: Grid,
    x: float,
    y: float,
    borders: np.ndarray,
    cand: np.ndarray,
    best: np.ndarray,
    out: np.ndarray,
) -> bool:
    """Road and lane at world ``(x, y)`` into ``out`` (``R_*``); False when no road is within the
    search radius (also for a point that is not finite). Inside a lane beats outside; among lanes,
    the nearest lane centre wins."""
    x0, y0, cell = G.meta[0], G.meta[1], G.meta[2]
    nx, ny, radius = int(G.meta[3]), int(G.meta[4]), G.meta[5]
    reach = int(radius / cell) + 1
    fx = (x - x0) / cell
    fy = (y - y0) / cell
    # far outside the grid, or not a finite point: no road is near (this also keeps every index
    # below in range: int() of a huge or NaN float is undefined)
    if not (-reach - 1.0 < fx < nx + reach + 1.0 and -reach - 1.0 < fy < ny + reach + 1.0):
        return False
    ix = int(fx)
    iy = int(fy)
    n_cand = 0
    for cy in range(max(iy - reach, 0), min(iy + reach, ny - 1) + 1):
        for cx in range(max(ix - reach, 0), min(ix + reach, nx - 1) + 1):
            c = cy * nx + cx
            for j in range(G.cell_start[c], G.cell_start[c + 1]):
                seg = G.segments[G.cell_items[j]]
                ax, ay = seg[SEG_X0], seg[SEG_Y0]
                vx, vy = seg[SEG_X1] - ax, seg[SEG_Y1] - ay
                ll = vx * vx + vy * vy
                u = 0.0 if ll == 0.0 else min(max(((x - ax) * vx + (y - ay) * vy) / ll, 0.0), 1.0)
                dx, dy = x - ax - u * vx, y - ay - u * vy
                d2 = dx * dx + dy * dy
                if d2 > radius * radius:
                    continue
                road = seg[SEG_ROAD]
                s = seg[SEG_S0] + u * (seg[SEG_S1] - seg[SEG_S0])
                k = 0
                while k < n_cand and cand[k, 0] != road:
                    k += 1
                if k == n_cand:
                    if n_cand == cand.shape[0]:
                        continue
                    n_cand += 1
                    cand[k, 0] = road
                    cand[k, 1] = d2
                    cand[k, 2] = s
                elif d2 < cand[k, 1]:
                    cand[k, 1] = d2
                    cand[k, 2] = s
    if n_cand == 0:
        return False
    best_score = math.inf
    for k in range(n_cand):
        road = int(cand[k, 0])
        s, t, h, _ = _refine(T, road, cand[k, 2], x, y)
        _classify(T, road, s, t, borders, best)
        score = best[R_DISTANCE] * 1000.0 + abs(best[R_OFFSET])
        if best[R_INSIDE] > 0.5 and best[R_LANE] != 0.0:
            score = abs(best[R_OFFSET])
        else:
            score += 1e6
        if score < best_score:
            best_score = score
            _put(out, road, s, t, h, best)
    return True


HINT_MARGIN = 1.0
"""How far inside the grid's search radius a hinted lookup's point must lie [m] (far more than a
reference-line segment's sagitta): the grid would then surely find its road."""
HINT_ISOLATED = 1
"""A road that no other road comes near (:func:`road_hints`): a lookup may start from a hint on it."""
HINT_FLAT = 2
"""As :data:`HINT_ISOLATED`, and its surface is level (every elevation and superelevation record all
zeros): heights found on it do not depend on the lookup's station."""


def road_hints(T: Tables, G: Grid) -> np.ndarray:
    """Each road's hint class (int64): :data:`HINT_FLAT`, :data:`HINT_ISOLATED` or 0.

    A road is isolated when no other road's reference-line segments come within twice the search
    radius (plus :data:`HINT_MARGIN`) of its own (their bounding boxes apart), and its segments reach
    its length: a point near it has it as its grid lookup's only candidate (see :func:`locate_near`)."""
    n = T.road_geom.shape[0]
    hints = np.zeros(n, dtype=np.int64)
    seg = G.segments
    if len(seg) == 0 or n > 4000:  # no roads, or too many for the pairwise test: no hints
        return hints
    road = seg[:, SEG_ROAD].astype(np.int64)
    lo = np.full((n, 2), np.inf)
    hi = np.full((n, 2), -np.inf)
    end = np.full(n, -np.inf)
    for c, (a, b) in enumerate(((SEG_X0, SEG_X1), (SEG_Y0, SEG_Y1))):
        np.minimum.at(lo[:, c], road, np.minimum(seg[:, a], seg[:, b]))
        np.maximum.at(hi[:, c], road, np.maximum(seg[:, a], seg[:, b]))
    np.maximum.at(end, road, seg[:, SEG_S1])
    gap = np.maximum(np.maximum(lo[None, :, :] - hi[:, None, :], lo[:, None, :] - hi[None, :, :]), 0.0)
    apart = np.hypot(gap[..., 0], gap[..., 1]) > 2.0 * G.meta[5] + HINT_MARGIN
    np.fill_diagonal(apart, True)
    isolated = apart.all(axis=1) & (end >= T.road_length - 1e-9)
    for r in np.flatnonzero(isolated):
        level = not np.any(T.elev[T.road_elev[r, 0] : T.road_elev[r, 1], 1:]) and not np.any(
            T.superelev[T.road_super[r, 0] : T.road_super[r, 1], 1:]
        )
        hints[r] = HINT_FLAT if level else HINT_ISOLATED
    return hints


@njit(cache=True)
def locate_near(
    T: Tables,
    G: Grid,
    x: float,
    y: float,
    road: int,
    s: float,
    borders: np.ndarray,
    cand: np.ndarray,
    best: np.ndarray,
    out: np.ndarray,
) -> bool:
    """:func:`locate` from a hint: ``road`` an isolated road (:func:`road_hints`; -1: none) and ``s``
    [m] a station on it near the point (the point's last lookup). Where the point lies abeam of
    that road (Newton's steps converge to 0 < s < its length) and well within the search radius of
    it, the grid's only
    candidate is that road: it is refined from ``s`` alone, without the grid's search; else the grid
    lookup. The same road, lane, inside flag and lane type as :func:`locate`; s, t, offset and
    heading to Newton's tolerance (about 1e-10 m)."""
    if road >= 0:
        s1, t, h, converged = _refine(T, road, s, x, y)
        if converged and 0.0 < s1 < T.road_length[road] and abs(t) <= G.meta[5] - HINT_MARGIN:
            _classify(T, road, s1, t, borders, best)
            _put(out, road, s1, t, h, best)
            return True
    return locate(T, G, x, y, borders, cand, best, out)


@njit(cache=True)
def _put(out: np.ndarray, road: int, s: float, t: float, h: float, best: np.ndarray) -> None:
    """A lookup's answer into ``out`` (``R_*``): the road, station and offset [m] and heading [rad]
    found, and the lane columns of the classified row ``best``."""
    out[R_ROAD] = road
    out[R_S] = s
    out[R_T] = t
    out[R_HEADING] = h
    for i in (R_LANE, R_OFFSET, R_INSIDE, R_TYPE, R_DISTANCE):
        out[i] = best[i]


@njit(cache=True)
def _wrap(a: float) -> float:
    """Angle into [-pi, pi)."""
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@njit(cache=True)
def locate_many(
    T: Tables,
    G: Grid,
    xy: np.ndarray,
    borders: np.ndarray,
    cand: np.ndarray,
    best: np.ndarray,
    out: np.ndarray,
    found: np.ndarray,
) -> None:
    """:func:`locate` for each row of ``xy`` into ``out[i]``; ``found[i]`` is 0 where no road is near."""
    for i in range(xy.shape[0]):
        found[i] = 1 if locate(T, G, xy[i, 0], xy[i, 1], borders, cand, best, out[i]) else 0


@njit(cache=True)
def locate_flat(
    geom: np.ndarray,
    spiral_pts: np.ndarray,
    road_geom: np.ndarray,
    road_length: np.ndarray,
    sections: np.ndarray,
    road_sections: np.ndarray,
    lanes: np.ndarray,
    widths: np.ndarray,
    drivable: np.ndarray,
    elev: np.ndarray,
    road_elev: np.ndarray,
    superelev: np.ndarray,
    road_super: np.ndarray,
    offset: np.ndarray,
    road_offset: np.ndarray,
    segments: np.ndarray,
    cell_start: np.ndarray,
    cell_items: np.ndarray,
    meta: np.ndarray,
    x: float,
    y: float,
    borders: np.ndarray,
    cand: np.ndarray,
    best: np.ndarray,
    out: np.ndarray,
) -> bool:
    """:func:`locate` with the tables as separate arrays: a call from Python passes plain arrays,
    which numba's dispatcher checks much faster than a named tuple of them."""
    T = Tables(
        geom,
        spiral_pts,
        road_geom,
        road_length,
        sections,
        road_sections,
        lanes,
        widths,
        drivable,
        elev,
        road_elev,
        superelev,
        road_super,
        offset,
        road_offset,
    )
    G = Grid(segments, cell_start, cell_items, meta)
    return locate(T, G, x, y, borders, cand, best, out)


@njit(cache=True)
def locate_many_flat(
    geom: np.ndarray,
    spiral_pts: np.ndarray,
    road_geom: np.ndarray,
    road_length: np.ndarray,
    sections: np.ndarray,
    road_sections: np.ndarray,
    lanes: np.ndarray,
    widths: np.ndarray,
    drivable: np.ndarray,
    elev: np.ndarray,
    road_elev: np.ndarray,
    superelev: np.ndarray,
    road_super: np.ndarray,
    offset: np.ndarray,
    road_offset: np.ndarray,
    segments: np.ndarray,
    cell_start: np.ndarray,
    cell_items: np.ndarray,
    meta: np.ndarray,
    xy: np.ndarray,
    borders: np.ndarray,
    cand: np.ndarray,
    best: np.ndarray,
    out: np.ndarray,
    found: np.ndarray,
) -> None:
    """:func:`locate_many` with the tables as separate arrays (see :func:`locate_flat`)."""
    T = Tables(
        geom,
        spiral_pts,
        road_geom,
        road_length,
        sections,
        road_sections,
        lanes,
        widths,
        drivable,
        elev,
        road_elev,
        superelev,
        road_super,
        offset,
        road_offset,
    )
    G = Grid(segments, cell_start, cell_items, meta)
    locate_many(T, G, xy, borders, cand, best, out, found)


@njit(cache=True)
def surface_z_flat(
    geom: np.ndarray,
    spiral_pts: np.ndarray,
    road_geom: np.ndarray,
    road_length: np.ndarray,
    sections: np.ndarray,
    road_sections: np.ndarray,
    lanes: np.ndarray,
    widths: np.ndarray,
    drivable: np.ndarray,
    elev: np.ndarray,
    road_elev: np.ndarray,
    superelev: np.ndarray,
    road_super: np.ndarray,
    offset: np.ndarray,
    road_offset: np.ndarray,
    segments: np.ndarray,
    cell_start: np.ndarray,
    cell_items: np.ndarray,
    meta: np.ndarray,
    x: float,
    y: float,
    default: float,
    borders: np.ndarray,
    cand: np.ndarray,
    best: np.ndarray,
    out: np.ndarray,
) -> float:
    """Height of the road surface under world ``(x, y)`` [m], ``default`` where no road is near; the
    lookup's row is left in ``out`` (tables as separate arrays, see :func:`locate_flat`)."""
    T = Tables(
        geom,
        spiral_pts,
        road_geom,
        road_length,
        sections,
        road_sections,
        lanes,
        widths,
        drivable,
        elev,
        road_elev,
        superelev,
        road_super,
        offset,
        road_offset,
    )
    G = Grid(segments, cell_start, cell_items, meta)
    if not locate(T, G, x, y, borders, cand, best, out):
        return default
    return road_to_world(T, int(out[R_ROAD]), out[R_S], out[R_T])[2]
