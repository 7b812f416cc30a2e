"""Points placed in closed form on a plain road get what their lookups give: the same road, lane,
inside flag, lane type and heading (station and offset to the lookup's tolerance); a point near a
lane border, a section's end or a road end is left to the lookup; the world's checks with and
without the closed form give the same actor rows (height, pitch, roll), flags and ego rows, and
whole catalog runs are the same tick for tick."""

import logging
import math

import numpy as np
import pytest

import dil.world.events as world_events
import dil.world.node as world_node
from dil.paths import catalog_dir
from dil.road.lanes import lane_borders, section_at
from dil.road.lookup import R_HEADING, R_INSIDE, R_LANE, R_ROAD, R_S, R_SIZE, R_T, R_TYPE
from dil.road.network import RoadNetwork
from dil.road.parse import parse
from dil.road.tables import S_START
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice
from dil.world.actors import A_ALIVE, A_HEIGHT, A_LENGTH, A_SIZE, A_WIDTH, A_X, A_Y, A_YAW
from dil.world.plain_roads import EPS, HINT_PLAIN, plain_locate, plain_roads
from dil.world.step_kernel import I_ROWS, W_INVADING, W_SIZE, StepChecks

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


def _points(net: RoadNetwork, rng: np.random.Generator, count: int) -> np.ndarray:
    """Points near the network's first road: anywhere along and across it, and some on a lane border,
    a section's start or a road end (to within half of :data:`EPS`)."""
    rid, length = net.roads[0].id, net.roads[0].length
    T = net.tables
    starts = [*T.sections[T.road_sections[0, 0] : T.road_sections[0, 1], S_START].tolist(), length]
    borders = np.zeros(64)
    out = np.zeros((count, 2))
    for i in range(count):
        s, t = float(rng.uniform(-3.0, length + 3.0)), float(rng.uniform(-16.0, 12.0))
        jitter = float(rng.uniform(-0.5, 0.5)) * EPS
        if i % 4 == 0:  # on a lane border
            sec = section_at(T, 0, min(max(s, 0.0), length))
            n = lane_borders(T, 0, sec, min(max(s, 0.0), length), borders)
            t = float(borders[int(rng.integers(n))]) + jitter
        elif i % 4 == 1:  # at a section's start or a road end
            s = starts[int(rng.integers(len(starts)))] + jitter
        on = min(max(s, 0.0), length)
        x, y, _, h = net.road_to_world(rid, on, t)
        out[i] = x + (s - on) * math.cos(h), y + (s - on) * math.sin(h)
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
def test_closed_form_is_the_lookup(which):
    net = _nets()[which]
    T, reach = net.tables, net.grid.meta[5]
    rng = np.random.default_rng(11)
    placed = refused = 0
    row, ref, ref_found = np.zeros(R_SIZE), np.zeros((1, R_SIZE)), np.zeros(1, dtype=np.int64)
    kept = np.full(64, np.nan)  # the borders of the last section, kept from point to point
    for x, y in _points(net, rng, 4000):
        net.locate_many_into(np.array([(x, y)]), ref, ref_found)
        row[:] = np.nan
        if plain_locate(T, reach, 0, x, y, kept, row):
            placed += 1
            assert ref_found[0] == 1
            assert row[DISCRETE].tolist() == ref[0, DISCRETE].tolist()
            assert row[R_HEADING] == ref[0, R_HEADING]
            assert abs(row[R_S] - ref[0, R_S]) < 1e-8 and abs(row[R_T] - ref[0, R_T]) < 1e-8
        else:
            refused += 1
            assert np.isnan(row).all()  # nothing written
    assert placed > 1000 and refused > 1500, (placed, refused)


def _states(net: RoadNetwork, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` actors on and beside the network's first road (the ego row 0)."""
    rid, length = net.roads[0].id, net.roads[0].length
    st = np.zeros((n, A_SIZE))
    st[:, A_LENGTH], st[:, A_WIDTH], st[:, A_HEIGHT], st[:, A_ALIVE] = 4.6, 1.9, 1.5, 1.0
    for i in range(n):
        x, y, _, h = net.road_to_world(rid, float(rng.uniform(0.0, length)), float(rng.uniform(-14.0, 10.0)))
        st[i, A_X], st[i, A_Y], st[i, A_YAW] = (
            x,
            y,
            h + float(rng.normal(0.0, 0.3)) + (math.pi if i % 3 else 0.0),
        )
    return st


@pytest.mark.parametrize("which", ["highway", "two sections"])
def test_world_checks_with_and_without_the_closed_form(which):
    net = _nets()[which]
    fast, general = StepChecks(net), StepChecks(net, closed_form=False)
    rng = np.random.default_rng(5)
    n = 5
    a = _states(net, rng, n)
    b = a.copy()
    invasions = 0
    for step in range(1500):
        if step % 50 == 0:  # somewhere else
            a[:] = b[:] = _states(net, rng, n)
        else:  # driving on, a little sideways too
            move = rng.normal(0.0, 0.05, (n, 2)) + 0.5 * np.c_[np.cos(a[:, A_YAW]), np.sin(a[:, A_YAW])]
            a[:, [A_X, A_Y]] += move
            b[:, [A_X, A_Y]] += move
        ka = fast.run(a, np.zeros((n, 5)), n, 1, True, 0.1)
        kb = general.run(b, np.zeros((n, 5)), n, 1, True, 0.1)
        assert ka == kb and a.tobytes() == b.tobytes()  # heights, pitch and roll to the bit (signed zeros)
        assert fast.flags.tolist() == general.flags.tolist()
        assert fast.where_found.tolist() == general.where_found.tolist()
        assert np.array_equal(fast.where[:, DISCRETE], general.where[:, DISCRETE])
        invasions += fast.flags[W_INVADING] != 0
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
        rows = args[3][: args[8]].tobytes()  # every actor's row to the bit: height, pitch, roll
        ticks.append((out, iwork[: W_SIZE + 5].tolist(), where[:, DISCRETE].tolist(), rows))
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
    assert fast[3] == general[3]  # every world tick's actor rows, flags and corner lanes
    assert fast[0] == general[0] and fast[1] == general[1] and fast[2] == general[2]
