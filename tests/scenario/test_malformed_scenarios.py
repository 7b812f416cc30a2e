"""Broken variants of the project's own scenario (Euro NCAP CCRs): each is refused at load with the
file, line, element and value, and ``dil run`` exits 2 with that message and no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dil.scenario.loader import load
from dil.scenario.xml import ScenarioError

from .helpers import CATALOG

SOURCE = CATALOG / "ccrs.xosc"


def deep(n: int) -> str:
    return "${" + "(" * n + "40" + ")" * n + "}"


CHAIN = "".join(
    f'<ParameterDeclaration name="p{i}" parameterType="double" value="${{$p{i - 1} * 2}}"/>'
    for i in range(1, 1100)
)

# (name, what is replaced, by what, what the error names: element and value)
MUTATIONS = [
    ("unknown entity in a condition", '<EntityRef entityRef="Ego"/>', '<EntityRef entityRef="Nobody"/>',
     r"<EntityRef> attribute entityRef='Nobody': no such entity"),
    ("unknown entity in a position", 'RelativeLanePosition entityRef="Ego"',
     'RelativeLanePosition entityRef="Egoo"',
     r"<RelativeLanePosition> attribute entityRef='Egoo': no such entity"),
    ("zero entities", re.compile(r"<Entities>.*?</Entities>", re.S), "<Entities/>",
     r"<Entities> declares no entity"),
    ("empty storyboard", re.compile(r"<Storyboard>.*</Storyboard>", re.S), "<Storyboard/>",
     r"<Storyboard> has no <Init>"),
    ("dropped required attribute", 'dynamicsShape="step" ', "",
     r"<SpeedActionDynamics> is missing attribute 'dynamicsShape'"),
    ("wrong type", 'duration="1.0"', 'duration="long"',
     r"<StandStillCondition> attribute duration='long' is not a number"),
    ("wrong enumeration", 'rule="greaterThan"', 'rule="moreThan"',
     r"<SimulationTimeCondition> attribute rule='moreThan' must be one of"),
    ("huge number", 'name="EgoSpeed" parameterType="double" value="40"',
     'name="EgoSpeed" parameterType="double" value="1e11"',
     r"<RelativeLanePosition> attribute ds='\$\{\$EgoSpeed.*is outside \[-1e\+08, 1e\+08\]"),
    ("NaN", 'value="30" rule="greaterThan"', 'value="nan" rule="greaterThan"',
     r"<SimulationTimeCondition> attribute value='nan' is not finite"),
    ("not a number for a double parameter", 'name="Overlap" parameterType="double" value="0"',
     'name="Overlap" parameterType="double" value="wide"',
     r"<RelativeLanePosition> attribute offset='\$\{\$Overlap \* 1.83\}': .*'wide' is text"),
    ("deeply nested expression", 'name="EgoSpeed" parameterType="double" value="40"',
     f'name="EgoSpeed" parameterType="double" value="{deep(600)}"',
     r"<ParameterDeclaration> parameter 'EgoSpeed': expression"),
    ("doubling parameters", '<ParameterDeclaration name="Overlap"',
     '<ParameterDeclaration name="p0" parameterType="double" value="1"/>' + CHAIN
     + '<ParameterDeclaration name="Overlap"',
     r"<ParameterDeclaration> parameter 'p1024': expression '\$p1023 \* 2': a value is not finite"),
    ("an entity declared twice", '<ScenarioObject name="Target">', '<ScenarioObject name="Ego">',
     r"<ScenarioObject> entity 'Ego' is declared twice"),
]  # fmt: skip

# positions are placed on the road network when the run starts: refused then, before the first step
ON_THE_ROAD = [
    ("negative distance", 's="20"', 's="-30"', r"<LanePosition>: .*s = -30"),
    ("unknown lane", 'laneId="-2"', 'laneId="-9"', r"<LanePosition>: .*road 1 has no lane -9"),
]  # fmt: skip


def mutated(tmp: Path, find: str | re.Pattern[str], replace: str) -> Path:
    """The CCRs scenario with one change, its road and catalogs named by absolute paths."""
    text = SOURCE.read_text()
    text = text.replace('filepath="../roads/', f'filepath="{CATALOG.parent}/roads/')
    text = text.replace('path="catalogs"', f'path="{CATALOG}/catalogs"')
    changed = (
        find.sub(replace, text, count=1) if isinstance(find, re.Pattern) else text.replace(find, replace, 1)
    )
    assert changed != text, "the mutation must change the file"
    path = tmp / "broken.xosc"
    path.write_text(changed)
    return path


@pytest.mark.parametrize(
    ("find", "replace", "named"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS]
)
def test_a_broken_scenario_is_refused_naming_file_line_element_and_value(tmp_path, find, replace, named):
    path = mutated(tmp_path, find, replace)
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert re.match(rf"{re.escape(str(path))}:\d+: ", str(err.value)), str(err.value)
    assert re.search(named, str(err.value)), str(err.value)


def test_dil_run_exits_2_with_the_message_and_no_traceback(tmp_path):
    for name, find, replace, named in [MUTATIONS[0], MUTATIONS[3], MUTATIONS[8], *ON_THE_ROAD]:
        path = mutated(tmp_path, find, replace)
        done = subprocess.run(
            [sys.executable, "-m", "dil", "run", str(path), "--stack", "none", "--no-record"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=tmp_path,
        )
        assert done.returncode == 2, f"{name}: {done.stdout}{done.stderr}"
        assert "Traceback" not in done.stdout + done.stderr, name
        assert re.search(named, done.stderr), f"{name}: {done.stderr}"
