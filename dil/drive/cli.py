"""``dil drive`` (the vehicle in the real-time loop) and ``dil script-driver`` (scripted inputs): the
arguments, and what is printed. Free driving is :mod:`dil.drive.free_drive`, a scenario driven in real
time :mod:`dil.drive.scenario_drive`; the console's run control and run hosting
(:mod:`dil.console.hosting`) are composed with them here."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import vehicle_models
from dil.arguments import add_bus_arguments, add_world_arguments, bus_from_args, carla_options, world_cameras
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import CONSOLE_COMMAND, DRIVER_INPUT
from dil.realtime.clock import Clock, Overrun, SimClock, WallClock
from dil.realtime.loop import LoopReport, stop_on_signals
from dil.realtime.scheduling import RealtimeRequest, apply
from dil.vehicle.scripted_driver import PROFILES

from .free_drive import FreeDriveSpec, build_free_drive, build_script_driver

if TYPE_CHECKING:
    from dil.bus.transport import Bus
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
    from dil.console.hosting import obey_console

    clock = _clock(args)
    bus = bus_from_args(args, _io_priority(args))
    spec = FreeDriveSpec(
        args.vehicle,
        args.model,
        args.driver,
        args.input_timeout_ms,
        args.wheel or None,
        args.rig_file if args.rig else None,
        args.record,
        args.late_us,
        _max_ticks(args, clock),
    )
    drive = build_free_drive(spec, bus, clock, _scheduling(args))
    obey_console(drive.loop, Inbox(bus.subscriber(CONSOLE_COMMAND.topic), drive.drops))
    try:
        with stop_on_signals(drive.loop):
            print(_serving(args, bus, drive.vehicle), flush=True)
            report = drive.loop.run(_max_ticks(args, clock))
    finally:
        bus.close()
    _print_report(report, drive.vehicle)
    if drive.recorder is not None:
        print(f"log: {args.record} ({drive.recorder.count} messages, {drive.recorder.dropped} dropped)")
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
    from dil.console.catalog import CATALOG
    from dil.console.hosting import serve_console_runs

    catalog = args.catalog or CATALOG
    _scheduling(args)
    bus = bus_from_args(args, _io_priority(args))

    def run_one(scenario: Path, params: dict[str, str], out: Path, no_motion: bool, inbox: Inbox) -> int:
        run_args = argparse.Namespace(**{**vars(args), "rig": None}) if no_motion else args  # no rig
        return _run_scenario(run_args, bus, inbox, scenario, params, out)

    def ready() -> None:
        print(f"dil drive: waiting for the console to start a scenario of {catalog}", flush=True)

    try:
        return serve_console_runs(bus, catalog, args.out, run_one, rig=bool(args.rig), on_ready=ready)
    finally:
        bus.close()


def _run_scenario(
    args: argparse.Namespace, bus: Bus, inbox: Inbox, scenario: Path, params: dict[str, str], out: Path
) -> int:
    from dil.console.hosting import obey_console
    from dil.kernels import warm
    from dil.run.outcome import exit_status
    from dil.run.results import summary

    from .scenario_drive import drive_scenario

    spec = drive_spec(args, scenario, params, out)
    warm()  # a cold kernel cache compiles here, announced, not in the 1 kHz loop
    done = drive_scenario(
        spec, bus, out, controls=lambda loop: obey_console(loop, inbox), foxglove_port=args.foxglove
    )
    print(summary(done.result, out))
    if done.interrupted and done.result.outcome == "aborted":
        return 130  # Ctrl-C, as every command: the result says aborted
    return exit_status(done.result.verdict)


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
    loop = build_script_driver(args.profile, args.rate, bus, clock, _scheduling(args), args.late_us)
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
