"""LongitudinalDistanceAction with dynamic constraints: a time gap closed from behind within the
acceleration limits and their rates (maxAccelerationRate / maxDecelerationRate bound how fast an
acceleration or a deceleration builds up), the gap measured on the state before anyone moves.

Golden values from esmini 77028d83 on tests/scenario/data/distance_jerk.xosc:
``esmini --headless --fixed_timestep 0.01 --osc distance_jerk.xosc --csv_logger out.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# t [s]: (x [m], speed [m/s]) of the follower, esmini's trace
GOLDEN = {
    2.0: (64.137, 22.404),
    4.0: (111.636, 25.612),
    6.0: (165.159, 26.201),
    8.0: (212.066, 19.893),
    10.0: (243.811, 11.893),
    12.0: (259.581, 4.143),
    15.0: (273.814, 6.751),
    20.0: (335.696, 14.677),
    25.0: (397.518, 11.988),
}


def test_the_follower_closes_the_gap_as_the_reference_player_does():
    result = run_storyboard(DATA / "distance_jerk.xosc", max_time=30.0)
    rows = {round(r[0], 2): r for r in result.trace if r[1] == "Follower"}
    for t, (x, v) in GOLDEN.items():
        assert (rows[t][2], rows[t][5]) == (pytest.approx(x, abs=0.01), pytest.approx(v, abs=0.01)), t


# the same file with the cars' Performance at maxAcceleration 1.5, maxDeceleration 3 m/s^2 (esmini
# 77028d83 on it): the action's constraints (2.5 and 4 m/s^2) are cut to the vehicle's
LIMITED = {
    4.0: (111.441, 25.101),
    6.0: (162.625, 24.749),
    8.0: (206.764, 19.129),
    10.0: (238.992, 13.129),
    12.0: (259.22, 7.129),
    15.0: (280.227, 8.539),
    20.0: (337.243, 12.21),
}


def test_the_constraints_never_exceed_the_vehicles_performance(tmp_path):
    text = (DATA / "distance_jerk.xosc").read_text()
    text = text.replace(
        'maxAcceleration="10" maxDeceleration="10"', 'maxAcceleration="1.5" maxDeceleration="3"'
    )
    road = (DATA / "../../../scenarios/roads/highway.xodr").resolve()
    path = tmp_path / "distance_jerk.xosc"
    path.write_text(text.replace("../../../scenarios/roads/highway.xodr", str(road)))
    result = run_storyboard(path, max_time=30.0)
    rows = {round(r[0], 2): r for r in result.trace if r[1] == "Follower"}
    for t, (x, v) in LIMITED.items():
        assert (rows[t][2], rows[t][5]) == (pytest.approx(x, abs=0.01), pytest.approx(v, abs=0.01)), t
