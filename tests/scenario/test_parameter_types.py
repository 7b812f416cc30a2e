"""Parameter values against their declared types, and the constants of expressions (``pi``, ``e``).
The scenario-level checks run on tests/scenario/data/no_driver (see test_no_driver.py for its
esmini golden values)."""

from __future__ import annotations

import pytest

from dil.scenario.loader import load
from dil.scenario.params import resolve
from dil.scenario.xml import ScenarioError

from .helpers import dil_run
from .test_scopes_and_catalogs import doc

STORY = "<Story name='s'><Act name='a'/></Story>"


def test_expression_constants():
    assert float(resolve("${pi}", {})) == pytest.approx(3.141592653589793)
    assert float(resolve("${2 * e}", {})) == pytest.approx(5.43656365691809)
    assert resolve("${$pi}", {"pi": "3"}) == "3"  # a parameter named pi is referenced with $
    assert resolve("${Brake_ + $g}", {"g": "0.7"}) == "Brake_0.7"


def test_a_mistyped_value_used_as_a_number_is_an_error(tmp_path):
    path = doc(tmp_path, STORY)
    text = path.read_text().replace('value="5"/>', 'value="fast"/>', 1)
    text = text.replace('s="10" offset="0"', 's="$v" offset="0"', 1)
    path.write_text(text)
    with pytest.raises(ScenarioError, match=r"t\.xosc:\d+: <LanePosition> attribute s='\$v'"):
        load(path)


def test_a_mistyped_default_assigned_a_number_is_quiet(tmp_path):
    path = doc(tmp_path, STORY)
    path.write_text(path.read_text().replace('value="5"/>', 'value="fast"/>', 1))
    scen = load(path, overrides={"v": "7"})
    assert scen.params["v"] == "7"
    assert not any("'v'" in w for w in scen.warnings)


def test_a_non_number_given_with_param_for_a_double_is_an_error(tmp_path):
    path = doc(tmp_path, STORY)
    p = dil_run(path, "--no-record", "--param", "v=fast")
    assert p.returncode == 2
    assert f"{path}: --param v='fast': the parameter is a double, not a number" in p.stderr
    assert "Traceback" not in p.stderr
