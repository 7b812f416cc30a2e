import json
import math
import subprocess
import sys

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
from dil.scenario.loader import load

from .helpers import CATALOG

SCENARIOS = sorted(p.stem for p in CATALOG.glob("*.xosc"))


def test_the_catalog_has_the_standard_tests():
    assert {
        "ccrs",
        "ccrm",
        "ccrb",
        "cpna",
        "alks_cutin",
        "alks_cutout",
        "alks_decel",
        "lane_keeping_rural",
    } <= set(SCENARIOS)
    for name in SCENARIOS:
        assert (CATALOG / f"{name}.criteria.yaml").is_file(), name


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_catalog_scenario_passes_with_the_builtin_stack(name):
    r = run(RunSpec(ScenarioChoice(CATALOG / f"{name}.xosc")))
    assert r.passed, (r.end, r.verdict, r.kpis)
    assert r.end != "time limit 120 s"


@pytest.mark.parametrize("name", ["ccrs", "ccrm", "cpna", "cpfa", "alks_decel"])
def test_without_a_stack_the_conflict_ends_in_a_collision(name):
    """The scenarios are real conflicts: nobody braking means an impact."""
    r = run(RunSpec(ScenarioChoice(CATALOG / f"{name}.xosc"), DriverChoice("none")))
    assert r.kpis["collision"] and not r.passed


@pytest.mark.parametrize("speed", [20, 35, 50])
def test_emergency_braking_alone_avoids_a_stationary_car(speed):
    r = run(RunSpec(ScenarioChoice(CATALOG / "ccrs.xosc", {"EgoSpeed": str(speed)}), DriverChoice("aeb")))
    assert r.passed and not r.kpis["collision"]
    assert r.kpis["max_decel"] > 3.0  # it had to brake hard: no ACC here
    assert r.kpis["final_speed"] < 0.1


def test_a_cut_in_too_close_to_brake_for_fails():
    r = run(
        RunSpec(
            ScenarioChoice(
                CATALOG / "alks_cutin.xosc", {"CutInGap": "1", "SpeedDiff": "40", "CutInTime": "1.0"}
            )
        )
    )
    assert not r.passed and r.kpis["collision"] and r.kpis["collision_with"] == "Target"
    assert r.verdict["checks"][0] == {
        "criterion": "no_collision",
        "passed": False,
        "value": f"collided with Target at {r.kpis['collision_speed'] * 3.6:.1f} km/h",  # SI in the KPIs
    }


def test_golden_checkpoints_of_a_braking_lead_without_a_stack():
    """CCRb with the storyboard moving both cars: closed-form positions at fixed times."""
    r = run(RunSpec(ScenarioChoice(CATALOG / "ccrb.xosc"), DriverChoice("none")))
    v = 50 / 3.6
    ego = {round(row[0], 3): row for row in r.trace if row[1] == "Ego"}
    target = {round(row[0], 3): row for row in r.trace if row[1] == "Target"}
    assert ego[3.0][8] == pytest.approx(20.0 + v * 3.0, abs=0.15)
    s0 = 20.0 + 12.0 + 1.45 + 2.315
    t_brake = 2.01  # the first 100 Hz step after 2.0 s
    assert target[1.0][8] == pytest.approx(s0 + v * 1.0, abs=0.15)
    t = 3.5
    expected = s0 + v * t_brake + v * (t - t_brake) - 0.5 * 6.0 * (t - t_brake) ** 2
    assert target[t][8] == pytest.approx(expected, abs=0.2)
    assert target[t][5] == pytest.approx(v - 6.0 * (t - t_brake), abs=0.07)
    assert r.kpis["collision"]  # nobody brakes for the ego


def test_golden_checkpoints_of_a_cut_in_without_a_stack():
    r = run(
        RunSpec(
            ScenarioChoice(CATALOG / "alks_cutin.xosc"), DriverChoice("none"), timing=Timing(max_time=30.0)
        )
    )
    start = next(t for t, k, n, tr in r.transitions if (k, n, tr) == ("event", "event", "start"))
    end = next(t for t, k, n, tr in r.transitions if (k, n, tr) == ("event", "event", "end"))
    assert end - start == pytest.approx(3.0, abs=0.011)
    rows = {round(row[0], 3): row for row in r.trace if row[1] == "Target"}
    before = rows[round(math.floor(start * 10) / 10 - 0.1, 3)]
    after = rows[round(math.ceil(end * 10) / 10 + 0.1, 3)]
    assert before[7] == -1 and before[3] == pytest.approx(-1.75, abs=1e-6)
    assert after[7] == -2 and after[3] == pytest.approx(-5.25, abs=1e-6)


def test_runs_are_deterministic():
    # a faster cut-in (at about 5 s, not 11 s) and the ego's reaction to it, in 12 s of the 25 s run
    spec = RunSpec(
        ScenarioChoice(CATALOG / "alks_cutin.xosc", {"SpeedDiff": "40"}), timing=Timing(max_time=12.0)
    )
    a, b = run(spec), run(spec)
    assert a.trace == b.trace and a.kpis == b.kpis
    assert a.kpis["min_distance"] < 15.0  # the cut-in happened within the compared time


def test_catalog_references_resolve_with_parameter_assignment():
    scen = load(CATALOG / "ccrs.xosc")
    assert scen.entities["Target"].length == pytest.approx(4.02)
    assert scen.entities["Ego"].max_speed == 70.0


def _dil(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "dil", *args], capture_output=True, text=True, timeout=600, cwd=cwd
    )


def test_dil_run_exit_codes_and_result_file(tmp_path):
    ok = _dil("run", str(CATALOG / "ccrs.xosc"), "--param", "EgoSpeed=30", "--out", str(tmp_path))
    assert ok.returncode == 0, ok.stderr
    assert "verdict" in ok.stdout and "PASS" in ok.stdout
    doc = json.loads((tmp_path / "ccrs" / "result.json").read_text())
    assert doc["verdict"]["passed"] and doc["parameters"]["EgoSpeed"] == "30"
    assert len(doc["scenario_sha256"]) == 64
    assert (tmp_path / "ccrs" / "trace.csv").read_text().startswith("t_s,entity,")
    fail = _dil(
        "run",
        str(CATALOG / "alks_cutin.xosc"),
        "--param",
        "CutInGap=1",
        "--param",
        "SpeedDiff=40",
        "--param",
        "CutInTime=1",
        "--out",
        str(tmp_path),
    )
    assert fail.returncode == 1 and "FAIL" in fail.stdout
    bad = _dil("run", str(CATALOG / "ccrs.xosc"), "--param", "Nope=1", "--out", str(tmp_path))
    assert bad.returncode == 2 and "--param Nope" in bad.stderr
    missing = _dil("run", str(tmp_path / "none.xosc"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
