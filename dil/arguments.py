"""Command-line argument groups that several commands share: the world (``--world embedded|carla``)
and the CARLA server (``dil run``, ``dil drive``), and the bus (every command that joins it). Only
command-line modules import this module."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CARLA backend pulls in the road kernels: only a CARLA run needs it
    from dil.bus.options import BusOptions
    from dil.bus.transport import Bus
    from dil.world.carla_backend import CarlaOptions


def _camera_list(text: str) -> tuple[str, ...]:
    from dil.world.display_cameras import parse_cameras  # only when --cameras is given

    try:
        return parse_cameras(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_world_arguments(p: argparse.ArgumentParser, cameras: str = "none") -> None:
    """``cameras``: the help's words for the command's default display cameras."""
    g = p.add_argument_group("world")
    g.add_argument(
        "--world",
        choices=("embedded", "carla"),
        default="embedded",
        help="embedded (headless, no server) or carla (a CARLA 0.9.16 server renders; dil keeps the "
        "physics, the scenario and the events)",
    )
    g.add_argument("--carla-host", default="127.0.0.1", help="the CARLA server (default %(default)s)")
    g.add_argument("--carla-port", type=int, default=2000, help="its RPC port (default %(default)s)")
    g.add_argument(
        "--carla-timeout", type=float, default=10.0, help="seconds to wait for its answers (default 10)"
    )
    g.add_argument("--carla-map", help="load this map first (default: the one loaded now)")
    g.add_argument(
        "--cameras",
        "--carla-cameras",
        type=_camera_list,
        metavar="NAMES",
        help="the driver's display cameras on sensor/<name> at 25 Hz, comma-separated, rendered by the "
        "world that runs (CARLA, or dil's own camera in the embedded world): front (640x360, fov 90), "
        f"mirror (rear view, 480x160, fov 60), '' for none (default: {cameras}); --carla-cameras is "
        "the same option",
    )


def world_cameras(args: argparse.Namespace, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The display cameras ``--cameras`` names, or ``default`` where it was not given."""
    return default if args.cameras is None else args.cameras


def carla_options(args: argparse.Namespace) -> CarlaOptions | None:
    """The CARLA server the options name, or None for ``--world embedded``."""
    if args.world != "carla":
        return None
    from dil.world.carla_backend import CarlaOptions

    return CarlaOptions(
        host=args.carla_host,
        port=args.carla_port,
        timeout_s=args.carla_timeout,
        map=args.carla_map,
    )  # the display cameras are the run's (WorldChoice.cameras), whichever world renders them


def add_bus_arguments(p: argparse.ArgumentParser, *, local: bool = True) -> None:
    """``--bus``, its addresses and CURVE keys; ``local``: offer the in-process bus too."""
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


def bus_options(args: argparse.Namespace) -> BusOptions:
    """The bus the options of :func:`add_bus_arguments` describe."""
    from dil.bus.options import BusOptions

    keys: list[tuple[str | None, Path]] = []
    for value in args.curve_server_key:
        topic, sep, path = value.rpartition("=")
        keys.append((topic, Path(path)) if sep else (None, Path(path)))
    return BusOptions(
        args.bus, args.host, args.port, args.ipc_dir, args.curve_secret, tuple(keys), args.curve_authorized
    )


def bus_from_args(args: argparse.Namespace, io_priority: int | None = None) -> Bus:
    """Join the bus the options describe (``io_priority``: see :class:`dil.bus.zmq_bus.ZmqBus`)."""
    return bus_options(args).open(io_priority)
