"""``dil run SCENARIO.xosc``: one scenario, headless, with a driving stack; a verdict with evidence."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

from dil import __version__
from dil.road.parse import RoadNetworkError
from dil.scenario.params import ParameterError
from dil.scenario.xml import ScenarioError
from dil.stack.ai import AiOptions
from dil.stack.remote import StackError
from dil.world.carla_args import add_world_arguments, carla_options
from dil.world.carla_backend import CarlaError

from .criteria import Criteria
from .outcome import EXIT_ERROR, exit_status, label
from .runner import RunOptions, RunResult, run

CATALOG = Path(__file__).resolve().parents[2] / "scenarios" / "catalog"
RUN_STACKS = ("builtin", "aeb", "none", "ai")
"""The stacks a batch run offers (``replay`` is ``dil replay --resim``'s, ``driver`` ``dil drive``'s)."""


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"dil run: {flag} {item!r}: expected name=value")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run an OpenSCENARIO file headless with a driving stack and judge it")
    p.add_argument(
        "scenario",
        type=Path,
        help="the .xosc file, or the name of a catalog scenario (e.g. ccrs for scenarios/catalog/ccrs.xosc)",
    )
    p.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="set a declared parameter"
    )
    p.add_argument(
        "--stack",
        choices=RUN_STACKS,
        default="builtin",
        help="who drives the ego: builtin (lane keeping, ACC, AEB), aeb (lane keeping and AEB at a "
        "constant cruise speed), none (the storyboard moves it), ai (a model on inference nodes, with the "
        "built-in stack as safety fallback); a person drives with `dil drive SCENARIO`, a log's commands "
        "with `dil replay LOG --resim` (default %(default)s)",
    )
    ai = p.add_argument_group("AI stack (--stack ai)")
    ai.add_argument("--ai-model", metavar="MANIFEST", help="start a local inference node with this model")
    ai.add_argument(
        "--node", action="append", default=[], metavar="ADDRESS", help="a running inference node (repeatable)"
    )
    ai.add_argument("--ai-backend", default="onnx", help="the local node's backend (default %(default)s)")
    ai.add_argument(
        "--ai-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="the local node's backend option",
    )
    ai.add_argument(
        "--ai-rate", type=float, default=25.0, help="frames per second to the model, dividing 50 (default 25)"
    )
    ai.add_argument(
        "--deadline-ms", type=float, default=100.0, help="a command later than this is not applied (100)"
    )
    ai.add_argument(
        "--hold-ms", type=float, default=300.0, help="hold the last command this long, then fall back (300)"
    )
    ai.add_argument("--jpeg-quality", type=int, default=0, help="send JPEG frames (1-100); 0 sends raw BGR")
    p.add_argument("--vehicle", default="sedan_bmw320i", help="ego vehicle parameter set")
    p.add_argument("--model", default="single_track", help="ego vehicle model")
    p.add_argument("--ego", help="the ego entity (default: the one named Ego/hero, else the first)")
    p.add_argument(
        "--max-time",
        type=float,
        default=None,
        help="the time guard: simulated seconds before the run is cut off (default: beyond the latest "
        "time the scenario's conditions wait for, at least 120); a scenario with a stop trigger cut "
        "by it is incomplete (exit 3)",
    )
    p.add_argument(
        "--criterion",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a pass criterion (see docs/scenarios.md)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("dil-runs"),
        help="results folder: the run writes OUT/SCENARIO/result.json, trace.csv and run.mcap "
        "(default %(default)s, so dil-runs/ccrs/ for ccrs)",
    )
    p.add_argument("--no-record", action="store_true", help="do not write the MCAP log")
    p.add_argument(
        "--foxglove",
        action="store_true",
        help="also write run_foxglove.mcap, the log as Foxglove opens it (dil log export --format foxglove)",
    )
    p.add_argument(
        "--osi",
        action="store_true",
        help="add ASAM OSI GroundTruth at the world rate to the log (channel ground_truth)",
    )
    p.add_argument(
        "--osi-trace",
        type=Path,
        metavar="FILE",
        help="write ASAM OSI GroundTruth at the world rate to this trace (.mcap or .osi)",
    )
    add_world_arguments(p)
    p.set_defaults(func=main)


def catalog_names() -> list[str]:
    """The scenarios of the built-in catalog, by name (file stem)."""
    return sorted(p.stem for p in CATALOG.glob("*.xosc"))


def resolve_scenario(given: Path) -> Path:
    """``given`` when it exists or names a folder; else a bare name (``ccrs`` or ``ccrs.xosc``) is
    the catalog's ``scenarios/catalog/ccrs.xosc``. Raises ValueError naming the catalog."""
    if given.exists() or given.parent != Path(".") or given.suffix not in ("", ".xosc"):
        return given
    path = CATALOG / f"{given.stem}.xosc"
    if path.is_file():
        return path
    names = ", ".join(catalog_names())
    raise ValueError(f"{given}: no such file, and no catalog scenario of that name (the catalog: {names})")


def main(args: argparse.Namespace) -> int:
    if args.foxglove and args.no_record:
        print("dil run: --foxglove exports the log: it cannot go with --no-record", file=sys.stderr)
        return EXIT_ERROR
    try:
        args.scenario = resolve_scenario(args.scenario)
        criteria = Criteria.for_scenario(args.scenario).with_overrides(_pairs(args.criterion, "--criterion"))
        progress = _progress if sys.stderr.isatty() else None
        from dil.kernels import warm  # a cold kernel cache compiles here, announced, not in the loop

        warm(sys.stderr)
        result = run(
            RunOptions(
                args.scenario,
                _pairs(args.param, "--param"),
                args.stack,
                args.vehicle,
                args.model,
                args.max_time,
                args.ego,
                criteria,
                progress=progress,
                record=None if args.no_record else args.out / args.scenario.stem / "run.mcap",
                osi=args.osi_trace,
                osi_in_log=args.osi,
                ai=_ai_options(args),
                world=args.world,
                carla=carla_options(args),
            )
        )
        if progress is not None:
            print(file=sys.stderr)
    except (
        ScenarioError,
        RoadNetworkError,
        ParameterError,
        ValueError,
        KeyError,
        StackError,
        CarlaError,
        OSError,
    ) as e:
        print(f"dil run: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        # the runner has closed what it opened (a CARLA server has its settings back); the log,
        # if any, is closed with end "error". Leave at once: the carla client's threads, cut short,
        # can abort the interpreter's own shutdown
        print("dil run: interrupted; no verdict", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    out = args.out / args.scenario.stem
    write(result, out, args)
    print_summary(result, out)
    if args.foxglove and not args.no_record:
        from dil.recording.foxglove import export_foxglove

        export_foxglove(out / "run.mcap", out / "run_foxglove.mcap")
        print(f"written: {out / 'run_foxglove.mcap'} (open it in Foxglove)")
    return exit_status(result.verdict)


def _ai_options(args: argparse.Namespace) -> AiOptions:
    return AiOptions(
        nodes=tuple(args.node),
        model=args.ai_model,
        backend=args.ai_backend,
        backend_options=tuple(args.ai_option),
        rate_hz=args.ai_rate,
        deadline_ms=args.deadline_ms,
        hold_ms=args.hold_ms,
        jpeg_quality=args.jpeg_quality,
    )


def _progress(t: float, limit: float) -> None:
    width = 30
    done = int(width * min(t / limit, 1.0)) if limit > 0 else width
    print(f"\r[{'#' * done}{'.' * (width - done)}] {t:6.1f} s simulated", end="", file=sys.stderr, flush=True)


def write(result: RunResult, out: Path, args: argparse.Namespace) -> None:
    out.mkdir(parents=True, exist_ok=True)
    doc = {
        "dil_version": __version__,
        "scenario": str(result.scenario.source),
        "scenario_sha256": result.scenario.sha256,
        "parameters": result.scenario.params,
        "stack": args.stack,
        "vehicle": args.vehicle,
        "model": args.model,
        "ego": result.scenario.ego,
        "end": result.end,
        "outcome": result.outcome,
        "max_time_s": result.max_time,
        "simulated_s": result.simulated_s,
        "wall_s": result.wall_s,
        "realtime_factor": result.realtime_factor,
        "verdict": result.verdict,
        "kpis": result.kpis,
        "storyboard": [
            {"t": t, "type": k, "element": n, "transition": tr} for t, k, n, tr in result.transitions
        ],
        "warnings": result.scenario.warnings,
        "environment": [{"t": t, **values} for t, values in result.scenario.environment.changes],
    }
    tmp = out / "result.json.tmp"
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(out / "result.json")
    with (out / "trace.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("t_s", "entity", "x_m", "y_m", "yaw_rad", "speed_mps", "road", "lane", "s_m"))
        w.writerows(result.trace)


def print_summary(result: RunResult, out: Path) -> None:
    k = result.kpis
    v = result.verdict
    rows = [
        ("scenario", result.scenario.source.name),
        ("end", f"{result.end} at {result.simulated_s:.2f} s (x{result.realtime_factor:.0f} real time)"),
        (
            "collision",
            f"with {k['collision_with']} at {k['collision_speed']:.2f} m/s" if k["collision"] else "none",
        ),
        ("min TTC / headway", f"{_f(k['min_ttc'])} s / {_f(k['min_headway'])} s"),
        ("min distance", f"{_f(k['min_distance'])} m"),
        ("max decel / jerk", f"{k['max_decel']:.2f} m/s^2 / {k['max_jerk']:.1f} m/s^3"),
        (
            "speed",
            f"{k['initial_speed'] * 3.6:.1f} -> {k['final_speed'] * 3.6:.1f} km/h "
            f"(reduction {k['speed_reduction'] * 3.6:.1f} km/h)",
        ),
        ("lane invasions / off road", f"{k['lane_invasions']} / {k['off_road']}"),
    ]
    if k.get("driver_seat"):
        rows.append(("nobody in control", f"{k['no_driver_s']:.2f} s"))
    for c in v["checks"]:
        rows.append((f"  {c['criterion']}", f"{'pass' if c['passed'] else 'FAIL'}: {c['value']}"))
    rows.append(("verdict", label(v)))
    width = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"{a.ljust(width)}  {b}")
    log = out / "run.mcap"
    print(f"written: {out / 'result.json'}, {out / 'trace.csv'}" + (f", {log}" if log.exists() else ""))


def _f(x: float | None) -> str:
    return "inf" if x is None else f"{x:.2f}"
