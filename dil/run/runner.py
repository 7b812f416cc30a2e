"""One run of a scenario: build it (:mod:`dil.run.build`), run its loop, score it.

:func:`run` takes a typed :class:`~dil.run.spec.RunSpec`; the bus, the progress callback and the loop
hook are not part of the run's description and are given beside it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .criteria import Criteria, judge
from .guard import guard_cut_is_incomplete
from .outcome import aborted_verdict, outcome_of
from .stacks import STACKS, StackEntry

if TYPE_CHECKING:
    from dil.bus.transport import Bus
    from dil.realtime.loop import Loop
    from dil.scenario.loader import Scenario

    from .build import BuiltRun
    from .reuse import Reuse
    from .spec import RunSpec


@dataclass
class RunResult:
    scenario: Scenario
    kpis: dict
    verdict: dict
    trace: list[tuple]
    end: str
    simulated_s: float
    wall_s: float
    transitions: list[tuple[float, str, str, str]]
    max_time: float = 0.0
    """The time guard the run ran under [s]."""
    loop_cpu_s: float = 0.0
    """CPU time of this process in the loop [s] (``wall_s`` is its wall time)."""

    @property
    def passed(self) -> bool:
        return bool(self.verdict["passed"])

    @property
    def outcome(self) -> str:
        """pass, fail, aborted or incomplete (:mod:`dil.run.outcome`)."""
        return outcome_of(self.verdict)

    @property
    def realtime_factor(self) -> float:
        return self.simulated_s / self.wall_s if self.wall_s > 0 else math.inf


def run(
    spec: RunSpec,
    *,
    bus: Bus | None = None,
    progress: Callable[[float, float], None] | None = None,
    on_loop: Callable[[Loop], None] | None = None,
    stacks: Mapping[str, StackEntry] = STACKS,
    reuse: Reuse | None = None,
) -> RunResult:
    """Build the run, play it to its end (or the time guard), judge it. ``on_loop``: called with the
    loop before it runs (to install signal handlers). ``reuse``: set-up parts shared with earlier runs
    of this process (:class:`dil.run.reuse.Reuse`)."""
    from .build import build

    with build(spec, bus=bus, progress=progress, stacks=stacks, reuse=reuse) as built:
        if on_loop is not None:
            on_loop(built.loop)
        return play(built)


def play(built: BuiltRun) -> RunResult:
    """Run a built run's loop and score it; the recorder and the OSI writer are closed on any end."""
    spec, loop, engine, kpi = built.spec, built.loop, built.engine, built.kpi
    recorder, osi, max_time = built.recorder, built.osi, built.max_time
    t0, cpu0 = time.perf_counter(), time.process_time()
    limit_ticks = round(max_time * 1000)
    try:
        report = loop.run(limit_ticks)
    except BaseException as e:
        if osi is not None:
            osi.close()
        if recorder is not None:
            why = "interrupted" if isinstance(e, KeyboardInterrupt) else f"error: {type(e).__name__}: {e}"
            recorder.close({"end": why, "verdict": json.dumps(aborted_verdict(why))})
        raise
    wall, loop_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if osi is not None:
        osi.close()  # before the recorder: its last frames go into the log
    t_end = report.t_sim_ns * 1e-9
    aborted = incomplete = ""
    if report.error:  # a node failed: the loop stopped safely, the run proves nothing
        aborted = end = f"error in the loop: {report.error}"
    elif engine.aborted:
        aborted = end = engine.aborted
    elif engine.ended:
        end = engine.ended
    elif report.ticks >= limit_ticks:
        end = f"time limit {max_time:g} s"
        if guard_cut_is_incomplete(built.scenario):
            incomplete = (
                f"the time guard (--max-time {max_time:g} s) ended the run before the scenario's stop trigger"
            )
    else:  # stopped from outside (a signal) with no reason given
        aborted = end = "interrupted"
    kpi.kpis.end = end
    driving = built.driving
    if built.watch is not None:
        kpi.kpis.driver_seat = True
        kpi.kpis.no_driver_s = round(built.watch.no_driver_s, 3)
    elif driving.no_driver_s is not None:  # a driver who took over and then let go
        kpi.kpis.no_driver_s = round(driving.no_driver_s(), 3)
    verdict = judge(
        kpi.kpis,
        spec.criteria or Criteria.for_scenario(spec.scenario.path),
        timed_out=not engine.ended,
        aborted=aborted,
        incomplete=incomplete,
    )
    if recorder is not None:
        recorder.close(
            {
                "end": end,
                "verdict": json.dumps(verdict),
                "kpis": json.dumps(kpi.kpis.as_dict()),
                "cruise_speeds": json.dumps(driving.cruise_log),
            }
        )
    kpis: dict[str, Any] = kpi.kpis.as_dict()
    kpis.update(driving.kpis())
    kpis.update(built.world.kpis())
    if spec.timing.realtime and built.world_node.sensors:
        kpis["sensor_frames_dropped"] = built.world_node.sensor_frames_dropped
    return RunResult(
        built.scenario, kpis, verdict, built.trace.rows, end, t_end, wall, engine.log, max_time, loop_cpu
    )
