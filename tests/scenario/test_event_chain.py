"""Events that wait for another event's end (StoryboardElementStateCondition endTransition): an action
completed by the motion of a step (a speed or lane change reaching its target, a lane offset, the end
of a trajectory) ends in that step, and the event waiting for it starts in the next one, as in the
reference player, so a chain of such events keeps esmini's timing."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import action, event, run_storyboard, scenario, sim_time, speed

# golden values: esmini 77028d83 on the file chain_scenario writes:
#   esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger es.csv --logfile_path log.txt
# event transitions from its log; Car's reference point x, y [m], speed [m/s], heading [rad] from es.csv
ESMINI_EVENTS = {
    "accel": (1.01, 3.0),
    "change": (3.01, 6.0),
    "offset": (6.01, 7.12),
    "decel": (7.13, 9.12),
    "path": (9.13, 15.13),
    "last": (15.14, 15.14),
}
ESMINI_CAR = [
    (2.0, 72.475, -5.25, 14.95, 0.0),
    (4.5, 119.888192, -3.518326, 20.0, 0.091738),
    (6.5, 159.823861, -1.552885, 20.0, 0.034541),
    (8.0, 187.909861, -1.25, 15.65, 0.0),
    (12.0, 231.05793, -0.793864, 10.0, 0.021936),
    (15.5, 267.8405, -1.752221, 15.0, 6.249864 - 6.283185),
]


def _after(ref: str) -> str:
    return (
        '<Condition name="after" delay="0" conditionEdge="rising"><ByValueCondition>'
        f'<StoryboardElementStateCondition storyboardElementType="event" storyboardElementRef="{ref}" '
        'state="endTransition"/></ByValueCondition></Condition>'
    )


def _lateral(body: str) -> str:
    return f"<PrivateAction><LateralAction>{body}</LateralAction></PrivateAction>"


LANE_CHANGE = _lateral(
    '<LaneChangeAction><LaneChangeActionDynamics dynamicsShape="sinusoidal" dynamicsDimension="time" '
    'value="3"/><LaneChangeTarget><AbsoluteTargetLane value="-1"/></LaneChangeTarget></LaneChangeAction>'
)
LANE_OFFSET = _lateral(
    '<LaneOffsetAction continuous="false"><LaneOffsetActionDynamics dynamicsShape="sinusoidal" '
    'maxLateralAcc="2"/><LaneOffsetTarget><AbsoluteTargetLaneOffset value="0.5"/></LaneOffsetTarget>'
    "</LaneOffsetAction>"
)
VERTICES = "".join(
    f'<Vertex><Position><RelativeLanePosition dLane="0" ds="{ds}" entityRef="Car" offset="{o}"/>'
    "</Position></Vertex>"
    for ds, o in ((0, 0), (30, 1), (60, 0))
)
TRAJECTORY = (
    '<PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory closed="false" name="p"><Shape>'
    f"<Polyline>{VERTICES}</Polyline></Shape></Trajectory><TimeReference><None/></TimeReference>"
    '<TrajectoryFollowingMode followingMode="position"/></FollowTrajectoryAction></RoutingAction>'
    "</PrivateAction>"
)


def chain_scenario(tmp: Path) -> Path:
    """Car at 10 m/s: from 1 s it speeds up to 20 m/s in 2 s, then changes lane in 3 s, then moves
    0.5 m left in its lane, then slows to 10 m/s at 5 m/s^2, then follows a 60 m polyline, then
    jumps to 15 m/s: each step waits for the end of the one before."""
    events = (
        event("accel", action("a", speed("20", "linear", "time", "2")), sim_time("1"))
        + event("change", action("b", LANE_CHANGE), _after("accel"))
        + event("offset", action("c", LANE_OFFSET), _after("change"))
        + event("decel", action("d", speed("10", "linear", "rate", "5")), _after("offset"))
        + event("path", action("e", TRAJECTORY), _after("decel"))
        + event("last", action("f", speed("15")), _after("path"))
    )
    return scenario(tmp, events, extra_init=speed("10"), stop=sim_time("16", "end"))


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = chain_scenario(tmp_path_factory.mktemp("chain"))
    return run_storyboard(path, max_time=30.0)


def test_each_event_starts_in_the_step_after_the_one_it_waits_for_ends(result):
    times: dict[str, list[float]] = {}
    for t, kind, name, transition in result.transitions:
        if kind == "event" and transition in ("start", "end"):
            times.setdefault(name, []).append(round(t, 2))
    assert {n: tuple(v) for n, v in times.items()} == ESMINI_EVENTS


def test_the_chained_motion_follows_the_reference_player(result):
    car = {round(r[0], 2): r for r in result.trace if r[1] == "Car"}
    for t, x, y, v, h in ESMINI_CAR:
        row = car[t]
        assert (row[2], row[3]) == (pytest.approx(x, abs=0.05), pytest.approx(y, abs=0.05)), t
        assert row[5] == pytest.approx(v, abs=0.01), t
        assert row[4] == pytest.approx(h, abs=0.03), t
