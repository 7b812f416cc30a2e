"""Free driving: the ego vehicle alone in the real-time loop, no world and no scenario (``dil drive``
without a scenario), and the stand-in driver that publishes scripted inputs (``dil script-driver``).

The caller opens the bus and the clock, applies the real-time settings and hands the scheduling
summary in; the console's run control is added by whoever composes the loop with the console (the
command line), so that this package does not depend on it.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import vehicle_models
from dil import __version__
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops
from dil.bus.messages import DRIVER_INPUT
from dil.realtime.loop import Loop
from dil.vehicle.node import VehicleNode
from dil.vehicle.scripted_driver import ScriptedDriver

if TYPE_CHECKING:
    from dil.bus.transport import Bus
    from dil.realtime.clock import Clock
    from dil.recording.recorder import Recorder


@dataclass(frozen=True)
class FreeDriveSpec:
    """What a free drive runs: the vehicle, who drives it, the wheel, the rig and the log."""

    vehicle: str = "sedan_bmw320i"
    """Parameter set name or YAML file."""
    model: str = "single_track"
    driver: str | None = None
    """A scripted driver profile in this process; None: driver/input from the bus (another process)."""
    input_timeout_ms: float = 200.0
    """Without valid driver input for this long [ms]: throttle off, fallback brake on."""
    wheel: str | None = "generic"
    """Publish force feedback (driver/feedback) for this wheel mapping; None: none."""
    rig_file: str | None = None
    """Cue a rig served by ``dil rig serve`` with this rig file; None: no rig."""
    record: Path | None = None
    """Write the run's MCAP log here (a writer thread: the loop never waits for the disk)."""
    late_us: float = 100.0
    """A tick starting later than this [us] is counted late."""
    max_ticks: int | None = None
    """Stop after this many ticks; None: until stopped (Ctrl-C, SIGTERM, the console)."""


@dataclass
class FreeDrive:
    """A wired free drive: run :attr:`loop`; read :attr:`vehicle` and :attr:`recorder` after it."""

    loop: Loop
    vehicle: vehicle_models.Vehicle
    drops: Drops
    recorder: Recorder | None = None


def build_free_drive(spec: FreeDriveSpec, bus: Bus, clock: Clock, scheduling: str) -> FreeDrive:
    """The vehicle node (with the scripted driver, force feedback and motion cueing asked for) in a
    loop on ``clock``; ``scheduling``: the real-time settings' summary the loop's report carries."""
    vehicle = vehicle_models.Vehicle(spec.model, spec.vehicle)
    drops = Drops()
    nodes: list = []
    external: list[NodeSpec] = []
    if spec.driver:
        nodes.append(ScriptedDriver(bus, clock, spec.driver))
    else:
        external.append(NodeSpec("driver (another process)", outputs=(Port("input", DRIVER_INPUT.topic),)))
    nodes.append(VehicleNode(bus, drops, vehicle, clock, input_timeout_ms=spec.input_timeout_ms))
    if spec.wheel:
        from hil_rigs.force_feedback import force_feedback_node

        nodes.append(force_feedback_node(bus, drops, clock, spec.wheel))
    if spec.rig_file:
        from hil_rigs.config import cueing_node

        nodes.append(cueing_node(bus, drops, clock, spec.rig_file))
        external.append(NodeSpec("rig server (another process)", outputs=(Port("feedback", "rig/feedback"),)))
    loop = Loop(
        nodes,
        clock,
        bus,
        drops,
        external=external,
        late_threshold_ns=int(spec.late_us * 1e3),
        scheduling=scheduling,
        record=min(spec.max_ticks or 600_000, 3_600_000),
    )
    drive = FreeDrive(loop, vehicle, drops)
    if spec.record is not None:
        drive.recorder = _record(spec.record, drive, bus, clock)
    return drive


def _record(path: Path, drive: FreeDrive, bus: Bus, clock: Clock) -> Recorder:
    """A writer thread behind a bounded queue, closed when the loop stops."""
    from dil.recording.recorder import Recorder

    loop, vehicle = drive.loop, drive.vehicle
    recorder = Recorder(path, lambda: loop.tick * clock.step_ns, threaded=True, chunk_size=256 * 1024)
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
    return recorder


def build_script_driver(
    profile: str, rate_hz: float, bus: Bus, clock: Clock, scheduling: str, late_us: float
) -> Loop:
    """``dil script-driver``: a loop that publishes the profile's driver/input at ``rate_hz`` [Hz]."""
    node = ScriptedDriver(bus, clock, profile, rate_hz=rate_hz)
    return Loop(
        [node],
        clock,
        bus,
        Drops(),
        scheduling=scheduling,
        late_threshold_ns=int(late_us * 1e3),
        publish_status=False,
    )
