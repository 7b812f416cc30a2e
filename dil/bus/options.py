"""Command-line options shared by every command that joins the bus."""

from __future__ import annotations

import argparse
from pathlib import Path

from .curve import Curve
from .transport import Bus, LocalBus
from .zmq_bus import Endpoints, ZmqBus


def add_bus_arguments(p: argparse.ArgumentParser, *, local: bool = True) -> None:
    g = p.add_argument_group("bus")
    choices = ["tcp", "ipc", "local"] if local else ["tcp", "ipc"]
    g.add_argument(
        "--bus",
        choices=choices,
        default="tcp",
        help="transport: ZeroMQ over tcp or ipc (Unix sockets)"
        + (", or local (in-process, this command only)" if local else "")
        + " (default %(default)s)",
    )
    g.add_argument("--host", default="127.0.0.1", help="tcp host of every topic (default %(default)s)")
    g.add_argument("--port", type=int, default=5600, help="first tcp port; topics take consecutive ports")
    g.add_argument("--ipc-dir", type=Path, default=Path("/tmp/dil"), help="directory of ipc sockets")
    g.add_argument("--curve-secret", type=Path, help="CURVE: this process's .key_secret file")
    g.add_argument(
        "--curve-server-key",
        action="append",
        default=[],
        metavar="[TOPIC=]FILE",
        help="CURVE: the public key of the servers to connect to; TOPIC=FILE for one topic or "
        "service (repeatable)",
    )
    g.add_argument("--curve-authorized", type=Path, help="CURVE: directory of client public keys allowed in")


def bus_from_args(args: argparse.Namespace, io_priority: int | None = None) -> Bus:
    """The bus the options describe (``io_priority``: see :class:`ZmqBus`)."""
    if args.bus == "local":
        return LocalBus()
    curve = None
    if args.curve_secret:
        default, per_topic = None, []
        for value in args.curve_server_key:
            name, sep, path = value.rpartition("=")
            if sep:
                per_topic.append((name, Path(path)))
            else:
                default = Path(path)
        curve = Curve(args.curve_secret, default, args.curve_authorized, tuple(per_topic))
    endpoints = Endpoints.default(args.bus, host=args.host, port=args.port, directory=args.ipc_dir)
    return ZmqBus(endpoints, curve=curve, io_priority=io_priority)
