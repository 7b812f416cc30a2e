"""TimeHeadwayCondition: undefined while the referenced entity is behind (no rule holds, so
``greaterThan`` does not fire at the start), then the bounding boxes' distance along s over the
triggering entity's speed.

Golden values from esmini 77028d83 on tests/scenario/data/headway.xosc:
``esmini --headless --fixed_timestep 0.01 --osc headway.xosc --csv_logger out.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# t [s]: (x [m], speed [m/s]) of Ego; Car passes it at 3 s and is 1.2 s ahead (box to box) at 4.65 s,
# where Ego starts to speed up from 10 to 16 m/s over 2 s
GOLDEN = {
    3.0: (80.0, 10.0),
    5.0: (100.2, 11.08),
    6.0: (112.795, 14.08),
    7.0: (128.19, 16.0),
    10.0: (176.19, 16.0),
}


def test_headway_is_undefined_behind_and_fires_when_the_car_is_ahead():
    result = run_storyboard(DATA / "headway.xosc", max_time=30.0)
    starts = [round(t, 2) for t, kind, name, tr in result.transitions if kind == "event" and tr == "start"]
    assert starts == [pytest.approx(4.65, abs=0.011)]
    rows = {round(r[0], 2): r for r in result.trace if r[1] == "Ego"}
    for t, (x, v) in GOLDEN.items():
        assert (rows[t][2], rows[t][5]) == (pytest.approx(x, abs=0.1), pytest.approx(v, abs=0.05)), t


def test_without_freespace_the_default_distance_is_euclidean_between_reference_points(tmp_path):
    # the same file with freespace="false" (esmini 77028d83 on it: Ego speeds up from 4.15 s): 11.5 m
    # along s and 3.5 m across, 12.0 m apart, is 1.2 s at 10 m/s
    text = (DATA / "headway.xosc").read_text().replace('freespace="true"', 'freespace="false"')
    road = (DATA / "../../../scenarios/roads/highway.xodr").resolve()
    path = tmp_path / "headway.xosc"
    path.write_text(text.replace("../../../scenarios/roads/highway.xodr", str(road)))
    result = run_storyboard(path, max_time=30.0)
    starts = [round(t, 2) for t, kind, name, tr in result.transitions if kind == "event" and tr == "start"]
    assert starts == [pytest.approx(4.15, abs=0.011)]
