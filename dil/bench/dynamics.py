"""``dil bench dynamics``: cost of a 1 ms physics step per model and integrator.

Measures, in one run: ns per step inside numba (many steps in one compiled call), ns per step
called from Python (the real-time loop's way), batch vehicle-seconds per wall second, and the
baseline: CommonRoad's published ST and MB models integrated with RK4 in plain Python.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from dil.bench.report import format_table, write_json
from vehicle_models import METHODS, MODELS, Vehicle

TARGET_NS = {"single_track": 500.0, "two_track": 2000.0}
"""Targets inside numba per step on a 2-core machine [ns]."""
TARGET_PY_NS = {"single_track": 2000.0}
TARGET_BATCH = 10_000.0
"""Batch target [vehicle-seconds per wall second]."""

COLUMNS = (
    "model",
    "integrator",
    "ns/step numba",
    "ns/step python",
    "x real time",
    "batch veh-s/s",
    "batch veh-s per CPU s",
    "speedup vs CommonRoad",
    "target ns numba",
    "meets target",
)


def _driving_vehicle(model: str, params: str, method: str) -> Vehicle:
    """A vehicle in a steady moderate turn at 20 m/s, so the tyre model does real work."""
    v = Vehicle(model, params, method=method, speed=20.0, gear=1)
    v.set_inputs(steering_wheel_angle=0.6, throttle=0.25, brake=0.0, gear=1)
    v.warm_up()
    return v


def _best_of(repeats: int, fn) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def time_numba(v: Vehicle, steps: int) -> float:
    """ns per step with the loop inside numba."""
    w = v.model.work()
    method = METHODS[v.method]
    x0 = v.x.copy()

    def run() -> None:
        x = x0.copy()
        v.model.simulate(x, v.u, v.p, v.dt, steps, w, method)

    run()
    return _best_of(3, run) / steps * 1e9


def time_python(v: Vehicle, steps: int) -> float:
    """ns per step with one Python call per step, as the real-time loop does."""
    x0 = v.x.copy()

    def run() -> None:
        v.x[:] = x0
        step = v.step
        for _ in range(steps):
            step()

    run()
    return _best_of(3, run) / steps * 1e9


def time_batch(model: str, params: str, method: str, vehicles: int, seconds: float) -> tuple[float, float]:
    """Vehicle-seconds simulated per wall second, stepping ``vehicles`` cars in parallel, and per CPU
    second of all the process's threads (what a loaded machine leaves steadier: a fully used core
    gives that many vehicle-seconds per second)."""
    proto = _driving_vehicle(model, params, method)
    steps = round(seconds / proto.dt)
    xs = np.tile(proto.x, (vehicles, 1))
    us = np.tile(proto.u, (vehicles, 1))
    us[:, 0] = np.linspace(-1.0, 1.0, vehicles)  # a spread of steering angles
    ps = np.tile(proto.p, (vehicles, 1))
    ws = np.zeros((vehicles, *proto.model.work().shape))
    codes = np.zeros(vehicles, dtype=np.int64)
    m = METHODS[method]
    proto.model.step_batch(xs.copy(), us, ps, proto.dt, 1, ws, m, codes)  # compile / load

    cpu = float("inf")

    def run() -> None:
        nonlocal cpu
        c0 = time.process_time()
        proto.model.step_batch(xs.copy(), us, ps, proto.dt, steps, ws, m, codes)
        cpu = min(cpu, time.process_time() - c0)

    wall = _best_of(2, run)
    if codes.any():
        raise RuntimeError(f"batch inputs rejected: codes {np.unique(codes)}")
    return vehicles * seconds / wall, vehicles * seconds / max(cpu, 1e-9)


def commonroad_baseline(steps: int) -> dict[str, float]:
    """ns per step of CommonRoad's ST and MB (vehicle 2) with RK4 in plain Python."""
    from vehiclemodels.init_mb import init_mb
    from vehiclemodels.init_st import init_st
    from vehiclemodels.parameters_vehicle2 import parameters_vehicle2
    from vehiclemodels.vehicle_dynamics_mb import vehicle_dynamics_mb
    from vehiclemodels.vehicle_dynamics_st import vehicle_dynamics_st

    p = parameters_vehicle2()
    h = 1e-3

    def rk4(f, x: list[float], u: list[float]) -> list[float]:
        k1 = f(x, u, p)
        k2 = f([xi + 0.5 * h * ki for xi, ki in zip(x, k1, strict=True)], u, p)
        k3 = f([xi + 0.5 * h * ki for xi, ki in zip(x, k2, strict=True)], u, p)
        k4 = f([xi + h * ki for xi, ki in zip(x, k3, strict=True)], u, p)
        return [
            xi + h / 6.0 * (a + 2.0 * b + 2.0 * c + d)
            for xi, a, b, c, d in zip(x, k1, k2, k3, k4, strict=True)
        ]

    out = {}
    for name, f, x0 in (
        ("ST", vehicle_dynamics_st, init_st([0.0, 0.0, 0.02, 20.0, 0.0, 0.0, 0.0])),
        ("MB", vehicle_dynamics_mb, init_mb([0.0, 0.0, 0.02, 20.0, 0.0, 0.0, 0.0], p)),
    ):
        u = [0.0, 0.1]
        n = steps if name == "ST" else max(200, steps // 10)

        def run(f=f, x0=x0, u=u, n=n) -> None:
            x = list(x0)
            for _ in range(n):
                x = rk4(f, x, u)

        out[name] = _best_of(2, run) / n * 1e9
    return out


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    for name in MODELS:
        for method in METHODS:
            _driving_vehicle(name, args.params, method)
    warm_up_s = time.perf_counter() - t0

    try:
        baseline = commonroad_baseline(args.baseline_steps)
    except ImportError:
        baseline = {}
        print("CommonRoad baseline skipped: install it with pip install -e '.[bench]'")
    reference = {"single_track": baseline.get("ST"), "two_track": baseline.get("MB")}

    rows: list[list[object]] = []
    for name in MODELS:
        for method in METHODS:
            v = _driving_vehicle(name, args.params, method)
            ns = time_numba(v, args.steps)
            ns_py = time_python(v, max(1000, args.steps // 10))
            batch, batch_cpu = time_batch(name, args.params, method, args.vehicles, args.batch_seconds)
            ref = reference.get(name)
            target = TARGET_NS.get(name)
            meets = None if target is None else ns <= target and ns_py <= TARGET_PY_NS.get(name, 1e12)
            rows.append(
                [
                    name,
                    method,
                    ns,
                    ns_py,
                    1e9 * v.dt / ns,
                    batch,
                    batch_cpu,
                    None if ref is None else ref / ns,
                    target,
                    meets,
                ]
            )
    for label, key in (("CommonRoad ST (python)", "ST"), ("CommonRoad MB (python)", "MB")):
        if key in baseline:
            rows.append([label, "rk4", None, baseline[key], 1e6 / baseline[key], None, None, 1.0, None, None])

    print(
        f"dil bench dynamics: 1 ms steps, parameters {args.params}, "
        f"batch {args.vehicles} vehicles x {args.batch_seconds} s, warm-up {warm_up_s:.2f} s"
    )
    print(format_table(COLUMNS, rows))
    batch_ok = sorted({f"{r[0]} ({r[1]})" for r in rows if r[5] is not None and r[5] >= TARGET_BATCH})
    print(f"batch target {TARGET_BATCH:.0f} vehicle-s per wall s met by: {', '.join(batch_ok) or 'none'}")
    cores = os.cpu_count() or 1
    free = [f"{r[0]} ({r[1]}) {r[6] * cores:.0f}" for r in rows if r[6] is not None]
    print(f"batch vehicle-s per s on {cores} free cores (per CPU s x {cores}): {', '.join(free)}")
    write_json(
        Path(args.json),
        "dynamics",
        COLUMNS,
        rows,
        {
            "params": args.params,
            "warm_up_s": warm_up_s,
            "baseline_ns_per_step": baseline,
            "targets": {
                "ns_numba": TARGET_NS,
                "ns_python": TARGET_PY_NS,
                "batch_vehicle_s_per_s": TARGET_BATCH,
            },
        },
    )
    print(f"wrote {args.json}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dynamics", help="vehicle model step cost, batch throughput, CommonRoad baseline")
    p.add_argument("--params", default="sedan_bmw320i", help="vehicle parameter set (default %(default)s)")
    p.add_argument("--steps", type=int, default=200_000, help="steps per timing (default %(default)s)")
    p.add_argument("--vehicles", type=int, default=256, help="vehicles in the batch (default %(default)s)")
    p.add_argument("--batch-seconds", type=float, default=2.0, help="simulated seconds per batch run")
    p.add_argument("--baseline-steps", type=int, default=5000, help="steps of the CommonRoad baseline")
    p.add_argument("--json", default="bench-dynamics.json", help="where to write the JSON report")
    p.set_defaults(func=run)
