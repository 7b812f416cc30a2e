"""The runtime's side of the console, composed with a loop: a run obeys the operator
(:func:`obey_console`), and a runtime started with ``--console`` runs each scenario the console starts,
one at a time (:func:`serve_console_runs`).

What a run is belongs to the caller (``run_one``): the console does not depend on ``dil drive``.
"""

from __future__ import annotations

import logging
import signal as signals
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import CONSOLE_COMMAND

from .run_control import RunHost, install

if TYPE_CHECKING:
    from dil.bus.transport import Bus
    from dil.realtime.loop import Loop

log = logging.getLogger("dil.console")

RunOne = Callable[[Path, dict[str, str], Path, bool, Inbox], object]
"""Runs one started scenario: (scenario file, its parameters, its results folder, whether the
operator chose to run without motion, the console's command inbox)."""


def obey_console(loop: Loop, inbox: Inbox) -> None:
    """The operator's pause, resume, stop and e-stop reach this run (a stop or e-stop aborts the
    scenario with the operator's reason); while paused the rig's command stream goes on (holding the
    pose), so that its watchdog does not trip."""
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


def serve_console_runs(
    bus: Bus,
    catalog: Path,
    out_dir: Path,
    run_one: RunOne,
    *,
    rig: bool,
    on_ready: Callable[[], None] = lambda: None,
) -> int:
    """Wait for the console's ``start``, run that scenario of ``catalog`` (results in
    ``out_dir/NAME-YYYYmmdd-HHMMSS/``), and again, until SIGINT or SIGTERM; returns the exit status (0).
    A bad start or a failed run is logged and does not end the host. ``rig``: this runtime cues a
    rig (a start with motion needs it ready). ``on_ready``: called once the host listens."""
    from .commands import parse_start

    host = RunHost(bus, Inbox(bus.subscriber(CONSOLE_COMMAND.topic), Drops()), rig=rig)

    def stop(signum: int, frame: object) -> None:
        host.stop_requested = True

    for sig in (signals.SIGINT, signals.SIGTERM):
        signals.signal(sig, stop)
    on_ready()
    while (argument := host.wait_for_start()) is not None:
        try:
            name, params = parse_start(argument)
            scenario = catalog / f"{name}.xosc"
            if not scenario.is_file():
                raise ValueError(f"no scenario {name!r} in {catalog}")
            out = out_dir / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
            run_one(scenario, params, out, host.no_motion, host.inbox)
        except Exception:  # a bad start or a failed run must not end the host
            log.exception("the run %r did not happen or failed", argument)
        for sig in (signals.SIGINT, signals.SIGTERM):  # a run installs its own handlers
            signals.signal(sig, stop)
    return 0
