"""What a person reads about a run says speeds in km/h with one decimal; result.json keeps SI (m/s)."""

import json

import pytest

from dil.run.criteria import Criteria, judge
from dil.run.kpi import Kpis
from dil.run.results import summary, write_result
from dil.run.runner import run
from dil.run.spec import RunSpec, ScenarioChoice

from ..scenario.helpers import CATALOG


def test_collision_checks_read_in_kmh_with_one_decimal():
    k = Kpis(collision=True, collision_with="Target", collision_speed=14.38, end="stop trigger")
    checks = judge(k, Criteria(max_collision_speed=5.0), timed_out=False)["checks"]
    values = {c["criterion"]: c["value"] for c in checks}
    assert values["no_collision"] == "collided with Target at 51.8 km/h"  # 14.38 m/s
    assert values["max_collision_speed"] == "51.8 km/h (limit 18.0 km/h)"  # the limit is set in m/s


def test_a_run_with_a_collision_reports_kmh_and_keeps_si_in_its_result(tmp_path):
    spec = RunSpec(
        ScenarioChoice(CATALOG / "alks_cutin.xosc", {"CutInGap": "1", "SpeedDiff": "40", "CutInTime": "1.0"})
    )
    r = run(spec)
    assert r.kpis["collision"]
    kmh = f"{r.kpis['collision_speed'] * 3.6:.1f} km/h"
    assert f"with Target at {kmh}" in summary(r, tmp_path)
    assert r.verdict["checks"][0]["value"] == f"collided with Target at {kmh}"
    write_result(r, tmp_path, spec)
    doc = json.loads((tmp_path / "result.json").read_text())
    assert doc["kpis"]["collision_speed"] == pytest.approx(r.kpis["collision_speed"])  # [m/s]
    assert "m/s" not in json.dumps(doc["verdict"])
