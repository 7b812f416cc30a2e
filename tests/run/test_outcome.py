"""Outcomes of runs: pass, fail, aborted (a node's error, an interruption) and incomplete."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from dil.bus.graph import NodeSpec
from dil.recording.reader import read_metadata
from dil.run.criteria import Criteria, judge
from dil.run.kpi import Kpis
from dil.run.outcome import exit_status, label, outcome_of
from dil.run.runner import run
from dil.run.spec import Outputs, RunSpec, ScenarioChoice

from ..scenario.helpers import CATALOG, scenario, sim_time

ROOT = Path(__file__).resolve().parents[2]


def test_an_aborted_or_incomplete_run_is_neither_pass_nor_fail_whatever_its_checks():
    k = Kpis(end="emergency stop by jane")
    v = judge(k, Criteria(must_complete=True), timed_out=False, aborted="emergency stop by jane")
    assert (v["outcome"], v["passed"], v["reason"]) == ("aborted", False, "emergency stop by jane")
    assert {c["criterion"]: c["passed"] for c in v["checks"]} == {
        "no_collision": True,
        "must_complete": False,
    }
    assert label(v) == "ABORTED: emergency stop by jane" and exit_status(v) == 3
    v = judge(Kpis(end="time limit 5 s"), Criteria(), timed_out=True, incomplete="cut at 5 s")
    assert (v["outcome"], v["passed"], label(v), exit_status(v)) == (
        "incomplete",
        False,
        "INCOMPLETE: cut at 5 s",
        3,
    )
    v = judge(Kpis(end="stop trigger"), Criteria(), timed_out=False)
    assert (v["outcome"], v["passed"], v["reason"], label(v), exit_status(v)) == ("pass", True, "", "PASS", 0)
    v = judge(Kpis(collision=True, collision_with="Target", end="stop trigger"), Criteria(), timed_out=False)
    assert (v["outcome"], label(v), exit_status(v)) == ("fail", "FAIL", 1)


def test_files_written_before_outcomes_existed_read_as_pass_or_fail():
    assert outcome_of({"passed": True, "checks": []}) == "pass"
    assert outcome_of({"passed": False, "checks": []}) == "fail"
    assert label({"passed": False}) == "FAIL" and outcome_of(None) == "" and label(None) == ""


class _Broken:
    """A node that fails at 1 s of simulated time (a bug in a node, for real, in the loop)."""

    rate_hz = 100.0

    def __init__(self) -> None:
        self.spec = NodeSpec("broken")

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        if t_sim_ns >= 1_000_000_000:
            raise RuntimeError("boom")


def test_a_node_that_fails_aborts_the_run_and_its_log_says_so(tmp_path):
    log = tmp_path / "run.mcap"
    r = run(
        RunSpec(ScenarioChoice(CATALOG / "ccrs.xosc"), outputs=Outputs(record=log)),
        on_loop=lambda loop: loop.nodes.append(_Broken()),
    )
    assert r.outcome == "aborted" and r.verdict["reason"] == "error in the loop: RuntimeError: boom"
    assert r.end == r.verdict["reason"] and abs(r.simulated_s - 1.0) < 0.02
    meta, _ = read_metadata(log)
    assert json.loads(meta["dil.recording"]["verdict"])["outcome"] == "aborted"
    assert meta["dil.recording"]["end"] == "error in the loop: RuntimeError: boom"


def test_ctrl_c_of_dil_run_leaves_an_aborted_log(tmp_path):
    path = scenario(tmp_path, stop=sim_time("300", "end"))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dil", "run", str(path), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    log = out / "t" / "run.mcap"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not log.exists() or log.stat().st_size < 200_000):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    meta, _ = read_metadata(log)
    v = json.loads(meta["dil.recording"]["verdict"])
    assert (v["outcome"], v["reason"], v["passed"]) == ("aborted", "interrupted", False)
    score = subprocess.run(
        [sys.executable, "-m", "dil", "log", "score", str(log)], capture_output=True, text=True, timeout=120
    )
    assert score.returncode == 3 and "verdict ABORTED: interrupted" in score.stdout
