"""``dil conform DIR_OR_FILES...``: a conformance table (Markdown and JSON) and a summary; exit 0 when
the harness worked (differences are data), 2 on bad arguments."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_ERROR = 0, 2


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "conform",
        help="run a corpus of OpenSCENARIO files with dil (and esmini), compare per entity, census elements",
    )
    p.add_argument(
        "paths", nargs="+", type=Path, metavar="DIR_OR_FILE", help=".xosc files or folders of them"
    )
    p.add_argument(
        "--esmini", type=Path, metavar="PATH", help="an esmini binary to compare with (development)"
    )
    p.add_argument(
        "--out", type=Path, default=Path("dil-conform"), help="where the table and traces go (%(default)s)"
    )
    p.add_argument(
        "--tolerance", type=float, default=0.5, metavar="M", help="position tolerance [m] (%(default)s)"
    )
    p.add_argument(
        "--timeout", type=float, default=300.0, metavar="S", help="wall-clock limit per run [s] (%(default)s)"
    )
    p.add_argument(
        "--esmini-version",
        default="",
        metavar="TEXT",
        help="the esmini build's version for the report, e.g. its commit (default: esmini --version)",
    )
    p.add_argument("--census", action="store_true", help="count the elements used against the support matrix")
    p.add_argument(
        "--worker",
        action="store_true",
        help="run dil through a dil run-worker the harness starts (default: each run a fresh process)",
    )
    p.set_defaults(func=main)


def _check(args: argparse.Namespace) -> str:
    for flag, v, ok in (("--tolerance", args.tolerance, args.tolerance >= 0),
                        ("--timeout", args.timeout, args.timeout > 0)):  # fmt: skip
        if not ok or v != v:
            return f"{flag} {v}: must be a number {'>= 0' if flag == '--tolerance' else '> 0'}"
    if args.esmini is not None and not (args.esmini.is_file() and os.access(args.esmini, os.X_OK)):
        return f"--esmini {args.esmini}: not an executable file"
    if args.out.exists() and not args.out.is_dir():
        return f"--out {args.out}: exists and is not a folder"
    return ""


def main(args: argparse.Namespace) -> int:
    from .corpus import CorpusError, discover
    from .harness import Options, conform
    from .report import summary_lines, write

    problem = _check(args)
    if problem:
        print(f"dil conform: {problem}", file=sys.stderr)
        return EXIT_ERROR
    try:
        files = discover(args.paths)
    except CorpusError as e:
        print(f"dil conform: {e}", file=sys.stderr)
        return EXIT_ERROR
    opts = Options(
        args.out, args.esmini, args.tolerance, args.timeout, args.census, args.esmini_version, args.worker
    )
    doc = conform(files, opts, progress=lambda line: print(line, file=sys.stderr, flush=True))
    j, m = write(doc, args.out)
    print("\n".join(summary_lines(doc)))
    print(f"written: {m}, {j}")
    return EXIT_OK
