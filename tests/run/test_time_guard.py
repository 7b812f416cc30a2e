"""The time guard (``--max-time``) is never shorter than the scenario, and a cut is ``incomplete``."""

import json
import subprocess
import sys
from pathlib import Path

from dil.run.guard import CEILING_S, FLOOR_S, default_max_time
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
from dil.scenario.loader import load

from ..scenario.helpers import CATALOG, scenario, sim_time

ROOT = Path(__file__).resolve().parents[2]


def _dil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dil", *args], capture_output=True, text=True, timeout=600, cwd=ROOT
    )


def _long(tmp_path: Path, seconds: str = "300") -> Path:
    """A scenario that ends by its stop trigger at ``seconds`` of simulated time."""
    return scenario(tmp_path, stop=sim_time(seconds, "end"))


def _no_stop_trigger(tmp_path: Path) -> Path:
    """Init only: nothing in the file ends it, so only time does."""
    path = scenario(tmp_path)
    doc = path.read_text()
    start, end = doc.index("<Story "), doc.index("</StopTrigger>") + len("</StopTrigger>")
    path.write_text(doc[:start] + doc[end:])
    return path


def test_the_default_guard_outlasts_the_scenario(tmp_path):
    path = _long(tmp_path)
    assert default_max_time(load(path)) >= 300.0 + 10.0
    assert default_max_time(load(CATALOG / "ccrs.xosc")) == FLOOR_S  # 30 s with margin is below the floor
    # a parameter sets the stop time: the guard follows it
    doc = path.read_text().replace('value="300"', 'value="$Length"')
    doc = doc.replace(
        "<ParameterDeclarations>",
        '<ParameterDeclarations><ParameterDeclaration name="Length" parameterType="double" value="200"/>',
    )
    path.write_text(doc)
    assert default_max_time(load(path, {"Length": "500"})) >= 510.0
    # a stop time beyond any run does not make a guard that never ends
    assert default_max_time(load(_long(tmp_path, "1e12"))) == CEILING_S


def test_a_300_s_scenario_runs_to_its_end_by_default_and_a_shorter_guard_is_incomplete(tmp_path):
    path = _long(tmp_path)
    whole = _dil("run", str(path), "--stack", "none", "--no-record", "--out", str(tmp_path / "a"))
    assert whole.returncode == 0, whole.stdout + whole.stderr
    doc = json.loads((tmp_path / "a" / "t" / "result.json").read_text())
    assert doc["end"] == "stop trigger" and doc["simulated_s"] > 300.0
    assert doc["verdict"]["outcome"] == "pass" and doc["verdict"]["passed"] is True

    cut = _dil(
        "run", str(path), "--stack", "none", "--no-record", "--max-time", "120", "--out", str(tmp_path / "b")
    )
    assert cut.returncode == 3, cut.stdout + cut.stderr
    assert "verdict                    INCOMPLETE: the time guard (--max-time 120 s)" in cut.stdout
    doc = json.loads((tmp_path / "b" / "t" / "result.json").read_text())
    v = doc["verdict"]
    assert v["outcome"] == "incomplete" and v["passed"] is False and "120 s" in v["reason"]
    assert doc["outcome"] == "incomplete" and doc["end"] == "time limit 120 s"
    assert abs(doc["simulated_s"] - 120.0) < 0.02
    assert all(c["passed"] for c in v["checks"])  # no criterion failed: the run just did not finish


def test_a_scenario_without_a_stop_trigger_ends_by_time_as_before(tmp_path):
    path = _no_stop_trigger(tmp_path)
    r = run(RunSpec(ScenarioChoice(path), DriverChoice("none"), timing=Timing(max_time=3.0)))
    assert r.end == "time limit 3 s" and r.outcome == "pass" and r.verdict["reason"] == ""
    assert r.max_time == 3.0
    # by default too: the guard is its length
    r = run(RunSpec(ScenarioChoice(path), DriverChoice("none")))
    assert r.end == f"time limit {FLOOR_S:g} s" and r.outcome == "pass"
    # must_complete asks for an end by the storyboard: time alone fails it (not incomplete)
    from dil.run.criteria import Criteria

    r = run(
        RunSpec(
            ScenarioChoice(path),
            DriverChoice("none"),
            timing=Timing(max_time=2.0),
            criteria=Criteria(must_complete=True),
        )
    )
    assert r.outcome == "fail"
    assert [c["criterion"] for c in r.verdict["checks"] if not c["passed"]] == ["must_complete"]


def test_a_guard_that_is_not_a_positive_time_is_refused(tmp_path):
    bad = _dil("run", str(_long(tmp_path)), "--max-time", "-5", "--no-record", "--out", str(tmp_path))
    assert bad.returncode == 2 and "--max-time -5" in bad.stderr and "Traceback" not in bad.stderr
