"""LongitudinalDistanceAction without dynamic constraints, started in Init: held at the distance from
t = 0 between reference points (freespace false) or bounding boxes (freespace true), along the road
(coordinateSystem road) or the actor's heading (entity); a relative object position's orientation.

Golden values from esmini 77028d83 on tests/scenario/data/distance_keeping.xosc:
``esmini --headless --fixed_timestep 0.01 --osc distance_keeping.xosc --csv_logger out.csv``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from .helpers import run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# entity: {t [s]: (x [m], y [m], heading [rad])}, esmini's trace
GOLDEN = {
    "Lead": {0.0: (100.0, -1.75, 0.0), 3.0: (162.525, -1.75, 0.0), 6.0: (250.05, -1.75, 0.0)},
    # reference points 5 m apart along s, facing 1.2 rad off the lane (the relative orientation)
    "Side": {0.0: (95.0, -2.25, 1.2), 3.0: (157.5245, -2.25, 1.2), 6.0: (245.05, -2.25, 1.2)},
    # 10 m between the boxes: 14.5 m between reference points of two 4.5 m cars
    "Boxes": {0.0: (85.5, -1.75, 0.0), 3.0: (148.0245, -1.75, 0.0), 6.0: (235.55, -1.75, 0.0)},
}


@pytest.fixture(scope="module")
def rows():
    result = run_storyboard(DATA / "distance_keeping.xosc", max_time=30.0)
    return {(r[1], round(r[0], 2)): r for r in result.trace}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_distance_is_held_as_the_reference_player_holds_it(rows, name):
    for t, (x, y, h) in GOLDEN[name].items():
        row = rows[(name, t)]
        assert (row[2], row[3]) == (pytest.approx(x, abs=0.02), pytest.approx(y, abs=0.02)), (name, t)
        assert math.cos(row[4] - h) == pytest.approx(1.0, abs=1e-6), (name, t, row[4])
