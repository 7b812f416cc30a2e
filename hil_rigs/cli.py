"""``dil rig serve --sim``: the rig server with the simulated platform, paced at 1 kHz."""

from __future__ import annotations

import argparse
import logging
import sys

from dil.arguments import add_bus_arguments, bus_from_args
from dil.bus.inbox import Drops
from dil.bus.messages import CONSOLE_COMMAND, RIG_COMMAND, RIG_FEEDBACK
from dil.bus.zmq_bus import Endpoints
from dil.realtime.clock import WallClock
from dil.realtime.loop import Loop, stop_on_signals

from .config import load_rig
from .server import RigServer
from .startup import curve_refusal, rig_file_problem
from .stewart import Platform

log = logging.getLogger("dil.rig")


def add_parser(sub: argparse._SubParsersAction) -> None:
    rig = sub.add_parser("rig", help="the motion rig server")
    verbs = rig.add_subparsers(dest="verb", metavar="VERB", required=True)
    s = verbs.add_parser("serve", help="serve a rig: rig/command in, rig/feedback out")
    s.add_argument("--sim", action="store_true", help="the simulated six-actuator platform")
    s.add_argument(
        "--udp", metavar="HOST:PORT", help="a platform controller taking Motion4Sim position-mode UDP packets"
    )
    s.add_argument(
        "--watchdog-ms", type=_number(1.0, 10_000.0), default=50.0, help="silence that parks an active rig"
    )
    s.add_argument("--rig", default="sim_hexapod", help="rig file: a name in hil_rigs/rigs or a YAML path")
    s.add_argument("--duration", type=_number(0.0, 1e7), help="stop after this many seconds")
    s.add_argument(
        "--arm-from-console",
        action="store_true",
        help="start held parked: the rig engages only after an operator's engage at the console",
    )
    add_bus_arguments(s, local=False)
    s.set_defaults(func=_serve)
    a = verbs.add_parser(
        "arm",
        help="re-arm a rig held parked after a fault (the console's engage, for use without the console)",
    )
    a.add_argument("--operator", required=True, help="who re-arms the rig (logged by the rig server)")
    a.add_argument(
        "--timeout", type=_number(0.1, 3600.0), default=5.0, help="seconds to wait for the rig server"
    )
    add_bus_arguments(a, local=False)
    a.set_defaults(func=_arm)


def _number(lo: float, hi: float):
    """An argparse type: a finite number from ``lo`` to ``hi`` (else a usage error, exit 2)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not lo <= value <= hi:  # NaN fails too
            raise argparse.ArgumentTypeError(f"{text}: must be from {lo:g} to {hi:g}")
        return value

    return parse


def add_wheel_parser(sub: argparse._SubParsersAction) -> None:
    w = sub.add_parser("wheel", help="publish driver/input from a steering wheel and pedals (SDL)")
    w.add_argument(
        "--mapping", default="generic", help="axis mapping: a name in hil_rigs/wheels or a YAML path"
    )
    w.add_argument("--device", type=int, default=0, help="SDL joystick number")
    add_bus_arguments(w, local=False)
    w.set_defaults(func=_wheel)


def add_keyboard_parser(sub: argparse._SubParsersAction) -> None:
    k = sub.add_parser("keyboard", help="publish driver/input from the terminal's keyboard (no wheel)")
    add_bus_arguments(k, local=False)
    k.set_defaults(func=_keyboard)


def _keyboard(args: argparse.Namespace) -> int:
    from .keyboard import run_keyboard

    bus = bus_from_args(args)
    try:
        run_keyboard(bus)
    except KeyboardInterrupt:
        pass
    finally:
        bus.close()
    return 0


def _wheel(args: argparse.Namespace) -> int:
    from .wheel import load_mapping, run_wheel

    try:
        mapping = load_mapping(args.mapping)
    except ValueError as e:
        print(f"dil wheel: {e}", file=sys.stderr)
        return 2
    bus = bus_from_args(args)
    try:
        run_wheel(mapping, bus, args.device)
    except KeyboardInterrupt:
        pass
    finally:
        bus.close()
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Exit status: 0 stopped as asked, 1 the loop failed, 2 bad input (options, rig file, keys, an
    address in use or off loopback without CURVE)."""
    from dil.numba_setup import prepare_process

    prepare_process()  # before the first kernel loads
    if args.sim == bool(args.udp):
        return _refuse("give exactly one of --sim and --udp HOST:PORT")
    problem = rig_file_problem(args.rig)
    if problem is not None:
        return _refuse(problem)
    if args.bus == "tcp":
        endpoints = Endpoints.default("tcp", host=args.host, port=args.port)
        used = [endpoints[t] for t in (RIG_FEEDBACK.topic, RIG_COMMAND.topic, CONSOLE_COMMAND.topic)]
        problem = curve_refusal(used, args.curve_secret is not None)
        if problem is not None:
            return _refuse(problem)
    udp = None
    if args.udp:
        host, _, port = args.udp.rpartition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            return _refuse(f"--udp {args.udp}: give HOST:PORT with a port from 1 to 65535")
        udp = (host or "127.0.0.1", int(port))
    platform = Platform(load_rig(args.rig).geometry)
    try:
        bus = bus_from_args(args)
    except ValueError as e:  # a CURVE key file missing or not a certificate
        return _refuse(str(e))
    clock = WallClock()
    drops = Drops()
    driver = None
    if udp is not None:
        from .udp import UdpPlatform

        try:
            driver = UdpPlatform(platform, *udp)
        except OSError as e:  # the host does not resolve
            bus.close()
            return _refuse(f"--udp {args.udp}: {e.strerror or e}")
    try:
        server = RigServer(
            bus,
            drops,
            clock,
            platform,
            watchdog_ms=args.watchdog_ms,
            driver=driver,
            armed=not args.arm_from_console,
        )
    except (OSError, ValueError) as e:  # an address in use, or a CURVE key missing for a topic
        bus.close()
        return _refuse(str(e))
    loop = Loop([server], clock, bus, drops, external=_external(), publish_status=False)
    try:
        with stop_on_signals(loop):
            print(_serving(args, bus), flush=True)  # after the handlers: from here Ctrl-C parks and stops
            report = loop.run(None if args.duration is None else round(args.duration * 1000))
    finally:
        bus.close()
    print(
        f"rig server stopped: state {server.state}, {server.watchdog_trips} watchdog trips, "
        f"{server.rejected} commands rejected, {server.console_rejected} console commands rejected, "
        f"{report.ticks} ticks, {report.late_ticks} late, {report.missed_ticks} missed"
    )
    return 1 if report.error else 0


def _serving(args: argparse.Namespace, bus: object) -> str:
    """The start-up line: what this server serves, where, and how it is guarded."""
    addresses = getattr(bus, "endpoints", None)
    topics = (RIG_COMMAND.topic, RIG_FEEDBACK.topic, CONSOLE_COMMAND.topic)
    where = ", ".join(f"{t} {addresses[t]}" for t in topics) if addresses is not None else "in-process bus"
    platform = "simulated six-actuator platform" if args.sim else f"Motion4Sim UDP platform at {args.udp}"
    curve = f"CURVE on ({args.curve_secret})" if args.curve_secret else "CURVE off"
    start = "held parked until an operator engages" if args.arm_from_console else "armed"
    return (
        f"dil rig serve: {platform}, rig file {args.rig}; {where}; {curve}; "
        f"watchdog {args.watchdog_ms:g} ms; {start}; Ctrl-C parks and stops"
    )


def _arm(args: argparse.Namespace) -> int:
    """Exit status: 0 armed (or not held), 1 no rig server answered or it stays held, 2 bad input."""
    from .arm import arm

    try:
        bus = bus_from_args(args)
    except ValueError as e:
        return _refuse(str(e), "arm")
    try:
        result = arm(bus, args.operator, args.timeout)
    except OSError as e:  # console/command is bound already: a console is running
        return _refuse(f"{e}: is a console running? Re-arm the rig there", "arm")
    finally:
        bus.close()
    if not result.state:
        print(f"dil rig arm: no rig/feedback within {args.timeout:g} s: is `dil rig serve` running?")
        return 1
    if not result.was_held:
        print(f"the rig was not held (state {result.state}): nothing to re-arm")
    elif result.armed:
        print(f"rig re-armed by {args.operator} (was held: {result.was_held}); state {result.state}")
    else:
        print(f"dil rig arm: the rig is still held ({result.was_held}) after {args.timeout:g} s")
        return 1
    return 0


def _refuse(why: str, verb: str = "serve") -> int:
    print(f"dil rig {verb}: {why}", file=sys.stderr)
    return 2


def _external():
    from dil.bus.graph import NodeSpec, Port

    return [
        NodeSpec("runtime (another process)", outputs=(Port("command", RIG_COMMAND.topic),)),
        NodeSpec("console (another process)", outputs=(Port("command", CONSOLE_COMMAND.topic),)),
    ]
