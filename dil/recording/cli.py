"""``dil log check|export`` and ``dil replay`` (playback on the bus, or re-simulation)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import msgpack

from .compare import first_divergence
from .reader import LogError, check, read_metadata, records


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
    from dil.bus.options import add_bus_arguments

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
        from .report import write_report
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
        print(f"{key:16s} {k[key]}")
    for c in verdict["checks"]:
        print(f"  {c['criterion']:16s} {'pass' if c['passed'] else 'FAIL'}: {c['value']}")
    print("verdict", label(verdict))
    return exit_status(verdict)


def _plain(value: object) -> object:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | dict):
        return json.dumps(value, default=lambda b: f"<{len(b)} bytes>")
    return value


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
    topics = set(args.topics) if args.topics else None
    try:
        stream = ((t, m) for t, m in records(args.file) if topics is None or t in topics)
        if args.format == "jsonl":
            out = args.out or args.file.with_suffix(".jsonl")
            n = 0
            with out.open("w") as f:
                for topic, m in stream:
                    msg = msgpack.unpackb(m.data)
                    row = {"topic": topic, "log_time_ns": m.log_time, **msg}
                    f.write(json.dumps(row, default=lambda b: f"<{len(b)} bytes>") + "\n")
                    n += 1
            print(f"{out}: {n} messages")
            return 0
        out_dir = args.out or args.file.with_suffix("")
        out_dir.mkdir(parents=True, exist_ok=True)
        writers: dict[str, tuple] = {}
        counts: dict[str, int] = {}
        try:
            for topic, m in stream:
                msg = msgpack.unpackb(m.data)
                if topic not in writers:
                    f = (out_dir / (topic.replace("/", "_") + ".csv")).open("w", newline="")
                    w = csv.writer(f)
                    keys = list(msg)
                    w.writerow(["log_time_ns", *keys])
                    writers[topic] = (f, w, keys)
                _, w, keys = writers[topic]
                w.writerow([m.log_time, *(_plain(msg.get(k)) for k in keys)])
                counts[topic] = counts.get(topic, 0) + 1
        finally:
            for f, _, _ in writers.values():
                f.close()
        for topic, n in sorted(counts.items()):
            print(f"{out_dir / (topic.replace('/', '_') + '.csv')}: {n} messages")
        return 0
    except LogError as e:
        print(f"dil log export: {e}", file=sys.stderr)
        return 2


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
    from dil.osi.cli import is_osi_trace

    if is_osi_trace(args.file):
        from dil.osi.cli import replay

        return replay(args)
    if args.resim:
        return _resim(args)
    if args.open_loop:
        return _open_loop(args)
    from dil.bus.options import bus_from_args

    bus = bus_from_args(args)
    pubs: dict[str, object] = {}
    n = 0
    t0_wall = time.perf_counter()
    t0_log: int | None = None
    try:
        for topic, m in records(args.file):
            if args.topics and topic not in args.topics:
                continue
            if t0_log is None:
                t0_log = m.log_time
            if args.speed > 0:
                due = t0_wall + (m.log_time - t0_log) * 1e-9 / args.speed
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            pub = pubs.get(topic)
            if pub is None:
                pub = pubs[topic] = bus.publisher(topic)
                time.sleep(0.2)  # let subscribers join a new publisher
            pub.send(topic.encode() + b"\0" + bytes(m.data))  # type: ignore[attr-defined]
            n += 1
    except KeyboardInterrupt:
        pass
    finally:
        bus.close()
    print(f"played back {n} messages from {args.file} in {time.perf_counter() - t0_wall:.2f} s")
    return 0


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
    from dil.run.runner import RunOptions, run

    try:
        meta, attachments = read_metadata(args.file)
    except LogError as e:
        print(f"dil replay: {e}", file=sys.stderr)
        return 2
    info = meta.get("dil.run")
    if info is None or "scenario.xosc" not in attachments:
        print(
            f"dil replay: {args.file}: no run description or scenario in the log: cannot re-simulate",
            file=sys.stderr,
        )
        return 2
    scenario = Path(info["scenario"])
    if not scenario.is_file():
        print(f"dil replay: the recorded scenario {scenario} is not here", file=sys.stderr)
        return 2
    max_time = float(info["max_time_s"])
    held = check(args.file)
    if not held.complete:
        if held.last_ns is None:
            print(f"dil replay: {args.file}: the log is cut short before its first message", file=sys.stderr)
            return 2
        max_time = min(max_time, held.last_ns / 1e9)
        print(
            f"{args.file}: the log is cut short at t = {held.last_ns / 1e9:.3f} s (the writer did not "
            f"finish): re-simulating up to there"
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "resim.mcap"
        try:
            run(
                RunOptions(
                    scenario,
                    json.loads(info["overrides"]),
                    stack="replay",
                    vehicle=args.vehicle or info["vehicle"],
                    model=info["model"],
                    max_time=max_time,
                    ego=info["ego"],
                    record=out,
                    replay_log=args.file,
                    vehicle_substeps=int(info["vehicle_substeps"]),
                    osi=args.osi_trace,
                )
            )
        except (ValueError, KeyError, OSError) as e:  # a damaged run description, scenario or log
            print(f"dil replay: {args.file}: cannot re-simulate: {e}", file=sys.stderr)
            return 2
        if args.osi_trace is not None:
            print(f"written: {args.osi_trace} (OSI ground truth of the re-simulation)")
        divergence, compared = first_divergence(args.file, out, ("vehicle/state",), cut=not held.complete)
    if divergence is None:
        upto = "" if held.complete else " the log holds"
        print(f"re-simulation reproduces all {compared} vehicle/state messages{upto} bit for bit")
        return 0
    print(divergence)
    return 1
