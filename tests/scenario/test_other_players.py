"""Conventions of files written for other players that the standard allows (or that they accept):
the schema's override element names, AngleCondition, ``$`` in a declared name, an inline
Environment's parameters, assignments to undeclared catalog parameters, and the ego's choice."""

from __future__ import annotations

import json

import pytest

from dil.scenario.controller_actions import OverrideValues, Together
from dil.scenario.loader import load
from dil.scenario.xml import ScenarioError

from .helpers import action, dil_run, event, scenario, sim_time, speed

TELEPORT_TURNED = (
    '<PrivateAction><TeleportAction><Position><WorldPosition x="100" y="-5.25" z="0" h="0.3"/>'
    "</Position></TeleportAction></PrivateAction>"
)


def angle_condition(tag: str, angle: str, frame: str, extra: str = "") -> str:
    return (
        '<Condition name="ang" delay="0" conditionEdge="rising"><ByEntityCondition><TriggeringEntities '
        'triggeringEntitiesRule="any"><EntityRef entityRef="Car"/></TriggeringEntities><EntityCondition>'
        f'<{tag} {extra}angleType="heading" angle="{angle}" angleTolerance="0.01" '
        f'coordinateSystem="{frame}"/>'
        "</EntityCondition></ByEntityCondition></Condition>"
    )


def test_angle_condition_fires_when_the_heading_is_reached_as_in_the_reference_player(tmp_path):
    # golden: esmini 77028d83 on this file starts "turned" at 1.01 s (the step after the teleport)
    events = event("jump", action("tp", TELEPORT_TURNED), sim_time("1")) + event(
        "turned", action("go", speed("20")), angle_condition("AngleCondition", "0.3", "world")
    )
    path = scenario(tmp_path, events, stop=sim_time("3", "end"), revision=3)
    done = dil_run(path, "--no-record", "--out", str(tmp_path / "out"))
    assert done.returncode in (0, 1), done.stderr
    result = json.loads((tmp_path / "out" / "t" / "result.json").read_text())
    starts = {e["element"]: e["t"] for e in result["storyboard"] if e["transition"] == "start"}
    assert starts["turned"] == pytest.approx(1.01, abs=1e-6)


def test_relative_angle_condition_compares_with_another_entity_in_the_road_frame(tmp_path):
    events = event("jump", action("tp", TELEPORT_TURNED), sim_time("1")) + event(
        "rel",
        action("go", speed("20")),
        angle_condition("RelativeAngleCondition", "0.3", "road", 'entityRef="Ego" '),
    )
    path = scenario(tmp_path, events, stop=sim_time("3", "end"), revision=3)
    done = dil_run(path, "--no-record", "--out", str(tmp_path / "out"))
    assert done.returncode in (0, 1), done.stderr
    result = json.loads((tmp_path / "out" / "t" / "result.json").read_text())
    starts = {e["element"]: e["t"] for e in result["storyboard"] if e["transition"] == "start"}
    assert starts["rel"] == pytest.approx(1.01, abs=1e-6)


def test_an_angle_in_an_unknown_frame_is_refused_naming_it(tmp_path):
    cond = angle_condition("AngleCondition", "0.3", "cockpit")
    path = scenario(tmp_path, event("e", action("go", speed("20")), cond), revision=3)
    with pytest.raises(
        ScenarioError, match=r"t\.xosc:\d+: <AngleCondition> attribute coordinateSystem='cockpit'"
    ):
        load(path)


def test_override_elements_by_the_schema_s_names(tmp_path):
    override = (
        "<PrivateAction><ControllerAction><OverrideControllerValueAction>"
        '<Throttle value="0.4" active="true"/><Brake value="0" active="false"/>'
        '<Clutch value="0" active="false"/><ParkingBrake value="0" active="false"/>'
        '<SteeringWheel value="0.1" active="true"/><Gear number="2" active="true"/>'
        "</OverrideControllerValueAction></ControllerAction></PrivateAction>"
    )
    scen = load(scenario(tmp_path, extra_init=override))
    (a,) = [a for who, a in scen.init if who == ["Car"] and isinstance(a, (OverrideValues, Together))]
    assert isinstance(a, OverrideValues)
    assert a.values == {
        "throttle": (True, 0.4),
        "brake": (False, 0.0),
        "clutch": (False, 0.0),
        "parking_brake": (False, 0.0),
        "steering_wheel": (True, 0.1),
        "gear": (True, 2.0),
    }


def test_a_declared_name_with_a_dollar_is_the_name_without_it(tmp_path):
    params = '<ParameterDeclaration name="$Target" parameterType="double" value="12"/>'
    path = scenario(tmp_path, event("e", action("go", speed("$Target")), sim_time("1")), params=params)
    scen = load(path)
    assert scen.params["Target"] == "12"
    assert any("'$Target'" in w and "declared as 'Target'" in w for w in scen.warnings)


def test_an_inline_environment_reads_its_own_parameters(tmp_path):
    env = (
        '<GlobalAction><EnvironmentAction><Environment name="w"><ParameterDeclarations>'
        '<ParameterDeclaration name="Range" parameterType="double" value="600"/></ParameterDeclarations>'
        '<TimeOfDay animation="false" dateTime="2026-01-01T12:00:00"/><Weather cloudState="free">'
        '<Fog visualRange="$Range"/></Weather><RoadCondition frictionScaleFactor="0.8"/>'
        "</Environment></EnvironmentAction></GlobalAction>"
    )
    path = scenario(tmp_path, event("e", action("env", env), sim_time("1")))
    scen = load(path)
    (node,) = [a for g in scen.storyboard.stories[0].acts[0].groups for m in g.maneuvers for a in m.events]
    assert node.actions[0].action.values["Weather.Fog.visualRange"] == 600.0


def test_a_parameter_condition_on_an_undeclared_parameter_is_a_load_time_error(tmp_path):
    cond = (
        '<Condition name="p" delay="0" conditionEdge="rising"><ByValueCondition>'
        '<ParameterCondition parameterRef="Missing" value="1" rule="equalTo"/></ByValueCondition></Condition>'
    )
    path = scenario(tmp_path, event("e", action("go", speed("20")), cond))
    with pytest.raises(ScenarioError, match=r"t\.xosc:\d+: <ParameterCondition> parameterRef='Missing'"):
        load(path)


def test_scenario_runner_criteria_conditions_load_and_never_fire(tmp_path):
    criteria = (
        '<Condition name="criteria_CollisionTest" delay="0" conditionEdge="rising"><ByValueCondition>'
        '<ParameterCondition parameterRef="" value="" rule="lessThan"/></ByValueCondition></Condition>'
    )
    path = scenario(tmp_path, event("e", action("go", speed("20")), sim_time("1")), stop=criteria)
    scen = load(path)
    assert any("criteria_CollisionTest" in w for w in scen.warnings)


def test_without_ego_names_the_ego_is_a_vehicle_the_storyboard_never_deletes(tmp_path):
    delete = '<GlobalAction><EntityAction entityRef="Ego"><DeleteEntityAction/></EntityAction></GlobalAction>'
    path = scenario(tmp_path, event("e", action("del", delete), sim_time("1")))
    path.write_text(path.read_text().replace('"Ego"', '"First"'))
    assert load(path).ego == "Car"
    with pytest.raises(ScenarioError, match=r"<DeleteEntityAction> deletes the ego 'First'"):
        load(path, ego="First")


VARIABLES = '<VariableDeclarations><VariableDeclaration name="Count" variableType="double" value="0"/>'


def test_variables_are_set_by_actions_and_trigger_conditions_as_in_the_reference_player(tmp_path):
    # golden: esmini 77028d83 on this file starts "tick" at 1.01 and 1.02 s and "go" at 1.02 s
    add = (
        '<GlobalAction><VariableAction variableRef="Count"><ModifyAction><Rule><AddValue value="2.5"/>'
        "</Rule></ModifyAction></VariableAction></GlobalAction>"
    )
    cond = (
        '<Condition name="v" delay="0" conditionEdge="none"><ByValueCondition><VariableCondition '
        'variableRef="Count" value="5" rule="greaterOrEqual"/></ByValueCondition></Condition>'
    )
    events = event("tick", action("add", add), sim_time("1", edge="none"), count=2) + event(
        "go", action("fast", speed("20")), cond
    )
    path = scenario(tmp_path, events, stop=sim_time("4", "end"))
    text = path.read_text().replace("</ParameterDeclarations>", "</ParameterDeclarations>" + VARIABLES, 1)
    path.write_text(text.replace(VARIABLES, VARIABLES + "</VariableDeclarations>"))
    done = dil_run(path, "--no-record", "--out", str(tmp_path / "out"))
    assert done.returncode in (0, 1), done.stderr
    result = json.loads((tmp_path / "out" / "t" / "result.json").read_text())
    events_started = [
        (e["element"], round(e["t"], 6))
        for e in result["storyboard"]
        if e["type"] == "event" and e["transition"] == "start"
    ]
    assert events_started == [("tick", 1.01), ("tick", 1.02), ("go", 1.02)]


def test_a_variable_that_is_not_declared_is_a_load_time_error(tmp_path):
    cond = (
        '<Condition name="v" delay="0" conditionEdge="none"><ByValueCondition><VariableCondition '
        'variableRef="Nope" value="5" rule="equalTo"/></ByValueCondition></Condition>'
    )
    path = scenario(tmp_path, event("go", action("fast", speed("20")), cond))
    with pytest.raises(ScenarioError, match=r"t\.xosc:\d+: <VariableCondition> variableRef='Nope'"):
        load(path)


def test_an_empty_action_does_nothing_and_an_empty_stop_trigger_is_none(tmp_path):
    # ScenarioRunner's placeholder event (<Action name="Dummy"/>) and its <StopTrigger/>
    events = event("dummy", '<Action name="Dummy"/>', sim_time("1")) + event(
        "go", action("fast", speed("20")), sim_time("2")
    )
    path = scenario(tmp_path, events)
    text = path.read_text()
    start = text.index("<StopTrigger><ConditionGroup>")
    end = text.index("</StopTrigger>", start) + len("</StopTrigger>")
    path.write_text(text[:start] + "<StopTrigger/>" + text[end:])
    scen = load(path)
    assert scen.storyboard.stop_trigger is None
    assert any("<Action> holds no action" in w for w in scen.warnings)
    done = dil_run(path, "--no-record", "--out", str(tmp_path / "out"))
    assert done.returncode in (0, 1), done.stderr
    result = json.loads((tmp_path / "out" / "t" / "result.json").read_text())
    started = [(e["element"], e["t"]) for e in result["storyboard"] if e["transition"] == "start"]
    assert ("dummy", pytest.approx(1.01)) in started and ("go", pytest.approx(2.01)) in started
    assert result["simulated_s"] < 10.0  # the storyboard ends with its story, as with no StopTrigger


def test_a_route_to_an_unreachable_waypoint_ends_before_it_and_the_run_goes_on(tmp_path):
    # the reference player warns ("path to target not found") and the entity drives on in its lane
    route = (
        '<PrivateAction><RoutingAction><AssignRouteAction><Route name="r" closed="false">'
        '<Waypoint routeStrategy="shortest"><Position><LanePosition roadId="1" laneId="-2" s="60"/>'
        '</Position></Waypoint><Waypoint routeStrategy="shortest"><Position><LanePosition roadId="1" '
        'laneId="2" s="30"/></Position></Waypoint></Route></AssignRouteAction></RoutingAction>'
        "</PrivateAction>"
    )
    events = event("route", action("r", route), sim_time("0.5")) + event("go", action("v", speed("10")), None)
    path = scenario(tmp_path, events, stop=sim_time("3", "end"))
    done = dil_run(path, "--no-record", "--out", str(tmp_path / "out"))
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "the route of 'Car' ends before a waypoint" in done.stderr
    result = json.loads((tmp_path / "out" / "t" / "result.json").read_text())
    assert result["end"].startswith("stop trigger")


def test_a_user_defined_command_is_not_run_and_its_event_ends_at_once(tmp_path):
    command = '<CustomCommandAction type="x">ls</CustomCommandAction>'
    custom = action("w", f"<UserDefinedAction>{command}</UserDefinedAction>")
    scen = load(scenario(tmp_path, event("e", custom, sim_time("1"))))
    assert any("<UserDefinedAction> a user-defined command (type 'x') is not run" in w for w in scen.warnings)
