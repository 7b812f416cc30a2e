"""A scenario driven in real time (``dil drive SCENARIO``, and each run the console starts): the run
the spec describes, built by :mod:`dil.run.build`, with Ctrl-C and SIGTERM ending it as an aborted
run, its result written to its folder.

The caller compiles the kernels first (:func:`dil.kernels.warm`, so that a cold cache does not
compile inside the 1 kHz loop) and adds the console's run control through ``controls``.
"""

from __future__ import annotations

import signal as signals
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dil.bus.transport import Bus
    from dil.realtime.loop import Loop
    from dil.run.runner import RunResult
    from dil.run.spec import RunSpec


@dataclass(frozen=True)
class DrivenRun:
    """A finished scenario drive: its result, written to :attr:`out`, and whether Ctrl-C ended it."""

    result: RunResult
    out: Path
    interrupted: bool
    """SIGINT arrived during the run (the result says aborted, with the signal's name)."""


def drive_scenario(
    spec: RunSpec,
    bus: Bus,
    out: Path,
    *,
    controls: Callable[[Loop], None] | None = None,
    foxglove_port: int | None = None,
) -> DrivenRun:
    """Run ``spec`` on ``bus`` to its end, a signal or the operator's stop; write ``out/result.json``
    and ``out/trace.csv``. ``controls``: called with the loop before it runs (after the signal
    handlers), e.g. to obey the console. ``foxglove_port``: also serve the run live to Foxglove."""
    from dil.recording.foxglove_live import serve_live
    from dil.run.results import write_result
    from dil.run.runner import run
    from dil.scenario.engine import ScenarioNode
    from dil.scenario.loader import load as load_scenario

    scenario = spec.scenario.path
    signalled: list[int] = []

    def on_loop(loop: Loop) -> None:
        engine = next(n for n in loop.nodes if isinstance(n, ScenarioNode))

        def stop(signum: int, frame: object) -> None:
            signalled.append(signum)
            engine.abort(f"interrupted ({signals.Signals(signum).name})")  # an aborted run, said why
            loop.stop_requested = True

        for sig in (signals.SIGINT, signals.SIGTERM):
            signals.signal(sig, stop)
        if controls is not None:
            controls(loop)
        # the console's header and road view: which scenario, which run
        loop.status_extra = {
            "scenario": scenario.stem,
            "scenario_file": str(scenario.resolve()),
            "run_id": out.name,
        }

    with serve_live(bus, lambda: load_scenario(scenario).road_file, foxglove_port):
        result = run(spec, bus=bus, on_loop=on_loop)
    write_result(result, out, spec)
    return DrivenRun(result, out, signals.SIGINT in signalled)
