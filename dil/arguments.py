"""Command-line argument groups that several commands share (``dil run``, ``dil drive``): the world,
``--world embedded|carla``, and the CARLA server. Only command-line modules import this module."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CARLA backend pulls in the road kernels: only a CARLA run needs it
    from dil.world.carla_backend import CarlaOptions


def add_world_arguments(p: argparse.ArgumentParser, cameras: str = "") -> None:
    """``cameras``: the display cameras CARLA renders by default (comma-separated)."""
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
        "--carla-cameras",
        default=cameras,
        help="display cameras CARLA renders onto the bus, comma-separated: front (640x360, fov 90), "
        "mirror (rear view, 480x160, fov 60) (default: %(default)r)",
    )


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
        cameras=tuple(c.strip() for c in args.carla_cameras.split(",") if c.strip()),
    )
