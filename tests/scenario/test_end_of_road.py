"""EndOfRoadCondition: the time at the end of the network counts from the step that reaches it and
restarts when the entity is placed anew; two events whose start triggers hold in the same step both
start, whatever the first one's action changes; a teleport started at t puts the entity there at
t + dt (at t it is still where it was).

Golden values from esmini 77028d83 on tests/scenario/data/end_of_road.xosc:
``esmini --headless --fixed_timestep 0.01 --osc end_of_road.xosc --csv_logger out.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# t [s]: (x [m], speed [m/s]); the car reaches the end (1200 m) at 2.51 s and 9.27 s and is put back
# at 1100 m 1.5 s later: the events start at 4.01 s and 10.77 s (esmini's log), the car is there
# from 4.02 s and 10.78 s; the speed event starts with the teleport
GOLDEN = {
    3.0: (1200.0, 0.0),
    4.01: (1200.0, 0.0),
    4.02: (1100.0, 0.0),
    5.0: (1104.851, 9.8),
    6.0: (1119.701, 19.8),
    8.0: (1168.375, 25.0),
    9.27: (1200.0, 25.0),
    10.77: (1200.0, 0.0),
    10.78: (1100.0, 0.0),
    14.0: (1149.375, 25.0),
}


@pytest.fixture(scope="module")
def result():
    return run_storyboard(DATA / "end_of_road.xosc", max_time=30.0)


def test_end_of_road_times_and_positions_match_the_reference_player(result):
    rows = {round(r[0], 2): r for r in result.trace if r[1] == "Car"}
    for t, (x, v) in GOLDEN.items():
        if t == 9.27:  # esmini logs its speed before the end stops it; dil logs it stopped
            assert rows[t][2] == pytest.approx(x, abs=0.01), t
            continue
        assert (rows[t][2], rows[t][5]) == (pytest.approx(x, abs=0.01), pytest.approx(v, abs=0.01)), t


def test_events_triggered_in_the_same_step_start_together(result):
    starts = [
        (round(t, 2), name) for t, kind, name, tr in result.transitions if kind == "event" and tr == "start"
    ]
    assert starts == [(4.01, "back"), (4.01, "again"), (10.77, "back"), (10.77, "again")]
