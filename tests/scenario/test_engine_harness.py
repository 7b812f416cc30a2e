"""The scenario engine stepped alone (tests/scenario/engine_harness.py): storyboards and stop triggers
checked with no vehicle, stack or loop in the way."""

import math

import pytest

from tests.scenario.engine_harness import EngineHarness
from tests.scenario.helpers import CATALOG


def test_the_storyboard_moves_every_entity_at_the_engines_rate():
    h = EngineHarness(CATALOG / "ccrm.xosc")
    h.step(200)  # 2 s at 100 Hz
    assert h.ended == ""
    for name, track in h.tracks.items():
        assert [s.t for s in track[:3]] == pytest.approx([0.0, 0.01, 0.02]), name
        moved = math.hypot(track[-1].x - track[0].x, track[-1].y - track[0].y)
        # CCRm: the ego at 50 km/h, the target at 20 km/h, both on the storyboard's speeds
        want = {"Ego": 50 / 3.6, "Target": 20 / 3.6}[name] * 1.99
        assert moved == pytest.approx(want, rel=0.02), name


def test_an_ego_moved_by_the_test_ends_the_run_by_its_standstill_trigger():
    """CCRs stops when the ego has stood still for 1 s: the test brakes the ego to a stop at 2 s."""
    start = EngineHarness(CATALOG / "ccrs.xosc").scenario.entities["Ego"]
    yaw0, v0 = start.yaw, 10.0
    # the box centre
    x0, y0 = start.x + start.centre_x * math.cos(yaw0), start.y + start.centre_x * math.sin(yaw0)

    def ego(t):  # a uniform deceleration from v0 to a stop at 2 s [m, rad, m/s, m/s^2]
        tt = min(t, 2.0)
        travelled = v0 * tt - 0.25 * v0 * tt * tt
        speed = max(v0 * (1.0 - t / 2.0), 0.0)
        return x0 + travelled * math.cos(yaw0), y0 + travelled * math.sin(yaw0), yaw0, speed, -v0 / 2.0

    h = EngineHarness(CATALOG / "ccrs.xosc", ego=ego)
    assert h.run(10.0) == "stop trigger"
    ended = h.tracks["Ego"][-1].t
    assert ended == pytest.approx(3.0, abs=0.03)  # 2 s to stop, then 1 s standing still
    assert h.tracks["Ego"][-1].speed == 0.0
    last = h.tracks["Ego"][-1]  # where the test put it: 10 m on (the reference point, not the box centre)
    want = (start.x + 10.0 * math.cos(yaw0), start.y + 10.0 * math.sin(yaw0))
    assert (last.x, last.y) == pytest.approx(want)
