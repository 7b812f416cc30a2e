"""RoutePosition and AssignRouteAction (inline and from a route catalog) through the junction,
SynchronizeAction with position wrappers and final speeds, SpeedProfileAction."""

from __future__ import annotations

import itertools
import math

import pytest

from .helpers import (
    HIGHWAY,
    ROOT,
    VEHICLE,
    action,
    event,
    run_storyboard,
    scenario,
    sim_time,
    speed,
    teleport,
)

JUNCTION = ROOT / "scenarios" / "roads" / "junction.xodr"
GO = sim_time("0", "go", rule="greaterOrEqual", edge="none")

ROUTE = """<Route name="straight" closed="false">
  <Waypoint routeStrategy="shortest"><Position><LanePosition roadId="1" laneId="-1" s="50"/></Position>
  </Waypoint>
  <Waypoint routeStrategy="shortest"><Position><LanePosition roadId="3" laneId="1" s="100"/></Position>
  </Waypoint>
</Route>"""


def _catalog(tmp):
    d = tmp / "routes"
    d.mkdir(exist_ok=True)
    (d / "routes.xosc").write_text(
        '<?xml version="1.0"?><OpenSCENARIO><FileHeader revMajor="1" revMinor="3" date="2026-01-01T00:00:00" '
        f'author="t" description="r"/><Catalog name="Routes">{ROUTE}</Catalog></OpenSCENARIO>'
    )
    return '<RouteCatalog><Directory path="routes"/></RouteCatalog>'


def route_position(path_s: str, inner: str = "", by_catalog: bool = True, lane: str = "-1") -> str:
    ref = '<CatalogReference catalogName="Routes" entryName="straight"/>' if by_catalog else ROUTE
    inner = inner or f'<FromLaneCoordinates pathS="{path_s}" laneId="{lane}"/>'
    return (
        f"<Position><RoutePosition><RouteRef>{ref}</RouteRef><InRoutePosition>{inner}</InRoutePosition>"
        "</RoutePosition></Position>"
    )


def junction_scenario(tmp, init_car: str, events: str = "", stop: str = "16") -> object:
    doc = f'''<?xml version="1.0"?>
<OpenSCENARIO>
  <FileHeader revMajor="1" revMinor="3" date="2026-01-01T00:00:00" author="test" description="t"/>
  <CatalogLocations>{_catalog(tmp)}</CatalogLocations>
  <RoadNetwork><LogicFile filepath="{JUNCTION}"/></RoadNetwork>
  <Entities>
    <ScenarioObject name="Ego">{VEHICLE}</ScenarioObject>
    <ScenarioObject name="Car">{VEHICLE}</ScenarioObject>
  </Entities>
  <Storyboard>
    <Init><Actions>
      <Private entityRef="Ego"><PrivateAction>{teleport("-1", "5")}</PrivateAction></Private>
      <Private entityRef="Car">{init_car}</Private>
    </Actions></Init>
    <Story name="s"><Act name="act"><ManeuverGroup maximumExecutionCount="1" name="g">
      <Actors selectTriggeringEntities="false"><EntityRef entityRef="Car"/></Actors>
      <Maneuver name="m">{events}</Maneuver></ManeuverGroup>
      <StartTrigger><ConditionGroup>{GO}</ConditionGroup></StartTrigger></Act></Story>
    <StopTrigger><ConditionGroup>{sim_time(stop, "end")}</ConditionGroup></StopTrigger>
  </Storyboard>
</OpenSCENARIO>'''
    path = tmp / "t.xosc"
    path.write_text(doc)
    return path


def _run(path, max_time=30.0):
    return run_storyboard(path, max_time=max_time)


def rows(result, name):
    return {round(r[0], 2): r for r in result.trace if r[1] == name}


@pytest.mark.parametrize("by_catalog", [True, False])
def test_route_positions_count_path_s_along_the_route_through_the_junction(tmp_path, by_catalog):
    # pathS 170: 100 m on road 1 (s 50..150), 44 m on the straight junction road 102, then 26 m on
    # road 3, driven against its s (it starts at x = 344 heading west): s = 124, x = 220, facing east
    # in lane 1 (the lane of road 3 that runs east)
    pos = route_position("170", by_catalog=by_catalog, lane="1")
    tp = f"<PrivateAction><TeleportAction>{pos}</TeleportAction>"
    r = _run(junction_scenario(tmp_path, tp + "</PrivateAction>", stop="0.5"))
    car = rows(r, "Car")[0.0]
    assert car[2] == pytest.approx(220.0, abs=1e-6) and car[3] == pytest.approx(-1.75, abs=1e-6)
    assert math.cos(car[4]) == pytest.approx(1.0) and (car[6], car[7], car[8]) == ("3", 1, 124.0)
    tp = f"<PrivateAction><TeleportAction>{route_position('120', by_catalog=by_catalog)}</TeleportAction>"
    car = rows(_run(junction_scenario(tmp_path, tp + "</PrivateAction>", stop="0.5")), "Car")[0.0]
    assert (car[2], car[3], car[6]) == (pytest.approx(170.0), pytest.approx(-1.75), "102")


def test_road_coordinates_and_the_current_entity_on_a_route(tmp_path):
    inner = '<FromRoadCoordinates pathS="60" t="-5.25"/>'
    tp = f"<PrivateAction><TeleportAction>{route_position('', inner)}</TeleportAction></PrivateAction>"
    car = rows(_run(junction_scenario(tmp_path, tp, stop="0.5")), "Car")[0.0]
    assert (car[2], car[3]) == (pytest.approx(110.0), pytest.approx(-5.25))
    inner = '<FromCurrentEntity entityRef="Ego"/>'
    tp = f"<PrivateAction><TeleportAction>{route_position('', inner)}</TeleportAction></PrivateAction>"
    car = rows(_run(junction_scenario(tmp_path, tp, stop="0.5")), "Car")[0.0]
    assert (car[2], car[3]) == (pytest.approx(5.0), pytest.approx(-1.75))


@pytest.mark.parametrize("by_catalog", [True, False])
def test_assign_route_takes_the_route_s_branch_at_the_junction(tmp_path, by_catalog):
    ref = '<CatalogReference catalogName="Routes" entryName="straight"/>' if by_catalog else ROUTE
    assign = (
        f"<PrivateAction><RoutingAction><AssignRouteAction>{ref}</AssignRouteAction></RoutingAction>"
        "</PrivateAction>"
    )
    init = (
        '<PrivateAction><TeleportAction><Position><LanePosition roadId="1" laneId="-1" s="50"/></Position>'
        f"</TeleportAction></PrivateAction>{speed('10')}{assign}"
    )
    r = _run(junction_scenario(tmp_path, init, stop="15"))
    car = rows(r, "Car")[15.0]
    # 150 m: 100 on road 1, 44 through the junction straight on, 6 into road 3 (s 150 -> 144)
    assert car[6] == "3" and car[8] == pytest.approx(144.0, abs=0.2)
    assert car[2] == pytest.approx(200.0, abs=0.2) and car[3] == pytest.approx(-1.75, abs=1e-6)
    # a route to the right turn (road 2, driven against its s away from the junction) turns right
    right = ROUTE.replace('roadId="3" laneId="1"', 'roadId="2" laneId="1"')
    init = init.replace(ref, right)
    car = rows(_run(junction_scenario(tmp_path, init, stop="15")), "Car")[15.0]
    # lane -1 of the turn (36.526 m of reference line turning by -pi/2) is 1.75 m inside: 33.78 m long
    inside = 36.526 - 1.75 * math.pi / 2
    assert car[6] == "2" and car[8] == pytest.approx(150.0 - (50.0 - inside), abs=0.2)


def _sync(final: str, master_s: str = "210") -> str:
    return action(
        "sync",
        f'<PrivateAction><SynchronizeAction masterEntityRef="Ego">'
        f'<TargetPositionMaster><LanePosition roadId="1" laneId="-1" s="{master_s}"/></TargetPositionMaster>'
        '<TargetPosition><LanePosition roadId="1" laneId="-2" s="350"/></TargetPosition>'
        f"{final}</SynchronizeAction></PrivateAction>",
    )


def _sync_run(tmp_path, final: str):
    # Ego (the master) drives at 20 m/s from s = 10: it reaches s = 210 at t = 10 s; Car starts at
    # s = 50 at 10 m/s and must cover 300 m in the same time
    path = scenario(
        tmp_path, event("e", _sync(final), GO), extra_init=speed("10"), stop=sim_time("12", "end")
    )
    text = path.read_text().replace(
        '<Private entityRef="Ego"><PrivateAction>', f'<Private entityRef="Ego">{speed("20")}<PrivateAction>'
    )
    path.write_text(text)
    return _run(path)


@pytest.mark.parametrize(
    "final",
    [
        '<FinalSpeed><AbsoluteSpeed value="25"/></FinalSpeed>',
        '<FinalSpeed><RelativeSpeedToMaster value="5" speedTargetValueType="delta"/></FinalSpeed>',
        '<FinalSpeed><RelativeSpeedToMaster value="1.25" speedTargetValueType="factor"/></FinalSpeed>',
    ],
)
def test_synchronize_arrives_with_the_master_at_the_final_speed(tmp_path, final):
    r = _sync_run(tmp_path, final)
    car, ego = rows(r, "Car"), rows(r, "Ego")
    assert ego[10.0][8] == pytest.approx(210.0, abs=0.01)
    assert car[10.0][8] == pytest.approx(350.0, abs=0.5)
    assert car[10.0][5] == pytest.approx(25.0, abs=0.3)
    speeds = [car[round(t * 0.01, 2)][5] for t in range(1, 1000)]
    assert max(abs(b - a) for a, b in itertools.pairwise(speeds)) < 0.2  # no step change [m/s per step]
    ends = [t for t, k, n, tr in r.transitions if (k, n, tr) == ("action", "sync", "end")]
    assert ends and ends[0] == pytest.approx(10.0, abs=0.05)
    assert car[11.5][5] == pytest.approx(25.0, abs=0.3)


def test_synchronize_without_final_speed_and_with_a_steady_state(tmp_path):
    r = _sync_run(tmp_path, "")
    assert rows(r, "Car")[10.0][8] == pytest.approx(350.0, abs=0.5)
    steady = (
        '<FinalSpeed><AbsoluteSpeed value="25"><TargetDistanceSteadyState distance="50"/>'
        "</AbsoluteSpeed></FinalSpeed>"
    )
    r = _sync_run(tmp_path, steady)
    car = rows(r, "Car")
    assert car[10.0][8] == pytest.approx(350.0, abs=0.5)
    # the last 50 m (2 s) at the final speed
    assert all(car[round(8.1 + 0.1 * i, 2)][5] == pytest.approx(25.0, abs=0.05) for i in range(19))


def _profile(mode: str, entries: str, constraints: str = "") -> str:
    return action(
        "profile",
        f'<PrivateAction><LongitudinalAction><SpeedProfileAction followingMode="{mode}">{constraints}'
        f"{entries}</SpeedProfileAction></LongitudinalAction></PrivateAction>",
    )


ENTRIES = (
    '<SpeedProfileEntry time="0" speed="0"/><SpeedProfileEntry time="4" speed="10"/>'
    '<SpeedProfileEntry time="4" speed="4"/><SpeedProfileEntry time="2" speed="8"/>'
)


def test_speed_profile_in_position_mode_keeps_every_entry_s_time(tmp_path):
    path = scenario(tmp_path, event("e", _profile("position", ENTRIES), sim_time("1")), extra_init=speed("6"))
    r = _run(path)
    car = rows(r, "Car")
    # starts at 1.01 s: 0 at once, 10 m/s at 5.01 s, 4 at 9.01 s, 8 at 11.01 s
    assert car[1.02][5] == pytest.approx(0.025, abs=0.001)
    assert car[3.01][5] == pytest.approx(5.0, abs=0.03)
    assert car[5.01][5] == pytest.approx(10.0, abs=0.03)
    assert car[9.01][5] == pytest.approx(4.0, abs=0.03)
    assert car[11.01][5] == pytest.approx(8.0, abs=0.03) and car[15.0][5] == 8.0
    ends = [t for t, k, n, tr in r.transitions if (k, n, tr) == ("action", "profile", "end")]
    assert ends == [pytest.approx(11.02, abs=0.02)]


def test_speed_profile_in_follow_mode_keeps_the_dynamic_constraints(tmp_path):
    limits = '<DynamicConstraints maxAcceleration="2" maxDeceleration="10" maxSpeed="9"/>'
    entries = ENTRIES + '<SpeedProfileEntry speed="20"/>'
    path = scenario(tmp_path, event("e", _profile("follow", entries, limits), sim_time("1")))
    car = rows(_run(path), "Car")
    # 0 -> 9 (capped) at 2 m/s^2: 4.5 s; 9 -> 4 in 4 s; 4 -> 8 at 2 m/s^2: 2 s; -> 9: 0.5 s
    assert car[3.51][5] == pytest.approx(5.0, abs=0.03)
    assert car[5.51][5] == pytest.approx(9.0, abs=0.03)
    assert car[9.51][5] == pytest.approx(4.0, abs=0.03)
    assert car[11.51][5] == pytest.approx(8.0, abs=0.03)
    assert car[12.01][5] == pytest.approx(9.0, abs=0.03) and car[15.0][5] == 9.0
    accel = [
        (car[round(t * 0.01, 2)][5] - car[round(t * 0.01 - 0.01, 2)][5]) / 0.01 for t in range(102, 1500)
    ]
    assert max(accel) <= 2.0 + 1e-6


def test_speed_profile_relative_to_an_entity(tmp_path):
    entries = '<SpeedProfileEntry time="2" speed="3"/>'
    profile = _profile("position", entries).replace(
        'followingMode="position"', 'followingMode="position" entityRef="Ego"'
    )
    path = scenario(tmp_path, event("e", profile, sim_time("1")))
    path.write_text(
        path.read_text().replace(
            '<Private entityRef="Ego"><PrivateAction>',
            f'<Private entityRef="Ego">{speed("12")}<PrivateAction>',
        )
    )
    car = rows(_run(path), "Car")
    assert car[3.01][5] == pytest.approx(15.0, abs=0.03)


def test_speed_profile_on_the_highway_moves_the_car_the_integrated_distance(tmp_path):
    path = scenario(tmp_path, event("e", _profile("position", ENTRIES), sim_time("1")))
    car = rows(_run(path), "Car")
    # area under the profile from 1.01 s to 11.01 s: 20 + 28 + 12 = 60 m
    assert car[11.01][8] - car[1.01][8] == pytest.approx(60.0, abs=0.2)
    assert HIGHWAY.exists()


def test_acquire_position_routes_from_where_the_entity_is(tmp_path):
    acquire = (
        "<PrivateAction><RoutingAction><AcquirePositionAction><Position>"
        '<LanePosition roadId="2" laneId="1" s="100"/></Position></AcquirePositionAction></RoutingAction>'
        "</PrivateAction>"
    )
    init = (
        '<PrivateAction><TeleportAction><Position><LanePosition roadId="1" laneId="-1" s="50"/></Position>'
        f"</TeleportAction></PrivateAction>{speed('10')}{acquire}"
    )
    car = rows(_run(junction_scenario(tmp_path, init, stop="15")), "Car")[15.0]
    inside = 36.526 - 1.75 * math.pi / 2  # lane -1 of the right turn
    assert car[6] == "2" and car[8] == pytest.approx(150.0 - (50.0 - inside), abs=0.2)


def test_absolute_orientation_on_a_lane_position(tmp_path):
    tp = (
        '<PrivateAction><TeleportAction><Position><LanePosition roadId="1" laneId="-1" s="50">'
        '<Orientation type="absolute" h="0.3"/></LanePosition></Position></TeleportAction></PrivateAction>'
    )
    car = rows(_run(junction_scenario(tmp_path, tp, stop="0.5")), "Car")[0.0]
    assert car[4] == pytest.approx(0.3) and (car[2], car[3]) == (pytest.approx(50.0), pytest.approx(-1.75))


# (t [s], x [m], speed [m/s]) of Car in esmini on the same files (sync started at 1 s, master to 230 m)
ESMINI_FINAL = [(3.0, 90.06, 20.06), (5.0, 140.35, 30.17), (7.5, 231.61, 42.70), (9.0, 289.94, 35.11)]
ESMINI_STEADY = [(3.0, 93.51, 23.51), (6.0, 194.63, 43.83), (8.0, 271.64, 31.79), (10.0, 325.0, 25.0)]


@pytest.mark.parametrize(
    ("final", "golden"),
    [
        ('<FinalSpeed><AbsoluteSpeed value="25"/></FinalSpeed>', ESMINI_FINAL),
        (
            '<FinalSpeed><AbsoluteSpeed value="25"><TargetTimeSteadyState time="2"/></AbsoluteSpeed>'
            "</FinalSpeed>",
            ESMINI_STEADY,
        ),
    ],
)
def test_synchronize_checkpoints_agree_with_the_reference_player(tmp_path, final, golden):
    path = scenario(
        tmp_path,
        event("e", _sync(final, "230"), sim_time("1")),
        extra_init=speed("10"),
        stop=sim_time("12", "end"),
    )
    text = path.read_text().replace(
        '<Private entityRef="Ego"><PrivateAction>', f'<Private entityRef="Ego">{speed("20")}<PrivateAction>'
    )
    path.write_text(text)
    car = rows(_run(path), "Car")
    for t, x, v in golden:
        assert car[t][2] == pytest.approx(x, abs=0.5) and car[t][5] == pytest.approx(v, abs=0.3), t
    assert car[11.0][2] == pytest.approx(350.0, abs=0.5) and car[11.5][5] == pytest.approx(25.0, abs=0.01)
