"""A LaneChangeAction to a lane the road does not have (ids past the outermost lane, as written by
scenarios that drive an entity off the road): the run plays on, the entity changes to the last lane
that exists on that side, and a warning names the file, line, entity and the lane asked for."""

from __future__ import annotations

import logging

from .engine_harness import EngineHarness
from .helpers import action, event, scenario, sim_time, speed


def _change_to(lane: str) -> str:
    return (
        '<PrivateAction><LateralAction><LaneChangeAction targetLaneOffset="0"><LaneChangeActionDynamics '
        'dynamicsShape="linear" value="2" dynamicsDimension="time"/><LaneChangeTarget>'
        f'<AbsoluteTargetLane value="{lane}"/></LaneChangeTarget></LaneChangeAction></LateralAction>'
        "</PrivateAction>"
    )


def test_lane_change_past_the_edge_plays_on_to_the_outermost_lane(tmp_path, caplog):
    # the highway's right-hand carriageway has lanes -1, -2 and -3; Car starts in -2
    path = scenario(
        tmp_path,
        event("off", action("a", _change_to("-9")), sim_time("1")),
        extra_init=speed("20"),
        stop=sim_time("6", "end"),
    )
    with caplog.at_level(logging.WARNING, logger="dil.scenario"):
        h = EngineHarness(path)
        ended = h.run(10.0)
    assert ended  # the stop trigger ended it: the run was not stopped by an error
    car = h.scenario.entities["Car"]
    assert car.lane == -3
    assert abs(car.offset) < 1e-6  # the change completed onto lane -3's centre
    said = [r.getMessage() for r in caplog.records if "LaneChangeAction" in r.getMessage()]
    assert len(said) == 1, said
    assert f"{path}:" in said[0] and "'Car'" in said[0] and "no lane -9" in said[0] and "lane -3" in said[0]


def test_lane_change_to_an_existing_lane_says_nothing(tmp_path, caplog):
    path = scenario(
        tmp_path,
        event("over", action("a", _change_to("-1")), sim_time("1")),
        extra_init=speed("20"),
        stop=sim_time("6", "end"),
    )
    with caplog.at_level(logging.WARNING, logger="dil.scenario"):
        h = EngineHarness(path)
        h.run(10.0)
    assert h.scenario.entities["Car"].lane == -1
    assert not [r for r in caplog.records if "LaneChangeAction" in r.getMessage()]
