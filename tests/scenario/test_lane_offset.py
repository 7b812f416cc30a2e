"""LaneOffsetAction: the entity keeps its speed along the lane while it moves sideways (the sideways
motion comes on top), each shape takes the time that makes its peak lateral acceleration
maxLateralAcc, as in the reference player."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import action, event, run_storyboard, scenario, sim_time, speed

# golden values: esmini 77028d83 on the file offset_scenario writes:
#   esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger es.csv --logfile_path log.txt
# event transitions from its log; Car's reference point x, y [m] and heading [rad] from es.csv
ESMINI_EVENTS = {"out": (1.01, 3.07), "back": (3.08, 6.08)}
ESMINI_CAR = [
    (1.5, 65.0, -4.864543, 0.152161),
    (2.0, 70.0, -3.860632, 0.224648),
    (2.5, 75.0, -2.795262, 0.174917),
    (3.0, 80.0, -2.260271, 0.026762),
    (3.5, 85.0, -2.402784, -0.070675),
    (4.0, 90.0, -2.91064, -0.12612),
    (5.0, 100.0, -4.349684, -0.137912),
    (6.0, 110.0, -5.242062, -0.017458),
    (7.5, 125.0, -5.25, 0.0),
]


def _offset(value: str, shape: str, acc: str) -> str:
    return (
        '<PrivateAction><LateralAction><LaneOffsetAction continuous="false"><LaneOffsetActionDynamics '
        f'dynamicsShape="{shape}" maxLateralAcc="{acc}"/><LaneOffsetTarget><AbsoluteTargetLaneOffset '
        f'value="{value}"/></LaneOffsetTarget></LaneOffsetAction></LateralAction></PrivateAction>'
    )


def _after(ref: str) -> str:
    return (
        '<Condition name="after" delay="0" conditionEdge="rising"><ByValueCondition>'
        f'<StoryboardElementStateCondition storyboardElementType="event" storyboardElementRef="{ref}" '
        'state="endTransition"/></ByValueCondition></Condition>'
    )


def offset_scenario(tmp: Path) -> Path:
    """Car at 10 m/s in lane -2: from 1 s it moves 3 m to the left of its lane's centre (sinusoidal,
    3.5 m/s^2 at most), then back to the centre (cubic, 2 m/s^2 at most)."""
    events = event("out", action("o", _offset("3", "sinusoidal", "3.5")), sim_time("1")) + event(
        "back", action("b", _offset("0", "cubic", "2")), _after("out")
    )
    return scenario(tmp, events, extra_init=speed("10"), stop=sim_time("8", "end"))


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = offset_scenario(tmp_path_factory.mktemp("offset"))
    return run_storyboard(path, max_time=30.0)


def test_each_offset_takes_the_time_of_its_shape(result):
    times: dict[str, list[float]] = {}
    for t, kind, name, transition in result.transitions:
        if kind == "event" and transition in ("start", "end"):
            times.setdefault(name, []).append(round(t, 2))
    assert {n: tuple(v) for n, v in times.items()} == ESMINI_EVENTS


def test_the_speed_along_the_lane_is_kept_while_moving_sideways(result):
    car = {round(r[0], 2): r for r in result.trace if r[1] == "Car"}
    for t, x, y, h in ESMINI_CAR:
        row = car[t]
        assert (row[2], row[3]) == (pytest.approx(x, abs=0.02), pytest.approx(y, abs=0.02)), t
        assert row[4] == pytest.approx(h, abs=0.01), t
        assert row[5] == pytest.approx(10.0), t
