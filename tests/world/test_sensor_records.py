"""The object list, lane geometry and ``world/actors`` records, made column-wise and with out-of-range
lanes skipped by their bounding boxes, equal value for value (and type for type) those made one actor
and one lane at a time, on real scenario states."""

import math

import numpy as np

from dil.paths import catalog_dir
from dil.road.network import RoadNetwork
from dil.scenario.loader import load
from dil.world.actors import (
    A_ALIVE,
    A_HEIGHT,
    A_KIND,
    A_LENGTH,
    A_SIZE,
    A_SPEED,
    A_WIDTH,
    A_X,
    A_Y,
    A_YAW,
    A_Z,
    EGO,
    ActorKind,
)
from dil.world.node import actor_records
from dil.world.sensors import LaneGeometry, ObjectList, _to_ego


def _objects_one_by_one(sensor: ObjectList, actors: np.ndarray, n: int) -> dict:
    ego, rows = actors[EGO], actors[1:n]
    idx = np.nonzero(
        (rows[:, A_ALIVE] > 0.5)
        & (np.hypot(rows[:, A_X] - ego[A_X], rows[:, A_Y] - ego[A_Y]) <= sensor.range_m)
    )[0]
    xs, ys = _to_ego(ego, rows[idx, A_X], rows[idx, A_Y])
    out = []
    for k, i in enumerate(idx):
        a = rows[i]
        out.append(
            {
                "id": int(i) + 1,
                "kind": ActorKind(int(a[A_KIND])).label,
                "x": float(xs[k]),
                "y": float(ys[k]),
                "yaw": math.remainder(a[A_YAW] - ego[A_YAW], 2 * math.pi),
                "speed": float(a[A_SPEED]),
                "length": float(a[A_LENGTH]),
                "width": float(a[A_WIDTH]),
                "height": float(a[A_HEIGHT]),
            }
        )
    return {"objects": out}


def _lanes_every_strip(sensor: LaneGeometry, actors: np.ndarray) -> dict:
    ego = actors[EGO]
    lanes = []
    for st in sensor.strips:
        near = np.hypot(st.centre[:, 0] - ego[A_X], st.centre[:, 1] - ego[A_Y]) <= sensor.range_m
        if not near.any():
            continue
        xs, ys = _to_ego(ego, st.centre[near, 0], st.centre[near, 1])
        pts = np.empty(2 * xs.size)
        pts[0::2], pts[1::2] = xs, ys
        lanes.append({"road": st.road, "lane": st.lane, "type": st.type, "points": pts.tolist()})
    return {"lanes": lanes}


def _actors_one_by_one(state: np.ndarray, names: list[str]) -> list[dict]:
    cols = (("x", A_X), ("y", A_Y), ("z", A_Z), ("yaw", A_YAW), ("speed", A_SPEED))
    sizes = (("length", A_LENGTH), ("width", A_WIDTH), ("height", A_HEIGHT))
    return [
        {
            "id": i,
            "kind": ActorKind(int(a[A_KIND])).label,
            "name": names[i],
            **{k: float(a[c]) for k, c in cols + sizes},
        }
        for i, a in enumerate(state)
        if a[A_ALIVE] > 0.5
    ]


def _typed(value):
    if isinstance(value, dict):
        return {k: (type(v), _typed(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [(type(v), _typed(v)) for v in value]
    return value


def _states(rng: np.random.Generator, n_actors: int, around: np.ndarray) -> list[np.ndarray]:
    """Actor tables scattered over the road network's extent, some actors dead."""
    lo, hi = around.min(axis=0), around.max(axis=0)
    out = []
    for _ in range(25):
        s = np.zeros((n_actors, A_SIZE))
        s[:, A_X] = rng.uniform(lo[0] - 300, hi[0] + 300, n_actors)
        s[:, A_Y] = rng.uniform(lo[1] - 300, hi[1] + 300, n_actors)
        s[:, A_YAW] = rng.uniform(-4, 4, n_actors)
        s[:, A_SPEED] = rng.uniform(0, 40, n_actors)
        s[:, A_KIND] = rng.integers(0, 4, n_actors)
        s[:, A_LENGTH], s[:, A_WIDTH], s[:, A_HEIGHT] = 4.5, 1.8, 1.5
        s[:, A_ALIVE] = rng.random(n_actors) > 0.2
        s[EGO, A_ALIVE] = 1.0
        out.append(s)
    return out


def test_column_wise_records_equal_the_one_at_a_time_ones():
    rng = np.random.default_rng(7)
    skipped = 0
    for name in ("ccrs", "lane_keeping_rural", "cpna"):
        scen = load(catalog_dir() / f"{name}.xosc")
        net = RoadNetwork.load(scen.road_file)
        lanes = LaneGeometry(net, range_m=80.0)
        objects = ObjectList(range_m=150.0)
        extent = np.concatenate([st.centre[:, :2] for st in lanes.strips])
        for state in _states(rng, 12, extent):
            names = [f"a{i}" for i in range(len(state))]
            assert _typed(objects.measure(state, len(state))) == _typed(
                _objects_one_by_one(objects, state, len(state))
            )
            got, want = lanes.measure(state, len(state)), _lanes_every_strip(lanes, state)
            assert _typed(got) == _typed(want)
            skipped += len(lanes.strips) - len(got["lanes"])
            assert _typed(actor_records(state, names)) == _typed(_actors_one_by_one(state, names))
    assert skipped > 0  # some lanes were out of range: the skipping was exercised
