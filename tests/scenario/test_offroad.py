"""OffroadCondition: the reference point beside the road's lanes, for a duration counted from the first
step off. A car standing across the outer lane (its box centre beside the road, its reference point on
it) is not off road; placed beside the road at 3 s, it changes back 1.2 s later.

Golden values from esmini 77028d83 on tests/scenario/data/offroad.xosc:
``esmini --headless --fixed_timestep 0.01 --osc offroad.xosc --csv_logger out.csv``.
A teleport shows in esmini's log one step (0.2 m at 20 m/s) later than in dil's trace, hence the
tolerance along x.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# t [s]: (x [m], y [m]) from esmini's log; the lane change back (cubic, 3 s) starts at 4.21 s
GOLDEN = {
    2.5: (100.0, -10.0),
    5.0: (189.759, -10.244),
    6.0: (209.558, -7.420),
    7.0: (229.440, -5.342),
    9.0: (269.438, -5.25),
}


@pytest.fixture(scope="module")
def result():
    return run_storyboard(DATA / "offroad.xosc", max_time=30.0)


def test_off_road_counts_the_reference_point_and_the_time_off(result):
    starts = {
        name: round(t, 2) for t, kind, name, tr in result.transitions if kind == "event" and tr == "start"
    }
    assert starts["back"] == pytest.approx(4.21, abs=0.011)


def test_positions_match_the_reference_player(result):
    rows = {round(r[0], 2): r for r in result.trace if r[1] == "Car"}
    for t, (x, y) in GOLDEN.items():
        assert (rows[t][2], rows[t][3]) == (pytest.approx(x, abs=0.25), pytest.approx(y, abs=0.05)), t
