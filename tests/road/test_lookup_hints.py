"""A lookup started from a hint (the point's last lookup) gives the grid lookup's answer."""

from __future__ import annotations

import numpy as np
import pytest

from dil.road.lookup import (
    HINT_FLAT,
    HINT_ISOLATED,
    MAX_CANDIDATES,
    R_INSIDE,
    R_LANE,
    R_ROAD,
    R_S,
    R_SIZE,
    R_TYPE,
    build_grid,
    locate,
    locate_near,
    road_hints,
)
from dil.road.network import RoadNetwork
from dil.road.parse import parse

from .helpers import ROADS, document, road

DISCRETE = [R_ROAD, R_LANE, R_INSIDE, R_TYPE]

SLOPED_BEND = road(
    '<geometry s="0" x="0" y="0" hdg="0.3" length="60"><line/></geometry>'
    '<geometry s="60" x="57.32" y="17.73" hdg="0.3" length="120"><arc curvature="0.02"/></geometry>',
    180.0,
    extra='<elevationProfile><elevation s="0" a="1" b="0.03" c="0" d="0"/></elevationProfile>'
    '<lateralProfile><superelevation s="0" a="0.04" b="0" c="0" d="0"/></lateralProfile>',
)
"""A test road: a line into a bend, climbing and banked."""


def _networks() -> dict[str, RoadNetwork]:
    nets = {p.stem: RoadNetwork.load(p) for p in sorted(ROADS.glob("*.xodr"))}
    nets["sloped bend"] = RoadNetwork(parse(document(SLOPED_BEND)))
    return nets


NETWORKS = _networks()


def test_hint_classes_of_the_shipped_networks():
    assert road_hints(NETWORKS["highway"].tables, NETWORKS["highway"].grid).tolist() == [HINT_FLAT]
    assert road_hints(NETWORKS["rural"].tables, NETWORKS["rural"].grid).tolist() == [HINT_ISOLATED]
    assert road_hints(NETWORKS["sloped bend"].tables, NETWORKS["sloped bend"].grid).tolist() == [
        HINT_ISOLATED
    ]
    junction = NETWORKS["junction"]
    assert not road_hints(junction.tables, junction.grid).any()  # roads meet: no road takes hints


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_hinted_lookups_equal_grid_lookups_on_random_points(name):
    net = NETWORKS[name]
    T, G = net.tables, net.grid
    hints = road_hints(T, G)
    radius = G.meta[5]
    # the same radius and no segments: only a lookup answered from its hint finds a road
    no_grid = build_grid(T, np.zeros((0, 7)), radius)
    borders, cand, best = np.zeros(256), np.zeros((MAX_CANDIDATES, 3)), np.zeros(R_SIZE)
    rng = np.random.default_rng(11)
    hinted = compared = 0
    for _ in range(600):
        r = int(rng.integers(len(net.roads)))
        length = float(T.road_length[r])
        s = float(rng.uniform(0.0, length))
        t = float(rng.uniform(-radius - 3.0, radius + 3.0))  # some beyond the radius: no hint holds
        x, y = net.road_to_world(net.roads[r].id, s, t)[:2]
        # a hint as a moving actor leaves it: its lookup a step back or ahead, or a poor one
        s_hint = float(np.clip(s + rng.choice([rng.uniform(-1.0, 1.0), rng.uniform(-40.0, 40.0)]), 0, length))
        road_hint = r if hints[r] else -1
        want, got, alone = np.zeros(R_SIZE), np.zeros(R_SIZE), np.zeros(R_SIZE)
        found = locate(T, G, x, y, borders, cand, best, want)
        assert locate_near(T, G, x, y, road_hint, s_hint, borders, cand, best, got) == found
        if locate_near(T, no_grid, x, y, road_hint, s_hint, borders, cand, best, alone):
            hinted += 1
            assert found and np.array_equal(alone, got)
        if found:
            compared += 1
            assert np.array_equal(got[DISCRETE], want[DISCRETE]), (x, y, got, want)
            assert np.allclose(got, want, rtol=0.0, atol=1e-8), (x, y, got, want)
            assert abs(got[R_S] - want[R_S]) <= 1e-8
    assert compared > 300
    if hints.any():
        assert hinted > 250  # most points near an isolated road are answered from their hint
    else:
        assert hinted == 0
