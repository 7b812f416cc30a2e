"""``dil bench rig``: cueing plus kinematics per tick, and the latency from a driver input message to
the rig command that reflects it.

- per tick: the specific force at the driver's head, washout and tilt coordination, the pose
  brought inside the stroke, inverse kinematics, actuator speed and acceleration limiting, called
  from Python as the 1 kHz loop does (and the numba kernels alone);
- latency: the vehicle and cueing nodes in one simulated-clock loop on the in-process bus; a
  steering step on ``driver/input`` is published before tick k; the first ``rig/command`` whose
  pose differs from the steady one tells how many ticks later the rig hears of it.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import msgpack
import numpy as np

import vehicle_models
from dil.bench.report import format_table, write_json
from dil.bus import SCHEMAS, Drops, Encoder, LocalBus, NodeSpec, Port
from dil.realtime.clock import SimClock
from dil.realtime.loop import Loop
from dil.vehicle.node import VehicleNode
from hil_rigs.cueing import MotionCueing
from hil_rigs.cueing_node import CueingNode
from hil_rigs.mpc_cueing import MpcCueing
from hil_rigs.server import feedback_fields
from hil_rigs.stewart import Platform, rate_limit

COLUMNS = ("what", "per tick us", "target", "meets target")


def _per_tick(n: int) -> tuple[float, float]:
    cue = MotionCueing(head=(-0.3, 0.37, 0.6))
    plat = Platform()
    pose = np.zeros(6)
    g = plat.geometry
    lengths, speeds = plat.neutral.copy(), np.zeros(6)
    rng = np.random.default_rng(0)
    inputs = rng.normal(0.0, 2.0, (n, 6)) * np.array([1, 1, 0.2, 0.05, 0.05, 0.05])
    for _ in range(2):
        t0 = time.perf_counter()
        for row in inputs:
            pose[:] = cue.step(row[0], row[1], row[2], row[3], row[4], row[5])
            plat.limit(pose)
            wanted = plat.inverse(pose)
            rate_limit(wanted, lengths, speeds, g.min_length, g.max_length, g.max_speed, g.max_accel, 1e-3)
        full = (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    for row in inputs:
        cue.step(row[0], row[1], row[2], row[3], row[4], row[5])
    cue_only = (time.perf_counter() - t0) / n * 1e6
    return full, cue_only


def _mpc_per_tick(n: int) -> tuple[float, float, float]:
    """MPC cueing per tick: mean, p99 and max [us] over ``n`` ticks of a braking and steering
    sequence (each channel solves every 30 ticks, on different ticks)."""
    cue = MpcCueing(head=(-0.3, 0.37, 0.6))
    cue.step(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # compile or load the kernels
    cue.reset()
    ts = np.empty(n)
    for k in range(n):
        t = k * 1e-3
        fx = -4.0 if (t % 6.0) > 3.0 else 2.0
        fy = 3.0 * math.sin(0.5 * t)
        t0 = time.perf_counter_ns()
        cue.step(fx, fy, 0.0, 0.0, 0.0, 0.2 * math.sin(0.5 * t))
        ts[k] = (time.perf_counter_ns() - t0) * 1e-3
    return float(ts.mean()), float(np.percentile(ts, 99)), float(ts.max())


def _latency() -> float:
    bus = LocalBus()
    clock = SimClock()
    drops = Drops()
    commands: list[tuple[int, list[float]]] = []
    tick = [0]
    bus.tap(
        lambda f: (
            commands.append((tick[0], msgpack.unpackb(f[12:])["roll"]))
            if f.startswith(b"rig/command")
            else None
        )
    )
    vehicle = vehicle_models.Vehicle("single_track", "sedan_bmw320i", speed=20.0, gear=1)
    vnode = VehicleNode(bus, drops, vehicle, clock)
    cnode = CueingNode(bus, drops, clock)
    driver = bus.publisher("driver/input")
    enc = Encoder(SCHEMAS["driver/input"], "wheel")
    feedback = bus.publisher("rig/feedback")  # an engaged rig's heartbeat
    fb_enc = Encoder(SCHEMAS["rig/feedback"], "rig")
    fb = feedback_fields("engaged")
    step_at = 500

    class Input:
        spec = NodeSpec(
            "wheel and rig", outputs=(Port("input", "driver/input"), Port("feedback", "rig/feedback"))
        )
        rate_hz = 1000.0

        def start(self, t: int) -> None:
            pass

        def stop(self, t: int) -> None:
            pass

        def tick(self, t: int) -> None:
            k = t // 1_000_000
            tick[0] = k
            if k % 10 == 0:
                feedback.send(fb_enc.encode(t, t, fb))
            steer = 0.5 if k >= step_at else 0.0
            driver.send(
                enc.encode(t, t, {"steering_wheel_angle": steer, "throttle": 0.2, "brake": 0.0, "gear": 1})
            )

    loop = Loop([Input(), vnode, cnode], clock, bus, drops, publish_status=False)
    loop.run(700)
    steady = [r for k, r in commands if k == step_at - 1][-1]
    first = next(k for k, r in commands if k >= step_at and abs(r - steady) > 1e-12)
    return float(first - step_at)


def run(args: argparse.Namespace) -> int:
    full, cue_only = _per_tick(args.ticks)
    lat = _latency()
    rows = [
        (
            "head + cueing + stroke and rate limits + inverse kinematics, from Python",
            full,
            "<= 5 us",
            "yes" if full <= 5 else "no",
        ),
        ("cueing alone, from Python", cue_only, "-", "-"),
        (
            "driver input to rig command [ticks of 1 ms]",
            lat,
            "<= 2 ms (one tick)",
            "yes" if lat <= 2 else "no",
        ),
    ]
    mean, p99, worst = _mpc_per_tick(args.ticks)
    rows += [
        (f"MPC cueing, mean per tick ({mean / cue_only:.1f}x classical)", mean, "-", "-"),
        (
            "MPC cueing, p99 per tick (the ticks with a solve)",
            p99,
            "<= 500 us",
            "yes" if p99 <= 500 else "no",
        ),
        ("MPC cueing, max per tick", worst, "-", "-"),
    ]
    print(format_table(COLUMNS, rows))
    write_json(Path(args.json), "rig", COLUMNS, rows)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rig", help="cueing and kinematics per tick; driver input to rig command latency")
    p.add_argument(
        "--ticks", type=int, default=20000, help="1 ms ticks per measurement (default %(default)s)"
    )
    p.add_argument("--json", default="bench-rig.json", help="where to write the JSON report")
    p.set_defaults(func=run)
