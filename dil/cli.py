"""The ``dil`` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from dil import __version__


def _bench_parser(sub: argparse._SubParsersAction) -> None:
    from dil.bench import (
        bus,
        campaign,
        carla,
        console,
        dynamics,
        inference,
        log,
        loop,
        osi,
        rig,
        scenario,
        world,
    )

    bench = sub.add_parser("bench", help="benchmarks: print a table and write JSON")
    kinds = bench.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    bus.add_parser(kinds)
    campaign.add_parser(kinds)
    carla.add_parser(kinds)
    console.add_parser(kinds)
    dynamics.add_parser(kinds)
    inference.add_parser(kinds)
    log.add_parser(kinds)
    loop.add_parser(kinds)
    osi.add_parser(kinds)
    rig.add_parser(kinds)
    scenario.add_parser(kinds)
    world.add_parser(kinds)


def _log_parsers(sub: argparse._SubParsersAction) -> None:
    from dil.recording import cli

    cli.add_parsers(sub)


def _rig_parser(sub: argparse._SubParsersAction) -> None:
    from hil_rigs import cli

    cli.add_parser(sub)
    cli.add_wheel_parser(sub)
    cli.add_keyboard_parser(sub)


def _node_parser(sub: argparse._SubParsersAction) -> None:
    from dil.inference import cli

    cli.add_parser(sub)


def _compare_parser(sub: argparse._SubParsersAction) -> None:
    from dil.compare import cli

    cli.add_parser(sub)


def _conform_parser(sub: argparse._SubParsersAction) -> None:
    from dil.conform import cli

    cli.add_parser(sub)


def _run_parser(sub: argparse._SubParsersAction) -> None:
    from dil.run import cli

    cli.add_parser(sub)


def _view_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("view", help="draw an OpenDRIVE road network as a PNG (lanes, marks, ids)")
    p.add_argument("road", help="the .xodr file")
    p.add_argument("-o", "--output", help="PNG to write (default: the file name with .png)")
    p.add_argument("--width", type=int, default=1600, help="image width in pixels")
    p.set_defaults(func=_view)


def _view(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dil.road.network import RoadNetwork, RoadNetworkError
    from dil.road.render import render_png

    try:
        net = RoadNetwork.load(args.road)
    except RoadNetworkError as e:
        print(f"dil view: {e}", file=sys.stderr)
        return 2
    out = args.output or str(Path(args.road).with_suffix(".png").name)
    try:
        w, h = render_png(net, out, args.width)
    except (ValueError, OSError) as e:
        print(f"dil view: {args.road}: {e}", file=sys.stderr)
        return 2
    print(f"{out}: {w}x{h} px, {len(net.roads)} roads, {len(net.odr.junctions)} junctions")
    return 0


def _vehicles_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("vehicles", help="list the vehicle models and parameter sets")
    p.set_defaults(func=_list_vehicles)


def _list_vehicles(args: argparse.Namespace) -> int:
    import vehicle_models

    print("models:")
    for m in vehicle_models.MODELS.values():
        print(f"  {m.name:14s} {m.description} ({m.n_states} states)")
    print("parameter sets:")
    for name in vehicle_models.available():
        params = vehicle_models.load(name)
        print(f"  {name:14s} {params.description}")
    return 0


def _carla_lite_parser(sub: argparse._SubParsersAction) -> None:
    from dil.carla_lite import cli

    cli.add_parser(sub)


def _console_parser(sub: argparse._SubParsersAction) -> None:
    from dil.console import cli

    cli.add_parser(sub)


def _campaign_parser(sub: argparse._SubParsersAction) -> None:
    from dil.campaign import cli

    cli.add_parser(sub)


def _drive_parsers(sub: argparse._SubParsersAction) -> None:
    from dil.drive import cli

    cli.add_parsers(sub)


def _messages_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("messages", help="the message contract: topics, fields, units, frames")
    p.add_argument("--markdown", action="store_true", help="print docs/messages.md")
    p.set_defaults(func=_messages)


def _messages(args: argparse.Namespace) -> int:
    from dil.bus.contract import markdown, summary

    print(markdown() if args.markdown else summary(), end="")
    return 0


def _keys_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="make a CURVE key pair for encrypted bus links")
    p.add_argument("name", help="key name: writes NAME.key (public) and NAME.key_secret")
    p.add_argument("--dir", default=".", help="where to write them (default: here)")
    p.set_defaults(func=_keys)


def _keys(args: argparse.Namespace) -> int:
    from dil.bus.curve import generate

    public, secret = generate(args.dir, args.name)
    print(f"public key: {public}\nsecret key: {secret} (keep it on this machine)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dil", description="Driver-in-the-loop simulator runtime.")
    parser.add_argument("--version", action="version", version=f"dil {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _bench_parser(sub)
    _campaign_parser(sub)
    _carla_lite_parser(sub)
    _compare_parser(sub)
    _conform_parser(sub)
    _console_parser(sub)
    _drive_parsers(sub)
    _keys_parser(sub)
    _log_parsers(sub)
    _messages_parser(sub)
    _node_parser(sub)
    _rig_parser(sub)
    _run_parser(sub)
    _vehicles_parser(sub)
    _view_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # bare `dil`: what it can do, not an error
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    from dil.realtime.memory import keep_heap

    keep_heap()  # camera frames reuse heap blocks instead of faulting fresh pages in (see the module)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # stdout piped into a reader that stopped early (| head): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
