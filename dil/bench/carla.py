"""``dil bench carla``: the CARLA backend through the real ``carla`` client, against ``dil carla-lite``
(started here, in its own process) or a CARLA server given with ``--carla-host/--carla-port``.

One ego and 20 lane-following actors on the highway. Rows, each measured in the same run:

- the embedded world's step alone (dil's part of every tick: lane following, collisions, events);
- ``world.tick()`` alone from a bare client with the same 21 vehicles standing in the server (the
  server's own cost of a synchronous tick, plus one round trip): the baseline of the backend;
- the backend's step (dil's step, the batch that moves all 21 actors, the tick, CARLA's collision
  events), and the synchronisation alone (batch + tick + events) with its ratio to the bare tick;
- the same with a 640x360 camera on the ego, and the delay from handing the state over to the
  frame's arrival.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from dil.bench.report import format_table, write_json
from dil.paths import roads_dir
from dil.world.actors import ActorSpec
from dil.world.camera import CameraSpec
from dil.world.carla_backend import CarlaOptions, CarlaWorld, to_carla_transform
from dil.world.embedded import EmbeddedWorld

ROADS = roads_dir()
COLUMNS = ("what", "ticks", "per tick p50 ms", "per tick p99 ms", "ticks per s", "vs bare tick")
READY = re.compile(r"carla-lite listening on ([\d.]+):(\d+)")
DT = 0.02


def start_lite(map_path: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dil", "carla-lite", "--port", "0", "--map", str(map_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        m = READY.search(line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # drain
            return proc, int(m.group(2))
    raise RuntimeError("dil carla-lite did not start:\n" + "".join(lines))


def populate(world: EmbeddedWorld, actors: int) -> None:
    """``actors`` lane-following cars spread over the highway's six lanes, ahead of the ego."""
    for k in range(actors):
        lane = (-1, -2, -3, 1, 2, 3)[k % 6]
        s = 60.0 + 25.0 * (k // 6) + 5.0 * (k % 6)
        if lane > 0:
            s = world.network.roads[0].length - s
        a = world.spawn_in_lane(ActorSpec(f"car{k}"), "1", lane, s, speed=20.0)
        world.follow_lane(a, 20.0 + (k % 5))


def drive_ego(world: EmbeddedWorld, k: int) -> None:
    world.set_pose(0, world.network.lane_to_world("1", -2, 10.0 + 0.5 * k), 25.0)


def _stats(name: str, ms: list[float], bare: float | None) -> tuple:
    a = np.asarray(ms)
    p50 = float(np.percentile(a, 50))
    return (
        name,
        len(a),
        p50,
        float(np.percentile(a, 99)),
        1000.0 / float(a.mean()),
        p50 / bare if bare else None,
    )


def bench_embedded(ticks: int, actors: int) -> list[float]:
    world = EmbeddedWorld(ROADS / "highway.xodr", ActorSpec("ego"))
    populate(world, actors)
    world.step(0, 0.0)
    out = []
    for k in range(ticks):
        drive_ego(world, k)
        t0 = time.perf_counter_ns()
        world.step(k * 20_000_000, DT)
        out.append((time.perf_counter_ns() - t0) * 1e-6)
    return out


def bench_bare_tick(options: CarlaOptions, ticks: int, actors: int) -> list[float]:
    """The server's synchronous tick with the same vehicles standing still, from a bare client."""
    import carla

    client = carla.Client(options.host, options.port)
    client.set_timeout(options.timeout_s)
    world = client.get_world()
    original = world.get_settings()
    settings = world.get_settings()
    settings.synchronous_mode, settings.fixed_delta_seconds = True, DT
    world.apply_settings(settings)
    placed = EmbeddedWorld(ROADS / "highway.xodr", ActorSpec("ego"))
    populate(placed, actors)
    drive_ego(placed, 0)
    bp = world.get_blueprint_library().find("vehicle.tesla.model3")
    state, _ = placed.actor_state()
    cmd = carla.command
    batch = [
        cmd.SpawnActor(bp, to_carla_transform(carla, a[0], a[1], a[2], a[3])).then(
            cmd.SetSimulatePhysics(cmd.FutureActor, False)
        )
        for a in state
    ]
    ids = [r.actor_id for r in client.apply_batch_sync(batch, False) if not r.error]
    try:
        out = []
        world.tick()
        for _ in range(ticks):
            t0 = time.perf_counter_ns()
            world.tick()
            out.append((time.perf_counter_ns() - t0) * 1e-6)
        return out
    finally:
        client.apply_batch_sync([cmd.DestroyActor(i) for i in ids], False)
        world.apply_settings(original)


def bench_backend(
    options: CarlaOptions, ticks: int, actors: int, camera: bool
) -> tuple[list[float], list[float], dict]:
    world = CarlaWorld(options, ActorSpec("ego"))
    try:
        cam = world.add_camera("front", CameraSpec(), 25.0) if camera else None
        populate(world, actors)
        drive_ego(world, 0)
        world.step(0, 0.0)  # spawns everything
        steps = []
        first = len(world.tick_ms)
        for k in range(ticks):
            drive_ego(world, k)
            t0 = time.perf_counter_ns()
            world.step(k * 20_000_000, DT)
            if cam is not None:
                cam.measure(world.actor_state()[0], 1)
            steps.append((time.perf_counter_ns() - t0) * 1e-6)
        return steps, world.tick_ms[first:], world.kpis()
    finally:
        world.close()


def run(args: argparse.Namespace) -> int:
    proc = None
    if args.carla_port is None:
        proc, port = start_lite(ROADS / "highway.xodr")
        host, server = "127.0.0.1", "dil carla-lite (highway.xodr, this machine)"
    else:
        host, port, server = args.carla_host, args.carla_port, f"CARLA at {args.carla_host}:{args.carla_port}"
    options = CarlaOptions(host=host, port=port, timeout_s=10.0)
    try:
        embedded = bench_embedded(args.ticks, args.actors)
        bare = bench_bare_tick(options, args.ticks, args.actors)
        steps, sync, _ = bench_backend(options, args.ticks, args.actors, camera=False)
        cam_steps, cam_sync, cam_kpis = bench_backend(options, args.ticks // 2, args.actors, camera=True)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    b = float(np.percentile(bare, 50))
    n = args.actors + 1
    rows = [
        _stats(f"embedded world step ({n} actors, no server)", embedded, None),
        _stats("bare client world.tick() (baseline)", bare, b),
        _stats("backend step: dil step + mirror + tick", steps, b),
        _stats("  of which synchronisation (batch, tick, events)", sync, b),
        _stats("backend step + 640x360 camera frame", cam_steps, b),
        _stats("  of which synchronisation", cam_sync, b),
    ]
    print(f"server: {server}; 1 ego + {args.actors} lane-following actors, fixed delta {DT:g} s")
    print(format_table(COLUMNS, rows))
    delay = cam_kpis.get("carla_front_delay_p50_ms")
    lag = cam_kpis["carla_front_lag_ticks_max"]
    print(f"camera: state handed over -> frame arrived p50 {delay:.2f} ms, lag {lag} ticks")
    write_json(
        Path(args.json),
        "carla",
        COLUMNS,
        rows,
        {"server": server, "actors": args.actors, "camera_delay_p50_ms": delay, "camera_kpis": cam_kpis},
    )
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("carla", help="ticks per second and synchronisation cost of the CARLA backend")
    p.add_argument("--ticks", type=int, default=500, help="ticks per measurement (default %(default)s)")
    p.add_argument("--actors", type=int, default=20, help="actors besides the ego (default %(default)s)")
    p.add_argument("--carla-host", default="127.0.0.1", help="with --carla-port: a running server")
    p.add_argument("--carla-port", type=int, help="a running CARLA server (default: start dil carla-lite)")
    p.add_argument("--json", default="bench-carla.json", help="where to write the JSON report")
    p.set_defaults(func=run)
