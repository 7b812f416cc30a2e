"""Transition dynamics of SpeedAction, LaneChangeAction and LaneOffsetAction as the standard defines
them (shape f over an extent: a time, a distance, or a rate that is the peak of the change's slope),
and the trace's timing. Golden values are derived from those definitions."""

import itertools
import math

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing

from .helpers import action, event, scenario, sim_time, speed


def _run(path, max_time=20.0):
    return run(RunSpec(ScenarioChoice(path), DriverChoice("none"), timing=Timing(max_time=max_time)))


def _rows(result, name="Car"):
    return [row for row in result.trace if row[1] == name]


def _at(rows, t):
    """The trace row at time t [s], its numbers interpolated between the 10 Hz samples."""
    i = max(k for k, r in enumerate(rows) if r[0] <= t + 1e-9)
    a, b = rows[i], rows[min(i + 1, len(rows) - 1)]
    u = (t - a[0]) / (b[0] - a[0]) if b[0] > a[0] else 0.0
    return tuple(x + u * (y - x) if isinstance(x, float) else x for x, y in zip(a, b, strict=True))


def _lane_change(dim: str, shape: str, value: str, lanes: str = "1") -> str:
    return (
        "<PrivateAction><LateralAction><LaneChangeAction><LaneChangeActionDynamics "
        f'dynamicsShape="{shape}" dynamicsDimension="{dim}" value="{value}"/><LaneChangeTarget>'
        f'<RelativeTargetLane entityRef="Car" value="{lanes}"/></LaneChangeTarget></LaneChangeAction>'
        "</LateralAction></PrivateAction>"
    )


def _lane_offset(shape: str, acc: str, value: str) -> str:
    return (
        '<PrivateAction><LateralAction><LaneOffsetAction continuous="false"><LaneOffsetActionDynamics '
        f'dynamicsShape="{shape}" maxLateralAcc="{acc}"/><LaneOffsetTarget><AbsoluteTargetLaneOffset '
        f'value="{value}"/></LaneOffsetTarget></LaneOffsetAction></LateralAction></PrivateAction>'
    )


START = 1.0
"""When the maneuver's action starts [s] (the first step after 1 s)."""


def _slow_down(tmp_path, shape, dim, value):
    ev = event("e", action("a", speed("10", shape, dim, value)), sim_time(str(START - 0.005)))
    return _run(scenario(tmp_path, ev, extra_init=speed("30")), max_time=12.0)


@pytest.mark.parametrize(
    ("shape", "duration"),
    [("linear", 20.0 / 5.0), ("cubic", 1.5 * 20.0 / 5.0), ("sinusoidal", math.pi * 20.0 / (2 * 5.0))],
)
def test_a_negative_rate_is_a_magnitude_and_the_peak_rate_of_each_shape(tmp_path, shape, duration):
    # 30 -> 10 m/s at a rate of -5 m/s^2: the peak deceleration is 5, the change takes
    # 20 * PEAK_SLOPE / 5 (linear 1, cubic 3/2, sinusoidal pi/2)
    rows = _rows(_slow_down(tmp_path, shape, "rate", "-5"))
    assert _at(rows, START + duration / 2)[5] == pytest.approx(20.0, abs=0.15)
    assert _at(rows, START + duration - 0.3)[5] > 10.05
    assert _at(rows, START + duration + 0.1)[5] == pytest.approx(10.0, abs=1e-6)
    decel = max((a[5] - b[5]) / (b[0] - a[0]) for a, b in itertools.pairwise(rows))
    assert decel == pytest.approx(5.0, abs=0.15)


def test_a_step_shape_changes_the_speed_at_once_whatever_the_dimension(tmp_path):
    rows = _rows(_slow_down(tmp_path, "step", "rate", "-5"))
    assert _at(rows, START + 0.1)[5] == 10.0
    assert _at(rows, START - 0.1)[5] == 30.0


@pytest.mark.parametrize("shape", ["linear", "cubic", "sinusoidal"])
def test_a_distance_is_covered_during_the_transition(tmp_path, shape):
    # 90 m from 30 to 10 m/s: every shape's mean speed is 20 m/s, so it takes 4.5 s
    rows = _rows(_slow_down(tmp_path, shape, "distance", "90"))
    begin, end = _at(rows, START), _at(rows, START + 4.5)
    assert end[5] == pytest.approx(10.0, abs=1e-6)
    assert _at(rows, START + 4.3)[5] > 10.05
    assert end[2] - begin[2] == pytest.approx(90.0, abs=0.3)


@pytest.mark.parametrize(("shape", "mid"), [("linear", 20.0), ("cubic", 20.0), ("sinusoidal", 20.0)])
def test_a_time_dimension_follows_the_shape_over_that_time(tmp_path, shape, mid):
    rows = _rows(_slow_down(tmp_path, shape, "time", "4"))
    assert _at(rows, START + 2.0)[5] == pytest.approx(mid, abs=0.05)
    quarter = {"linear": 25.0, "cubic": 30.0 - 20.0 * 0.15625, "sinusoidal": 30.0 - 20.0 * (1 - 0.5**0.5) / 2}
    assert _at(rows, START + 1.0)[5] == pytest.approx(quarter[shape], abs=0.1)
    assert _at(rows, START + 4.05)[5] == pytest.approx(10.0, abs=1e-6)


def test_the_performance_limit_stretches_a_transition_that_is_too_steep(tmp_path):
    # 20 m/s^2 asked for; the vehicle's maxDeceleration is 10: 2 s instead of 1 s
    rows = _rows(_slow_down(tmp_path, "linear", "rate", "20"))
    assert _at(rows, START + 1.0)[5] == pytest.approx(20.0, abs=0.15)
    assert _at(rows, START + 2.05)[5] == pytest.approx(10.0, abs=1e-6)


def test_the_trace_row_at_t_holds_the_state_at_t(tmp_path):
    # Car starts at s = 50 with 20 m/s: at t it is at 50 + 20 t (not one step further)
    r = _run(scenario(tmp_path, "", extra_init=speed("20")), max_time=3.0)
    rows = _rows(r)
    assert rows[0][0] == 0.0 and rows[0][8] == pytest.approx(50.0, abs=1e-9)
    for t in (0.5, 1.0, 2.0):
        row = _at(rows, t)
        assert row[0] == pytest.approx(t) and row[8] == pytest.approx(50.0 + 20.0 * t, abs=1e-6)


@pytest.mark.parametrize(
    ("shape", "duration"),
    [("linear", 3.5 / 1.0), ("cubic", 1.5 * 3.5 / 1.0), ("sinusoidal", math.pi * 3.5 / 2.0)],
)
def test_a_lane_change_rate_is_the_peak_lateral_speed(tmp_path, shape, duration):
    # from lane -2 to lane -1 (3.5 m to the left) at 1 m/s peak lateral speed, driving at 20 m/s
    ev = event("e", action("a", _lane_change("rate", shape, "1")), sim_time(str(START - 0.005)))
    rows = _rows(_run(scenario(tmp_path, ev, extra_init=speed("20")), max_time=10.0))
    y0 = _at(rows, START)[3]
    assert y0 == pytest.approx(-5.25, abs=1e-6)
    assert _at(rows, START + duration / 2)[3] == pytest.approx(-5.25 + 1.75, abs=0.05)
    assert _at(rows, START + duration - 0.3)[3] < -1.76
    assert _at(rows, START + duration + 0.1)[3] == pytest.approx(-1.75, abs=1e-6)
    lateral = max((b[3] - a[3]) / (b[0] - a[0]) for a, b in itertools.pairwise(rows))
    assert lateral == pytest.approx(1.0, abs=0.03)


def test_a_changing_vehicle_heads_along_its_path_and_keeps_its_world_speed(tmp_path):
    # cubic over 3 s: the lateral speed peaks at 1.5 * 3.5 / 3 = 1.75 m/s halfway
    ev = event("e", action("a", _lane_change("time", "cubic", "3")), sim_time(str(START - 0.005)))
    rows = _rows(_run(scenario(tmp_path, ev, extra_init=speed("20")), max_time=6.0))
    mid = _at(rows, START + 1.5)
    assert mid[4] == pytest.approx(math.asin(1.75 / 20.0), abs=0.005)
    assert _at(rows, START - 0.2)[4] == 0.0 and _at(rows, START + 3.2)[4] == pytest.approx(0.0, abs=1e-9)
    # the path's length is speed * time (the car does not speed up by moving sideways)
    a, b = _at(rows, START), _at(rows, START + 3.2)
    path = sum(
        math.hypot(q[2] - p[2], q[3] - p[3])
        for p, q in itertools.pairwise(rows)
        if a[0] <= p[0] and q[0] <= b[0]
    )
    assert path == pytest.approx(20.0 * 3.2, abs=0.05)


@pytest.mark.parametrize(
    ("shape", "duration"),
    [
        ("cubic", math.sqrt(6 * 1.0 / 0.5)),
        ("linear", math.sqrt(6 * 1.0 / 0.5)),
        ("sinusoidal", math.pi * math.sqrt(1.0 / (2 * 0.5))),
        ("step", 0.0),
    ],
)
def test_lane_offset_duration_follows_max_lateral_acc_for_each_shape(tmp_path, shape, duration):
    # 1 m to the left at a peak lateral acceleration of 0.5 m/s^2
    ev = event("e", action("a", _lane_offset(shape, "0.5", "1")), sim_time(str(START - 0.005)))
    rows = _rows(_run(scenario(tmp_path, ev, extra_init=speed("20")), max_time=8.0))
    if duration:
        assert _at(rows, START + duration / 2)[3] == pytest.approx(-5.25 + 0.5, abs=0.03)
        assert _at(rows, START + duration - 0.3)[3] < -4.26
    assert _at(rows, START + duration + 0.1)[3] == pytest.approx(-4.25, abs=1e-6)
