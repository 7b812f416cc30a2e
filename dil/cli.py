"""The ``dil`` command.

The dispatcher knows each command's name and one-line help without importing the module that
implements it: ``dil --help`` and ``dil --version`` import argparse and nothing of dil's, and a
command imports only its own module (and what that needs) to add its arguments and run.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

Adder = Callable[[argparse._SubParsersAction, Sequence[str]], None]
"""Adds a command's parser (or its whole group's) to the subparsers; gets the words after it."""


class _Version(argparse.Action):
    """``--version``: the installed version, read only when asked for (package metadata is slow)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)  # type: ignore[arg-type]

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from dil import __version__

        print(f"dil {__version__}")
        parser.exit()


def _add_lazily(
    sub: argparse._SubParsersAction, table: Sequence[tuple[str, str, Adder]], argv: Sequence[str]
) -> None:
    """Add every command of ``table``: the one named in ``argv`` (or all, for ``argv`` None) with its
    real parser, the others as stubs that carry only their help."""
    if argv is None:
        chosen: set[Adder] = {add for _, _, add in table}
        rest: Sequence[str] | None = None
    else:
        words = [i for i, a in enumerate(argv) if not a.startswith("-")]
        first = argv[words[0]] if words else None
        chosen = {add for name, _, add in table if name == first}
        rest = argv[words[0] + 1 :] if words else []
    for name, help_, add in table:
        if name in sub.choices:  # added with its group
            continue
        if add in chosen:
            add(sub, rest)
        else:
            sub.add_parser(name, help=help_)


def _help(name: str, table: Sequence[tuple[str, str, Adder]] | None = None) -> str:
    return next(h for n, h, _ in (table or COMMANDS) if n == name)


def _bench_parser(sub: argparse._SubParsersAction, rest: Sequence[str] | None) -> None:
    bench = sub.add_parser("bench", help=_help("bench"))
    kinds = bench.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    _add_lazily(kinds, BENCHMARKS, rest)


def _benchmark(module: str) -> Adder:
    """The adder of ``dil bench NAME``: imports ``dil.bench.MODULE`` only when that one is chosen."""

    def add(kinds: argparse._SubParsersAction, rest: Sequence[str] | None) -> None:
        import importlib

        importlib.import_module(f"dil.bench.{module}").add_parser(kinds)

    return add


def _module(name: str, function: str = "add_parser") -> Adder:
    """The adder that imports ``name`` and calls its ``function(subparsers)``."""

    def add(sub: argparse._SubParsersAction, rest: Sequence[str] | None) -> None:
        import importlib

        getattr(importlib.import_module(name), function)(sub)

    return add


def _view_parser(sub: argparse._SubParsersAction, rest: Sequence[str] | None) -> None:
    p = sub.add_parser("view", help=_help("view"))
    p.add_argument("road", help="the .xodr file")
    p.add_argument("-o", "--output", help="PNG to write (default: the file name with .png)")
    p.add_argument("--width", type=int, default=1600, help="image width in pixels")
    p.set_defaults(func=_view)


def _view(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dil.road.network import RoadNetwork, RoadNetworkError
    from dil.road.render import render_png

    try:
        net = RoadNetwork.load(args.road)
    except RoadNetworkError as e:
        print(f"dil view: {e}", file=sys.stderr)
        return 2
    out = args.output or str(Path(args.road).with_suffix(".png").name)
    try:
        w, h = render_png(net, out, args.width)
    except (ValueError, OSError) as e:
        print(f"dil view: {args.road}: {e}", file=sys.stderr)
        return 2
    print(f"{out}: {w}x{h} px, {len(net.roads)} roads, {len(net.odr.junctions)} junctions")
    return 0


def _vehicles_parser(sub: argparse._SubParsersAction, rest: Sequence[str] | None) -> None:
    p = sub.add_parser("vehicles", help=_help("vehicles"))
    p.set_defaults(func=_list_vehicles)


def _list_vehicles(args: argparse.Namespace) -> int:
    import vehicle_models

    print("models:")
    for m in vehicle_models.MODELS.values():
        print(f"  {m.name:14s} {m.description} ({m.n_states} states)")
    print("parameter sets:")
    for name in vehicle_models.available():
        params = vehicle_models.load(name)
        print(f"  {name:14s} {params.description}")
    return 0


def _messages_parser(sub: argparse._SubParsersAction, rest: Sequence[str] | None) -> None:
    p = sub.add_parser("messages", help=_help("messages"))
    p.add_argument("--markdown", action="store_true", help="print docs/messages.md")
    p.set_defaults(func=_messages)


def _messages(args: argparse.Namespace) -> int:
    from dil.bus.contract import markdown, summary

    print(markdown() if args.markdown else summary(), end="")
    return 0


def _keys_parser(sub: argparse._SubParsersAction, rest: Sequence[str] | None) -> None:
    p = sub.add_parser("keys", help=_help("keys"))
    p.add_argument("name", help="key name: writes NAME.key (public) and NAME.key_secret")
    p.add_argument("--dir", default=".", help="where to write them (default: here)")
    p.set_defaults(func=_keys)


def _keys(args: argparse.Namespace) -> int:
    from dil.bus.curve import generate

    public, secret = generate(args.dir, args.name)
    print(f"public key: {public}\nsecret key: {secret} (keep it on this machine)")
    return 0


def _warm_parser(sub: argparse._SubParsersAction, rest: Sequence[str] | None) -> None:
    p = sub.add_parser("warm", help=_help("warm"))
    p.add_argument(
        "--all",
        action="store_true",
        help="also the kernels no run calls (every vehicle model and integrator, the motion rig's), "
        "compiled in a second process at the same time",
    )
    p.set_defaults(func=_warm)


def _warm(args: argparse.Namespace) -> int:
    from dil.kernels import cache_dir, compile_bytecode, warm, warm_all

    compiled = (warm_all if args.all else warm)(sys.stderr)
    compile_bytecode()  # (a cold cache has had it done; a checkout since may have changed sources)
    where = cache_dir()
    if where is None:
        print("numba has no writable cache directory: the kernels compile in every process")
    else:
        print(f"{compiled or 'no'} kernels compiled now; the kernels a run uses are cached in {where}")
    return 0


def _run_worker_parser(sub: argparse._SubParsersAction, rest: Sequence[str] | None) -> None:
    p = sub.add_parser(
        "run-worker",
        help=_help("run-worker"),
        description="A resident process that has loaded the run's modules and kernels and forks a child "
        "per `dil run`: every `dil run` of this user and installation finds it at its socket and hands it "
        "its run (DIL_RUN_WORKER=off: never; DIL_RUN_WORKER=PATH: the worker at PATH) (docs/startup.md).",
    )
    p.add_argument(
        "--socket",
        type=Path,
        help="the Unix socket to listen at (default: this user's for this installation, in "
        "$XDG_RUNTIME_DIR/dil or ~/.cache/dil)",
    )
    p.add_argument(
        "--idle",
        type=float,
        default=3600.0,
        metavar="S",
        help="leave after this long with no run [s]; 0: never (default %(default)g)",
    )
    p.add_argument("--stop", action="store_true", help="stop the worker listening at the socket, and leave")
    p.set_defaults(func=_run_worker)


def _run_worker(args: argparse.Namespace) -> int:
    import signal

    from dil.run.worker import STALE, WorkerError, listen, serve
    from dil.run.worker_client import default_socket

    if not args.idle >= 0:
        print(f"dil run-worker: --idle {args.idle}: must be a number of seconds >= 0", file=sys.stderr)
        return 2
    path = args.socket or default_socket()
    if args.stop:
        from dil.run.worker_client import stop

        pid = stop(path)
        print(f"stopped the run worker at {path} (pid {pid})" if pid else f"no run worker listens at {path}")
        return 0 if pid else 1
    try:
        listener = listen(path, private_folder=args.socket is None)
    except WorkerError as e:
        print(f"dil run-worker: {e}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Ctrl-C stops it even where SIGINT came ignored (a worker started in the background by a shell)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ready = lambda: print(f"serving dil run at {path} (pid {os.getpid()})", flush=True)  # noqa: E731
    why = ""
    try:
        from dil.kernels import preload_run

        preload_run(sys.stderr)  # the modules and kernels every child inherits
        gc.freeze()  # what the children inherit stays out of their collections (and shared with them)
        why = serve(listener, main, ready=ready, idle_s=args.idle or None, path=path)
    except KeyboardInterrupt:
        pass
    finally:
        path.unlink(missing_ok=True)
    if why == STALE:  # dil changed under the worker: the same command afresh, loading the new code
        print("dil run-worker: dil changed since it started; starting afresh", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", "dil", *sys.argv[1:]])
    if why:
        print(f"dil run-worker: {why}; leaving", file=sys.stderr)
    return 0


_LOG = _module("dil.recording.cli", "add_parsers")
_DRIVE = _module("dil.drive.cli", "add_parsers")

COMMANDS: tuple[tuple[str, str, Adder], ...] = (
    ("bench", "benchmarks: print a table and write JSON", _bench_parser),
    (
        "campaign",
        "run a campaign of scenario variations and collect the results",
        _module("dil.campaign.cli"),
    ),
    (
        "carla-lite",
        "serve the embedded world over CARLA 0.9.16's protocol (the real carla client connects)",
        _module("dil.carla_lite.cli"),
    ),
    (
        "compare",
        "per-entity differences between two traces of one scenario (dil logs, OSI traces, trace.csv, "
        "esmini CSV)",
        _module("dil.compare.cli"),
    ),
    (
        "conform",
        "run a corpus of OpenSCENARIO files with dil (and esmini), compare per entity, census elements",
        _module("dil.conform.cli"),
    ),
    (
        "console",
        "the rig operator's web console: live view, run and rig controls, e-stop",
        _module("dil.console.cli"),
    ),
    ("drive", "the ego vehicle in the real-time loop: driver/input in, vehicle/state out", _DRIVE),
    ("script-driver", "publish scripted driver/input messages (a stand-in driver)", _DRIVE),
    ("keys", "make a CURVE key pair for encrypted bus links", _keys_parser),
    ("log", "inspect and export MCAP logs", _LOG),
    ("report", "an HTML page of a recorded run: verdict, plots, KPIs, events", _LOG),
    ("replay", "play a log back on the bus, or re-simulate it and compare", _LOG),
    ("messages", "the message contract: topics, fields, units, frames", _messages_parser),
    ("node", "inference nodes: serve a driving model to runtimes over ZeroMQ", _module("dil.inference.cli")),
    ("rig", "the motion rig server", _module("hil_rigs.cli")),
    (
        "wheel",
        "publish driver/input from a steering wheel and pedals (SDL)",
        _module("hil_rigs.cli", "add_wheel_parser"),
    ),
    (
        "keyboard",
        "publish driver/input from the terminal's keyboard (no wheel)",
        _module("hil_rigs.cli", "add_keyboard_parser"),
    ),
    (
        "run",
        "run an OpenSCENARIO file headless with a driving stack and judge it",
        _module("dil.run.cli"),
    ),
    (
        "run-worker",
        "serve dil run from a resident process with its kernels loaded; dil run finds it",
        _run_worker_parser,
    ),
    ("vehicles", "list the vehicle models and parameter sets", _vehicles_parser),
    ("view", "draw an OpenDRIVE road network as a PNG (lanes, marks, ids)", _view_parser),
    (
        "warm",
        "compile the numba kernels ahead of the first run (they are cached for every later run)",
        _warm_parser,
    ),
)
"""Every ``dil`` command: name, one-line help (the same as its parser's), how to add its parser."""

BENCHMARKS: tuple[tuple[str, str, Adder], ...] = (
    ("bus", "vehicle/state latency and throughput over tcp, ipc, inproc, local", _benchmark("bus")),
    ("campaign", "runs per second of a 1,000-run grid, local engine and Ray", _benchmark("campaign")),
    ("carla", "ticks per second and synchronisation cost of the CARLA backend", _benchmark("carla")),
    ("console", "bus-to-page delay of the console; its load on the 1 kHz loop", _benchmark("console")),
    ("dynamics", "vehicle model step cost, batch throughput, CommonRoad baseline", _benchmark("dynamics")),
    ("inference", "model latency, node round-trip overhead, batched throughput", _benchmark("inference")),
    ("log", "MCAP write and read throughput for a 1 kHz run with a camera", _benchmark("log")),
    ("loop", "lateness of the full 1 kHz tick, with and without real-time scheduling", _benchmark("loop")),
    ("osi", "OSI GroundTruth encode per world tick; OSI trace read rate", _benchmark("osi")),
    ("rig", "cueing and kinematics per tick; driver input to rig command latency", _benchmark("rig")),
    ("scenario", "real-time factor of the catalog scenarios", _benchmark("scenario")),
    (
        "startup",
        "start-up time of dil --version, dil --help and a warm dil run beside python -c pass",
        _benchmark("startup"),
    ),
    ("world", "lane lookup, sampling, collisions, world step, camera frame rate", _benchmark("world")),
)
"""Every ``dil bench`` benchmark: name, one-line help (the same as its parser's), its adder."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``dil`` parser for ``argv`` (only the command it names gets its real parser), or with
    every command's real parser for ``argv`` None (documentation and tests)."""
    parser = argparse.ArgumentParser(prog="dil", description="Driver-in-the-loop simulator runtime.")
    parser.add_argument("--version", action=_Version, help="show dil's version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_lazily(sub, COMMANDS, argv)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` (default: this program's arguments); its exit status. As the program
    (``argv`` None), ``dil run`` ends its process as soon as its outputs are written (:func:`_leave`)."""
    program = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] != ["run"] or not gc.isenabled():
        return _main(argv)
    # the run's imports and build make some 100,000 lasting objects and almost no garbage: the
    # collector's automatic passes over them cost a quarter of a second; the run freezes what it
    # built and turns the collector back on before its loop (dil/run/cli.py)
    gc.disable()
    try:
        rc = _main(argv)
    finally:
        gc.enable()
    if program:
        _leave(rc)
    return rc


def _leave(rc: int) -> None:
    """End the process with status ``rc`` without the interpreter's teardown (freeing numpy's, numba's
    and the run's objects one by one and unloading modules: about 0.03 s of CPU and 0.06 s of wall
    time that change nothing on disk). The exit handlers still run first (logging's flush, numba's
    and llvmlite's shutdown flags, weakref finalizers, multiprocessing's children) and stdout and
    stderr are flushed; where a flush fails (a closed pipe) it returns, and the interpreter ends as
    usual and reports it."""
    import atexit

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: its usual exit
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    run_exit_handlers()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(rc)


def _main(argv: list[str]) -> int:
    if argv[:1] == ["run"]:  # a resident worker runs it, if one listens (dil run-worker)
        from dil.run.worker_client import client_socket, forward

        path = client_socket()
        rc = None if path is None else forward(path, argv)
        if rc is not None:
            return rc
    parser = build_parser(argv)
    if not argv:  # bare `dil`: what it can do, not an error
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from dil.realtime.memory import keep_heap

    keep_heap()  # camera frames reuse heap blocks instead of faulting fresh pages in (see the module)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # stdout piped into a reader that stopped early (| head): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
