"""``dil bench world``: the embedded world's costs, with the carla client's own OpenDRIVE map as the
baseline for lane lookup (it parses the same file locally, no server).

Rows: world-to-lane lookup per call (single point from Python, and per point in a batch), lane
sampling of the whole network, collision check of 50 actors, a world step with 50 actors (lane
following, collisions, the ego's lane events), camera frames per second, bird's-eye frames per
second.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from dil.bench.report import format_table, write_json
from dil.paths import roads_dir
from dil.road.lookup import MAX_CANDIDATES, R_SIZE, locate_many
from dil.road.network import RoadNetwork
from dil.road.sampling import sample_lanes
from dil.world.actors import ActorSpec
from dil.world.camera import Camera, CameraSpec
from dil.world.collision import overlapping_pairs
from dil.world.embedded import EmbeddedWorld
from dil.world.sensors import BirdsEye

ROADS = roads_dir()
COLUMNS = (
    "what",
    "network",
    "per call us",
    "per second",
    "target",
    "meets target",
    "carla client us",
    "ratio",
)


def _per_call(fn, n: int) -> float:
    fn()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


def _points_on_roads(net: RoadNetwork, n: int, rng: np.random.Generator) -> np.ndarray:
    pts = []
    while len(pts) < n:
        road = net.roads[rng.integers(len(net.roads))]
        s = rng.uniform(0.0, road.length)
        t = rng.uniform(-6.0, 6.0)
        pts.append(net.road_to_world(road.id, s, t)[:2])
    return np.array(pts)


def _busy_world(path: Path, n_actors: int) -> EmbeddedWorld:
    world = EmbeddedWorld(path)
    net = world.network
    road = max(net.roads, key=lambda r: r.length)
    lanes = [ln.id for ln in road.lane_sections[0].lanes if ln.id != 0]
    world.set_pose(0, net.lane_to_world(road.id, lanes[-1], 5.0), 20.0)
    for i in range(n_actors - 1):
        lane = lanes[i % len(lanes)]
        s = 10.0 + (road.length - 20.0) * (i + 0.5) / n_actors
        a = world.spawn_in_lane(ActorSpec(f"car{i}"), road.id, lane, s, speed=1.0)
        world.follow_lane(a, 1.0)  # slow enough not to leave the road during the benchmark
    return world


def _network_rows(path: Path, rng: np.random.Generator, carla_baseline: bool) -> list[tuple]:
    net = RoadNetwork.load(path)
    label = path.stem
    pts = _points_on_roads(net, 2000, rng)
    counter = iter(range(10**9))

    def one() -> None:
        k = next(counter) % len(pts)
        net.locate_into(pts[k, 0], pts[k, 1])

    single = _per_call(one, 20_000)
    out = np.zeros((len(pts), R_SIZE))
    found = np.zeros(len(pts), dtype=np.int64)
    borders, cand, best = np.zeros(64), np.zeros((MAX_CANDIDATES, 3)), np.zeros(R_SIZE)
    batch = _per_call(lambda: locate_many(net.tables, net.grid, pts, borders, cand, best, out, found), 20)
    batch /= len(pts)
    carla_us = _carla_lookup(path, pts) if carla_baseline else None
    t0 = time.perf_counter()
    strips = sample_lanes(net, 1.0)
    dt = (time.perf_counter() - t0) * 1e6
    points = sum(len(s.s) for s in strips)
    return [
        (
            "lane lookup, one point",
            label,
            single,
            1e6 / single,
            "<= 5 us",
            _yes(single <= 5.0),
            carla_us,
            (carla_us / single) if carla_us else None,
        ),
        (
            "lane lookup, per point of 2000",
            label,
            batch,
            1e6 / batch,
            "<= 5 us",
            _yes(batch <= 5.0),
            carla_us,
            (carla_us / batch) if carla_us else None,
        ),
        (f"lane sampling, 1 m ({points} points)", label, dt, points / dt * 1e6, "-", "-", None, None),
    ]


def run(args: argparse.Namespace) -> int:
    logging.getLogger("dil.road").setLevel(logging.ERROR)
    rng = np.random.default_rng(1)
    rows = []
    for name in args.networks:
        path = Path(name) if Path(name).exists() else ROADS / f"{name}.xodr"
        rows += _network_rows(path, rng, not args.no_carla)

    world = _busy_world(ROADS / "highway.xodr", 50)
    boxes = world.actors.update_boxes()
    pairs = np.zeros((1024, 2), dtype=np.int64)
    coll = _per_call(lambda: overlapping_pairs(boxes, 50, pairs), 2000)
    rows.append(("collision check, 50 actors", "highway", coll, 1e6 / coll, "-", "-", None, None))
    k = iter(range(10**9))
    step = _per_call(lambda: world.step(next(k), 0.001), 2000)
    rows.append(
        ("world step, 50 actors", "highway", step, 1e6 / step, "<= 100 us", _yes(step <= 100.0), None, None)
    )
    state, _ = world.actor_state()
    cam = Camera(world.network, CameraSpec(width=640, height=360))
    frame = _per_call(lambda: cam.render(state, len(state)), 200)
    rows.append(
        (
            "camera frame 640x360",
            "highway",
            frame,
            1e6 / frame,
            ">= 200 /s",
            _yes(frame <= 5000.0),
            None,
            None,
        )
    )
    bev = BirdsEye(world.network, size_px=256)
    b = _per_call(lambda: bev.measure(state, len(state)), 200)
    rows.append(("bird's-eye frame 256x256", "highway", b, 1e6 / b, "-", "-", None, None))

    print(format_table(COLUMNS, rows))
    print(
        "carla client: carla.Map(name, xodr).get_waypoint(Location) on the same points (project to the "
        "nearest driving lane), in this process; ratio = carla time / dil time"
    )
    write_json(Path(args.json), "world", COLUMNS, rows)
    return 0


def _yes(ok: bool) -> str:
    return "yes" if ok else "no"


def _carla_lookup(path: Path, pts: np.ndarray) -> float | None:
    try:
        import carla
    except ImportError:
        return None
    cmap = carla.Map(path.stem, path.read_text())
    locs = [carla.Location(x=float(x), y=float(-y), z=0.0) for x, y in pts]  # CARLA's y points the other way
    i = iter(range(10**9))
    return _per_call(lambda: cmap.get_waypoint(locs[next(i) % len(locs)]), 20_000)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("world", help="lane lookup, sampling, collisions, world step, camera frame rate")
    p.add_argument(
        "--networks",
        nargs="+",
        default=["highway", "rural", "junction"],
        help="shipped network names or .xodr paths",
    )
    p.add_argument("--no-carla", action="store_true", help="skip the carla client baseline")
    p.add_argument("--json", default="bench-world.json", help="where to write the JSON report")
    p.set_defaults(func=run)
