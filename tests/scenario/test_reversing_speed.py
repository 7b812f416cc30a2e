"""SpeedAction transitions to and from a negative speed (reversing) run their shape, as in the
reference player (they used to hold 0 and jump at the end)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from .helpers import action, event, scenario, sim_time, speed
from .test_routes_sync_profile import _run, rows


def reversing_scenario(tmp: Path) -> Path:
    """Car at 5 m/s stops in 2 s from 1 s, reverses to -3 m/s in 1 s from 4 s, stops in 2 s from 7 s
    (all sinusoidal); stop at 11 s."""
    events = (
        event("stop", action("stop", speed("0", "sinusoidal", "time", "2")), sim_time("1"))
        + event("back", action("back", speed("-3", "sinusoidal", "time", "1")), sim_time("4"))
        + event("halt", action("halt", speed("0", "sinusoidal", "time", "2")), sim_time("7"))
    )
    return scenario(tmp, events, extra_init=speed("5"), stop=sim_time("11", "end"))


# (t [s], x [m], speed [m/s]) of Car in esmini 77028d83 on the file reversing_scenario writes:
#   esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger out.csv --disable_stdout --disable_log
ESMINI = [
    (2.0, 59.1, 2.539),
    (3.5, 60.02, 0.0),
    (4.3, 59.96, -0.581),
    (4.5, 59.76, -1.453),
    (5.0, 58.54, -2.999),
    (6.5, 54.04, -3.0),
    (7.5, 51.11, -2.577),
    (8.0, 50.08, -1.524),
    (9.5, 49.52, 0.0),
]


def test_reversing_transitions_follow_their_shape(tmp_path):
    car = rows(_run(reversing_scenario(tmp_path)), "Car")
    for t, x, v in ESMINI:
        assert car[t][2] == pytest.approx(x, abs=0.05) and car[t][5] == pytest.approx(v, abs=0.02), t
    speeds = [car[round(4.0 + 0.01 * i, 2)][5] for i in range(500)]
    assert max(abs(b - a) for a, b in itertools.pairwise(speeds)) < 0.1  # no jump [m/s per step]
