"""Relative lane and road positions: where they put an entity and which way it faces (ds: along the
road's s axis plus the orientation; dsLane: the reference lane's direction of travel), and an empty
Act StopTrigger that never stops its act.

Golden values from esmini 77028d83 on tests/scenario/data/relative_heading.xosc:
``esmini --headless --fixed_timestep 0.01 --osc relative_heading.xosc --csv_logger out.csv``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from .helpers import run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# entity: {t [s]: (x [m], y [m], heading [rad], speed [m/s])}, esmini's trace
GOLDEN = {
    "Ego": {0.0: (300.0, 5.25, math.pi, 20.0), 6.0: (180.0, 5.25, math.pi, 20.0)},
    # ds = -50 along s, dLane = -1 by lane id: lane 1, facing +s (against its lane's travel)
    "ByDs": {0.0: (250.0, 1.75, 0.0, 10.0), 3.0: (282.525, 1.75, 0.0, 15.0), 6.0: (340.05, 1.75, 0.0, 20.0)},
    # dsLane = -60 and dLane = 1 along Ego's lane's direction of travel (-s): behind it, on lane 1
    "ByDsLane": {0.0: (360.0, 1.75, math.pi, 10.0), 6.0: (300.0, 1.75, math.pi, 10.0)},
    # RelativeRoadPosition with a relative orientation of pi: against s on lane -2
    "ByRoad": {0.0: (340.0, -7.0, 3.14159, 10.0), 6.0: (280.0, -7.0, 3.14159, 10.0)},
}


@pytest.fixture(scope="module")
def trace():
    result = run_storyboard(DATA / "relative_heading.xosc", max_time=30.0)
    return result, {(r[1], round(r[0], 2)): r for r in result.trace}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_relative_positions_place_and_orient_as_the_reference_player(trace, name):
    _, rows = trace
    for t, (x, y, h, v) in GOLDEN[name].items():
        row = rows[(name, t)]
        assert (row[2], row[3]) == (pytest.approx(x, abs=0.02), pytest.approx(y, abs=0.02)), (name, t)
        assert math.cos(row[4] - h) == pytest.approx(1.0, abs=1e-6), (name, t, row[4])
        assert row[5] == pytest.approx(v, abs=0.01), (name, t)


def test_an_empty_act_stop_trigger_never_stops_the_act(trace):
    result, rows = trace
    # the event at 2 s runs (ByDs speeds up 10 -> 20 m/s over 2 s) and the run ends by its own trigger
    assert rows[("ByDs", 3.0)][5] == pytest.approx(15.0, abs=0.01)
    assert result.end == "stop trigger"
    assert math.isclose(result.trace[-1][0], 6.0, abs_tol=0.02)
