"""The ego's corners placed in closed form on a plain road give what their lookups give: the same
road, lane, inside flag and lane type (station and offset to the lookup's tolerance); a corner near
a lane border, a section's end or the road's end leaves all four to the lookups; the world's checks
with and without the closed form give the same flags, rows and whole catalog runs bit for bit."""

import logging
import math

import numpy as np
import pytest

import dil.world.events as world_events
import dil.world.node as world_node
from dil.paths import catalog_dir
from dil.road.lookup import R_INSIDE, R_LANE, R_ROAD, R_S, R_SIZE, R_T, R_TYPE
from dil.road.network import RoadNetwork
from dil.road.parse import parse
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice
from dil.world.actors import A_ALIVE, A_HEIGHT, A_LENGTH, A_SIZE, A_WIDTH, A_X, A_Y, A_YAW
from dil.world.ego_corners import CORNERS, EPS, HINT_PLAIN, plain_corners, plain_roads
from dil.world.step_kernel import I_ROWS, W_SIZE, StepChecks

from ..road.helpers import ROADS, document, geometry, road

DISCRETE = [R_ROAD, R_LANE, R_INSIDE, R_TYPE]


def _lane(lane_id: int, kind: str, width: float) -> str:
    return f'<lane id="{lane_id}" type="{kind}"><width sOffset="0" a="{width}" b="0" c="0" d="0"/></lane>'


def _section(s: float, left: float, right: tuple[tuple[str, float], ...]) -> str:
    rights = "".join(_lane(-1 - k, kind, w) for k, (kind, w) in enumerate(right))
    return (
        f'<laneSection s="{s}"><left>{_lane(1, "driving", left)}</left>'
        f'<center><lane id="0" type="none"/></center><right>{rights}</right></laneSection>'
    )


TWO_SECTIONS = document(
    road(
        geometry("<line/>", 400.0, hdg=0.3, x=10.0, y=-5.0),
        400.0,
        lanes_xml="<lanes>"
        + _section(0.0, 3.5, (("driving", 3.5), ("shoulder", 2.0)))
        + _section(200.0, 3.2, (("driving", 3.75), ("driving", 3.75)))
        + "</lanes>",
    )
)
"""A straight road of two lane sections with other lane widths (a plain road)."""


def _nets() -> dict[str, RoadNetwork]:
    return {
        "highway": RoadNetwork.load(ROADS / "highway.xodr"),
        "two sections": RoadNetwork(parse(TWO_SECTIONS)),
    }


def _corner_points(box: np.ndarray) -> list[tuple[float, float]]:
    x, y, yaw, length, width = box
    c, s = math.cos(yaw), math.sin(yaw)
    return [
        (x + a * 0.5 * length * c - b * 0.5 * width * s, y + a * 0.5 * length * s + b * 0.5 * width * c)
        for a, b in CORNERS
    ]


def _boxes(net: RoadNetwork, rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Ego boxes along the network's first road: anywhere across it, and some with a corner on a
    lane border, at a section's start or at the road's end (to within a rounding)."""
    rid = net.roads[0].id
    length = net.roads[0].length
    out = []
    for i in range(count):
        s = float(rng.uniform(-3.0, length + 3.0))
        t = float(rng.uniform(-14.0, 10.0))
        x, y, _, h = net.road_to_world(rid, min(max(s, 0.0), length), t)
        yaw = h + float(rng.normal(0.0, 0.2))
        box = np.array([x, y, yaw, 4.6, 1.9])
        if i % 4 == 0:  # the first corner moved onto a lane border or a section's start
            pos = net.locate(*_corner_points(box)[0])
            if pos is not None:
                sec_starts = [0.0, 200.0]
                borders = [-7.5, -5.5, -3.5, 0.0, 3.2, 3.5, -3.75]
                px, py = _corner_points(box)[0]
                if i % 8 == 0:
                    target = min(borders, key=lambda b: abs(b - pos.t)) + float(rng.uniform(-0.5, 0.5) * EPS)
                    nx, ny, _, _ = net.road_to_world(rid, pos.s, target)
                else:
                    target = min(sec_starts, key=lambda b: abs(b - pos.s)) + float(
                        rng.uniform(-0.5, 0.5) * EPS
                    )
                    nx, ny, _, _ = net.road_to_world(rid, max(target, 0.0), pos.t)
                box[0] += nx - px
                box[1] += ny - py
        out.append(box)
    return out


def test_the_catalog_highway_is_plain_and_the_rural_road_is_not():
    highway = RoadNetwork.load(ROADS / "highway.xodr")
    rural = RoadNetwork.load(ROADS / "rural.xodr")
    assert plain_roads(highway.tables).all()
    assert not plain_roads(rural.tables).any()
    assert StepChecks(highway)._hints.tolist() == [HINT_PLAIN] * len(highway.roads)
    assert HINT_PLAIN not in StepChecks(highway, closed_form=False)._hints.tolist()
    assert HINT_PLAIN not in StepChecks(rural)._hints.tolist()


@pytest.mark.parametrize("which", ["highway", "two sections"])
def test_closed_form_corners_are_the_corners_lookups(which):
    net = _nets()[which]
    checks = StepChecks(net)
    assert checks._hints[0] == HINT_PLAIN
    T, G = net.tables, net.grid
    rng = np.random.default_rng(11)
    placed = refused = 0
    where, found = np.zeros((5, R_SIZE)), np.zeros(5, dtype=np.int64)
    ref, ref_found = np.zeros((5, R_SIZE)), np.zeros(5, dtype=np.int64)
    borders, scratch = np.zeros(64), np.zeros((4, 3))
    for box in _boxes(net, rng, 1200):
        pts = np.array([(box[0], box[1]), *_corner_points(box)])
        net.locate_many_into(pts, ref, ref_found)
        where[:] = np.nan
        found[:] = 0
        where[0], found[0] = ref[0], ref_found[0]
        if plain_corners(T, G.meta[5], checks._hints, box, where, found, borders, scratch):
            placed += 1
            assert found.tolist() == ref_found.tolist()
            assert np.array_equal(where[1:, DISCRETE], ref[1:, DISCRETE])
            assert np.allclose(where[1:, [R_S, R_T]], ref[1:, [R_S, R_T]], rtol=0.0, atol=1e-8)
        else:
            refused += 1
            assert np.isnan(where[1:]).all() and not found[1:].any()  # nothing written
    assert placed > 500 and refused > 150, (placed, refused)


@pytest.mark.parametrize("which", ["highway", "two sections"])
def test_world_checks_with_and_without_the_closed_form(which):
    net = _nets()[which]
    fast, general = StepChecks(net), StepChecks(net, closed_form=False)
    rng = np.random.default_rng(5)
    st = np.zeros((2, A_SIZE))
    st[:, A_LENGTH], st[:, A_WIDTH], st[:, A_HEIGHT], st[:, A_ALIVE] = 4.6, 1.9, 1.5, 1.0
    st[1, A_X], st[1, A_Y] = 1e5, 1e5  # far away: no overlap
    boxes = np.zeros((2, 5))
    invasions = 0
    seq = _boxes(net, rng, 600)
    for i, box in enumerate(seq):
        if i % 3:  # driving on: small steps from the last box (the corners' hints carried over)
            box = seq[i - 1] + np.array(
                [0.4 * math.cos(seq[i - 1][2]), 0.4 * math.sin(seq[i - 1][2]), 0, 0, 0]
            )
            seq[i] = box
        st[0, A_X], st[0, A_Y], st[0, A_YAW] = box[0], box[1], box[2]
        a, b = st.copy(), st.copy()
        ka = fast.run(a, boxes.copy(), 2, 1, True, 0.0)
        kb = general.run(b, boxes.copy(), 2, 1, True, 0.0)
        assert ka == kb and np.array_equal(a, b)
        assert fast.flags.tolist() == general.flags.tolist()
        assert fast.where_found.tolist() == general.where_found.tolist()
        assert np.array_equal(fast.where[:, DISCRETE], general.where[:, DISCRETE])
        invasions += fast.flags[2] != 0
    assert invasions > 20


def _run(name: str, stack: str, closed_form: bool, monkeypatch) -> tuple:
    logging.getLogger("dil.road").setLevel(logging.ERROR)
    real = world_events.StepChecks
    monkeypatch.setattr(
        world_events, "StepChecks", lambda net, max_pairs=1024: real(net, max_pairs, closed_form=closed_form)
    )
    tick = world_node.world_tick
    ticks: list[tuple] = []

    def recorded(*args):
        out = tick(*args)
        fwork, iwork = args[5], args[6]
        m = int(iwork[I_ROWS])
        o = m * R_SIZE + 2 * m
        where = fwork[o : o + 5 * R_SIZE].reshape((5, R_SIZE))
        ticks.append((out, iwork[: W_SIZE + 5].tolist(), where[:, DISCRETE].tolist()))
        return out

    monkeypatch.setattr(world_node, "world_tick", recorded)
    spec = RunSpec(ScenarioChoice(catalog_dir() / f"{name}.xosc"), DriverChoice(stack))
    r = run(spec)
    monkeypatch.setattr(world_node, "world_tick", tick)
    monkeypatch.setattr(world_events, "StepChecks", real)
    kpis = {k: v for k, v in r.kpis.items() if not (isinstance(v, float) and math.isnan(v))}
    return r.trace, kpis, r.verdict, ticks


@pytest.mark.parametrize(
    ("name", "stack"),
    [("alks_cutout", "builtin"), ("cpna", "aeb"), ("lane_change_highway", "none"), ("alks_cutin", "builtin")],
)
def test_catalog_runs_with_and_without_the_closed_form(name, stack, monkeypatch):
    fast = _run(name, stack, True, monkeypatch)
    general = _run(name, stack, False, monkeypatch)
    assert len(fast[3]) > 100
    assert fast[3] == general[3]  # every world tick's flags and corner lanes
    assert fast[0] == general[0] and fast[1] == general[1] and fast[2] == general[2]
