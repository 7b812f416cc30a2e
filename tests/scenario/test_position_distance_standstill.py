"""Conditions and a trajectory as the reference player reads them:

- a DistanceCondition to a position measures what its attributes say: ``freespace`` from the bounding
  box, ``relativeDistanceType`` longitudinal in road coordinates (the difference in s), the default
  euclidean distance from the box (not from the reference point);
- a StandStillCondition counts the time from the step in which the entity stops, and an entity that
  reverses is moving (it does not stand still);
- a ClothoidSpline with ``timeEnd`` whose first segment has no ``timeStart`` starts at time 0: it is
  timed, the segments' times set the speed along it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import action, event, run_storyboard, scenario, sim_time, speed

# golden values: esmini 77028d83 on the files the functions below write (scenario() in helpers.py):
#   esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger es.csv --logfile_path log.txt
# event start times from its log.txt ("standbyState -> startTransition"), (t [s], Car's x [m], speed
# [m/s]) from es.csv (not at an event's own step: esmini logs a step change of speed one row later)
ESMINI_DISTANCE_STARTS = {"near": 2.54, "side": 6.51}
ESMINI_DISTANCE_CAR = [
    (2.5, 75.0, 10.0),
    (2.55, 75.55, 15.0),
    (6.52, 135.03, 8.0),
    (9.0, 154.87, 8.0),
]
ESMINI_STANDSTILL_STARTS = {"back": 0.51, "halt": 2.01, "drive": 3.52}
ESMINI_STANDSTILL_CAR = [
    (1.0, 49.265, -2.94),
    (2.0, 46.265, -3.0),
    (3.0, 44.75, -0.03),
    (3.52, 44.75, 0.0),
    (3.53, 44.7505, 0.05),
    (4.0, 45.338, 2.4),
    (5.0, 49.675, 5.0),
]
ESMINI_SPLINE_CAR = [
    (2.0, 65.0499, -5.2297),
    (3.0, 70.0476, -5.0856),
    (5.0, 79.9711, -3.9299),
    (5.01, 80.0201, -3.9205),
    (6.0, 83.2314, -3.1628),
    (8.0, 89.581, -1.1388),
    (11.0, 98.8549, 2.5992),
]
"""(t [s], Car's x [m], y [m]) on the spline."""


def _distance(position: str, value: str, attrs: str, name: str) -> str:
    return (
        f'<Condition name="{name}" delay="0" conditionEdge="rising"><ByEntityCondition><TriggeringEntities '
        'triggeringEntitiesRule="any"><EntityRef entityRef="Car"/></TriggeringEntities><EntityCondition>'
        f'<DistanceCondition value="{value}" rule="lessThan" {attrs}><Position>{position}</Position>'
        "</DistanceCondition></EntityCondition></ByEntityCondition></Condition>"
    )


def _lane(lane: str, s: str) -> str:
    return f'<LanePosition roadId="1" laneId="{lane}" s="{s}" offset="0"/>'


def distance_scenario(tmp: Path) -> Path:
    """Car at 10 m/s from s = 50 in lane -2. ``near``: its box's front within 1 m of s = 80 along the
    road (speeds up to 15 m/s); ``side``: its box within 3 m of a point in lane -3 at s = 140 (the
    default euclidean distance; slows to 8 m/s)."""
    near = _distance(
        _lane("-2", "80"),
        "1",
        'freespace="true" relativeDistanceType="longitudinal" coordinateSystem="road"',
        "nearc",
    )
    side = _distance(_lane("-3", "140"), "3", 'freespace="true"', "sidec")
    events = event("near", action("n", speed("15")), near, "parallel") + event(
        "side", action("s", speed("8")), side, "parallel"
    )
    return scenario(tmp, events, extra_init=speed("10"), stop=sim_time("10", "end"))


def _standstill(duration: str) -> str:
    return (
        '<Condition name="stillc" delay="0" conditionEdge="none"><ByEntityCondition><TriggeringEntities '
        'triggeringEntitiesRule="any"><EntityRef entityRef="Car"/></TriggeringEntities><EntityCondition>'
        f'<StandStillCondition duration="{duration}"/></EntityCondition></ByEntityCondition></Condition>'
    )


def standstill_scenario(tmp: Path) -> Path:
    """Car standing at s = 50; it reverses (-3 m/s) from 0.5 s, stops from 2 s (linear, 1 s); ``drive``
    after it has stood still for 0.505 s (drives off to 5 m/s in 1 s). Reversing is not standing."""
    events = (
        event("back", action("b", speed("-3", "linear", "time", "0.5")), sim_time("0.5", "bc"), "parallel")
        + event("halt", action("h", speed("0", "linear", "time", "1")), sim_time("2", "hc"), "parallel")
        + event("drive", action("g", speed("5", "linear", "time", "1")), _standstill("0.505"), "parallel")
    )
    return scenario(tmp, events, extra_init=speed("0"), stop=sim_time("6", "end"))


def spline_scenario(tmp: Path) -> Path:
    """Car follows a two-segment ClothoidSpline from 1 s: 20 m then 20 m, timeEnd 10 s, the second
    segment from 4 s, the first without a timeStart (so at 5 m/s, then at 20/6 m/s)."""
    spline = (
        '<ClothoidSpline timeEnd="10"><ClothoidSplineSegment curvatureStart="0" curvatureEnd="0.02" '
        'length="20"/><ClothoidSplineSegment curvatureStart="0.02" curvatureEnd="0" length="20" '
        'timeStart="4"/></ClothoidSpline>'
    )
    follow = (
        '<PrivateAction><RoutingAction><FollowTrajectoryAction><TrajectoryRef><Trajectory name="t" '
        f'closed="false"><Shape>{spline}</Shape></Trajectory></TrajectoryRef><TimeReference><Timing '
        'domainAbsoluteRelative="relative" scale="1" offset="0"/></TimeReference><TrajectoryFollowingMode '
        'followingMode="position"/></FollowTrajectoryAction></RoutingAction></PrivateAction>'
    )
    events = event("spline", action("f", follow), sim_time("1", "fc"))
    return scenario(tmp, events, extra_init=speed("10"), stop=sim_time("12", "end"))


def _play(path: Path) -> tuple[dict[str, float], dict[float, tuple]]:
    r = run_storyboard(path, max_time=30.0)
    starts = {n: round(t, 2) for t, k, n, tr in r.transitions if k == "event" and tr == "start"}
    car = {round(row[0], 2): row for row in r.trace if row[1] == "Car"}
    return starts, car


def test_distance_to_a_position_measures_from_the_box_along_the_road(tmp_path):
    starts, car = _play(distance_scenario(tmp_path))
    assert starts == ESMINI_DISTANCE_STARTS
    for t, x, v in ESMINI_DISTANCE_CAR:
        assert (car[t][2], car[t][5]) == (pytest.approx(x, abs=1e-3), pytest.approx(v, abs=1e-3)), t


def test_standstill_counts_from_the_stop_and_reversing_is_moving(tmp_path):
    starts, car = _play(standstill_scenario(tmp_path))
    assert starts == ESMINI_STANDSTILL_STARTS
    for t, x, v in ESMINI_STANDSTILL_CAR:
        assert (car[t][2], car[t][5]) == (pytest.approx(x, abs=1e-3), pytest.approx(v, abs=1e-3)), t


def test_a_clothoid_spline_timed_from_its_second_segment_starts_at_time_zero(tmp_path):
    _, car = _play(spline_scenario(tmp_path))
    for t, x, y in ESMINI_SPLINE_CAR:
        assert (car[t][2], car[t][3]) == (pytest.approx(x, abs=0.02), pytest.approx(y, abs=0.02)), t
