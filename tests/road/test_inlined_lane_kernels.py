"""The lane kernels inlined into a calling kernel give what each gives called on its own, to the bit:
the lane centre and the world pose of lane places over every lane of the catalog's roads, and a road
with arcs, a spiral, a lane offset and widths that change along it."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from dil.road.lanes import lane_centre_t, road_to_world, section_at
from dil.road.network import RoadNetwork
from dil.road.parse import parse
from dil.road.tables import L_ID, S_LANE0, S_NLANES

from .helpers import ROADS, document, geometry, road


@njit(cache=False)
def _inlined(T, roads, lanes, s, offsets, work, out):
    """Each lane place's centre t and world pose through the inlined kernels (one row of ``out`` each)."""
    for i in range(roads.size):
        t = lane_centre_t(T, roads[i], lanes[i], s[i], work)
        x, y, z, h = road_to_world(T, roads[i], s[i], t + offsets[i])
        out[i, 0] = t
        out[i, 1] = x
        out[i, 2] = y
        out[i, 3] = z
        out[i, 4] = h


def _curvy() -> RoadNetwork:
    lanes_xml = """<lanes><laneOffset s="0" a="0.2" b="0.01" c="0" d="0"/><laneSection s="0">
  <left><lane id="2" type="driving"><width sOffset="0" a="3.0" b="0.02" c="0" d="0"/></lane>
  <lane id="1" type="driving"><width sOffset="0" a="3.5" b="0" c="0.001" d="0"/></lane></left>
  <center><lane id="0" type="none"/></center>
  <right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="-0.01" c="0" d="0"/></lane>
  <lane id="-2" type="shoulder"><width sOffset="0" a="2.0" b="0" c="0" d="0"/></lane></right>
</laneSection></lanes>"""
    shapes = (
        geometry("<line/>", 40.0)
        + geometry('<arc curvature="0.01"/>', 50.0, s=40.0, x=40.0)
        + geometry('<spiral curvStart="0.01" curvEnd="-0.02"/>', 60.0, s=90.0, x=89.6, y=12.4, hdg=0.5)
    )
    return RoadNetwork(parse(document(road(shapes, 150.0, lanes_xml=lanes_xml))))


def _networks() -> list[RoadNetwork]:
    return [RoadNetwork.load(p) for p in sorted(ROADS.glob("*.xodr"))] + [_curvy()]


@pytest.mark.parametrize("k", range(4))
def test_inlined_lane_kernels_match_the_kernels_called_alone(k):
    net = _networks()[k]
    T = net.tables
    rng = np.random.default_rng(k)
    rows = []
    for i in range(len(T.road_length)):
        length = float(T.road_length[i])
        for s in [0.0, length, *rng.uniform(0.0, length, 40)]:
            sec = section_at(T, i, s)
            first, n = int(T.sections[sec, S_LANE0]), int(T.sections[sec, S_NLANES])
            for lane in T.lanes[first : first + n, L_ID]:
                rows.append((i, int(lane), s, float(rng.uniform(-1.0, 1.0))))
    roads = np.array([r[0] for r in rows], dtype=np.int64)
    lanes = np.array([r[1] for r in rows], dtype=np.int64)
    s = np.array([r[2] for r in rows])
    offsets = np.array([r[3] for r in rows])
    work = np.zeros(256)
    got = np.zeros((len(rows), 5))
    _inlined(T, roads, lanes, s, offsets, work, got)
    alone = np.zeros_like(got)
    for j, (i, lane, sj, off) in enumerate(rows):
        t = lane_centre_t(T, i, lane, sj, work)  # (the dispatcher: each kernel compiled on its own)
        alone[j] = (t, *road_to_world(T, i, sj, t + off))
    assert len(rows) > 100
    assert not np.isnan(alone[:, 0]).all()
    same = (got == alone) | (np.isnan(got) & np.isnan(alone))
    assert same.all(), f"{int((~same).any(axis=1).sum())} of {len(rows)} lane places differ"
    assert (np.copysign(1.0, got) == np.copysign(1.0, alone)).all()  # (the signs of zeros too)
