"""How files written for other players load: catalogs found by name or by file name and in moved
directories, a road file given by another machine's absolute path, text built by expressions, an
absolute orientation on a relative position, and scenes with no road network.

Golden values from esmini 77028d83 on
tests/scenario/data/loading/scenario/catalog_expression_orientation.xosc:
``esmini --headless --fixed_timestep 0.01 --osc catalog_expression_orientation.xosc --csv_logger out.csv``
(run in that folder), and on tests/scenario/data/loading/scenario/open_plane.xosc the same way.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from dil.scenario.loader import load
from dil.scenario.params import ParameterError, resolve
from dil.scenario.xml import ScenarioError

from .helpers import HIGHWAY, dil_run, run_storyboard

DATA = Path(__file__).resolve().parent / "data" / "loading"
SCENARIO = DATA / "scenario" / "catalog_expression_orientation.xosc"
OPEN_PLANE = DATA / "scenario" / "open_plane.xosc"

# entity: {t [s]: (x [m], y [m], heading [rad], speed [m/s])}, esmini's trace. The event named
# ${Go + _ + $Gap} = Go_0.7 runs from 2 s to 4 s; Ego's slow-down waits for its end by that name.
GOLDEN = {
    "Ego": {
        0.0: (100.0, -5.25, 0.0, 20.0),
        2.0: (140.0, -5.25, 0.0, 20.0),
        4.0: (180.0, -5.25, 0.0, 20.0),
        6.5: (217.96, -5.25, 0.0, 12.0),
        8.0: (235.96, -5.25, 0.0, 12.0),
    },
    # placed 40 m ahead of Ego by a RelativeRoadPosition with Orientation type="absolute" h="0.3"
    "Target": {
        0.0: (140.0, -5.25, 0.3, 10.0),
        3.0: (171.515, -5.25, None, 13.0),
        4.0: (186.03, -5.25, None, 16.0),
        8.0: (250.03, -5.25, None, 16.0),
    },
}


def _rows(path: Path) -> tuple:
    result = run_storyboard(path, max_time=30.0)
    return result, {(r[1], round(r[0], 2)): r for r in result.trace}


def _check(rows: dict, golden: dict) -> None:
    for name, points in golden.items():
        for t, (x, y, h, v) in points.items():
            row = rows[(name, t)]
            # 0.1 m: dil starts an event waiting on another's end one 10 ms step after esmini (0.08 m)
            assert (row[2], row[3]) == (pytest.approx(x, abs=0.1), pytest.approx(y, abs=0.1)), (name, t)
            if h is not None:
                assert math.cos(row[4] - h) == pytest.approx(1.0, abs=1e-6), (name, t, row[4])
            assert row[5] == pytest.approx(v, abs=0.01), (name, t)


def test_catalog_text_expression_and_absolute_orientation_play_as_the_reference_player():
    result, rows = _rows(SCENARIO)
    _check(rows, GOLDEN)
    assert result.end == "stop trigger"
    scen = load(SCENARIO)
    # the catalog file declares the name TestCars; the reference names its file VehicleCatalog
    assert [w for w in scen.warnings if "declares its catalog as 'TestCars'" in w]
    assert scen.entities["Target"].width == 2.1 and scen.entities["Ego"].width == 1.8


def _moved(tmp_path: Path, catalog_dir: str, logic_file: str) -> Path:
    """The golden scenario in another layout: catalogs under tmp/Catalogs/Vehicles, the road in
    tmp/xodr, the scenario in tmp/scenario with the given Directory and LogicFile paths."""
    shutil.copytree(DATA / "Catalogs", tmp_path / "Catalogs")
    (tmp_path / "xodr").mkdir()
    shutil.copy(HIGHWAY, tmp_path / "xodr" / "highway.xodr")
    (tmp_path / "scenario").mkdir()
    text = SCENARIO.read_text()
    text = text.replace('Directory path="../Catalogs/Vehicles"', f'Directory path="{catalog_dir}"')
    text = text.replace('filepath="../../../../../scenarios/roads/highway.xodr"', f'filepath="{logic_file}"')
    path = tmp_path / "scenario" / "s.xosc"
    path.write_text(text)
    return path


def test_a_road_file_and_catalog_folder_from_another_machine_are_found_by_name_with_a_warning(tmp_path):
    path = _moved(tmp_path, "c:/work/assets/Vehicles", "c:/users/someone/GIT/resources/xodr/highway.xodr")
    scen = load(path)
    assert scen.road_file == (tmp_path / "xodr" / "highway.xodr").resolve()
    warned = "\n".join(scen.warnings)
    assert "filepath='c:/users/someone/GIT/resources/xodr/highway.xodr' does not exist" in warned
    assert f"the catalogs in {(tmp_path / 'Catalogs' / 'Vehicles').resolve()} are used" in warned
    _, rows = _rows(path)
    _check(rows, GOLDEN)


def test_a_road_file_found_nowhere_is_an_error_naming_file_line_element_and_value(tmp_path):
    path = _moved(tmp_path, "../Catalogs/Vehicles", "c:/elsewhere/nothing.xodr")
    proc = dil_run(path, "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:" in proc.stderr and "<LogicFile>" in proc.stderr and "nothing.xodr" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_several_catalog_files_share_one_catalog_name(tmp_path):
    """The standard's rule: every file of a catalog directory holding a Catalog of the referenced name."""
    shutil.copytree(DATA / "Catalogs", tmp_path / "Catalogs")
    truck = (DATA / "Catalogs" / "Vehicles" / "VehicleCatalog.xosc").read_text()
    truck = truck.replace('<Vehicle name="car"', '<Vehicle name="truck"').replace(
        'value="1.8"', 'value="2.5"'
    )
    (tmp_path / "Catalogs" / "Vehicles" / "Trucks.xosc").write_text(truck)
    (tmp_path / "xodr").mkdir()
    shutil.copy(HIGHWAY, tmp_path / "xodr" / "highway.xodr")
    (tmp_path / "scenario").mkdir()
    text = SCENARIO.read_text().replace('catalogName="VehicleCatalog"', 'catalogName="TestCars"')
    text = text.replace('entryName="car"/>', 'entryName="truck"/>', 1)
    text = text.replace(
        'filepath="../../../../../scenarios/roads/highway.xodr"', 'filepath="../xodr/highway.xodr"'
    )
    path = tmp_path / "scenario" / "s.xosc"
    path.write_text(text)
    scen = load(path)
    assert scen.entities["Ego"].width == 2.5  # from Trucks.xosc
    assert scen.entities["Target"].width == 2.1  # from VehicleCatalog.xosc, Width assigned
    assert not [w for w in scen.warnings if "declares its catalog" in w]
    bad = path.read_text().replace('entryName="truck"', 'entryName="bus"')
    path.write_text(bad)
    with pytest.raises(
        ScenarioError, match=r"s\.xosc:\d+: <CatalogReference> catalog 'TestCars' has no entry 'bus'"
    ):
        load(path)


def test_with_no_road_network_entities_are_placed_by_world_coordinates_and_move_in_a_plane():
    result, rows = _rows(OPEN_PLANE)
    assert result.end == "stop trigger"
    # placement: esmini's trace at 0 s (Other: 20 m ahead and 5 m left of Ego, absolute heading -1)
    _check(rows, {"Ego": {0.0: (10.0, 20.0, 0.5, 10.0)}, "Other": {0.0: (25.154524, 33.976424, -1.0, 5.0)}})
    # motion: esmini's default controller moves entities only along roads (with none they stand
    # still); dil moves them along their heading at the speed the storyboard sets
    ego, other = rows[("Ego", 5.0)], rows[("Other", 5.0)]
    travelled = 10.0 + 2 * 12.0 + 2 * 14.0  # 10 m/s to 1 s, ramp to 14 m/s by 3 s, then 14 m/s [m]
    assert (ego[2], ego[3]) == (
        pytest.approx(10.0 + travelled * math.cos(0.5), abs=0.1),
        pytest.approx(20.0 + travelled * math.sin(0.5), abs=0.1),
    )
    assert (other[2], other[3]) == (
        pytest.approx(25.154524 + 25.0 * math.cos(-1.0), abs=0.05),
        pytest.approx(33.976424 + 25.0 * math.sin(-1.0), abs=0.05),
    )
    assert ego[6] == "" and other[6] == ""  # on no road


ROAD_DISTANCE = (
    '<ByEntityCondition><TriggeringEntities triggeringEntitiesRule="any"><EntityRef entityRef="Ego"/>'
    '</TriggeringEntities><EntityCondition><RelativeDistanceCondition entityRef="Other" value="5" '
    'freespace="false" rule="lessThan" relativeDistanceType="longitudinal" coordinateSystem="road"/>'
    "</EntityCondition></ByEntityCondition>"
)


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        (
            '<WorldPosition x="10" y="20" z="0" h="0.5"/>',
            '<LanePosition roadId="1" laneId="-1" s="10" offset="0"/>',
            "LanePosition",
        ),
        (
            '<ByValueCondition>\n                <SimulationTimeCondition value="1" rule="greaterOrEqual"/>'
            "</ByValueCondition>",
            ROAD_DISTANCE,
            "RelativeDistanceCondition",
        ),
    ],
)
def test_without_roads_a_lane_based_element_is_an_error_naming_it(tmp_path, old, new, element):
    text = OPEN_PLANE.read_text()
    assert old in text
    path = tmp_path / "s.xosc"
    path.write_text(text.replace(old, new))
    proc = dil_run(path, "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:" in proc.stderr and f"<{element}>" in proc.stderr, proc.stderr
    assert "no RoadNetwork LogicFile" in proc.stderr and "Traceback" not in proc.stderr


def test_text_in_expressions_joins_with_plus_compares_and_is_bounded():
    params = {"Gap": "0.7", "Name": "car", "N": "3", "On": "true"}
    assert resolve("${BrakeCondition_HWT + _ + $Gap}", params) == "BrakeCondition_HWT_0.7"
    assert resolve("${$Name + '_' + $N}", params) == "car_3"
    assert resolve("${$Name == car}", params) == "true"
    assert resolve("${$N * 2 + 1}", params) == "7"
    assert resolve("${$On and $N > 2}", params) == "true"
    with pytest.raises(ParameterError, match=r"'car' is text, and .* needs numbers"):
        resolve("${$Name * 2}", params)
    with pytest.raises(ParameterError, match=r"'car' is text"):
        resolve("${$Name < 1}", params)
    long = {"T": "x" * 400}
    with pytest.raises(ParameterError, match="longer than 1000 characters"):
        resolve("${$T + $T + $T}", long)


def test_select_triggering_entities_with_no_entity_condition_in_the_act_trigger_keeps_the_listed_actors(
    tmp_path,
):
    text = OPEN_PLANE.read_text().replace(
        'selectTriggeringEntities="false"', 'selectTriggeringEntities="true"'
    )
    path = tmp_path / "s.xosc"
    path.write_text(text)
    scen = load(path)  # the Act starts by simulation time: no triggering entities, the actors listed
    assert scen.storyboard.stories[0].acts[0].groups[0].actors == ["Ego"]
    path.write_text(
        text.replace(
            '<SimulationTimeCondition value="0" rule="greaterOrEqual"/></ByValueCondition>',
            '<SimulationTimeCondition value="0" rule="greaterOrEqual"/></ByValueCondition></Condition>'
            '<Condition name="moving" delay="0" conditionEdge="none"><ByEntityCondition>'
            '<TriggeringEntities triggeringEntitiesRule="any"><EntityRef entityRef="Other"/>'
            "</TriggeringEntities><EntityCondition>"
            '<SpeedCondition value="1" rule="greaterThan"/></EntityCondition></ByEntityCondition>',
        )
    )
    with pytest.raises(
        ScenarioError, match=r"s\.xosc:\d+: <Actors> is not supported: selectTriggeringEntities=true"
    ):
        load(path)
