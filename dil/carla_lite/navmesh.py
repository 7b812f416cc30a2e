"""The walkers' navigation mesh: a Recast/Detour navmesh of walkable strips along the road edges.

CARLA's client runs the AI walker controller itself (``start``, ``go_to_location``,
``set_max_speed``) and ``world.get_random_location_from_navigation()`` on a Detour navigation mesh
it asks the server for (``get_required_files("Nav")`` then ``request_file``), and sends the walkers'
poses back with ``ApplyWalkerState``. carla-lite builds one from the OpenDRIVE network: a strip
``STRIP_WIDTH`` wide just outside the outer border of every road outside junctions (a sidewalk
where the file has none; a ``sidewalk`` lane where it has one), as one Detour tile of quads marked
CARLA's sidewalk area, and every ``CROSSING_SPACING`` along each such road a crossing: a band one
quad long straight across the road between the two strips, marked CARLA's road area. The client's
walker filter 0 excludes road polygons and filter 1 takes them, and each AI walker gets filter 1 with
the probability ``world.set_pedestrians_cross_factor`` set (drawn from the client's generator that
``set_pedestrians_seed`` seeds), so that share of walkers cross to targets across a road, at a
crossing; the others stay on their side. Layout: CARLA's ``NavMeshSetHeader`` (packed), one tile header, one
``dtMeshHeader`` tile (Detour version 7, 32-bit polygon references), no BV tree. Recast's axes:
``(x, up, y)`` of CARLA's frame.
"""

from __future__ import annotations

import hashlib
import math
import struct

import numpy as np

from dil.road.network import RoadNetwork

from .layouts import to_carla

STRIP_WIDTH = 1.5
"""Width of the walkable strip beside a road [m]."""
STEP = 4.0
"""Length of one quad along the road [m]."""
NAVMESHSET_MAGIC = ord("M") << 24 | ord("S") << 16 | ord("E") << 8 | ord("T")
DT_NAVMESH_MAGIC = ord("D") << 24 | ord("N") << 16 | ord("A") << 8 | ord("V")
DT_NAVMESH_VERSION = 7
AREA_SIDEWALK = 1
"""CARLA's ``CARLA_AREA_SIDEWALK``."""
FLAG_SIDEWALK = 0x02
"""CARLA's ``CARLA_TYPE_SIDEWALK``: the flag ``get_random_location_from_navigation`` looks for."""
AREA_ROAD = 3
"""CARLA's ``CARLA_AREA_ROAD``: a walker stops before it and checks for vehicles."""
FLAG_ROAD = 0x08
"""CARLA's ``CARLA_TYPE_ROAD``: walkers without the cross factor's filter exclude it."""
CROSSING_SPACING = 40.0
"""Distance between road crossings along a road [m] (a road shorter than this has one, midway)."""
AGENT_HEIGHT, AGENT_RADIUS, AGENT_CLIMB = 1.8, 0.3, 0.5
"""[m], as CARLA's navigation builder sets them."""
MARGIN = 5.0
"""Around the mesh's bounds in the tile size [m]."""

SET_HEADER = struct.Struct("<iii3fffii")
TILE_HEADER = struct.Struct("<Ii")
MESH_HEADER = struct.Struct("<iiiiiIiiiiiiiiifff3f3ff")
POLY = struct.Struct("<I6H6HHBB")
LINK_SIZE = 12
DETAIL = struct.Struct("<IIBBxx")


Quad = tuple[np.ndarray, int, int]
"""Four corners ``(4, 3)`` in CARLA's frame, polygon flags, area."""


def _strips(network: RoadNetwork) -> list[Quad]:
    """The walkable quads: along each side of every road outside junctions, and crossings."""
    quads: list[Quad] = []
    work = np.zeros(64)
    from dil.road.lanes import lane_borders, section_at

    for i, road in enumerate(network.roads):
        if road.junction not in ("-1", ""):
            continue
        n = max(1, math.ceil(road.length / STEP))
        s_values = np.linspace(0.0, road.length, n + 1)
        edges: dict[int, list] = {}
        for side in (1, -1):
            edge = []
            for s in s_values:
                sec = section_at(network.tables, i, float(s))
                count = lane_borders(network.tables, i, sec, float(s), work)
                t_out = float(work[0]) if side > 0 else float(work[count - 1])
                inner = network.road_to_world(road.id, float(s), t_out)
                outer = network.road_to_world(road.id, float(s), t_out + side * STRIP_WIDTH)
                edge.append((inner, outer))
            for k in range(n):
                (a, b), (c, d) = edge[k], edge[k + 1]
                quad = np.array([_carla(p) for p in (a, b, d, c)])
                quads.append((quad, FLAG_SIDEWALK, AREA_SIDEWALK))
            edges[side] = edge
        for k in _crossings(n, road.length / n):
            left, right = edges[1], edges[-1]
            corners = (left[k][0], left[k + 1][0], right[k + 1][0], right[k][0])
            quads.append((np.array([_carla(p) for p in corners]), FLAG_ROAD, AREA_ROAD))
    return quads


def _crossings(n: int, step: float) -> range:
    """Indices of the quads along a road of ``n`` quads of ``step`` [m] that carry a crossing."""
    every = max(1, round(CROSSING_SPACING / step))
    if n <= every:
        return range(n // 2, n // 2 + 1)
    return range(every // 2, n, every)


def _carla(p: tuple[float, float, float, float]) -> tuple[float, float, float]:
    x, y, z, _ = to_carla(p[0], p[1], p[2], 0.0)
    return x, y, z


def _area2d(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Detour's ``dtTriArea2D`` on Recast points ``(x, up, z)``: positive for its winding."""
    abx, abz = b[0] - a[0], b[2] - a[2]
    acx, acz = c[0] - a[0], c[2] - a[2]
    return acx * abz - abx * acz


def build_navmesh(network: RoadNetwork) -> bytes:
    """The navigation mesh of a network as CARLA's client loads it; empty without roads."""
    quads = _strips(network)
    if not quads:
        return b""
    verts: list[tuple[float, float, float]] = []
    index: dict[tuple[int, int, int], int] = {}
    polys: list[list[int]] = []
    kinds: list[tuple[int, int]] = []
    for q, flags, area in quads:
        rc = [np.array([p[0], p[2], p[1]]) for p in q]  # Recast: (x, up, y)
        if _area2d(rc[0], rc[1], rc[2]) < 0.0:
            rc.reverse()
        ids = []
        for p in rc:
            key = (round(p[0] * 100), round(p[1] * 100), round(p[2] * 100))
            if key not in index:
                index[key] = len(verts)
                verts.append((float(p[0]), float(p[1]), float(p[2])))
            ids.append(index[key])
        if len(set(ids)) == 4:
            polys.append(ids)
            kinds.append((flags, area))
    edges: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for pi, ids in enumerate(polys):
        for e in range(4):
            key = tuple(sorted((ids[e], ids[(e + 1) % 4])))
            edges.setdefault(key, []).append((pi, e))
    neis = [[0] * 6 for _ in polys]
    links = 0
    for owners in edges.values():
        if len(owners) == 2:
            (p1, e1), (p2, e2) = owners
            neis[p1][e1], neis[p2][e2] = p2 + 1, p1 + 1
            links += 2
    v = np.array(verts, dtype=np.float32)
    bmin, bmax = v.min(axis=0), v.max(axis=0)
    return _pack(v, polys, kinds, neis, max(links, 1), bmin, bmax)


def _pack(
    v: np.ndarray,
    polys: list[list[int]],
    kinds: list[tuple[int, int]],
    neis: list[list[int]],
    max_links: int,
    bmin: np.ndarray,
    bmax: np.ndarray,
) -> bytes:
    npoly = len(polys)
    header = MESH_HEADER.pack(
        DT_NAVMESH_MAGIC,
        DT_NAVMESH_VERSION,
        0,
        0,
        0,
        0,
        npoly,
        len(v),
        max_links,
        npoly,
        0,
        2 * npoly,
        0,
        0,
        npoly,
        AGENT_HEIGHT,
        AGENT_RADIUS,
        AGENT_CLIMB,
        *bmin.tolist(),
        *bmax.tolist(),
        1.0,
    )
    parts = [header, v.astype("<f4").tobytes()]
    for ids, (flags, area), nb in zip(polys, kinds, neis, strict=True):
        parts.append(POLY.pack(0, *ids, 0, 0, *nb, flags, 4, area))
    parts.append(bytes(LINK_SIZE * max_links))
    for k in range(npoly):
        parts.append(DETAIL.pack(0, 2 * k, 0, 2))
    boundary_012 = 0b000101  # edges 0-1 and 1-2 of the triangle lie on the polygon's border
    boundary_023 = 0b010100  # edges 2-3 and 3-0
    tris = np.tile(np.array([[0, 1, 2, boundary_012], [0, 2, 3, boundary_023]], dtype=np.uint8), (npoly, 1))
    parts.append(tris.tobytes())
    tile = b"".join(_align4(p) for p in (parts[0], parts[1], b"".join(parts[2 : 2 + npoly]))) + b"".join(
        _align4(p) for p in (parts[2 + npoly], b"".join(parts[3 + npoly : 3 + 2 * npoly]), parts[-1])
    )
    poly_bits = max(1, math.ceil(math.log2(max(npoly, 2))))
    tile_ref = 1 << poly_bits  # salt 1, tile 0 (one tile: no tile bits)
    origin = bmin - MARGIN
    size = bmax - bmin + 2 * MARGIN
    set_header = SET_HEADER.pack(
        NAVMESHSET_MAGIC, 1, 1, *origin.tolist(), float(size[0]), float(size[2]), 1, 1 << poly_bits
    )
    return set_header + TILE_HEADER.pack(tile_ref, len(tile)) + tile


def _align4(b: bytes) -> bytes:
    return b + bytes(-len(b) % 4)


def navmesh_name(map_name: str, data: bytes) -> str:
    """The file name the client caches the mesh under: content-addressed, so a changed map is
    never served from an old cache."""
    return f"Nav/carla-lite-{map_name}-{hashlib.sha256(data).hexdigest()[:12]}.bin"
