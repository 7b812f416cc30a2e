"""Timed trajectories by following mode, and vertex headings: the same timed Polyline followed in
"follow" mode (one constant acceleration per segment from the entity's speed: no speed jumps; it
stops early where it would have to reverse, then waits) and in "position" mode (one constant speed
per segment); a timed trajectory ends at its last time, not where it reaches its end; an untimed
Polyline whose vertices state a heading makes the entity face that heading.

Golden values from esmini 77028d83 on tests/scenario/data/trajectory_timing.xosc:
``esmini --headless --fixed_timestep 0.01 --osc trajectory_timing.xosc --csv_logger out.csv``.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from .helpers import run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# entity: {t [s]: (x [m], y [m], heading [rad], speed [m/s])}, esmini's trace
GOLDEN = {
    "Follow": {
        3.5: (133.700, -1.750, 0.0, 5.15),
        4.0: (135.000, -1.750, 0.0, 0.15),
        4.5: (135.720, -1.750, 0.0, 2.91),
        5.0: (137.940, -1.750, 0.0, 5.91),
        6.0: (138.000, -1.750, 0.0, 0.0),
        9.0: (138.000, -1.750, 0.0, 0.0),
    },
    "Position": {
        3.5: (132.450, -5.250, 0.0, 5.0),
        4.5: (136.470, -5.250, 0.0, 3.0),
        5.0: (137.970, -5.250, 0.0, 3.0),
        9.0: (138.000, -5.250, 0.0, 0.0),
    },
    "Crab": {
        1.5: (302.441, -5.036, 0.3, 5.0),
        5.0: (319.874, -3.511, 0.3, 5.0),
        9.0: (339.798, -1.768, 0.3, 5.0),
    },
}


@pytest.fixture(scope="module")
def rows():
    result = run_storyboard(DATA / "trajectory_timing.xosc", max_time=30.0)
    return {(r[1], round(r[0], 2)): r for r in result.trace}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_timing_and_headings_as_the_reference_player(rows, name):
    for t, (x, y, h, v) in GOLDEN[name].items():
        row = rows[(name, t)]
        assert math.hypot(row[2] - x, row[3] - y) < 0.01, (name, t, row[2], row[3])
        assert math.cos(row[4] - h) == pytest.approx(1.0, abs=1e-6), (name, t, row[4])
        assert row[5] == pytest.approx(v, abs=0.06), (name, t, row[5])


def test_follow_mode_changes_speed_without_jumps(rows):
    # up to the last moving vertex (at 5 s it reaches 138 m, where the last segment waits: speed 0)
    speeds = [rows[("Follow", round(1.0 + 0.01 * k, 2))][5] for k in range(1, 400)]
    assert max(abs(b - a) for a, b in itertools.pairwise(speeds)) < 0.2
    jumps = [rows[("Position", round(1.0 + 0.01 * k, 2))][5] for k in range(1, 400)]
    assert max(abs(b - a) for a, b in itertools.pairwise(jumps)) > 2.0
