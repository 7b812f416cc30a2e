"""What an engine step costs in Python when nothing changes, and the delayed edges that a quiet step
keeps short (only the true values of a delayed edge are held until they are delivered)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.scenario.engine_harness import EngineHarness
from tests.scenario.helpers import CATALOG, action, event, scenario, sim_time, speed

DIL = str(Path(__file__).resolve().parents[2] / "dil")


def _calls(h: EngineHarness, steps: int, counted) -> int:
    """Python function calls (frames for which ``counted(frame)`` holds) over ``steps`` engine steps."""
    calls = [0]

    def count(frame, event, arg):
        if event == "call" and counted(frame):
            calls[0] += 1

    sys.setprofile(count)
    try:
        h.step(steps)
    finally:
        sys.setprofile(None)
    return calls[0]


def _dil_calls_per_step(h: EngineHarness, steps: int) -> float:
    """Python function calls into dil's own code per engine step, over ``steps`` steps (C calls and
    the harness's own bookkeeping not counted)."""
    return _calls(h, steps, lambda frame: frame.f_code.co_filename.startswith(DIL)) / steps


def test_a_quiet_step_makes_few_python_calls():
    """CCRs with the storyboard alone, once both cars cruise and only the stop trigger's three
    conditions are looked at: no storyboard walk, no settling, no test of a condition that cannot
    hold yet (each skipped by its guard's one comparison), the two cars' lane steps in one kernel
    call and their poses in one world call."""
    h = EngineHarness(CATALOG / "ccrs.xosc")
    h.step(500)
    assert h.ended == ""
    per_step = _dil_calls_per_step(h, 100)
    assert h.ended == ""
    assert per_step <= 12, f"{per_step:.1f} Python calls per quiet engine step"


def test_a_delayed_edge_fires_once_its_delay_after_the_edge(tmp_path):
    """Rising and falling edges with a delay: each starts its event the delay after the edge, once,
    although the condition stays as it is afterwards."""
    events = event(
        "rise", action("a", speed("20")), sim_time("1.0", name="up", delay="0.5"), count=1
    ) + event(
        "fall",
        action("b", speed("10")),
        sim_time("2.0", name="down", edge="falling", rule="lessThan", delay="0.25"),
        priority="parallel",
    )
    h = EngineHarness(scenario(tmp_path, events))
    h.run(4.0)
    # true from the step after 1.0 s, seen 0.5 s later; false from 2.0 s (lessThan), seen 0.25 s later
    assert h.started_at("rise") == pytest.approx(1.51, abs=1e-9)
    assert h.started_at("fall") == pytest.approx(2.25, abs=1e-9)
    starts = [(t, name) for t, _kind, name, transition in h.transitions() if transition == "start"]
    assert [name for _t, name in starts].count("rise") == 1
    assert [name for _t, name in starts].count("fall") == 1


class _Forgetful(dict):
    """A lane-step memory that finds nothing: every step goes to the kernel."""

    def get(self, key, default=None):
        return default


def test_a_standing_entity_takes_its_last_lane_step_again():
    """CCRs's target stands in its lane: after its first step the Python path takes its last step's
    result again instead of asking the kernel, and every entity's track is the kernel's to the bit."""
    kept = EngineHarness(CATALOG / "ccrs.xosc", compiled=False)
    kept.run(3.0)
    asked = EngineHarness(CATALOG / "ccrs.xosc", compiled=False)
    asked.engine._lane_memo = _Forgetful()
    asked.run(3.0)
    assert set(kept.engine._lane_memo) == {"Target"}
    assert kept.tracks == asked.tracks
    assert kept.transitions() == asked.transitions()


def _walks(h: EngineHarness, steps: int) -> int:
    """How many times the storyboard walked through its stories in ``steps`` engine steps."""
    return _calls(h, steps, lambda frame: frame.f_code.co_name == "_story")


def test_a_waiting_event_is_looked_at_without_a_walk_through_the_stories():
    """The ALKS cut-in before the cut-in: its event waits for the gap to close, no action runs and no
    act waits or has a stop trigger; its trigger is looked at each step, the stories are not walked
    until it fires, and then the cut-in starts as before."""
    h = EngineHarness(CATALOG / "alks_cutin.xosc")
    h.step(50)
    assert h.started_at("event") is None
    assert _walks(h, 100) == 0
    h.run(25.0)
    assert h.started_at("event") is not None
