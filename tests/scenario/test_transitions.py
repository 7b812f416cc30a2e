"""StoryboardElementStateCondition: a transition is seen as soon as it happens, once. An event that
waits for its act's start starts with the act; one that waits for another event's end starts in the
step that event ends.

Golden values from esmini 77028d83 on tests/scenario/data/transitions.xosc:
``esmini --headless --fixed_timestep 0.01 --osc transitions.xosc --csv_logger out.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import run_storyboard

DATA = Path(__file__).resolve().parent / "data"

# t [s]: x [m] of Car, esmini's trace: 10 m/s, 30 m/s from the act's start at 1 s, down to 15 m/s from
# 3 s (1.5 s at 10 m/s^2), up to 25 m/s over 2 s from the end of that at 4.5 s
GOLDEN = {
    1.0: 30.0,
    1.01: 30.3,
    3.01: 90.299,
    4.0: 114.95,
    4.5: 123.675,
    5.0: 131.812,
    6.0: 151.838,
    9.0: 226.225,
}


def test_transitions_start_the_waiting_events_in_the_same_step():
    result = run_storyboard(DATA / "transitions.xosc", max_time=30.0)
    starts = {
        name: round(t, 2) for t, kind, name, tr in result.transitions if kind == "event" and tr == "start"
    }
    assert starts == {"go": 1.0, "slow": 3.0, "fast": 4.5}
    rows = {round(r[0], 2): r for r in result.trace if r[1] == "Car"}
    for t, x in GOLDEN.items():
        assert rows[t][2] == pytest.approx(x, abs=0.01), t
