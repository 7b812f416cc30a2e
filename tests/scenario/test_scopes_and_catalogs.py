"""Parameters declared in storyboard scopes, ``$`` in parameterRef, errors inside catalogs, bare map
names, trailers and what stays refused."""

from __future__ import annotations

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
from dil.scenario.loader import load
from dil.scenario.xml import ScenarioError

from .helpers import HIGHWAY, VEHICLE, action, event, sim_time, speed, teleport

GO = sim_time("0", "go", rule="greaterOrEqual", edge="none")


def doc(
    tmp, story: str, entities: str = "", catalogs: str = "", logic: str = str(HIGHWAY), init: str = ""
) -> str:
    text = f'''<?xml version="1.0"?>
<OpenSCENARIO>
  <FileHeader revMajor="1" revMinor="3" date="2026-01-01T00:00:00" author="test" description="t"/>
  <ParameterDeclarations>
    <ParameterDeclaration name="v" parameterType="double" value="5"/>
    <ParameterDeclaration name="phase" parameterType="int" value="1"/>
  </ParameterDeclarations>
  <CatalogLocations>{catalogs}</CatalogLocations>
  <RoadNetwork><LogicFile filepath="{logic}"/></RoadNetwork>
  <Entities>
    <ScenarioObject name="Ego">{VEHICLE}</ScenarioObject>
    <ScenarioObject name="Car">{VEHICLE}</ScenarioObject>{entities}
  </Entities>
  <Storyboard>
    <Init><Actions>
      <Private entityRef="Ego"><PrivateAction>{teleport("-1", "10")}</PrivateAction></Private>
      <Private entityRef="Car"><PrivateAction>{teleport("-2", "50")}</PrivateAction></Private>{init}
    </Actions></Init>
    {story}
    <StopTrigger><ConditionGroup>{sim_time("6", "end")}</ConditionGroup></StopTrigger>
  </Storyboard>
</OpenSCENARIO>'''
    path = tmp / "t.xosc"
    path.write_text(text)
    return path


def _run(path):
    return run(RunSpec(ScenarioChoice(path), DriverChoice("none"), timing=Timing(max_time=20.0)))


def last(result, name):
    return [row for row in result.trace if row[1] == name][-1]


def decl(name, value, ptype="string"):
    return (
        f'<ParameterDeclarations><ParameterDeclaration name="{name}" parameterType="{ptype}" '
        f'value="{value}"/></ParameterDeclarations>'
    )


def test_declarations_in_story_act_group_maneuver_and_event_are_scoped(tmp_path):
    inner = event("inner", action("a", speed("$v")), sim_time("1")).replace(
        '<Event name="inner" priority="override" maximumExecutionCount="1">',
        f'<Event name="inner" priority="override" maximumExecutionCount="1">{decl("v", "20", "double")}',
    )
    # the Act's v (12) is what the second maneuver sees; the event's own v (20) only the event
    story = f"""<Story name="s">{decl("owner", "Car")}<Act name="act">{decl("v", "12", "double")}
      <ManeuverGroup maximumExecutionCount="1" name="g">{decl("who", "$owner")}
        <Actors selectTriggeringEntities="false"><EntityRef entityRef="$who"/></Actors>
        <Maneuver name="m">{inner}</Maneuver>
      </ManeuverGroup>
      <ManeuverGroup maximumExecutionCount="1" name="g2">
        <Actors selectTriggeringEntities="false"><EntityRef entityRef="Ego"/></Actors>
        <Maneuver name="m2">{decl("w", "$v", "double")}{event("e2", action("b", speed("$w")), sim_time("1"))}
        </Maneuver>
      </ManeuverGroup>
      <StartTrigger><ConditionGroup>{GO}</ConditionGroup></StartTrigger></Act></Story>"""
    r = _run(doc(tmp_path, story))
    assert last(r, "Car")[5] == pytest.approx(20.0)
    assert last(r, "Ego")[5] == pytest.approx(12.0)
    assert r.scenario.params["v"] == "5"  # the outer declaration is not overwritten


def test_parameter_ref_with_a_dollar_sets_and_tests_the_parameter(tmp_path):
    set_p = action(
        "set",
        '<GlobalAction><ParameterAction parameterRef="$phase"><SetAction value="2"/>'
        "</ParameterAction></GlobalAction>",
    )
    cond = (
        '<Condition name="p" delay="0" conditionEdge="none"><ByValueCondition>'
        '<ParameterCondition parameterRef="$phase" value="2" rule="equalTo"/></ByValueCondition></Condition>'
    )
    story = f"""<Story name="s"><Act name="act"><ManeuverGroup maximumExecutionCount="1" name="g">
        <Actors selectTriggeringEntities="false"><EntityRef entityRef="Car"/></Actors>
        <Maneuver name="m">{event("first", set_p, sim_time("1"))}
        {event("then", action("a", speed("9")), cond)}
        </Maneuver></ManeuverGroup>
      <StartTrigger><ConditionGroup>{GO}</ConditionGroup></StartTrigger></Act></Story>"""
    r = _run(doc(tmp_path, story))
    starts = [t for t, k, n, tr in r.transitions if (k, n, tr) == ("event", "then", "start")]
    assert starts and starts[0] == pytest.approx(1.02, abs=0.011)
    assert r.scenario.params["phase"] == "2" and last(r, "Car")[5] == 9.0


def test_an_error_inside_a_catalog_names_the_catalog_file_and_its_line(tmp_path):
    cat_dir = tmp_path / "cat"
    cat_dir.mkdir()
    bad = VEHICLE.replace('length="4.5"', 'length="long"')
    text = (
        '<?xml version="1.0"?>\n<OpenSCENARIO>\n<FileHeader revMajor="1" revMinor="3" '
        'date="2026-01-01T00:00:00" author="t" description="c"/>\n<Catalog name="V">\n\n'
        + bad.replace("<BoundingBox>", "\n<BoundingBox>\n").replace("<Dimensions", "\n\n<Dimensions")
        + "\n</Catalog>\n</OpenSCENARIO>\n"
    )
    (cat_dir / "vehicles.xosc").write_text(text)
    line = text[: text.index("<Dimensions")].count("\n") + 1
    truck = (
        '<ScenarioObject name="Truck"><CatalogReference catalogName="V" entryName="car"/></ScenarioObject>'
    )
    path = doc(tmp_path, "", truck, '<VehicleCatalog><Directory path="cat"/></VehicleCatalog>')
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert str(err.value).startswith(f"{(cat_dir / 'vehicles.xosc').resolve()}:{line}: <Dimensions>")
    assert "length='long' is not a number" in str(err.value)


def test_a_bare_map_name_is_a_carla_map_and_the_embedded_world_says_so(tmp_path):
    path = doc(tmp_path, "", logic="Town01")
    scen = load(path)
    assert scen.road_map == "Town01" and scen.road_file is None
    with pytest.raises(ValueError, match=r"'Town01' is a CARLA map name.*needs an OpenDRIVE"):
        _run(path)
    with pytest.raises(
        ScenarioError, match=r"t\.xosc:\d+: <LogicFile> road network .*missing\.xodr does not"
    ):
        load(doc(tmp_path, "", logic="missing.xodr"))


def test_trailers_and_trailer_actions_load(tmp_path):
    trailer = VEHICLE.replace('vehicleCategory="car"', 'vehicleCategory="trailer"').replace(
        "<Properties/>", '<Properties/><TrailerCoupler dx="1" dz="0.5"/>'
    )
    connect = (
        '<PrivateAction><TrailerAction><ConnectTrailerAction trailerRef="Trailer"/></TrailerAction>'
        "</PrivateAction>"
    )
    path = doc(
        tmp_path,
        "",
        f'<ScenarioObject name="Trailer">{trailer}</ScenarioObject>',
        init=f'<Private entityRef="Trailer"><PrivateAction>{teleport("-3", "30")}</PrivateAction>'
        f'</Private><Private entityRef="Car">{connect}</Private>',
    )
    scen = load(path)
    # trailers are simulated (tests/scenario/test_trailers.py): read without warnings
    assert not any("railer" in w for w in scen.warnings), scen.warnings
    assert scen.entities["Trailer"].coupler_dx == 1.0 and scen.entities["Trailer"].towing is None


def test_what_stays_unsupported_is_an_error_naming_file_line_and_element(tmp_path):
    hide = (
        "<PrivateAction><LateralAction><LateralDistanceAction entityRef='Car' distance='2' "
        "freespace='false' continuous='false' coordinateSystem='lane'/></LateralAction></PrivateAction>"
    )
    story = f"""<Story name="s"><Act name="act"><ManeuverGroup maximumExecutionCount="1" name="g">
        <Actors selectTriggeringEntities="false"><EntityRef entityRef="Car"/></Actors>
        <Maneuver name="m">{event("e", action("a", hide), sim_time("1"))}
        </Maneuver></ManeuverGroup></Act></Story>"""
    refused = r"t\.xosc:\d+: <LateralDistanceAction> is not supported: coordinateSystem='lane'"
    with pytest.raises(ScenarioError, match=refused):
        load(doc(tmp_path, story))
