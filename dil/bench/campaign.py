"""``dil bench campaign``: a grid of runs of a 30 s catalog scenario on the local engine, side by side
with the same runs each recorded (the cost a campaign paid when every run wrote its log), the floor
(the simulation loops alone, spread over the workers), and on a local Ray cluster: the cost per task
of Ray against a local process pool with a trivial task, and a subset of runs on both engines.

Wall times on a loaded machine move with the load; the CPU seconds per run (the workers' own) and the
ratios between rows measured in the same run hold better."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from dil.bench.report import format_table, write_json
from dil.campaign.engine import run_campaign
from dil.campaign.runs import run_specs
from dil.campaign.spec import CampaignSpec, Distribution, Range
from dil.paths import catalog_dir

CATALOG = catalog_dir()
COLUMNS = (
    "engine",
    "runs",
    "workers",
    "wall s",
    "runs/s",
    "simulated s per run",
    "x real time (all workers)",
    "loop s per run",
    "CPU s per run",
    "loop CPU s per run",
    "CPU beyond the loop ms per run",
    "parent CPU ms per run",
    "overhead s per run",
    "wall / floor",
    "errors",
)


def _grid(n: int, scenario: str) -> CampaignSpec:
    # StopDistance 40 m .. : every run a distinct concrete scenario of the same 30 s logical one
    return CampaignSpec(
        name="bench",
        scenarios=[str(CATALOG / f"{scenario}.xosc")],
        source=CATALOG / "x.yaml",
        parameters={"StopDistance": Distribution(range=Range(40.0, 40.0 + 0.05 * (n - 1), 0.05))},
    )


def workers_cpu_s(docs: list[dict]) -> float:
    """The CPU time of the workers that played ``docs`` (result rows) [s]: each worker process's own
    CPU time when it finished its last run, start-up included, summed over the workers."""
    last: dict[int, float] = {}
    for d in docs:
        if "pid" in d and "process_cpu_s" in d:
            last[d["pid"]] = max(last.get(d["pid"], 0.0), d["process_cpu_s"])
    return sum(last.values())


def _measure(label: str, engine: str, specs: list, workers: int, record_all: bool = False) -> tuple:
    """One campaign of ``specs``; ``record_all``: every run records its log (kept passing logs)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        parent0 = time.process_time()
        t0 = time.perf_counter()
        run_campaign(specs, out, engine=engine, workers=workers, keep_passing_logs=record_all)
        wall = time.perf_counter() - t0
        parent = time.process_time() - parent0  # handing out runs, storing results, progress
        docs = [json.loads(p.read_text()) for p in out.glob("runs/*/result.json")]
    cpu = workers_cpu_s(docs)
    n = max(len(docs), 1)
    sim = sum(d.get("simulated_s", 0.0) for d in docs) / n
    loop = sum(d.get("loop_s", 0.0) for d in docs) / n
    loop_cpu = sum(d.get("loop_cpu_s", 0.0) for d in docs) / n
    # each run's own CPU beyond its loop in its worker (set-up, scoring, result): Ray rows too
    beyond = sum(d.get("cpu_s", 0.0) - d.get("loop_cpu_s", 0.0) for d in docs) / n
    floor = loop * len(specs) / workers  # the loops alone, spread over the workers
    errors = sum(d["status"] == "error" for d in docs)
    per_run = wall * workers / len(specs)
    return (
        label,
        len(specs),
        workers,
        wall,
        len(specs) / wall,
        sim,
        sim * len(specs) / wall,
        loop,
        cpu / len(specs) if cpu > 0 else None,
        loop_cpu,
        beyond * 1000,
        parent * 1000 / len(specs),
        per_run - loop,
        wall / floor if floor > 0 else None,
        errors,
    )


def _trivial(i: int) -> int:
    return i


def task_overhead_ms(tasks: int, workers: int) -> tuple[float, float | None]:
    """Wall time per task [ms] of a trivial task, on a local process pool and on a local Ray cluster
    (None without Ray); both pools started before the clock starts."""
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        list(pool.map(_trivial, range(workers * 4)))
        t0 = time.perf_counter()
        list(pool.map(_trivial, range(tasks)))
        local = (time.perf_counter() - t0) * 1000 * workers / tasks
    try:
        import ray
    except ImportError:
        return local, None
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        task = ray.remote(_trivial)
        ray.get([task.remote(i) for i in range(workers * 4)])
        t0 = time.perf_counter()
        ray.get([task.remote(i) for i in range(tasks)])
        remote = (time.perf_counter() - t0) * 1000 * workers / tasks
    finally:
        ray.shutdown()
    return local, remote


def run(args: argparse.Namespace) -> int:
    workers = args.workers or os.cpu_count() or 1
    specs = run_specs(_grid(args.runs, args.scenario))
    rows = [_measure("local", "local", specs, workers)]
    if args.baseline_runs:
        subset = specs[: args.baseline_runs]
        rows.append(_measure("local", "local", subset, workers))
        rows.append(_measure("local, every run recorded", "local", subset, workers, record_all=True))
    ray_rows = []
    if args.ray_runs:
        try:
            import ray
        except ImportError:
            print("ray is not installed: no Ray rows")
        else:
            subset = specs[: args.ray_runs]
            ray_rows = [_measure("local", "local", subset, workers)]
            t0 = time.perf_counter()  # the cluster starts before the clock: a campaign's one-off cost
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
            ray_start_s = time.perf_counter() - t0
            try:
                ray_rows.append(_measure("ray", "ray", subset, workers))
            finally:
                ray.shutdown()
            ray_rows[1] = (*ray_rows[1][:8], None, *ray_rows[1][9:])  # its workers' CPU holds the cluster's
            # (the parent's CPU on Ray counts the driver's share of the cluster's work too)
    rows += ray_rows
    print(f"{args.scenario} (a 30 s catalog scenario, built-in stack), grid over StopDistance")
    print(format_table(COLUMNS, rows))
    full = rows[0]
    floor = full[7] * full[1] / workers
    if floor > 0:
        print(
            f"floor (the {full[1]} loops alone over {workers} workers): {floor:.1f} s; "
            f"the campaign took {full[3]:.1f} s, {full[3] / floor:.2f}x the floor"
        )
    print(
        f"beyond the loop, CPU per run: {full[10]:.1f} ms in the workers (building the run, scoring it, "
        f"its result), {full[11]:.1f} ms in the campaign process (handing out runs, storing results); "
        f"the workers' CPU per run, kernel loading and pool included: {full[8] or 0:.3f} s against "
        f"{full[9]:.3f} s in the loop"
    )
    # the machine is often shared: what the campaign would take with its cores to itself is its CPU
    # spread over the workers (an estimate: it assumes no core waits for another)
    cpu_bound = ((full[8] or 0.0) + full[11] / 1000) * full[1] / workers
    print(
        f"CPU-bound estimate (all its CPU spread over {workers} workers, cores to itself): {cpu_bound:.1f} s"
    )
    if args.baseline_runs:
        quiet, recorded = rows[1], rows[2]
        print(
            f"every run recorded against logs recorded only where kept (same {quiet[1]} runs): "
            f"wall {recorded[3] / quiet[3]:.2f}x, CPU per run "
            + (f"{recorded[8] / quiet[8]:.2f}x" if quiet[8] and recorded[8] else "-")
        )
    extra: dict[str, object] = {
        "scenario": args.scenario,
        "floor_s": floor,
        "floor_ratio": full[3] / floor if floor > 0 else None,
        "cpu_beyond_loop_ms": full[10],
        "parent_cpu_ms": full[11],
        "cpu_bound_s": cpu_bound,
    }
    if ray_rows:
        per_run = (ray_rows[1][3] - ray_rows[0][3]) * workers / ray_rows[0][1]
        print(
            f"Ray against the local engine (same {ray_rows[0][1]} runs, the cluster started apart in "
            f"{ray_start_s:.1f} s): {per_run * 1000:.0f} ms per run, the Ray workers' start-up included"
        )
        local_ms, ray_ms = task_overhead_ms(args.trivial_tasks, workers)
        print(f"trivial task: {local_ms:.2f} ms per task on a local process pool, {ray_ms:.2f} ms on Ray")
        extra.update(
            ray_start_s=ray_start_s,
            ray_ms_per_run=per_run * 1000,
            trivial_local_ms=local_ms,
            trivial_ray_ms=ray_ms,
        )
    print("target: 1,000 runs of a 30 s scenario in <= 120 s on this machine; Ray <= 20 ms per task")
    write_json(Path(args.json), "campaign", COLUMNS, rows, extra)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaign", help="runs per second of a 1,000-run grid, local engine and Ray")
    p.add_argument("--runs", type=int, default=1000, help="runs in the grid (default %(default)s)")
    p.add_argument(
        "--baseline-runs", type=int, default=100, help="runs of the every-run-recorded comparison (0: skip)"
    )
    p.add_argument("--ray-runs", type=int, default=100, help="runs of the Ray comparison (0: skip)")
    p.add_argument("--trivial-tasks", type=int, default=2000, help="trivial tasks per engine (Ray cost)")
    p.add_argument("--workers", type=int, help="processes (default: one per CPU)")
    p.add_argument("--scenario", default="alks_cutout", help="catalog scenario (default %(default)s, 30 s)")
    p.add_argument("--json", default="bench-campaign.json", help="where to write the JSON report")
    p.set_defaults(func=run)
