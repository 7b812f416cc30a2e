"""``dil campaign FILE``: every run of a campaign, locally or on Ray, with resumable results (the
arguments and what is printed; the campaign itself is :mod:`dil.campaign.execute`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .engine import ENGINES
from .execute import default_out, execute_campaign, load_campaign
from .spec import CampaignError


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
        spec, specs = load_campaign(args.file, args.stack)
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
    out = args.out or default_out(spec)
    try:
        done = execute_campaign(
            spec,
            specs,
            out,
            engine=args.engine,
            workers=args.workers,
            address=args.address,
            timeout=args.timeout,
            map_axes=tuple(args.map) if args.map else None,
            progress=_progress if sys.stderr.isatty() else None,
        )
    except RuntimeError as e:
        print(f"dil campaign: {e}", file=sys.stderr)
        return 2
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        f"campaign {spec.name}: {len(done.table)} runs ({done.ran} run now, {done.skipped} already done) in "
        f"{done.wall_s:.1f} s: " + ", ".join(f"{n} {s}" for s, n in done.counts.items())
    )
    print(f"written in {out}: {', '.join(done.written)}")
    return 0 if done.all_passed else 1
