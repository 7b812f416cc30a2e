"""The parsed network compiled into flat arrays for the numba kernels.

Geometry rows (``G_*`` in :mod:`dil.road.geometry`) by shape:
- arc: ``P+0`` curvature;
- spiral: ``P+0`` start curvature, ``P+1`` end curvature, ``P+2`` first checkpoint row in
  ``spiral_pts``, ``P+3`` number of checkpoints;
- paramPoly3 (and poly3): ``P+0..3`` aU..dU, ``P+4..7`` aV..dV, ``P+8`` 1 if p is normalised.

Per road ``i``: ``road_geom[i]``, ``road_sections[i]``, ``road_elev[i]``, ``road_super[i]``,
``road_offset[i]`` are ``[first, end)`` row ranges into the tables. A section row is
``(s_start, s_end, first lane row, lane count)``; its lanes are ordered by decreasing id (left,
centre, right). A lane row is ``(id, type code, first width row, width count)``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .geometry import (
    G_HDG,
    G_KIND,
    G_LEN,
    G_P,
    G_S,
    G_SIZE,
    G_X,
    G_Y,
    K_ARC,
    K_LINE,
    K_PARAMPOLY3,
    K_SPIRAL,
    SPIRAL_STEP,
    spiral_checkpoints,
)
from .model import OpenDrive, Poly3

LANE_TYPES = (
    "none",
    "driving",
    "stop",
    "shoulder",
    "biking",
    "sidewalk",
    "border",
    "restricted",
    "parking",
    "bidirectional",
    "median",
    "special1",
    "special2",
    "special3",
    "roadWorks",
    "tram",
    "rail",
    "entry",
    "exit",
    "offRamp",
    "onRamp",
    "connectingRamp",
    "bus",
    "taxi",
    "HOV",
    "mwyEntry",
    "mwyExit",
    "walking",
    "slipLane",
    "curb",
)
"""OpenDRIVE lane types; a lane's type code is its index here."""

DRIVABLE = frozenset(
    (
        "driving",
        "bidirectional",
        "entry",
        "exit",
        "offRamp",
        "onRamp",
        "connectingRamp",
        "bus",
        "taxi",
        "HOV",
        "mwyEntry",
        "mwyExit",
        "slipLane",
        "parking",
        "stop",
    )
)
"""Lane types a car may drive on; leaving them is a road departure."""

S_START = 0
S_END = 1
S_LANE0 = 2
S_NLANES = 3
L_ID = 0
L_TYPE = 1
L_W0 = 2
L_NW = 3


class Tables(NamedTuple):
    """All arrays of a network, passed to the kernels as one argument."""

    geom: np.ndarray
    spiral_pts: np.ndarray
    road_geom: np.ndarray
    road_length: np.ndarray
    sections: np.ndarray
    road_sections: np.ndarray
    lanes: np.ndarray
    widths: np.ndarray
    drivable: np.ndarray
    """Per lane type code: 1 if drivable."""
    elev: np.ndarray
    road_elev: np.ndarray
    superelev: np.ndarray
    road_super: np.ndarray
    offset: np.ndarray
    road_offset: np.ndarray


def _polys(polys_per_road: list[tuple[Poly3, ...]]) -> tuple[np.ndarray, np.ndarray]:
    rows, ranges = [], []
    for polys in polys_per_road:
        start = len(rows)
        rows += [(p.s0, p.a, p.b, p.c, p.d) for p in polys]
        ranges.append((start, len(rows)))
    return np.array(rows, dtype=np.float64).reshape(-1, 5), np.array(ranges, dtype=np.int64).reshape(-1, 2)


def compile_tables(odr: OpenDrive) -> Tables:
    """Arrays for every road of ``odr`` (roads in file order)."""
    geom_rows: list[np.ndarray] = []
    spiral_chunks: list[np.ndarray] = []
    n_spiral = 0
    road_geom, road_sections, sections, lanes, widths = [], [], [], [], []
    type_code = {t: i for i, t in enumerate(LANE_TYPES)}
    for road in odr.roads:
        g_start = len(geom_rows)
        for g in road.geometries:
            row = np.zeros(G_SIZE)
            row[G_S], row[G_X], row[G_Y], row[G_HDG], row[G_LEN] = g.s, g.x, g.y, g.hdg, g.length
            if g.kind == "line":
                row[G_KIND] = K_LINE
            elif g.kind == "arc":
                row[G_KIND] = K_ARC
                row[G_P] = g.params[0]
            elif g.kind == "spiral":
                row[G_KIND] = K_SPIRAL
                k0, k1 = g.params
                n = math.ceil(g.length / SPIRAL_STEP - 1e-9) + 1
                pts = np.zeros((n, 2))
                spiral_checkpoints(g.x, g.y, g.hdg, k0, k1, g.length, pts)
                spiral_chunks.append(pts)
                row[G_P : G_P + 4] = (k0, k1, n_spiral, n)
                n_spiral += n
            elif g.kind == "poly3":
                a, b, c, d = g.params
                row[G_KIND] = K_PARAMPOLY3
                row[G_P : G_P + 9] = (0.0, 1.0, 0.0, 0.0, a, b, c, d, 0.0)
            else:
                row[G_KIND] = K_PARAMPOLY3
                row[G_P : G_P + 9] = g.params
            geom_rows.append(row)
        road_geom.append((g_start, len(geom_rows)))
        sec_start = len(sections)
        for k, sec in enumerate(road.lane_sections):
            s_end = road.lane_sections[k + 1].s if k + 1 < len(road.lane_sections) else road.length
            sections.append((sec.s, s_end, len(lanes), len(sec.lanes)))
            for lane in sec.lanes:
                lanes.append((lane.id, type_code.get(lane.type, 0), len(widths), len(lane.widths)))
                widths += [(w.s0, w.a, w.b, w.c, w.d) for w in lane.widths]
        road_sections.append((sec_start, len(sections)))
    elev, road_elev = _polys([r.elevation for r in odr.roads])
    sup, road_sup = _polys([r.superelevation for r in odr.roads])
    off, road_off = _polys([r.lane_offset for r in odr.roads])
    return Tables(
        geom=np.array(geom_rows).reshape(-1, G_SIZE),
        spiral_pts=np.concatenate(spiral_chunks) if spiral_chunks else np.zeros((1, 2)),
        road_geom=np.array(road_geom, dtype=np.int64).reshape(-1, 2),
        road_length=np.array([r.length for r in odr.roads]),
        sections=np.array(sections, dtype=np.float64).reshape(-1, 4),
        road_sections=np.array(road_sections, dtype=np.int64).reshape(-1, 2),
        lanes=np.array(lanes, dtype=np.int64).reshape(-1, 4),
        widths=np.array(widths, dtype=np.float64).reshape(-1, 5),
        drivable=np.array([1 if t in DRIVABLE else 0 for t in LANE_TYPES], dtype=np.int64),
        elev=elev,
        road_elev=road_elev,
        superelev=sup,
        road_super=road_sup,
        offset=off,
        road_offset=road_off,
    )
