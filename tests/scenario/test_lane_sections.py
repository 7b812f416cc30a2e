"""Lane links across lane sections: where a road gains a lane on the inside, a car keeps to its lane
(lane -1 continues as lane -2), following the successor along s and the predecessor against it.

Golden values from esmini 77028d83 on tests/scenario/data/lane_sections.xosc (road
tests/scenario/data/widening.xodr):
``esmini --headless --fixed_timestep 0.01 --osc lane_sections.xosc --csv_logger out.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# entity: {t [s]: (x [m], y [m], lane)}, esmini's trace
GOLDEN = {
    "Up": {
        2.0: (140.0, -1.75, -1),
        3.0: (160.0, -2.114, -2),
        4.0: (180.0, -4.018, -2),
        8.0: (260.0, -5.25, -2),
    },
    "Down": {
        2.0: (200.0, -5.25, -2),
        3.0: (185.0, -4.494, -2),
        4.0: (170.0, -2.982, -2),
        8.0: (110.0, -1.75, -1),
    },
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_a_car_follows_its_lane_across_sections(name):
    result = run_storyboard(DATA / "lane_sections.xosc", max_time=30.0)
    rows = {round(r[0], 2): r for r in result.trace if r[1] == name}
    for t, (x, y, lane) in GOLDEN[name].items():
        row = rows[t]
        assert (row[2], row[3], row[7]) == (pytest.approx(x, abs=0.01), pytest.approx(y, abs=0.01), lane), t
