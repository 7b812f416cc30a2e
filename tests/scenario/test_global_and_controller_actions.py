"""Environment, entity, infrastructure and traffic global actions; controller actions on any
entity and controller value overrides."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
from dil.scenario.controller_actions import OverrideValues
from dil.scenario.engine import ScenarioNode
from dil.scenario.loader import load
from dil.world.actors import A_ALIVE

from .helpers import action, event, scenario, sim_time, speed

ENVIRONMENT = """<GlobalAction><EnvironmentAction><Environment name="rain">
  <TimeOfDay animation="false" dateTime="2026-06-01T21:30:00"/>
  <Weather fractionalCloudCover="sixOktas" atmosphericPressure="101325" temperature="285">
    <Sun azimuth="1.2" elevation="0.1" illuminance="2000"/><Fog visualRange="$range"/>
    <Precipitation precipitationType="rain" precipitationIntensity="4.5"/>
  </Weather>
  <RoadCondition frictionScaleFactor="0.6" wetness="wetWithPuddles"/>
</Environment></EnvironmentAction></GlobalAction>"""


def _run(path):
    return run(RunSpec(ScenarioChoice(path), DriverChoice("none"), timing=Timing(max_time=20.0)))


def test_environment_actions_set_the_run_s_environment(tmp_path):
    params = '<ParameterDeclaration name="range" parameterType="double" value="350"/>'
    later = ENVIRONMENT.replace('frictionScaleFactor="0.6"', 'frictionScaleFactor="0.9"')
    path = scenario(tmp_path, event("dry", action("d", later), sim_time("2")), params=params)
    text = path.read_text().replace("<Init><Actions>", f"<Init><Actions>{ENVIRONMENT}")
    path.write_text(text)
    r = _run(path)
    env = r.scenario.environment
    assert [round(t, 2) for t, _ in env.changes] == [0.0, 2.01]
    first = env.changes[0][1]
    assert first["Weather.Fog.visualRange"] == 350.0
    assert first["RoadCondition.frictionScaleFactor"] == 0.6
    assert first["Weather.Precipitation.precipitationType"] == "rain"
    assert first["TimeOfDay.dateTime"] == "2026-06-01T21:30:00"
    assert env.current["RoadCondition.frictionScaleFactor"] == 0.9
    assert not r.scenario.warnings


def test_delete_takes_an_entity_out_of_the_world_and_add_puts_it_back(tmp_path, monkeypatch):
    delete = '<GlobalAction><EntityAction entityRef="Car"><DeleteEntityAction/></EntityAction></GlobalAction>'
    add = (
        '<GlobalAction><EntityAction entityRef="Car"><AddEntityAction><Position>'
        '<LanePosition roadId="1" laneId="-3" s="300" offset="0"/></Position></AddEntityAction>'
        "</EntityAction></GlobalAction>"
    )
    events = event("gone", action("del", delete), sim_time("1")) + event(
        "back", action("add", add), sim_time("3"), priority="parallel"
    )
    path = scenario(tmp_path, events, extra_init=speed("10"), stop=sim_time("5", "end"))
    alive: list[tuple[float, float]] = []
    place_all = ScenarioNode._place_all

    def observe(node):  # reads Car's alive flag in the world each step; changes nothing
        place_all(node)
        car = node.scenario.entities["Car"]
        alive.append((node.ctx.t, node.world.actors.state[car.world_id, A_ALIVE]))

    monkeypatch.setattr(ScenarioNode, "_place_all", observe)
    r = _run(path)
    assert all(a == 1.0 for t, a in alive if t < 1.0)
    assert all(a == 0.0 for t, a in alive if 1.02 < t < 3.0)
    assert all(a == 1.0 for t, a in alive if t > 3.02)
    car = {round(row[0], 2): row for row in r.trace if row[1] == "Car"}
    # 10 m/s until deleted at 1.01 s; then still; re-added at s = 300 in lane -3 at 3.01 s, moving on at
    # the speed it had (as esmini: its own test of these actions needs the car to reach the road's end)
    assert car[1.0][8] == pytest.approx(60.0, abs=0.11)
    assert car[2.0][8] == car[1.5][8] and car[2.0][5] == 0.0  # out of the world, it stands
    assert car[4.0][7] == -3 and car[4.0][5] == 10.0
    assert car[4.0][8] == pytest.approx(300.0 + 10.0 * 0.99, abs=1e-9)


def test_signals_and_traffic_are_parsed_recorded_and_named_in_a_warning(tmp_path):
    signal = (
        '<GlobalAction><InfrastructureAction><TrafficSignalAction><TrafficSignalStateAction name="7" '
        'state="off;off;on"/></TrafficSignalAction></InfrastructureAction></GlobalAction>'
    )
    swarm = (
        '<GlobalAction><TrafficAction><TrafficSwarmAction innerRadius="10" outerRadius="100" '
        'numberOfVehicles="5" centralObject="Ego"><CentralSwarmObject entityRef="Ego"/></TrafficSwarmAction>'
        "</TrafficAction></GlobalAction>"
    )
    path = scenario(tmp_path, event("s", action("sig", signal), sim_time("1")), extra_init="")
    path.write_text(path.read_text().replace("<Init><Actions>", f"<Init><Actions>{swarm}"))
    scen = load(path)
    assert not any("TrafficSignalStateAction" in w for w in scen.warnings)  # carried out, not warned
    assert any("t.xosc:" in w and "<TrafficSwarmAction> generates no traffic" in w for w in scen.warnings)
    r = _run(path)
    assert [round(t, 2) for t, k, n, tr in r.transitions if (k, n, tr) == ("action", "sig", "end")] == [1.01]
    assert [(round(t, 2), v) for t, v in r.scenario.environment.changes] == [
        (1.01, {"TrafficSignal.7": "off;off;on"})
    ]


def test_controllers_on_other_entities_warn_once_and_the_storyboard_moves_them(tmp_path):
    activate = '<PrivateAction><ActivateControllerAction longitudinal="true" lateral="true"/></PrivateAction>'
    override = (
        "<PrivateAction><ControllerAction><OverrideControllerValueAction>"
        '<OverrideThrottleAction value="0.4" active="true"/><OverrideBrakeAction active="false">'
        '<BrakePercent value="0.2"/></OverrideBrakeAction><OverrideClutchAction value="0" active="false"/>'
        '<OverrideParkingBrakeAction value="0" active="false"/>'
        '<OverrideSteeringWheelAction value="0.1" active="true"/>'
        '<OverrideGearAction active="true"><AutomaticGear gear="d"/></OverrideGearAction>'
        "</OverrideControllerValueAction></ControllerAction></PrivateAction>"
    )
    events = event("a", action("act", activate), sim_time("0.5")) + event(
        "o", action("ovr", override), sim_time("1"), priority="parallel"
    )
    path = scenario(tmp_path, events + event("v", action("sp", speed("15")), sim_time("2"), "parallel"))
    controller = (
        '<ObjectController><Controller name="sumo"><Properties>'
        '<Property name="esminiController" value="SumoController"/>'
        "</Properties></Controller></ObjectController>"
    )
    text = path.read_text()
    assert text.count("</Vehicle></ScenarioObject>\n  </Entities>") == 1  # Car is the last entity
    text = text.replace(
        "</Vehicle></ScenarioObject>\n  </Entities>", f"</Vehicle>{controller}</ScenarioObject></Entities>"
    )
    path.write_text(text)
    r = _run(path)
    about_car = [w for w in r.scenario.warnings if "of 'Car'" in w]
    assert len(about_car) == 1 and "t.xosc:" in about_car[0]
    assert "controller 'SumoController' of 'Car' is not simulated" in about_car[0]
    assert "follows its storyboard actions" in about_car[0]
    car = [row for row in r.trace if row[1] == "Car"]
    assert car[-1][5] == 15.0
    ovr = next(
        a.action
        for s in r.scenario.storyboard.stories
        for act in s.acts
        for g in act.groups
        for m in g.maneuvers
        for ev in m.events
        for a in ev.actions
        if a.name == "ovr"
    )
    assert isinstance(ovr, OverrideValues)
    assert ovr.values == {
        "throttle": (True, 0.4),
        "brake": (False, 0.2),
        "clutch": (False, 0.0),
        "parking_brake": (False, 0.0),
        "steering_wheel": (True, 0.1),
        "gear": (True, 1.0),
    }
    assert {(round(t, 2), n, c) for t, n, c, *_ in ovr.log} >= {
        (1.01, "Car", "throttle"),
        (1.01, "Car", "gear"),
    }


def test_dil_run_writes_the_environment_into_result_json(tmp_path):
    params = '<ParameterDeclaration name="range" parameterType="double" value="120"/>'
    path = scenario(tmp_path, params=params, stop=sim_time("1", "end"))
    path.write_text(path.read_text().replace("<Init><Actions>", f"<Init><Actions>{ENVIRONMENT}"))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "dil.cli", "run", str(path), "--stack", "none", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(next(out.rglob("result.json")).read_text())
    assert doc["environment"][0]["t"] == 0.0
    assert doc["environment"][0]["Weather.Fog.visualRange"] == 120.0
    assert doc["environment"][0]["RoadCondition.wetness"] == "wetWithPuddles"
