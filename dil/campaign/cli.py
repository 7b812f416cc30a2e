"""``dil campaign FILE``: every run of a campaign, locally or on Ray, with resumable results."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .engine import ENGINES, run_campaign
from .pvd import load_pvd
from .results import counts as status_counts
from .results import rows, write_csv, write_html, write_junit, write_parquet
from .runs import run_specs
from .spec import CampaignError, load


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaign", help="run a campaign of scenario variations and collect the results")
    p.add_argument(
        "file",
        type=Path,
        help="a campaign YAML (docs/campaigns.md) or an OpenSCENARIO ParameterValueDistribution .xosc",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where the runs execute: local (a process pool on this machine) or ray (tasks on a Ray "
        "cluster, see --address) (default %(default)s)",
    )
    p.add_argument("--address", help="Ray cluster address (default: start a local one)")
    p.add_argument("--workers", type=int, help="processes (default: one per CPU)")
    p.add_argument(
        "--out",
        type=Path,
        help="results folder, written as given (default: dil-campaigns/NAME, NAME the campaign's); "
        "reruns resume",
    )
    p.add_argument("--timeout", type=float, default=600.0, help="wall seconds before a run is an error")
    p.add_argument("--map", nargs=2, metavar=("X", "Y"), help="the two parameters of the pass/fail maps")
    p.add_argument("--list", action="store_true", help="print the run specs as a table and stop")
    p.add_argument("--json", action="store_true", help="with --list: one JSON object per run instead")
    p.add_argument(
        "--stack", action="append", help="for a ParameterValueDistribution file: the stacks to run"
    )
    p.set_defaults(func=main)


def _progress(done: int, total: int, failures: int, elapsed: float) -> None:
    eta = elapsed / done * (total - done) if done else 0.0
    width = 30
    bar = "#" * int(width * done / max(total, 1))
    print(
        f"\r[{bar:<{width}}] {done}/{total} runs, {failures} not passed, {eta:5.0f} s left",
        end="",
        file=sys.stderr,
        flush=True,
    )


def _spec_table(specs: list) -> str:
    """The run specs as an aligned table: one line per run, parameters as NAME=VALUE."""
    criteria = any(s.criteria for s in specs)
    head = ("run id", "scenario", "stack", "vehicle", "model", "rep", "seed", "max time s", "parameters")
    head += ("criteria",) if criteria else ()
    rows = [
        (
            s.run_id,
            Path(s.scenario).stem,
            s.stack,
            s.vehicle,
            s.model,
            str(s.repetition),
            str(s.seed),
            "-" if s.max_time is None else f"{s.max_time:g}",
            " ".join(f"{k}={v}" for k, v in s.params) or "-",
        )
        + ((" ".join(f"{k}={v}" for k, v in s.criteria) or "-",) if criteria else ())
        for s in specs
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + f"\n{len(specs)} runs"


def main(args: argparse.Namespace) -> int:
    try:
        spec = load_pvd(args.file, args.stack) if args.file.suffix == ".xosc" else load(args.file)
        specs = run_specs(spec)
    except CampaignError as e:
        print(f"dil campaign: {e}", file=sys.stderr)
        return 2
    if args.list:
        if args.json:
            for s in specs:
                print(json.dumps(s.as_dict(), sort_keys=True))
        else:
            print(_spec_table(specs))
        return 0
    out = args.out or Path("dil-campaigns") / spec.name
    out.mkdir(parents=True, exist_ok=True)
    (out / "campaign.json").write_text(
        json.dumps(
            {"name": spec.name, "file": str(spec.source), "runs": [s.as_dict() for s in specs]}, indent=1
        )
    )
    t0 = time.perf_counter()
    try:
        ran, skipped = run_campaign(
            specs,
            out,
            engine=args.engine,
            workers=args.workers,
            address=args.address,
            keep_passing_logs=spec.keep_passing_logs,
            osi=spec.osi,
            timeout=args.timeout,
            progress=_progress if sys.stderr.isatty() else None,
        )
    except RuntimeError as e:
        print(f"dil campaign: {e}", file=sys.stderr)
        return 2
    if sys.stderr.isatty():
        print(file=sys.stderr)
    wall = time.perf_counter() - t0
    table = rows(specs, out)
    write_csv(table, out / "results.csv")
    parquet = write_parquet(table, out / "results.parquet")
    write_junit(table, out / "junit.xml", spec.name)
    try:
        write_html(table, out / "report.html", spec.name, tuple(args.map) if args.map else None)
        html_ok = True
    except ImportError:
        html_ok = False
    counts = status_counts(table)
    print(
        f"campaign {spec.name}: {len(table)} runs ({ran} run now, {skipped} already done) in {wall:.1f} s: "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
    )
    written = (
        ["results.csv", "junit.xml"]
        + (["results.parquet"] if parquet else [])
        + (["report.html"] if html_ok else [])
    )
    print(f"written in {out}: {', '.join(written)}")
    return 0 if counts["pass"] == len(table) else 1
