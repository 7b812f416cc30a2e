"""``dil replay TRACE.mcap|TRACE.osi`` for OSI ground-truth traces written by other tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mcap.exceptions import McapError
from mcap.records import Header
from mcap.stream_reader import StreamReader

from .trace import MCAP_MAGIC, OsiTraceError


def is_osi_trace(path: Path) -> bool:
    """An ``.osi`` file, or an MCAP file not written by dil's recorder (profile ``dil``)."""
    if path.suffix.lower() == ".osi":
        return True
    try:
        with path.open("rb") as f:
            if f.read(8) != MCAP_MAGIC:
                return False
            f.seek(0)
            for rec in StreamReader(f).records:
                return isinstance(rec, Header) and rec.profile != "dil"
    except (OSError, McapError):
        return False
    return False


def replay(args: argparse.Namespace) -> int:
    """Convert the trace to a dil log (beside it, or ``--osi-log``), report the mapping, score it, and
    play it back on the bus unless ``--no-playback``."""
    from dil.run.criteria import Criteria, judge
    from dil.run.kpi import SCALAR_KPIS, score_log
    from dil.run.outcome import label

    from .convert import trace_to_log

    out = args.osi_log or args.file.with_name(args.file.stem + ".dil.mcap")
    try:
        conv = trace_to_log(args.file, out, topic=args.osi_topic, open_loop=args.open_loop)
    except (OsiTraceError, ValueError) as e:
        print(f"dil replay: {e}", file=sys.stderr)
        return 2
    print(conv.mapping.text())
    if conv.warnings.counts:
        print(conv.warnings.report())
    if conv.open_loop is not None:
        print(conv.open_loop.text())
    kpis = score_log(out)
    verdict = judge(kpis, Criteria(), timed_out=False)
    k = kpis.as_dict()
    for key in SCALAR_KPIS:
        print(f"{key:16s} {k[key]}")
    print("verdict", label(verdict))  # a trace has no end of its own: pass or fail
    print(f"{out}: the trace as a dil log ({conv.frames} frames; dil report {out} for plots)")
    if not args.no_playback:
        from dil.recording.cli import _replay

        args.file = out
        return _replay(args)
    return 0 if verdict["passed"] else 1
