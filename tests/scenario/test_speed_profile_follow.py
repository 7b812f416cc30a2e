"""SpeedProfileAction followingMode="follow": the entries are followed with the jerk limits
(maxAccelerationRate / maxDecelerationRate), checked against the reference player."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from dil.scenario.speed_profile_follow import follow_plan

from .helpers import action, event, scenario, sim_time, speed
from .test_routes_sync_profile import _run, rows

LIMITS = (
    '<DynamicConstraints maxAcceleration="5" maxDeceleration="10" maxAccelerationRate="4" '
    'maxDecelerationRate="3" maxSpeed="50"/>'
)
SEVERAL = (
    '<SpeedProfileEntry time="0" speed="0"/><SpeedProfileEntry time="4" speed="12"/>'
    '<SpeedProfileEntry time="3" speed="6"/><SpeedProfileEntry time="2.5" speed="9.31"/>'
)
ONE = '<SpeedProfileEntry time="5" speed="15"/>'


def follow_scenario(tmp: Path, entries: str, start_speed: str) -> Path:
    """Car on the highway at ``start_speed`` [m/s]; the profile starts at 1 s; stop at 14 s."""
    profile = action(
        "profile",
        f'<PrivateAction><LongitudinalAction><SpeedProfileAction followingMode="follow">{LIMITS}'
        f"{entries}</SpeedProfileAction></LongitudinalAction></PrivateAction>",
    )
    return scenario(
        tmp,
        event("e", profile, sim_time("1")),
        extra_init=speed(start_speed),
        stop=sim_time("14", "end"),
    )


# (t [s], x [m], speed [m/s]) of Car in esmini 77028d83 on the files follow_scenario writes:
#   esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger out.csv --disable_stdout --disable_log
ESMINI_SEVERAL = [
    (2.0, 54.62, 3.694),
    (4.0, 67.04, 8.694),
    (5.5, 82.29, 10.738),
    (7.0, 96.52, 8.02),
    (8.5, 106.79, 6.649),
    (10.0, 118.26, 8.635),
    (13.0, 146.01, 9.31),
]
ESMINI_ONE = [
    (2.0, 60.61, 6.62),
    (3.0, 68.4, 8.93),
    (4.5, 84.41, 12.4),
    (6.0, 105.41, 15.0),
    (9.0, 150.41, 15.0),
]


@pytest.mark.parametrize(
    ("entries", "start", "golden"), [(SEVERAL, "2", ESMINI_SEVERAL), (ONE, "5", ESMINI_ONE)]
)
def test_follow_mode_agrees_with_the_reference_player(tmp_path, entries, start, golden):
    car = rows(_run(follow_scenario(tmp_path, entries, start)), "Car")
    for t, x, v in golden:
        assert car[t][2] == pytest.approx(x, abs=0.05) and car[t][5] == pytest.approx(v, abs=0.02), t


def test_follow_mode_never_jumps_its_acceleration(tmp_path):
    car = rows(_run(follow_scenario(tmp_path, SEVERAL, "2")), "Car")
    times = [round(1.0 + 0.01 * i, 2) for i in range(1200)]
    accel = [(car[b][5] - car[a][5]) / 0.01 for a, b in itertools.pairwise(times)]
    jerk = [(b - a) / 0.01 for a, b in itertools.pairwise(accel)]
    # the jerk limits (4 up, 3 down [m/s^3]), and an acceleration within 5 / -10 [m/s^2]
    assert max(jerk) <= 4.0 + 0.05 and min(jerk) >= -3.0 - 0.05
    assert max(accel) <= 5.0 + 1e-6 and min(accel) >= -10.0 - 1e-6


def test_follow_plan_meets_a_single_target_in_its_time():
    plan = follow_plan(5.0, 0.0, [(15.0, 5.0)], (5.0, 10.0), (4.0, 3.0))
    assert plan is not None
    assert plan[-1].t == pytest.approx(5.0) and plan[-1].v == pytest.approx(15.0)
    assert [p.j for p in plan] == [4.0, 0.0, -3.0, 0.0]


def test_follow_plan_without_jerk_limits_is_left_to_the_polyline():
    assert follow_plan(0.0, 0.0, [(10.0, 4.0)], (5.0, 10.0), (float("inf"), 3.0)) is None
