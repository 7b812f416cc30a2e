"""The time guard of a run (``--max-time``): how long a run may last in simulated time, and what it
means when the guard ends it.

A scenario with a stop trigger says itself when it ends: the default guard lies beyond the
latest simulation time any condition of its storyboard waits for (its stop trigger's
``SimulationTimeCondition``, a timed event), and a run the guard cuts before the stop trigger
fired is ``incomplete``. A scenario without a stop trigger ends when its stories complete, and
otherwise only by time: the guard is its length, and reaching it is a normal end.
"""

from __future__ import annotations

import math

from dil.scenario.loader import Scenario
from dil.scenario.xml import Reader, load_xml

FLOOR_S = 120.0
"""The default guard is never shorter than this [s] (the guard before it was derived)."""
MARGIN_S = 10.0
"""At least this much [s] beyond the latest time a condition waits for..."""
MARGIN_FRACTION = 0.25
"""...or this fraction of that time, whichever is longer."""
CEILING_S = 1e6
"""The default guard is never longer than this [s] (11.6 days: a time condition of 1e300 s, or
an infinite one, must not make a run that never ends)."""


def latest_condition_time(scen: Scenario) -> float:
    """The latest simulation time [s] (plus the condition's delay) that any SimulationTimeCondition
    of the storyboard waits for; 0 when there is none."""
    root = load_xml(scen.source)
    r = Reader(str(scen.source), scen.params)
    latest = 0.0
    for el in root.iterfind(".//Storyboard//SimulationTimeCondition"):
        condition = next((a for a in el.iterancestors() if a.tag == "Condition"), None)
        delay = r.num(condition, "delay", 0.0) if condition is not None else 0.0
        latest = max(latest, r.num(el, "value") + delay)
    return latest


def default_max_time(scen: Scenario) -> float:
    """The guard when ``--max-time`` is not given [s]: never shorter than the scenario's timed
    conditions with a margin, nor than :data:`FLOOR_S`."""
    t = latest_condition_time(scen)
    if not math.isfinite(t):
        return CEILING_S
    return min(CEILING_S, max(FLOOR_S, t + max(MARGIN_S, MARGIN_FRACTION * t)))


def guard_cut_is_incomplete(scen: Scenario) -> bool:
    """Whether a run that reaches the guard was cut short: true when the storyboard has a stop
    trigger (it says when it ends), false when it ends only by its stories or by time."""
    return scen.storyboard.stop_trigger is not None
