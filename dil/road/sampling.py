"""Polylines of the network: reference-line segments for the lookup index, lane centre lines,
borders and road marks for rendering and for driving stacks."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from .geometry import G_LEN, G_S, reference_pose
from .lanes import lane_borders, road_to_world
from .tables import L_ID, L_TYPE, LANE_TYPES, S_END, S_LANE0, S_NLANES, S_START, Tables

if TYPE_CHECKING:
    from .network import RoadNetwork


def _stations(T: Tables, road: int, s0: float, s1: float, step: float) -> np.ndarray:
    """s values from s0 to s1 at most ``step`` apart, including every geometry boundary."""
    g0, g1 = T.road_geom[road]
    cuts = [s0, s1] + [float(T.geom[g, G_S]) for g in range(g0, g1) if s0 < T.geom[g, G_S] < s1]
    cuts.sort()
    out = [s0]
    for a, b in itertools.pairwise(cuts):
        n = max(1, int(np.ceil((b - a) / step - 1e-9)))
        out += list(np.linspace(a, b, n + 1)[1:])
    return np.array(out)


@njit(cache=True)
def _reference_points(T: Tables, road: int, stations: np.ndarray, out: np.ndarray) -> None:
    g0, g1 = T.road_geom[road, 0], T.road_geom[road, 1]
    for i in range(stations.size):
        x, y, _h = reference_pose(T.geom, T.spiral_pts, g0, g1, stations[i])
        out[i, 0] = x
        out[i, 1] = y


def sample_reference(T: Tables, step: float) -> np.ndarray:
    """Segments ``(road, s0, s1, x0, y0, x1, y1)`` along every road's reference line."""
    rows = []
    for road in range(T.road_geom.shape[0]):
        g_last = T.road_geom[road, 1] - 1
        length = float(T.geom[g_last, G_S] + T.geom[g_last, G_LEN])
        length = min(length, float(T.road_length[road]))
        st = _stations(T, road, 0.0, length, step)
        pts = np.zeros((st.size, 2))
        _reference_points(T, road, st, pts)
        seg = np.empty((st.size - 1, 7))
        seg[:, 0] = road
        seg[:, 1], seg[:, 2] = st[:-1], st[1:]
        seg[:, 3:5], seg[:, 5:7] = pts[:-1], pts[1:]
        rows.append(seg)
    return np.concatenate(rows) if rows else np.empty((0, 7))


@dataclass(frozen=True)
class LaneStrip:
    """One lane of one lane section, sampled: world points ``(n, 3)`` along s."""

    road: str
    section: int
    lane: int
    type: str
    s: np.ndarray
    centre: np.ndarray
    inner: np.ndarray
    """Border towards the reference line."""
    outer: np.ndarray
    mark: str
    """Road mark type on the outer border at the section start (``none`` if unmarked)."""
    mark_color: str


@njit(cache=True)
def _section_points(
    T: Tables, road: int, sec: int, stations: np.ndarray, work: np.ndarray, borders: np.ndarray
) -> None:
    """``borders[i, k, :]`` = world (x, y, z) of lane k's outer border at stations[i]."""
    for i in range(stations.size):
        n = lane_borders(T, road, sec, stations[i], work)
        for k in range(n):
            x, y, z, _h = road_to_world(T, road, stations[i], work[k])
            borders[i, k, 0] = x
            borders[i, k, 1] = y
            borders[i, k, 2] = z


def sample_lanes(net: RoadNetwork, step: float = 1.0) -> list[LaneStrip]:
    """Every lane of every section as polylines ``step`` metres apart (geometry boundaries kept)."""
    T = net.tables
    strips: list[LaneStrip] = []
    work = np.zeros(net._borders.size)
    for r, road in enumerate(net.roads):
        s0, s1 = T.road_sections[r]
        for k_sec, sec in enumerate(range(s0, s1)):
            a, b = float(T.sections[sec, S_START]), float(T.sections[sec, S_END])
            if b - a <= 1e-9:
                continue
            st = _stations(T, r, a, b - 1e-9 if sec + 1 < s1 else b, step)
            n = int(T.sections[sec, S_NLANES])
            first = int(T.sections[sec, S_LANE0])
            borders = np.zeros((st.size, n, 3))
            _section_points(T, r, sec, st, work, borders)
            lanes = road.lane_sections[k_sec].lanes
            centre = next(k for k in range(n) if T.lanes[first + k, L_ID] == 0)
            for k in range(n):
                lane_id = int(T.lanes[first + k, L_ID])
                lane = lanes[k]
                mark = lane.marks[0] if lane.marks else None
                if lane_id == 0:
                    inner = outer = borders[:, k]
                else:
                    inner = borders[:, k + 1] if lane_id > 0 else borders[:, k - 1]
                    outer = borders[:, k]
                strips.append(
                    LaneStrip(
                        road.id,
                        k_sec,
                        lane_id,
                        LANE_TYPES[int(T.lanes[first + k, L_TYPE])],
                        st,
                        0.5 * (inner + outer),
                        inner,
                        outer,
                        mark.type if mark else "none",
                        mark.color if mark else "standard",
                    )
                )
            del centre
    return strips
