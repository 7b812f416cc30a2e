"""``dil drive`` (the vehicle in the real-time loop) and ``dil script-driver`` (scripted inputs)."""

from __future__ import annotations

import argparse
import logging
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING

import vehicle_models
from dil import __version__
from dil.arguments import add_bus_arguments, add_world_arguments, bus_from_args, carla_options, world_cameras
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import CONSOLE_COMMAND, DRIVER_INPUT
from dil.realtime.clock import Clock, Overrun, SimClock, WallClock
from dil.realtime.loop import Loop, LoopReport, stop_on_signals
from dil.realtime.scheduling import RealtimeRequest, apply
from dil.recording.recorder import Recorder
from dil.vehicle.node import VehicleNode
from dil.vehicle.scripted_driver import PROFILES, ScriptedDriver

if TYPE_CHECKING:
    from dil.run.spec import RunSpec

log = logging.getLogger("dil.drive")


def _loop_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("loop")
    g.add_argument(
        "--duration",
        type=float,
        help="stop after this many simulated seconds (default: until Ctrl-C or SIGTERM)",
    )
    g.add_argument(
        "--clock",
        choices=["wall", "simulated"],
        default="wall",
        help="wall: paced at 1 kHz; simulated: as fast as possible",
    )
    g.add_argument(
        "--overrun",
        choices=[o.value for o in Overrun],
        default="skip",
        help="after a tick a whole period late: skip the passed deadlines or stretch the schedule",
    )
    g.add_argument("--late-us", type=float, default=100.0, help="a tick starting later than this is late")
    g.add_argument("--rt-priority", type=int, help="run under SCHED_FIFO with this priority (1..99)")
    g.add_argument("--cpu", type=int, action="append", default=[], help="pin to this CPU (repeatable)")
    g.add_argument("--mlock", action="store_true", help="lock all memory (mlockall)")


def _profiles_help() -> str:
    """Each scripted driver profile and what it does (the first line of its docstring)."""
    return "; ".join(
        f"{n}: {(f.__doc__ or '').strip().splitlines()[0].rstrip('.')}" for n, f in sorted(PROFILES.items())
    )


def add_parsers(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser(
        "drive", help="the ego vehicle in the real-time loop: driver/input in, vehicle/state out"
    )
    d.add_argument(
        "scenario",
        nargs="?",
        type=Path,
        help="an OpenSCENARIO file to drive in real time (default: free driving, no world)",
    )
    d.add_argument("--headless", action="store_true", help="no display (the only form so far)")
    d.add_argument(
        "--model",
        default="single_track",
        choices=sorted(vehicle_models.MODELS),
        help="the ego's vehicle model: "
        + "; ".join(f"{n}: {m.description}" for n, m in sorted(vehicle_models.MODELS.items()))
        + " (default %(default)s)",
    )
    d.add_argument("--vehicle", default="sedan_bmw320i", help="parameter set name or YAML file")
    d.add_argument(
        "--driver",
        choices=sorted(PROFILES),
        help="drive with a scripted profile in this process instead of driver/input from the bus: "
        + _profiles_help(),
    )
    d.add_argument(
        "--input-timeout-ms",
        type=float,
        default=200.0,
        help="without valid driver input for this long: throttle off, fallback brake on",
    )
    d.add_argument("--record", type=Path, help="write the run's MCAP log here")
    d.add_argument("--rig", choices=["sim"], help="cue a motion rig served by `dil rig serve --sim`")
    d.add_argument("--rig-file", default="sim_hexapod", help="the rig's geometry and cueing parameters")
    d.add_argument(
        "--ai-model",
        metavar="MANIFEST",
        help="with a scenario: an AI model drives (a local inference node); the driver takes over by "
        "braking or steering against it, the console hands control back",
    )
    d.add_argument(
        "--node", action="append", default=[], metavar="ADDRESS", help="or a running inference node"
    )
    d.add_argument(
        "--console",
        action="store_true",
        help="wait for the operator's console: run each scenario it starts (by catalog name), one at a "
        "time, and obey its pause, resume, stop and e-stop (which every run does)",
    )
    d.add_argument(
        "--catalog",
        type=Path,
        default=None,
        help="with --console: the scenarios it may start (default: the catalog)",
    )
    d.add_argument(
        "--out",
        type=Path,
        default=Path("dil-runs"),
        help="results folder: a scenario's run writes OUT/SCENARIO/, each console run "
        "OUT/SCENARIO-YYYYmmdd-HHMMSS/ (default %(default)s)",
    )
    d.add_argument(
        "--wheel",
        default="generic",
        help="wheel mapping whose force feedback is published on driver/feedback ('' for none)",
    )
    d.add_argument(
        "--osi",
        action="store_true",
        help="with a scenario: add ASAM OSI GroundTruth at the world rate to the log (off the loop thread)",
    )
    d.add_argument(
        "--osi-trace",
        type=Path,
        metavar="FILE",
        help="with a scenario: also write an OSI trace (.mcap or .osi)",
    )
    d.add_argument(
        "--foxglove", nargs="?", const=8765, type=int, metavar="PORT",
        help="with a scenario: serve the run live to Foxglove on this WebSocket port (default 8765)",
    )  # fmt: skip
    add_world_arguments(d, cameras="front,mirror with --world carla, front with --console, else none")
    add_bus_arguments(d)
    _loop_arguments(d)
    d.set_defaults(func=_drive)

    s = sub.add_parser("script-driver", help="publish scripted driver/input messages (a stand-in driver)")
    s.add_argument("profile", choices=sorted(PROFILES), help="the scripted inputs: " + _profiles_help())
    s.add_argument("--rate", type=float, default=100.0, help="messages per second (default %(default)s)")
    add_bus_arguments(s, local=False)
    _loop_arguments(s)
    s.set_defaults(func=_script_driver)


def _clock(args: argparse.Namespace) -> Clock:
    if args.clock == "simulated":
        return SimClock()
    return WallClock(overrun=Overrun(args.overrun))


def _scheduling(args: argparse.Namespace) -> str:
    res = apply(RealtimeRequest(fifo_priority=args.rt_priority, cpus=tuple(args.cpu), lock_memory=args.mlock))
    for why in res.refused:
        log.warning("real-time setting refused: %s", why)
    return res.summary()


def _io_priority(args: argparse.Namespace) -> int | None:
    """With a real-time loop, ZeroMQ's I/O thread runs just below it."""
    return None if args.rt_priority is None else max(1, args.rt_priority - 1)


def _max_ticks(args: argparse.Namespace, clock: Clock) -> int | None:
    return None if args.duration is None else round(args.duration * 1e9 / clock.step_ns)


def _drive(args: argparse.Namespace) -> int:
    if args.rig or args.rig_file != "sim_hexapod":  # a bad rig file is bad input: say so, exit 2
        import sys

        from hil_rigs.startup import rig_file_problem

        if (problem := rig_file_problem(args.rig_file)) is not None:
            print(f"dil drive: {problem}", file=sys.stderr)
            return 2
    if not args.headless:
        raise SystemExit(
            "dil drive: only --headless exists so far (the driver's display comes with the world backends)"
        )
    if args.console:
        return _serve_console_runs(args)
    if args.scenario is not None:
        return _drive_scenario(args)
    if args.world != "embedded":
        raise SystemExit(f"dil drive: --world {args.world} needs a scenario (its map and actors)")
    vehicle = vehicle_models.Vehicle(args.model, args.vehicle)
    clock = _clock(args)
    bus = bus_from_args(args, _io_priority(args))
    drops = Drops()
    nodes: list = []
    external: list[NodeSpec] = []
    if args.driver:
        nodes.append(ScriptedDriver(bus, clock, args.driver))
    else:
        external.append(NodeSpec("driver (another process)", outputs=(Port("input", DRIVER_INPUT.topic),)))
    vehicle_node = VehicleNode(bus, drops, vehicle, clock, input_timeout_ms=args.input_timeout_ms)
    nodes.append(vehicle_node)
    if args.wheel:
        from hil_rigs.force_feedback import force_feedback_node

        nodes.append(force_feedback_node(bus, drops, clock, args.wheel))
    if args.rig:
        from hil_rigs.config import cueing_node

        nodes.append(cueing_node(bus, drops, clock, args.rig_file))
        external.append(NodeSpec("rig server (another process)", outputs=(Port("feedback", "rig/feedback"),)))
    scheduling = _scheduling(args)
    loop = Loop(
        nodes,
        clock,
        bus,
        drops,
        external=external,
        late_threshold_ns=int(args.late_us * 1e3),
        scheduling=scheduling,
        record=min(_max_ticks(args, clock) or 600_000, 3_600_000),
    )
    _obey_console(loop, Inbox(bus.subscriber(CONSOLE_COMMAND.topic), drops))
    recorder = None
    if args.record:
        # a writer thread behind a bounded queue: the real-time loop never waits for the disk
        recorder = Recorder(
            args.record, lambda: loop.tick * clock.step_ns, threaded=True, chunk_size=256 * 1024
        )
        recorder.metadata(
            "dil.run",
            {
                "dil_version": __version__,
                "command": "drive",
                "vehicle": vehicle.params.name,
                "model": vehicle.model.name,
                "clock": clock.kind,
                "host": platform.node(),
                "start_wall_ns": time.time_ns(),
                "start_sim_ns": 0,
            },
        )
        bus.tap(recorder)
        loop.on_stop.append(lambda: recorder.close({"end": loop.state}))
    try:
        with stop_on_signals(loop):
            print(_serving(args, bus, vehicle), flush=True)
            report = loop.run(_max_ticks(args, clock))
    finally:
        bus.close()
    _print_report(report, vehicle)
    if recorder is not None:
        print(f"log: {args.record} ({recorder.count} messages, {recorder.dropped} dropped)")
    return 1 if report.error else 0


def _serving(args: argparse.Namespace, bus: object, vehicle: vehicle_models.Vehicle) -> str:
    """The start-up line of free driving: the vehicle, the clock, where inputs come from and states go."""
    addresses = getattr(bus, "endpoints", None)

    def at(topic: str) -> str:
        return f"{topic} {addresses[topic]}" if addresses is not None else f"{topic} in-process"

    source = f"the scripted driver {args.driver}" if args.driver else at(DRIVER_INPUT.topic)
    rig = f"; cueing the rig ({args.rig_file})" if args.rig else ""
    return (
        f"dil drive: {vehicle.model.name} {vehicle.params.name} at 1 kHz, {args.clock} clock; inputs from "
        f"{source}; out {at('vehicle/state')}{rig}; Ctrl-C stops"
    )


def _obey_console(loop: Loop, inbox: Inbox) -> None:
    """The operator's pause, resume, stop and e-stop reach this run; while paused the rig's command
    stream goes on (holding the pose), so that its watchdog does not trip."""
    from dil.console.run_control import install
    from dil.scenario.engine import ScenarioNode
    from hil_rigs.cueing_node import CueingNode

    engine = next((n for n in loop.nodes if isinstance(n, ScenarioNode)), None)

    def ended(why: str) -> None:
        if engine is not None:
            engine.abort(why)  # the run's outcome is aborted, with the operator's reason

    for node in loop.nodes:
        if isinstance(node, CueingNode):
            node.runs_while_paused = True
    install(loop, inbox, ended)


def _drive_scenario(args: argparse.Namespace) -> int:
    """A scenario in real time: the driver at the wheel (or a script), the world, the rig."""
    _scheduling(args)
    bus = bus_from_args(args, _io_priority(args))
    inbox = Inbox(bus.subscriber(CONSOLE_COMMAND.topic), Drops())
    try:
        return _run_scenario(args, bus, inbox, args.scenario, {}, args.out / args.scenario.stem)
    finally:
        bus.close()


def _serve_console_runs(args: argparse.Namespace) -> int:
    """``dil drive --console``: run the scenarios the console starts, one after another."""
    import signal as signals

    from dil.console.catalog import CATALOG
    from dil.console.commands import parse_start
    from dil.console.run_control import RunHost

    catalog = args.catalog or CATALOG
    _scheduling(args)
    bus = bus_from_args(args, _io_priority(args))
    host = RunHost(bus, Inbox(bus.subscriber(CONSOLE_COMMAND.topic), Drops()), rig=bool(args.rig))

    def stop(signum: int, frame: object) -> None:
        host.stop_requested = True

    for sig in (signals.SIGINT, signals.SIGTERM):
        signals.signal(sig, stop)
    print(f"dil drive: waiting for the console to start a scenario of {catalog}", flush=True)
    try:
        while (argument := host.wait_for_start()) is not None:
            try:
                name, params = parse_start(argument)
                scenario = catalog / f"{name}.xosc"
                if not scenario.is_file():
                    raise ValueError(f"no scenario {name!r} in {catalog}")
                out = args.out / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
                run_args = argparse.Namespace(**{**vars(args), "rig": None}) if host.no_motion else args
                _run_scenario(run_args, bus, host.inbox, scenario, params, out)  # no motion: no rig
            except Exception:  # a bad start or a failed run must not end the host
                log.exception("the run %r did not happen or failed", argument)
            for sig in (signals.SIGINT, signals.SIGTERM):
                signals.signal(sig, stop)
    finally:
        bus.close()
    return 0


def _run_scenario(
    args: argparse.Namespace, bus: object, inbox: Inbox, scenario: Path, params: dict[str, str], out: Path
) -> int:
    import signal as signals

    from dil.run.outcome import exit_status
    from dil.run.results import summary, write_result
    from dil.run.runner import run
    from dil.scenario.engine import ScenarioNode

    signalled: list[int] = []

    def on_loop(loop: Loop) -> None:
        engine = next(n for n in loop.nodes if isinstance(n, ScenarioNode))

        def stop(signum: int, frame: object) -> None:
            signalled.append(signum)
            engine.abort(f"interrupted ({signals.Signals(signum).name})")  # an aborted run, said why
            loop.stop_requested = True

        for sig in (signals.SIGINT, signals.SIGTERM):
            signals.signal(sig, stop)
        _obey_console(loop, inbox)
        # the console's header and road view: which scenario, which run
        loop.status_extra = {
            "scenario": scenario.stem,
            "scenario_file": str(scenario.resolve()),
            "run_id": out.name,
        }

    spec = drive_spec(args, scenario, params, out)
    from dil.kernels import warm  # a cold kernel cache compiles here, announced, not in the 1 kHz loop

    warm()
    from dil.recording.foxglove_live import serve_live
    from dil.scenario.loader import load as load_scenario

    with serve_live(bus, lambda: load_scenario(scenario).road_file, args.foxglove):
        result = run(spec, bus=bus, on_loop=on_loop)
    write_result(result, out, spec)
    print(summary(result, out))
    if signals.SIGINT in signalled and result.outcome == "aborted":
        return 130  # Ctrl-C, as every command: the result says aborted
    return exit_status(result.verdict)


def drive_spec(args: argparse.Namespace, scenario: Path, params: dict[str, str], out: Path) -> RunSpec:
    """The run ``dil drive SCENARIO`` describes: a person (or a script, or an AI model with a person
    who can take over) drives in real time on the wall clock (or simulated with ``--clock simulated``)."""
    from dil.run.spec import (
        DriverChoice,
        Outputs,
        RigChoice,
        RunSpec,
        ScenarioChoice,
        Timing,
        VehicleChoice,
        WorldChoice,
    )
    from dil.stack.ai import AiOptions

    ai = args.ai_model or args.node
    return RunSpec(
        ScenarioChoice(scenario, params),
        DriverChoice(
            "ai" if ai else "driver",
            profile=args.driver,
            wheel=args.wheel or None,
            ai=AiOptions(nodes=tuple(args.node), model=args.ai_model, driver_seat=True) if ai else None,
        ),
        WorldChoice(args.world, carla_options(args), drive_cameras(args)),
        VehicleChoice(args.vehicle, args.model),
        RigChoice(args.rig_file if args.rig else None),
        Outputs(args.record or out / "run.mcap", args.osi_trace, args.osi),
        Timing(realtime=args.clock == "wall", max_time=args.duration or 3600.0),
    )


def drive_cameras(args: argparse.Namespace) -> tuple[str, ...]:
    """The driver's display cameras: ``--cameras``; else CARLA's front and mirror, and in the embedded
    world the view ahead for the operator's console (``--console``) and none otherwise (a headless
    drive without a console has nobody to show it to)."""
    if args.world == "carla":
        default: tuple[str, ...] = ("front", "mirror")
    else:
        default = ("front",) if args.console else ()
    return world_cameras(args, default)


def _script_driver(args: argparse.Namespace) -> int:
    clock = _clock(args)
    bus = bus_from_args(args, _io_priority(args))
    drops = Drops()
    node = ScriptedDriver(bus, clock, args.profile, rate_hz=args.rate)
    loop = Loop(
        [node],
        clock,
        bus,
        drops,
        scheduling=_scheduling(args),
        late_threshold_ns=int(args.late_us * 1e3),
        publish_status=False,
    )
    try:
        with stop_on_signals(loop):
            report = loop.run(_max_ticks(args, clock))
    finally:
        bus.close()
    _print_report(report, None)
    return 1 if report.error else 0


def _print_report(r: LoopReport, vehicle: vehicle_models.Vehicle | None) -> None:
    print(
        f"ticks {r.ticks}  simulated {r.t_sim_ns / 1e9:.3f} s  wall {r.wall_s:.3f} s  "
        f"late {r.late_ticks}  missed {r.missed_ticks}  dropped messages {r.dropped_messages}"
    )
    if r.lateness_us:
        print("lateness [us]  " + "  ".join(f"{k[:-3]} {v:.1f}" for k, v in r.lateness_us.items()))
    if r.tick_cost_us:
        print("tick cost [us] " + "  ".join(f"{k[:-3]} {v:.1f}" for k, v in r.tick_cost_us.items()))
    print(f"scheduling: {r.scheduling}")
    if vehicle is not None:
        speed = vehicle.output("speed")
        print(f"vehicle: x {vehicle['x']:.2f} m  y {vehicle['y']:.2f} m  speed {speed * 3.6:.1f} km/h")
    if r.error:
        print(f"error: {r.error}")
