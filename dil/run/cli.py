"""``dil run SCENARIO.xosc``: one scenario, headless, with a driving stack; a verdict with evidence."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dil.arguments import add_world_arguments, carla_options, world_cameras
from dil.paths import catalog_dir

from .stacks import STACKS, stacks_help

EXIT_INTERRUPTED = 130
"""Exit status of a run stopped by Ctrl-C or SIGTERM (its verdict: aborted, interrupted)."""

if TYPE_CHECKING:
    from dil.realtime.loop import Loop
    from dil.stack.ai import AiOptions

    from .spec import RunSpec

CATALOG = catalog_dir()
RUN_STACKS = tuple(name for name, entry in STACKS.items() if entry.batch)
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
        help=f"who drives the ego: {stacks_help()}; a person drives with `dil drive SCENARIO`, a log's "
        "commands with `dil replay LOG --resim` (default %(default)s)",
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
    from dil.realtime.loop import stop_on_signals

    from .criteria import Criteria
    from .outcome import EXIT_ERROR, exit_status
    from .results import summary, write_result
    from .runner import run

    if args.foxglove and args.no_record:
        print("dil run: --foxglove exports the log: it cannot go with --no-record", file=sys.stderr)
        return EXIT_ERROR
    try:
        args.scenario = resolve_scenario(args.scenario)
        criteria = Criteria.for_scenario(args.scenario).with_overrides(_pairs(args.criterion, "--criterion"))
        spec = run_spec(args, criteria)
        progress = _progress if sys.stderr.isatty() else None
        from dil.kernels import warm  # a cold kernel cache compiles here, announced, not in the loop

        warm(sys.stderr)
        with contextlib.ExitStack() as signals:
            # Ctrl-C or SIGTERM stops the loop between ticks: the log is closed whole, with the
            # verdict "aborted: interrupted" (an interrupt inside a write could leave it unreadable)

            def on_loop(loop: Loop) -> None:
                # what the build made lasts the whole run: out of the collector's scope (its automatic
                # passes were off since `dil` started: dil/cli.py), so the loop's collections stay small
                gc.freeze()
                gc.enable()
                signals.enter_context(stop_on_signals(loop))

            result = run(spec, progress=progress, on_loop=on_loop)
        if progress is not None:
            print(file=sys.stderr)
    except Exception as e:
        if not isinstance(e, input_errors()):
            raise
        print(f"dil run: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        # the runner has closed what it opened (a CARLA server has its settings back); the log,
        # if any, is closed with end "error". Leave at once: the carla client's threads, cut short,
        # can abort the interpreter's own shutdown
        print("dil run: interrupted; no verdict", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    out = args.out / args.scenario.stem
    write_result(result, out, spec)
    print(summary(result, out))
    if args.foxglove and not args.no_record:
        from dil.recording.foxglove import export_foxglove

        export_foxglove(out / "run.mcap", out / "run_foxglove.mcap")
        print(f"written: {out / 'run_foxglove.mcap'} (open it in Foxglove)")
    if result.end == "interrupted":
        print("dil run: interrupted; the run is aborted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return exit_status(result.verdict)


INPUT_ERRORS = (
    ("dil.scenario.xml", "ScenarioError"),
    ("dil.road.parse", "RoadNetworkError"),
    ("dil.scenario.params", "ParameterError"),
    ("dil.stack.remote", "StackError"),
    ("dil.world.carla_backend", "CarlaError"),
)
"""Module and class of the errors a run reports as bad input or an unreachable service (exit 2)."""


def input_errors() -> tuple[type[Exception], ...]:
    """The errors ``dil run`` reports in one line (exit 2, no traceback): those of
    :data:`INPUT_ERRORS` whose module this process loaded (an error of a module never imported cannot
    have been raised, and importing the CARLA backend or the remote stack only to name their errors
    would cost every run their import), and ``ValueError``, ``KeyError``, ``OSError``."""
    found: list[type[Exception]] = [ValueError, KeyError, OSError]
    for module, name in INPUT_ERRORS:
        loaded = sys.modules.get(module)
        if loaded is not None:
            found.append(getattr(loaded, name))
    return tuple(found)


def run_spec(args: argparse.Namespace, criteria: object) -> RunSpec:
    """The run ``dil run``'s arguments describe."""
    from .spec import DriverChoice, Outputs, RunSpec, ScenarioChoice, Timing, VehicleChoice, WorldChoice

    record = None if args.no_record else args.out / args.scenario.stem / "run.mcap"
    return RunSpec(
        ScenarioChoice(args.scenario, _pairs(args.param, "--param"), args.ego),
        DriverChoice(args.stack, ai=_ai_options(args) if args.stack == "ai" else None),
        WorldChoice(args.world, carla_options(args), world_cameras(args)),
        VehicleChoice(args.vehicle, args.model),
        outputs=Outputs(record, args.osi_trace, args.osi),
        timing=Timing(max_time=args.max_time),
        criteria=criteria,
    )


def _ai_options(args: argparse.Namespace) -> AiOptions:
    from dil.stack.ai import AiOptions

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
