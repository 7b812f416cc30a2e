"""``dil bench campaign``: a grid of runs of a 30 s catalog scenario on the local engine (and a
subset on a local Ray cluster): runs per second, real-time factor, and the per-run overhead
beyond the simulation loop itself."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
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
    "overhead s per run",
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


def _measure(engine: str, specs: list, workers: int) -> tuple:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        run_campaign(specs, out, engine=engine, workers=workers)
        wall = time.perf_counter() - t0
        docs = [json.loads(p.read_text()) for p in out.glob("runs/*/result.json")]
    sim = sum(d.get("simulated_s", 0.0) for d in docs) / max(len(docs), 1)
    loop = sum(d.get("loop_s", 0.0) for d in docs) / max(len(docs), 1)
    errors = sum(d["status"] == "error" for d in docs)
    per_run = wall * workers / len(specs)
    return (
        engine,
        len(specs),
        workers,
        wall,
        len(specs) / wall,
        sim,
        sim * len(specs) / wall,
        loop,
        per_run - loop,
        errors,
    )


def run(args: argparse.Namespace) -> int:
    workers = args.workers or os.cpu_count() or 1
    specs = run_specs(_grid(args.runs, args.scenario))
    rows = [_measure("local", specs, workers)]
    if args.ray_runs:
        try:
            import ray  # noqa: F401
        except ImportError:
            print("ray is not installed: no Ray row")
        else:
            subset = specs[: args.ray_runs]
            rows.append(_measure("local", subset, workers))
            rows.append(_measure("ray", subset, workers))
    print(f"{args.scenario} (a 30 s catalog scenario, built-in stack), grid over StopDistance")
    print(format_table(COLUMNS, rows))
    if len(rows) == 3:
        extra = (rows[2][3] - rows[1][3]) * workers / rows[1][1]
        print(
            f"Ray overhead per task against the local engine (same {rows[1][1]} runs): {extra * 1000:.0f} ms"
        )
    print("target: 1,000 runs of a 30 s scenario in <= 120 s on this machine")
    write_json(Path(args.json), "campaign", COLUMNS, rows, {"scenario": args.scenario})
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaign", help="runs per second of a 1,000-run grid, local engine and Ray")
    p.add_argument("--runs", type=int, default=1000, help="runs in the grid (default %(default)s)")
    p.add_argument("--ray-runs", type=int, default=100, help="runs of the Ray comparison (0: skip)")
    p.add_argument("--workers", type=int, help="processes (default: one per CPU)")
    p.add_argument("--scenario", default="alks_cutout", help="catalog scenario (default %(default)s, 30 s)")
    p.add_argument("--json", default="bench-campaign.json", help="where to write the JSON report")
    p.set_defaults(func=run)
