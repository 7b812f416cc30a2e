"""``dil bench loop``: lateness and missed ticks of the full 1 kHz tick under four conditions.

Each condition runs twice: the full tick and, as the baseline, the same loop and clock with no
nodes, which shows how punctual the machine itself lets a process be. The full tick is the real
one: a scripted driver publishes ``driver/input`` at 100 Hz over tcp, the vehicle node reads it
from its socket, steps the single-track model and publishes
``vehicle/state`` over tcp to a subscriber in another process, the loop publishes ``run/status``.
Conditions: normal or real-time scheduling (SCHED_FIFO, one CPU, mlockall), idle or with two
CPU-bound processes beside it.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import multiprocessing as mp
import os
from pathlib import Path

from dil.bench.report import format_table, write_json
from dil.bus import Drops, Endpoints, ZmqBus
from dil.realtime.clock import WallClock
from dil.realtime.loop import Loop, LoopReport
from dil.realtime.scheduling import RealtimeRequest, apply, restore_normal
from dil.vehicle.node import VehicleNode
from dil.vehicle.scripted_driver import ScriptedDriver
from vehicle_models import Vehicle

TARGET_P999_US = 50.0
COLUMNS = (
    "tick",
    "scheduling",
    "load",
    "seconds",
    "p50 us",
    "p99 us",
    "p99.9 us",
    "max us",
    "late >100us",
    "missed",
    "tick cost p50 us",
    "tick cost p99 us",
    "tick cost max us",
    "meets target",
)


def _hog(stop) -> None:
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def _drain(port: int, ready, stop) -> None:
    """A subscriber of vehicle/state in another process, as a recorder or console would be."""
    bus = ZmqBus(Endpoints.default("tcp", port=port))
    sub = bus.subscriber("vehicle/state")
    ready.set()
    while not stop.is_set():
        sub.recv(100)
    bus.close()


def _one(port: int, seconds: float, realtime: bool, load: int, work: bool = True) -> tuple[LoopReport, str]:
    ctx = mp.get_context("spawn")
    stop, ready = ctx.Event(), ctx.Event()
    helpers = [ctx.Process(target=_hog, args=(stop,), daemon=True) for _ in range(load)]
    helpers.append(ctx.Process(target=_drain, args=(port, ready, stop), daemon=True))
    for h in helpers:
        h.start()
    cpus = os.sched_getaffinity(0)
    bus = ZmqBus(Endpoints.default("tcp", port=port), io_priority=70 if realtime else None)
    try:
        ready.wait(60)
        clock = WallClock()
        drops = Drops()
        nodes = (
            [
                ScriptedDriver(bus, clock, "sine-steer"),
                VehicleNode(bus, drops, Vehicle("single_track", "sedan_bmw320i"), clock),
            ]
            if work
            else []
        )
        req = (
            RealtimeRequest(fifo_priority=80, cpus=(max(cpus),), lock_memory=True)
            if realtime
            else RealtimeRequest()
        )
        res = apply(req)
        ticks = int(seconds * 1000)
        report = Loop(nodes, clock, bus, drops, record=ticks, scheduling=res.summary()).run(ticks)
        refused = "; ".join(res.refused)
    finally:
        restore_normal()
        os.sched_setaffinity(0, cpus)
        _munlockall()
        stop.set()
        for h in helpers:
            h.join(5)
        bus.close()
    return report, refused


def _munlockall() -> None:
    name = ctypes.util.find_library("c")
    if name:
        ctypes.CDLL(name).munlockall()


def run(args: argparse.Namespace) -> int:
    rows = []
    notes = []
    conditions = [(rt, load, work) for rt in (False, True) for load in args.loads for work in (False, True)]
    if args.only_realtime:
        conditions = [c for c in conditions if c[0]]
    if args.no_baseline:
        conditions = [c for c in conditions if c[2]]
    for i, (rt, load, work) in enumerate(conditions):
        report, refused = _one(args.port + 16 * i, args.duration, rt, load, work)
        if refused:
            notes.append(f"{'real-time' if rt else 'normal'}: refused {refused}")
        lat, cost = report.lateness_us, report.tick_cost_us
        rows.append(
            (
                "full" if work else "baseline",
                report.scheduling,
                f"{load} busy" if load else "idle",
                report.wall_s,
                lat["p50_us"],
                lat["p99_us"],
                lat["p99.9_us"],
                lat["max_us"],
                report.late_ticks,
                report.missed_ticks,
                cost["p50_us"],
                cost["p99_us"],
                cost["max_us"],
                "yes" if lat["p99.9_us"] <= TARGET_P999_US and report.missed_ticks == 0 else "no",
            )
        )
        print(f"  done: {rows[-1][0]}, {rows[-1][1]}, {rows[-1][2]}", flush=True)
    print(
        f"full: the 1 kHz tick (driver input over tcp, single-track step, vehicle/state over tcp); "
        f"baseline: the same loop and clock with no nodes (what the machine allows); "
        f"{args.duration:g} s per condition, {os.cpu_count()} CPUs"
    )
    print(format_table(COLUMNS, rows))
    for n in notes:
        print(n)
    print(
        f"target: p99.9 lateness <= {TARGET_P999_US:g} us and no missed tick (10 min with real-time "
        "scheduling: --duration 600)"
    )
    write_json(Path(args.json), "loop", COLUMNS, rows, {"duration_s": args.duration, "notes": notes})
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("loop", help="lateness of the full 1 kHz tick, with and without real-time scheduling")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per condition (default %(default)s)")
    p.add_argument("--only-realtime", action="store_true", help="skip the normal-scheduling conditions")
    p.add_argument(
        "--loads",
        type=int,
        nargs="+",
        default=[0, 2],
        help="CPU-bound processes beside the loop, one condition each (default 0 2)",
    )
    p.add_argument("--no-baseline", action="store_true", help="skip the empty-loop baseline runs")
    p.add_argument("--port", type=int, default=5800, help="first tcp port")
    p.add_argument("--json", default="bench-loop.json", help="where to write the JSON report")
    p.set_defaults(func=run)
