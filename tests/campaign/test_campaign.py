import csv
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dil.campaign.engine import done_ids, result_path, run_campaign
from dil.campaign.pvd import load_pvd
from dil.campaign.results import rows
from dil.campaign.runs import parameter_sets, run_specs
from dil.campaign.spec import CampaignError, load

from ..inproc import dil_here

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "scenarios" / "catalog"


def _spec(tmp_path: Path, body: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"name: test\nscenarios: [{CATALOG / 'ccrs.xosc'}]\n" + body)
    return path


def test_a_grid_produces_exactly_the_expected_runs(tmp_path):
    spec = load(
        _spec(
            tmp_path,
            "stacks: [aeb, builtin]\nrepetitions: 2\nparameters:\n"
            "  EgoSpeed: {values: [20, 35]}\n  Overlap: {range: {start: -0.5, stop: 0.5, step: 0.5}}\n",
        )
    )
    runs = run_specs(spec)
    assert len(runs) == 2 * 3 * 2 * 2
    combos = {(s.stack, s.repetition, dict(s.params)["EgoSpeed"], dict(s.params)["Overlap"]) for s in runs}
    assert combos == {
        (st, rep, v, o)
        for st in ("aeb", "builtin")
        for rep in (0, 1)
        for v in ("20", "35")
        for o in ("-0.5", "0", "0.5")
    }
    assert len({s.run_id for s in runs}) == len(runs)  # ids are unique...
    assert [
        s.run_id
        for s in run_specs(
            load(
                _spec(
                    tmp_path,
                    "stacks: [aeb, builtin]\nrepetitions: 2\nparameters:\n"
                    "  EgoSpeed: {values: [20, 35]}\n"
                    "  Overlap: {range: {start: -0.5, stop: 0.5, step: 0.5}}\n",
                    "other.yaml",
                )
            )
        )
    ] == [s.run_id for s in runs]  # ...and stable


def test_a_stochastic_campaign_is_reproducible_from_its_seed(tmp_path):
    body = (
        "combination: latin_hypercube\nsamples: 20\nseed: {seed}\nparameters:\n"
        "  EgoSpeed: {{uniform: {{low: 10, high: 50}}}}\n"
        "  StartTTC: {{normal: {{mean: 5, sd: 0.5, low: 4, high: 6}}}}\n"
    )
    a = parameter_sets(load(_spec(tmp_path, body.format(seed=7))))
    b = parameter_sets(load(_spec(tmp_path, body.format(seed=7), "b.yaml")))
    c = parameter_sets(load(_spec(tmp_path, body.format(seed=8), "c2.yaml")))
    assert a == b and a != c
    speeds = sorted(float(p["EgoSpeed"]) for p in a)
    assert [int((v - 10) // 2) for v in speeds] == list(range(20))  # one sample per stratum of width 2 km/h
    assert all(4 <= float(p["StartTTC"]) <= 6 for p in a)


def test_bad_campaign_files_name_the_key(tmp_path):
    with pytest.raises(CampaignError, match="unknown key 'stack'"):
        load(_spec(tmp_path, "stack: aeb\n"))
    with pytest.raises(CampaignError, match="is stochastic: use latin_hypercube or random"):
        load(_spec(tmp_path, "parameters:\n  EgoSpeed: {uniform: {low: 1, high: 2}}\n"))
    (tmp_path / "x.yaml").write_text("name: t\nscenarios: [nope.xosc]\n")
    with pytest.raises(CampaignError, match=r"scenario .*nope\.xosc does not exist"):
        load(tmp_path / "x.yaml")


def test_parameter_value_distribution_files_are_campaigns():
    spec = load_pvd(ROOT / "scenarios" / "campaigns" / "alks_cutin_distribution.xosc")
    runs = run_specs(spec)
    assert len(runs) == 6 * 3
    assert {dict(r.params)["CutInGap"] for r in runs} == {"5", "10", "15", "20", "25", "30"}


def test_a_run_that_raises_is_an_error_and_the_campaign_completes(tmp_path):
    # an ego teleported 5 km down a 1.2 km road cannot be placed: the run raises
    spec = load(
        _spec(tmp_path, "stacks: [aeb]\nmax_time: 15\nparameters:\n  StartTTC: {values: [1, 2, 500]}\n")
    )
    out = tmp_path / "out"
    ran, skipped = run_campaign(run_specs(spec), out, workers=2)
    table = rows(run_specs(spec), out)
    assert (ran, skipped) == (3, 0)
    by_ttc = {r["param.StartTTC"]: r for r in table}
    assert by_ttc["500"]["status"] == "error" and "outside road" in by_ttc["500"]["error"]
    assert by_ttc["1"]["status"] in ("pass", "fail") and by_ttc["2"]["status"] in ("pass", "fail")


def test_a_killed_campaign_resumes_without_duplicates_or_gaps(tmp_path):
    cfile = _spec(
        tmp_path,
        "stacks: [aeb]\nmax_time: 30\nparameters:\n"
        "  EgoSpeed: {range: {start: 10, stop: 40, step: 5}}\n  Overlap: {values: [0, 0.25]}\n",
    )
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "dil", "campaign", str(cfile), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(done_ids(out)) < 4:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    first = done_ids(out)
    assert 4 <= len(first) < 14
    stamps = {i: (out / "runs" / i / "result.json").stat().st_mtime_ns for i in first}
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert f"({14 - len(first)} run now, {len(first)} already done)" in again.stdout, (
        again.stdout + again.stderr
    )
    specs = run_specs(load(cfile))
    assert done_ids(out) == {s.run_id for s in specs}
    assert all((out / "runs" / i / "result.json").stat().st_mtime_ns == t for i, t in stamps.items())
    with (out / "results.csv").open() as f:
        ids = [r["run_id"] for r in csv.DictReader(f)]
    assert sorted(ids) == sorted({s.run_id for s in specs})


def test_results_files(tmp_path):
    cfile = _spec(
        tmp_path,
        "stacks: [aeb, none]\nmax_time: 20\nparameters:\n  EgoSpeed: {values: [20, 40]}\n"
        "  Overlap: {values: [0, 0.5]}\n",
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "dil", "campaign", str(cfile), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1  # the stack-less runs crash into the target
    suite = ET.parse(out / "junit.xml").getroot()
    assert suite.get("tests") == "8" and suite.get("failures") == "4" and suite.get("errors") == "0"
    failed = [c for c in suite if c.find("failure") is not None]
    assert all("none" in c.get("name") for c in failed)
    import pyarrow.parquet as pq

    table = pq.read_table(out / "results.parquet")
    assert table.num_rows == 8 and "min_ttc" in table.column_names
    logs = [r for r in csv.DictReader((out / "results.csv").open()) if r["log"]]
    assert len(logs) == 4 and all(Path(r["log"]).exists() for r in logs)  # failed runs keep their logs
    page = (out / "report.html").read_text()
    assert "Pass/fail map: ccrs, aeb" in page and page.count("data:image/png") >= 3
    assert json.loads((out / "campaign.json").read_text())["name"] == "test"


def test_ray_and_local_engines_give_identical_tables(tmp_path):
    pytest.importorskip("ray")
    spec = load(
        _spec(tmp_path, "stacks: [aeb]\nmax_time: 15\nparameters:\n  EgoSpeed: {values: [20, 40, 60]}\n")
    )
    specs = run_specs(spec)
    run_campaign(specs, tmp_path / "local", engine="local", workers=2)
    run_campaign(specs, tmp_path / "ray", engine="ray", workers=2)
    keep = lambda r: {k: v for k, v in r.items() if k not in ("wall_s", "log")}  # noqa: E731
    a = [keep(r) for r in rows(specs, tmp_path / "local")]
    b = [keep(r) for r in rows(specs, tmp_path / "ray")]
    assert a == b and all(r["status"] == "pass" for r in a)


def test_a_campaign_can_write_osi_ground_truth_into_every_log(tmp_path):
    from osi_utilities import ChannelSpecification, MessageType, open_channel

    spec = load(
        _spec(
            tmp_path,
            "stacks: [aeb]\nmax_time: 2\nosi: true\nkeep_passing_logs: true\nparameters:\n"
            "  EgoSpeed: {values: [20, 30]}\n",
        )
    )
    assert spec.osi
    out = tmp_path / "out"
    run_campaign(run_specs(spec), out, workers=1, keep_passing_logs=True, osi=spec.osi)
    logs = sorted((out / "runs").glob("*/run.mcap"))
    assert len(logs) == 2, _errors(out)
    for log in logs:  # read back with the OSI utilities, not dil's code
        reader = open_channel(
            ChannelSpecification(path=log, message_type=MessageType.GROUND_TRUTH, topic="ground_truth")
        )
        n = sum(1 for _ in reader)
        reader.close()
        assert n == 100  # 2 s at the world's 50 Hz


def _errors(out: Path) -> list[tuple[str, str]]:
    """Each run's status and error, from the campaign's table, to name what went wrong."""
    table = out / "results.csv"
    if not table.exists():
        return [("no results.csv", "")]
    return [(r["status"], r["error"]) for r in csv.DictReader(table.open())]


def test_runs_cut_by_the_time_guard_are_incomplete_and_counted_apart(tmp_path):
    cfile = _spec(tmp_path, "stacks: [aeb]\nmax_time: 1\nparameters:\n  EgoSpeed: {values: [20, 30]}\n")
    out = tmp_path / "out"
    done = dil_here("campaign", cfile, "--out", out, "--workers", "2")
    assert done.returncode == 1, done.stderr  # not every run passed
    assert "0 pass, 0 fail, 0 aborted, 2 incomplete, 0 error, 0 missing" in done.stdout, _errors(out)
    table = list(csv.DictReader((out / "results.csv").open()))
    assert [r["status"] for r in table] == ["incomplete", "incomplete"]
    assert all("time guard (--max-time 1 s)" in r["reason"] and r["end"] == "time limit 1 s" for r in table)
    assert all(Path(r["log"]).exists() for r in table)  # not passed: the logs stay
    suite = ET.parse(out / "junit.xml").getroot()
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "2")
    skipped = [c.find("skipped") for c in suite]
    assert all(s is not None and s.get("message").startswith("incomplete: the time guard") for s in skipped)
    page = (out / "report.html").read_text()
    assert "2 runs: 0 pass, 0 fail, 0 aborted, 2 incomplete, 0 error." in page


def test_aborted_runs_are_errors_with_their_reason_in_junit_and_counted_apart(tmp_path):
    from dil.campaign.results import counts, write_html, write_junit

    base = {
        "scenario": "ccrs",
        "stack": "aeb",
        "repetition": 0,
        "param.EgoSpeed": "20",
        "log": "",
        "error": "",
    }
    base.update({k: None for k in ("collision", "min_ttc", "min_distance", "max_decel", "collision_speed")})
    table = [
        {**base, "run_id": "a", "status": "pass", "end": "stop trigger", "reason": "", "wall_s": 1.0},
        {
            **base,
            "run_id": "b",
            "status": "aborted",
            "end": "x",
            "reason": "emergency stop by jane",
            "wall_s": 1.0,
        },
        {**base, "run_id": "c", "status": "fail", "end": "stop trigger", "reason": "", "wall_s": 1.0},
    ]
    assert counts(table) == {"pass": 1, "fail": 1, "aborted": 1, "incomplete": 0, "error": 0, "missing": 0}
    write_junit(table, tmp_path / "junit.xml", "t")
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "1", "0")
    assert suite[1].find("error").get("message") == "aborted: emergency stop by jane"
    write_html(table, tmp_path / "report.html", "t", None)
    page = (tmp_path / "report.html").read_text()
    assert "3 runs: 1 pass, 1 fail, 1 aborted, 0 incomplete, 0 error." in page
    assert "<tr><td>aeb</td><td>1</td><td>1</td><td>1</td><td>0</td><td>0</td></tr>" in page


def test_without_max_time_each_run_outlasts_its_scenario(tmp_path):
    from ..scenario.helpers import scenario, sim_time

    long = scenario(tmp_path, stop=sim_time("150", "end"))  # beyond the 120 s floor of the guard
    path = tmp_path / "c.yaml"
    path.write_text(f"name: long\nscenarios: [{long}]\nstacks: [none]\n")
    spec = load(path)
    assert spec.max_time is None
    specs = run_specs(spec)
    assert [s.max_time for s in specs] == [None]
    out = tmp_path / "out"
    run_campaign(specs, out, workers=1)
    (row,) = rows(specs, out)
    assert row["status"] == "pass", row
    assert row["end"] == "stop trigger"
    doc = json.loads(result_path(out, specs[0].run_id).read_text())
    assert doc["simulated_s"] > 150.0
