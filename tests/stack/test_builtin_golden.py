"""The built-in stack against its golden traces: recorded inputs in, the recorded commands and alerts out.

The traces (``tests/stack/data``, written by ``python -m tests.stack.golden``) hold what the stack read
in real runs; here a fresh stack on an in-process bus, with no world, vehicle or scenario, is fed the
same messages tick by tick and must command the same steering wheel angle [rad], throttle and brake
(0..1), and raise the same warning and braking stage.
"""

import math

import pytest

from tests.stack.golden import CASES, load, replay

TOLERANCE = 1e-9
"""Commands from the same inputs agree to rounding [rad of wheel, pedal 0..1]."""


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_stack_commands_what_it_commanded_in_the_recorded_run(case):
    trace = load(case)
    rows = trace["ticks"]
    assert len(rows) > 100 and all(r["command"] is not None for r in rows)
    for row, out in zip(rows, replay(trace), strict=True):
        at = f"{case.name} at t = {row['t_ns'] / 1e9:.3f} s"
        assert out["command"] is not None, at
        named = zip(("steer", "throttle", "brake"), row["command"], out["command"], strict=True)
        for name, want, got in named:
            assert math.isclose(got, want, rel_tol=0.0, abs_tol=TOLERANCE), f"{at}: {name} {got} != {want}"
        assert (out["warning"], out["aeb"]) == (row["warning"], row["aeb"]), at


def test_the_traces_cover_the_stacks_stages():
    """Emergency braking (warning, partial, full) and steering to a target lane are in the traces."""
    stages = {(r["warning"], r["aeb"]) for c in CASES if c.stack == "aeb" for r in load(c)["ticks"]}
    assert {(True, ""), (True, "partial"), (True, "full")} <= stages
    lane = load(CASES[-1])["ticks"]
    assert any(r["target_lane"] is not None for r in lane)
    assert max(abs(r["command"][0]) for r in lane) > 0.1  # it steers [rad]


def test_a_changed_input_changes_the_command():
    """The comparison can fail: a car placed 2 m closer in the AEB trace brakes earlier or harder."""
    trace = load(CASES[0])
    before = replay(trace)
    for row in trace["ticks"]:
        for obj in row["inputs"].get("objects", {}).get("objects", []):
            obj["x"] -= 2.0
    after = replay(trace)
    assert [o["command"] for o in after] != [o["command"] for o in before]
