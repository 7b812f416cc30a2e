"""The world's one-pass step (each actor located once, shared by the ground and the ego's road check)
gives, number for number, what separate lookups of each point give: the actors' height, pitch and
roll, the ego's centre and corner rows, the overlapping pairs and the road flags."""

import math

import numpy as np
import pytest

from dil.road.lookup import R_INSIDE, R_LANE, R_ROAD, R_SIZE, R_TYPE
from dil.road.network import RoadNetwork
from dil.world.actors import (
    A_ALIVE,
    A_HEIGHT,
    A_LENGTH,
    A_PITCH,
    A_ROLL,
    A_SIZE,
    A_WIDTH,
    A_X,
    A_Y,
    A_YAW,
    A_Z,
    EGO,
    fill_boxes,
)
from dil.world.collision import overlapping_pairs
from dil.world.ground import ground_actors
from dil.world.step_kernel import CORNERS, W_CENTRE_ON, W_INVADING, W_PAIRS, StepChecks

from ..road.helpers import ROADS

DISCRETE = [R_ROAD, R_LANE, R_INSIDE, R_TYPE]
"""A lookup row's columns that a hinted lookup gives exactly."""


def _states(net: RoadNetwork, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` actors near lanes of ``net`` (some off the road, some overlapping, one dead)."""
    st = np.zeros((n, A_SIZE))
    roads = [r.id for r in net.roads]
    for i in range(n):
        road = roads[int(rng.integers(len(roads)))]
        length = net.roads[net.road_index(road)].length
        x, y, z, h = net.road_to_world(road, float(rng.uniform(0, length)), float(rng.uniform(-12, 12)))
        st[i, [A_X, A_Y, A_Z, A_YAW]] = x, y, z, h + rng.normal(0, 0.3)
    st[1:, A_X] = st[0, A_X] + rng.normal(0, 4, n - 1)  # near the ego: overlaps and corner cases
    st[1:, A_Y] = st[0, A_Y] + rng.normal(0, 3, n - 1)
    st[:, A_LENGTH], st[:, A_WIDTH], st[:, A_HEIGHT] = 4.6, 1.9, 1.5
    st[:, A_ALIVE] = 1.0
    st[n - 1, A_ALIVE] = 0.0
    return st


def _reference(net: RoadNetwork, st: np.ndarray, n: int) -> tuple:
    """Grounding, pairs and the ego's rows and flags from one lookup per point, made apart."""
    st = st.copy()
    located, found = np.zeros((n, R_SIZE)), np.zeros(n, dtype=np.int64)
    net.locate_many_into(np.ascontiguousarray(st[:n, :2]), located, found)
    ground_actors(net.tables, st, EGO + 1, located, found)
    boxes, pairs = np.zeros((n, 5)), np.zeros((64, 2), dtype=np.int64)
    fill_boxes(st, n, boxes)
    k = overlapping_pairs(boxes, n, pairs)
    x, y, yaw, length, width = boxes[EGO]
    c, s = math.cos(yaw), math.sin(yaw)
    pts = [(x, y)] + [
        (x + a * 0.5 * length * c - b * 0.5 * width * s, y + a * 0.5 * length * s + b * 0.5 * width * c)
        for a, b in CORNERS
    ]
    where, wfound = np.zeros((5, R_SIZE)), np.zeros(5, dtype=np.int64)
    net.locate_many_into(np.array(pts), where, wfound)
    w = where
    on = bool(wfound[0] and w[0, R_INSIDE] > 0.5 and net.tables.drivable[int(w[0, R_TYPE])] == 1)
    on = on and w[0, R_LANE] != 0
    invading = 0
    for j in range(1, 5) if on else ():
        same_road = int(w[j, R_ROAD]) == int(w[0, R_ROAD])
        if wfound[j] and w[j, R_INSIDE] > 0.5 and same_road and int(w[j, R_LANE]) != int(w[0, R_LANE]):
            invading = j
            break
    return st, pairs[:k], where, wfound, on, invading


@pytest.mark.parametrize("road", ["highway", "junction", "rural"])
def test_one_pass_equals_separate_lookups(road):
    net = RoadNetwork.load(ROADS / f"{road}.xodr")
    checks = StepChecks(net)
    rng = np.random.default_rng(7)
    invasions = overlaps = 0
    for _ in range(200):
        n = int(rng.integers(2, 7))
        st = _states(net, rng, n)
        ref_state, ref_pairs, where, wfound, on, invading = _reference(net, st, n)
        boxes = np.zeros((n, 5))
        k = checks.run(st, boxes, n, EGO + 1, True)
        assert np.array_equal(st[:, [A_Z, A_PITCH, A_ROLL]], ref_state[:, [A_Z, A_PITCH, A_ROLL]])
        assert k == checks.flags[W_PAIRS] and np.array_equal(checks.pairs[:k], ref_pairs)
        assert np.array_equal(checks.where_found, wfound)
        # the corners start from their last lookup on an isolated road: the same lanes, the
        # stations to Newton's tolerance
        got, want = checks.where[wfound == 1], where[wfound == 1]
        assert np.array_equal(got[:, DISCRETE], want[:, DISCRETE])
        assert np.allclose(got, want, rtol=0.0, atol=1e-8)
        assert bool(checks.flags[W_CENTRE_ON]) == on and checks.flags[W_INVADING] == invading
        invasions += invading > 0
        overlaps += k > 0
    assert invasions > 5 and overlaps > 5  # the cases compared include both


def test_without_grounding_nothing_moves_and_the_ego_is_still_located():
    net = RoadNetwork.load(ROADS / "highway.xodr")
    st = _states(net, np.random.default_rng(1), 4)
    before = st.copy()
    checks = StepChecks(net)
    checks.run(st, np.zeros((4, 5)), 4, -1, True)
    assert np.array_equal(st, before)
    _, _, where, wfound, on, _ = _reference(net, st, 4)
    assert np.array_equal(checks.where_found, wfound) and bool(checks.flags[W_CENTRE_ON]) == on
    assert np.array_equal(checks.where[wfound == 1], where[wfound == 1])


def test_no_network_finds_overlaps_only():
    st = np.zeros((2, A_SIZE))
    st[:, A_LENGTH], st[:, A_WIDTH], st[:, A_ALIVE] = 4.0, 2.0, 1.0
    st[1, A_X] = 3.0
    checks = StepChecks(None)
    assert checks.run(st, np.zeros((2, 5)), 2, EGO + 1, False) == 1
    assert checks.pairs[0].tolist() == [0, 1] and checks.flags[W_CENTRE_ON] == 0


def test_rows_kept_for_actors_that_stood_still_equal_fresh_lookups():
    net = RoadNetwork.load(ROADS / "junction.xodr")
    rng = np.random.default_rng(3)
    checks = StepChecks(net)
    st = _states(net, rng, 5)
    moved = 0
    for step in range(60):
        if step % 3:  # some steps move a few actors (the ego among them now and then), others none
            who = rng.choice(5, size=int(rng.integers(1, 3)), replace=False)
            st[who, A_X] += rng.normal(0, 1.5, who.size)
            st[who, A_YAW] += rng.normal(0, 0.2, who.size)
            moved += EGO in who
        ref_state, ref_pairs, where, wfound, on, invading = _reference(net, st, 5)
        k = checks.run(st, np.zeros((5, 5)), 5, EGO + 1, True)
        assert np.array_equal(st, ref_state) and np.array_equal(checks.pairs[:k], ref_pairs)
        assert np.array_equal(checks.where_found, wfound)
        # the corners start from their last lookup on an isolated road: the same lanes, the
        # stations to Newton's tolerance
        got, want = checks.where[wfound == 1], where[wfound == 1]
        assert np.array_equal(got[:, DISCRETE], want[:, DISCRETE])
        assert np.allclose(got, want, rtol=0.0, atol=1e-8)
        assert bool(checks.flags[W_CENTRE_ON]) == on and checks.flags[W_INVADING] == invading
    assert moved > 5
