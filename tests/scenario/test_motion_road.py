"""Along-road motion as the standard defines it: the heading decides the direction along s, the world
speed is kept on curves at any lateral position, LongitudinalDistanceAction's displacement, and what
follows the end of a trajectory. Golden values are derived from the definitions."""

import itertools
import math

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing

from .helpers import HIGHWAY, VEHICLE, action, event, sim_time, speed

ARC = """<?xml version="1.0"?>
<OpenDRIVE><header revMajor="1" revMinor="5" name="arc"/>
<road rule="RHT" id="1" junction="-1" length="600"><link/>
<planView><geometry s="0" x="0" y="0" hdg="0" length="600"><arc curvature="0.01"/></geometry></planView>
<elevationProfile><elevation s="0" a="0" b="0" c="0" d="0"/></elevationProfile><lateralProfile/>
<lanes><laneSection s="0">
<left><lane id="1" type="driving" level="false"><link/>
<width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></left>
<center><lane id="0" type="driving" level="false"><link/></lane></center>
<right>
<lane id="-1" type="driving" level="false"><link/><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>
<lane id="-2" type="driving" level="false"><link/><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>
</right></laneSection></lanes></road></OpenDRIVE>
"""


def _doc(tmp_path, road, init, events="", stop="30"):
    maneuver = ""
    if events:
        maneuver = (
            '<Story name="story"><Act name="act"><ManeuverGroup maximumExecutionCount="1" name="g">'
            '<Actors selectTriggeringEntities="false"><EntityRef entityRef="Car"/></Actors>'
            f'<Maneuver name="m">{events}</Maneuver></ManeuverGroup><StartTrigger><ConditionGroup>'
            f"{sim_time('0', 'go', rule='greaterOrEqual', edge='none')}</ConditionGroup></StartTrigger>"
            "</Act></Story>"
        )
    doc = f"""<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="2" date="2026-01-01T00:00:00" author="t" description="t"/>
<ParameterDeclarations/><RoadNetwork><LogicFile filepath="{road}"/></RoadNetwork>
<Entities><ScenarioObject name="Ego">{VEHICLE}</ScenarioObject>
<ScenarioObject name="Car">{VEHICLE}</ScenarioObject>
</Entities><Storyboard><Init><Actions>{init}</Actions></Init>{maneuver}
<StopTrigger><ConditionGroup>{sim_time(stop, "end")}</ConditionGroup></StopTrigger>
</Storyboard></OpenSCENARIO>"""
    path = tmp_path / "t.xosc"
    path.write_text(doc)
    return path


def _place(name, lane, s, v, h=None):
    orient = f'<Orientation type="relative" h="{h}"/>' if h is not None else ""
    return (
        f'<Private entityRef="{name}"><PrivateAction><TeleportAction><Position><LanePosition roadId="1" '
        f'laneId="{lane}" s="{s}" offset="0">{orient}</LanePosition></Position></TeleportAction>'
        f"</PrivateAction>{speed(str(v))}</Private>"
    )


def _rows(result, name="Car"):
    return [row for row in result.trace if row[1] == name]


def _run(path, max_time):
    return run(RunSpec(ScenarioChoice(path), DriverChoice("none"), timing=Timing(max_time=max_time)))


def test_the_world_speed_is_kept_on_a_curve_at_any_lateral_position(tmp_path):
    # an arc of curvature 0.01 1/m; lane -2's centre is at t = -5.25: 10 m/s for 20 s is 200 m in the
    # world, so s advances 200 / (1 + 0.01 * 5.25); lane 1 (t = +1.75, driving against s) 200 / (1 - 0.0175)
    road = tmp_path / "arc.xodr"
    road.write_text(ARC)
    r = _run(_doc(tmp_path, road, _place("Ego", 1, 500, 10) + _place("Car", -2, 50, 10), stop="30"), 20.01)
    car, ego = _rows(r), _rows(r, "Ego")
    assert car[-1][0] == pytest.approx(20.0)
    assert car[-1][8] - 50 == pytest.approx(200.0 / (1 + 0.01 * 5.25), abs=0.05)
    assert 500 - ego[-1][8] == pytest.approx(200.0 / (1 - 0.01 * 1.75), abs=0.05)
    path = sum(math.hypot(q[2] - p[2], q[3] - p[3]) for p, q in itertools.pairwise(car))
    assert path == pytest.approx(200.0, abs=0.05)


@pytest.mark.parametrize(
    ("lane", "h", "forward"), [(-1, "3.14159265", False), (1, None, False), (-1, None, True)]
)
def test_the_heading_decides_the_direction_along_s(tmp_path, lane, h, forward):
    # relative heading pi on a right lane: it faces and drives against s; a left lane (right-hand
    # traffic) with no orientation faces its direction of travel, against s
    r = _run(_doc(tmp_path, HIGHWAY, _place("Ego", -3, 10, 0) + _place("Car", lane, 500, 20, h)), 2.0)
    car = _rows(r)
    yaw = 0.0 if forward else math.pi
    for row in car:
        assert math.cos(row[4] - yaw) == pytest.approx(1.0, abs=1e-9)
    travelled = 20.0 * car[-1][0] * (1.0 if forward else -1.0)
    assert car[-1][8] - 500 == pytest.approx(travelled, abs=1e-6)
    assert car[-1][2] - car[0][2] == pytest.approx(travelled, abs=1e-6)


def _distance(displacement, constraints=""):
    attr = f' displacement="{displacement}"' if displacement else ""
    return (
        '<PrivateAction><LongitudinalAction><LongitudinalDistanceAction entityRef="Ego" distance="20" '
        f'freespace="false" continuous="true"{attr}>{constraints}</LongitudinalDistanceAction>'
        "</LongitudinalAction></PrivateAction>"
    )


@pytest.mark.parametrize(
    ("displacement", "car_s", "ahead"),
    [
        ("leadingReferencedEntity", 60, 20.0),
        ("trailingReferencedEntity", 150, -20.0),
        ("any", 60, -20.0),
        ("any", 150, 20.0),
    ],
)
def test_longitudinal_distance_places_the_actor_on_the_side_displacement_says(
    tmp_path, displacement, car_s, ahead
):
    # Ego at s = 100 at 20 m/s; without DynamicConstraints the Car is held at 20 m, at Ego's speed
    ev = event("e", action("a", _distance(displacement)), sim_time("0.5"))
    init = _place("Ego", -1, 100, 20) + _place("Car", -1, car_s, 10)
    rows = _rows(_run(_doc(tmp_path, HIGHWAY, init, ev), 4.0))
    ego = {row[0]: row for row in _rows(_run(_doc(tmp_path, HIGHWAY, init, ev), 4.0), "Ego")}
    for row in rows:
        if row[0] >= 1.0:
            assert row[8] - ego[row[0]][8] == pytest.approx(ahead, abs=0.25)
            assert row[5] == pytest.approx(20.0, abs=1e-6)


def test_longitudinal_distance_with_constraints_settles_within_its_limits(tmp_path):
    limits = '<DynamicConstraints maxAcceleration="3" maxDeceleration="6" maxSpeed="40"/>'
    ev = event("e", action("a", _distance("leadingReferencedEntity", limits)), sim_time("0.5"))
    init = _place("Ego", -1, 100, 20) + _place("Car", -1, 100, 20).replace(
        'laneId="-1" s="100"', 'laneId="-2" s="100"'
    )
    r = _run(_doc(tmp_path, HIGHWAY, init, ev), 25.0)
    car, ego = _rows(r), _rows(r, "Ego")
    assert car[-1][8] - ego[-1][8] == pytest.approx(20.0, abs=0.3)
    accel = max((q[5] - p[5]) / (q[0] - p[0]) for p, q in itertools.pairwise(car))
    assert accel <= 3.0 + 1e-6


def test_after_a_timed_trajectory_the_entity_keeps_its_speed(tmp_path):
    # 100 m along lane -1 in 5 s (20 m/s), then on along the road at 20 m/s
    verts = "".join(
        f'<Vertex time="{t}"><Position><WorldPosition x="{x}" y="-1.75" z="0" h="0"/></Position></Vertex>'
        for t, x in ((0, 200), (5, 300))
    )
    traj = (
        '<PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory name="t" closed="false">'
        f"<Shape><Polyline>{verts}</Polyline></Shape></Trajectory><TimeReference><Timing "
        'domainAbsoluteRelative="relative" scale="1" offset="0"/></TimeReference>'
        '<TrajectoryFollowingMode followingMode="position"/></FollowTrajectoryAction></RoutingAction>'
        "</PrivateAction>"
    )
    ev = event("e", action("a", traj), sim_time("0.995"))
    r = _run(_doc(tmp_path, HIGHWAY, _place("Ego", -3, 10, 0) + _place("Car", -1, 200, 0), ev), 9.0)
    car = {round(row[0], 3): row for row in _rows(r)}
    assert car[3.5][2] == pytest.approx(250.0, abs=0.3)
    assert car[3.5][5] == pytest.approx(20.0, abs=1e-6)
    assert car[8.0][5] == pytest.approx(20.0, abs=1e-6)
    assert car[8.0][2] == pytest.approx(300.0 + 20.0 * 2.0, abs=0.3)


def test_a_trajectory_in_init_holds_the_entity_on_its_first_vertex_at_t0(tmp_path):
    # placed at s = 20 by Init, then a trajectory from x = 200 in the same Init: at t = 0 the entity
    # is already on the trajectory (as the reference player places it), one trace row later 0.1 s on
    verts = "".join(
        f'<Vertex><Position><WorldPosition x="{x}" y="-1.75" z="0" h="0"/></Position></Vertex>'
        for x in (200, 300)
    )
    traj = (
        '<PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory name="t" closed="false">'
        f"<Shape><Polyline>{verts}</Polyline></Shape></Trajectory><TimeReference><None/></TimeReference>"
        '<TrajectoryFollowingMode followingMode="position"/></FollowTrajectoryAction></RoutingAction>'
        "</PrivateAction>"
    )
    init = _place("Ego", -3, 10, 0) + _place("Car", -1, 20, 10).replace("</Private>", traj + "</Private>")
    car = _rows(_run(_doc(tmp_path, HIGHWAY, init), 2.0))
    assert car[0][0] == 0.0 and (car[0][2], car[0][3]) == pytest.approx((200.0, -1.75), abs=1e-9)
    assert car[1][0] == pytest.approx(0.1) and car[1][2] == pytest.approx(201.0, abs=1e-6)
