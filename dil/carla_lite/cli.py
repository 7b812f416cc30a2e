"""``dil carla-lite``: serve dil's embedded world over CARLA 0.9.16's wire protocol."""

from __future__ import annotations

import argparse
import faulthandler
import signal
import sys
from pathlib import Path

from dil.road.parse import RoadNetworkError


def add_parser(sub: argparse._SubParsersAction) -> None:
    from .server import DEFAULT_MAP

    p = sub.add_parser(
        "carla-lite",
        help="serve the embedded world over CARLA 0.9.16's protocol (the real carla client connects)",
    )
    p.add_argument("--map", type=Path, default=DEFAULT_MAP, help="the OpenDRIVE (.xodr) network to serve")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=2000, help="RPC (world) port; 0 picks a free one")
    p.add_argument(
        "--streaming-port", type=int, default=None, help="sensor and world-state streams (default: port + 1)"
    )
    p.add_argument("--rate", type=float, default=20.0, help="asynchronous mode: steps per second")
    p.add_argument(
        "--report-version",
        default="0.9.16",
        help="the version told to clients, to test their version checks (the protocol stays 0.9.16's)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dil.kernels import CompileProgress
    from dil.numba_setup import prepare_process

    prepare_process()  # before the first kernel loads: about a quarter of a second less to start
    from .server import CarlaLiteServer, ServerOptions
    from .warmup import COLD_COMPILE_S

    if not args.rate > 0.0:
        print("dil carla-lite: --rate must be positive", file=sys.stderr)
        return 2
    try:
        server = CarlaLiteServer(
            ServerOptions(
                map_path=args.map,
                host=args.host,
                port=args.port,
                streaming_port=args.streaming_port,
                rate_hz=args.rate,
                version=args.report_version,
            ),
            CompileProgress(sys.stderr, COLD_COMPILE_S),  # a cold numba cache compiles before the port opens
        )
    except (OSError, RoadNetworkError) as exc:
        print(f"dil carla-lite: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: server.close())
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 PID`: every thread's stack on stderr (a hang's where)
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    # Ctrl-C stops it even where SIGINT came ignored (a server started in the background by a shell)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    server.start()
    try:  # from the port line on (what scripts and tests wait for), Ctrl-C closes the server
        streams = server.streams.port
        print(f"carla-lite listening on {args.host}:{server.port} (streams on {streams})", flush=True)
        server.wait()
    except KeyboardInterrupt:
        server.close()
    return 0
