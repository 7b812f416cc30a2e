"""``dil log check|export`` and ``dil replay`` (playback on the bus, or re-simulation)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .reader import LogError, check


def add_parsers(sub: argparse._SubParsersAction) -> None:
    log = sub.add_parser("log", help="inspect and export MCAP logs")
    verbs = log.add_subparsers(dest="verb", metavar="VERB", required=True)
    c = verbs.add_parser("check", help="is the log complete; what does it hold")
    c.add_argument("file", type=Path, help="the run's .mcap log (e.g. dil-runs/ccrs/run.mcap)")
    c.set_defaults(func=_check)
    e = verbs.add_parser(
        "export",
        help="messages as CSV (one file per topic), JSON lines, an ASAM OSI ground-truth trace, or an "
        "MCAP file Foxglove opens",
    )
    e.add_argument("file", type=Path, help="the run's .mcap log (e.g. dil-runs/ccrs/run.mcap)")
    e.add_argument(
        "--format",
        choices=["csv", "jsonl", "osi", "foxglove"],
        default="csv",
        help="csv: one CSV file per topic; jsonl: every message as a JSON line; osi: an ASAM OSI "
        "GroundTruth trace; foxglove: an .mcap of JSON topics and Foxglove's scene, transforms, "
        "images and event log (default %(default)s)",
    )
    e.add_argument("--topics", nargs="+", help="only these topics (default: all)")
    e.add_argument(
        "-o",
        "--out",
        type=Path,
        help="directory (csv) or file (jsonl; osi: .mcap or .osi; foxglove: .mcap); default beside the log",
    )
    e.set_defaults(func=_export)

    sc = verbs.add_parser("score", help="the KPIs and verdict of a recorded run, computed from its messages")
    sc.add_argument("file", type=Path, help="the run's .mcap log (e.g. dil-runs/ccrs/run.mcap)")
    sc.add_argument(
        "--criterion", action="append", default=[], metavar="NAME=VALUE", help="override a criterion"
    )
    sc.set_defaults(func=_score)

    rep = sub.add_parser("report", help="an HTML page of a recorded run: verdict, plots, KPIs, events")
    rep.add_argument("file", type=Path, help="the run's .mcap log (or the run directory holding run.mcap)")
    rep.add_argument("-o", "--out", type=Path, help="the HTML file (default: beside the log)")
    rep.set_defaults(func=_report)

    r = sub.add_parser("replay", help="play a log back on the bus, or re-simulate it and compare")
    r.add_argument(
        "file",
        type=Path,
        help="a dil .mcap log, or an ASAM OSI ground-truth trace (.osi, or .mcap of another tool)",
    )
    r.add_argument(
        "--resim",
        action="store_true",
        help="re-run the recorded scenario from the recorded commands; compare every state",
    )
    r.add_argument("--vehicle", help="re-simulate with another vehicle parameter set (to see a divergence)")
    r.add_argument(
        "--osi-trace",
        type=Path,
        metavar="FILE",
        help="with --resim: write the re-simulation's ASAM OSI ground truth to this trace (.mcap or .osi)",
    )
    r.add_argument(
        "--open-loop",
        action="store_true",
        help="feed the recorded sensor messages to the built-in stack and compare its commands",
    )
    r.add_argument(
        "--stack-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --open-loop: a built-in stack parameter to change (e.g. time_gap=2.0)",
    )
    r.add_argument("--speed", type=float, default=1.0, help="playback speed factor (0: as fast as possible)")
    osi = r.add_argument_group("ASAM OSI ground-truth traces (.osi, or .mcap not written by dil)")
    osi.add_argument("--osi-topic", help="the GroundTruth channel of an .mcap trace (default: the first)")
    osi.add_argument(
        "--osi-log", type=Path, help="where to write the trace as a dil log (default: beside it)"
    )
    osi.add_argument("--no-playback", action="store_true", help="convert, map and score only")
    r.add_argument("--topics", nargs="+", help="play back only these topics")
    r.add_argument(
        "--subscribers",
        type=int,
        default=0,
        metavar="N",
        help="wait until N subscribers have joined each topic before playing it, so that they miss "
        "nothing (default: 0.2 s of grace)",
    )
    from dil.arguments import add_bus_arguments

    add_bus_arguments(r, local=False)
    r.set_defaults(func=_replay)


def _check(args: argparse.Namespace) -> int:
    try:
        result = check(args.file)
    except LogError as e:
        print(f"dil log check: {e}", file=sys.stderr)
        return 2
    print(result.report())
    return 0 if result.complete else 1


def _report(args: argparse.Namespace) -> int:
    try:
        from dil.replay.report import write_report
    except ImportError as e:
        print(f"dil report: needs matplotlib (pip install 'dil[report]'): {e}", file=sys.stderr)
        return 2
    log = args.file / "run.mcap" if args.file.is_dir() else args.file
    out = args.out or log.with_suffix(".html")
    try:
        write_report(log, out)
    except (LogError, ValueError) as e:
        print(f"dil report: {e}", file=sys.stderr)
        return 2
    print(f"{out}: report of {log}")
    return 0


def _score(args: argparse.Namespace) -> int:
    from dil.run import kpi_units
    from dil.run.kpi import SCALAR_KPIS
    from dil.run.outcome import exit_status, label
    from dil.run.score import score_recording

    try:
        pairs = dict(item.split("=", 1) for item in args.criterion)
        kpis, verdict = score_recording(args.file, pairs)
    except (LogError, ValueError) as e:
        print(f"dil log score: {e}", file=sys.stderr)
        return 2
    k = kpis.as_dict()
    for key in SCALAR_KPIS:
        print(f"{key:16s} {kpi_units.text(key, k[key])}")  # rounded, with its unit
    for c in verdict["checks"]:
        print(f"  {c['criterion']:16s} {'pass' if c['passed'] else 'FAIL'}: {c['value']}")
    print("verdict", label(verdict))
    return exit_status(verdict)


def _export(args: argparse.Namespace) -> int:
    if args.format == "osi":
        from dil.osi.export import export_log
        from dil.osi.sinks import OsiSinkError

        out = args.out or args.file.with_name(args.file.stem + "_gt.mcap")
        try:
            n, notes = export_log(args.file, out)
        except (LogError, OsiSinkError, ValueError, KeyError) as e:
            print(f"dil log export: {e}", file=sys.stderr)
            return 2
        for note in notes:
            print(f"note: {note}")
        print(f"{out}: {n} OSI GroundTruth messages")
        return 0
    if args.format == "foxglove":
        return _export_foxglove(args)
    from .export import csv_path, export_csv, export_jsonl

    topics = set(args.topics) if args.topics else None
    try:
        if args.format == "jsonl":
            out = args.out or args.file.with_suffix(".jsonl")
            print(f"{out}: {export_jsonl(args.file, out, topics)} messages")
            return 0
        out_dir = args.out or args.file.with_suffix("")
        counts = export_csv(args.file, out_dir, topics)
    except LogError as e:
        print(f"dil log export: {e}", file=sys.stderr)
        return 2
    for topic, n in sorted(counts.items()):
        print(f"{csv_path(out_dir, topic)}: {n} messages")
    return 0


def _export_foxglove(args: argparse.Namespace) -> int:
    from .foxglove import export_foxglove

    out = args.out or args.file.with_name(args.file.stem + "_foxglove.mcap")
    if args.topics:
        print("dil log export: --topics does not apply to --format foxglove (every topic)", file=sys.stderr)
        return 2
    try:
        result = export_foxglove(args.file, out)
    except (LogError, ValueError, OSError) as e:
        print(f"dil log export: {e}", file=sys.stderr)
        return 2
    counts = result.counts
    if not result.complete:
        print(f"note: {args.file} is cut short (the writer did not finish): exported up to its end")
    for topic, n in sorted(counts.items()):
        print(f"  {topic:28s} {n}")
    print(f"{out}: {sum(counts.values())} messages on {len(counts)} topics (open it in Foxglove)")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from dil.osi.detect import is_osi_trace

    if is_osi_trace(args.file):
        return _replay_osi_trace(args)
    if args.resim:
        return _resim(args)
    if args.open_loop:
        return _open_loop(args)
    return _play_back(args, args.file)


def _play_back(args: argparse.Namespace, log: Path) -> int:
    from dil.arguments import bus_from_args

    from .playback import DRAIN_S, JoinError, play_back

    if args.subscribers < 0:
        print(f"dil replay: --subscribers {args.subscribers}: must be >= 0", file=sys.stderr)
        return 2
    bus = bus_from_args(args)
    try:
        done = play_back(log, bus, speed=args.speed, topics=args.topics, subscribers=args.subscribers)
    except LogError as e:
        print(f"dil replay: {e}", file=sys.stderr)
        return 2
    except JoinError as e:
        print(f"dil replay: {e}; nothing more was played", file=sys.stderr)
        return 1
    finally:
        bus.close(linger_s=DRAIN_S)  # the log's end still reaches a subscriber that is behind
    print(f"played back {done.messages} messages from {log} in {done.wall_s:.2f} s")
    return 0


def _replay_osi_trace(args: argparse.Namespace) -> int:
    """Convert the trace to a dil log, report the mapping, score it, and play it back on the bus
    unless ``--no-playback``."""
    from dil.osi.trace import OsiTraceError
    from dil.replay.osi_trace import score_trace
    from dil.run.kpi import SCALAR_KPIS
    from dil.run.outcome import label

    try:
        scored = score_trace(args.file, args.osi_log, topic=args.osi_topic, open_loop=args.open_loop)
    except (OsiTraceError, ValueError) as e:
        print(f"dil replay: {e}", file=sys.stderr)
        return 2
    conv = scored.conversion
    print(conv.mapping.text())
    if conv.warnings.counts:
        print(conv.warnings.report())
    if conv.open_loop is not None:
        print(conv.open_loop.text())
    k = scored.kpis.as_dict()
    for key in SCALAR_KPIS:
        print(f"{key:16s} {k[key]}")
    print("verdict", label(scored.verdict))  # a trace has no end of its own: pass or fail
    print(f"{conv.log}: the trace as a dil log ({conv.frames} frames; dil report {conv.log} for plots)")
    if not args.no_playback:
        return _play_back(args, conv.log)
    return 0 if scored.verdict["passed"] else 1


def _open_loop(args: argparse.Namespace) -> int:
    from .openloop import open_loop, stack_parameters

    try:
        params = stack_parameters(dict(item.split("=", 1) for item in args.stack_param))
        result = open_loop(args.file, params)
    except (LogError, ValueError) as e:
        print(f"dil replay: {e}", file=sys.stderr)
        return 2
    print(result.report())
    return 0


def _resim(args: argparse.Namespace) -> int:
    from dil.replay.resim import ResimError, resimulate

    try:
        result = resimulate(args.file, vehicle=args.vehicle, osi_trace=args.osi_trace)
    except ResimError as e:
        print(f"dil replay: {e}", file=sys.stderr)
        return 2
    if result.cut_at_ns is not None:
        print(
            f"{args.file}: the log is cut short at t = {result.cut_at_ns / 1e9:.3f} s (the writer did not "
            f"finish): re-simulated up to there"
        )
    if args.osi_trace is not None:
        print(f"written: {args.osi_trace} (OSI ground truth of the re-simulation)")
    if result.divergence is None:
        upto = "" if result.cut_at_ns is None else " the log holds"
        print(f"re-simulation reproduces all {result.compared} vehicle/state messages{upto} bit for bit")
        return 0
    print(result.divergence)
    return 1
