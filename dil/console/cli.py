"""``dil console``: serve the rig operator's console."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dil.arguments import add_bus_arguments

from .catalog import CATALOG

log = logging.getLogger("dil.console")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "console", help="the rig operator's web console: live view, run and rig controls, e-stop"
    )
    p.add_argument(
        "--bind", default="127.0.0.1", help="address the web server listens on (default %(default)s)"
    )
    p.add_argument("--http-port", type=int, default=8600, help="its port (default %(default)s; 0: any free)")
    p.add_argument("--token", help="the access token (needed when --bind is not loopback)")
    p.add_argument("--token-file", type=Path, help="or a file whose first line is the token")
    p.add_argument("--rate", type=float, default=25.0, help="display updates per second, 20 to 30")
    p.add_argument(
        "--audit",
        type=Path,
        default=Path("dil-runs/console/audit.jsonl"),
        help="the audit trail (JSON lines)",
    )
    p.add_argument("--runs", type=Path, default=Path("dil-runs"), help="where runs write their results")
    p.add_argument("--catalog", type=Path, default=CATALOG, help="the scenarios offered to start")
    p.add_argument("--rig", default="sim_hexapod", help="rig file whose actuator stroke is drawn")
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="another origin (scheme://host[:port], e.g. a proxy's) whose pages may open the feed "
        "(repeatable)",
    )
    add_bus_arguments(p, local=False)
    p.set_defaults(func=_console)


def _console(args: argparse.Namespace) -> int:
    from dil.arguments import bus_from_args

    from .auth import load_token
    from .server import Console, ConsoleOptions

    try:
        token = load_token(args.token, args.token_file)
        console = Console(
            ConsoleOptions(
                lambda: bus_from_args(args),
                bind=args.bind,
                http_port=args.http_port,
                token=token,
                audit=args.audit,
                runs_dir=args.runs,
                catalog_dir=args.catalog,
                rate_hz=args.rate,
                rig=args.rig,
                allow_origins=tuple(args.allow_origin),
            )
        )
    except ValueError as e:  # bad input: exit status 2
        print(f"dil console: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        raise SystemExit(f"dil console: {e}") from None
    given = "" if token else f"?token={console.access.token}"
    try:
        with console.stop_on_signals():  # from the first line on, Ctrl-C or SIGTERM is a clean stop
            print(f"dil console: {console.url}{given}", flush=True)
            print(
                f"dil console: views {'need' if console.access.view_needs_token else 'do not need'} the "
                f"token; controls always do (the e-stop never does); audit trail {args.audit}",
                flush=True,
            )
            console.run()
    except OSError as e:
        raise SystemExit(f"dil console: {e}") from None
    return 0
