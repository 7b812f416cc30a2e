"""``dil compare A B``: a table on stdout (or ``--json``), an HTML page with ``--html``; exit 0 within
the tolerances, 1 beyond them, 2 on input that cannot be compared."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_WITHIN, EXIT_BEYOND, EXIT_ERROR = 0, 1, 2


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="per-entity differences between two traces of one scenario (dil logs, OSI traces, trace.csv, "
        "esmini CSV)",
    )
    p.add_argument(
        "a", type=Path, help="trace A: run.mcap, an OSI trace (.mcap/.osi), trace.csv or esmini CSV"
    )
    p.add_argument("b", type=Path, help="trace B, interpolated onto A's timestamps")
    p.add_argument(
        "--tolerance-m", type=float, default=0.1, help="position tolerance [m] (default %(default)s)"
    )
    p.add_argument("--tolerance-speed", type=float, metavar="MPS", help="speed tolerance [m/s]")
    p.add_argument("--tolerance-heading-deg", type=float, metavar="DEG", help="heading tolerance [deg]")
    p.add_argument(
        "--reference",
        choices=("box-centre", "as-given"),
        default="box-centre",
        help="box-centre (default): move reference-point positions (trace.csv, esmini CSV) to the box "
        "centre, an error where a box is unknown; as-given: compare positions as each file gives them "
        "(both must give the same point)",
    )
    p.add_argument(
        "--scenario",
        type=Path,
        metavar="XOSC",
        help="the scenario whose bounding boxes place trace.csv positions",
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="B_NAME=A_NAME",
        help="pair an entity of B with one of A",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of the table")
    p.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML page with plots")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from .metrics import Tolerances, compare
    from .report import table, to_json, write_html
    from .traces import CompareError, open_pair

    try:
        for flag, v in (("--tolerance-m", args.tolerance_m), ("--tolerance-speed", args.tolerance_speed),
                        ("--tolerance-heading-deg", args.tolerance_heading_deg)):  # fmt: skip
            if v is not None and not v >= 0:
                raise CompareError(f"{flag} {v}: must be a number >= 0")
        renames = {}
        for item in args.map:
            if "=" not in item:
                raise CompareError(f"--map {item!r}: expected B_NAME=A_NAME")
            k, v = item.split("=", 1)
            renames[k.strip()] = v.strip()
        a, b = open_pair(args.a, args.b, scenario=args.scenario, box_centre=args.reference == "box-centre")
        c = compare(
            a, b, Tolerances(args.tolerance_m, args.tolerance_speed, args.tolerance_heading_deg), renames
        )
    except CompareError as e:
        print(f"dil compare: {e}", file=sys.stderr)
        return EXIT_ERROR
    print(to_json(c) if args.json else table(c))
    if args.html is not None:
        try:
            write_html(c, args.html)
        except ImportError as e:
            print(
                f"dil compare: the HTML page needs matplotlib (pip install 'dil[report]'): {e}",
                file=sys.stderr,
            )
            return EXIT_ERROR
        if not args.json:
            print(f"{args.html}: the comparison with plots")
    return EXIT_WITHIN if c.within else EXIT_BEYOND
