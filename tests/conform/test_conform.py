"""``dil conform`` on small files written here: a refused element, a file that loads, a catalog, the
census, and comparisons against esmini-format logs given by a stand-in executable (esmini itself is
for development only)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .esmini_csv import read_dil_trace, stand_in, write_esmini_csv
from .scenarios import CATALOG, REFUSED_INIT, scenario


def conform(*args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dil", "conform", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def dil_trace(xosc: Path, out: Path) -> dict[str, np.ndarray]:
    p = subprocess.run(
        [sys.executable, "-m", "dil", "run", str(xosc), "--stack", "none", "--no-record", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert p.returncode == 0, p.stderr
    return read_dil_trace(out / xosc.stem / "trace.csv")


def by_file(doc: dict) -> dict[str, dict]:
    return {r["file"]: r for r in doc["files"]}


def test_a_refused_element_a_loaded_file_a_catalog_and_the_census(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "catalogs").mkdir(parents=True)
    scenario(corpus / "plain.xosc")
    scenario(corpus / "hover.xosc", extra_init=REFUSED_INIT)
    (corpus / "catalogs" / "cars.xosc").write_text(CATALOG)
    out = tmp_path / "out"
    p = conform(corpus, "--out", out, "--census")
    assert p.returncode == 0, p.stderr
    assert "dil loaded and ran: 1/2 (50.0 %)" in p.stdout
    doc = json.loads((out / "conformance.json").read_text())
    files = by_file(doc)
    assert set(files) == {"plain.xosc", "hover.xosc", "catalogs/cars.xosc"}
    assert files["catalogs/cars.xosc"]["kind"] == "catalog"
    plain, hover = files["plain.xosc"]["dil"], files["hover.xosc"]["dil"]
    assert plain["status"] == "loaded" and plain["simulated_s"] == pytest.approx(4.0, abs=0.2)
    assert hover["status"] == "refused" and hover["element"] == "HoverAction"
    assert f"{corpus / 'hover.xosc'}:" in hover["message"] and "<HoverAction>" in hover["message"]
    assert doc["summary"] == {
        "files": 3,
        "scenarios": 2,
        "dil_loaded": 1,
        "dil_loaded_pct": 50.0,
        "dil_status": {"loaded": 1, "refused": 1},
    }
    census = {e["element"]: e for e in doc["census"]["elements"]}
    assert census["TeleportAction"] == {
        "element": "TeleportAction", "files": 2, "occurrences": 4, "support": "supported", "refused_files": 0
    }  # fmt: skip
    assert census["Vehicle"]["files"] == 3  # the catalog's entries are counted too
    gaps = {g["element"]: g for g in doc["census"]["gaps"]}
    assert gaps["HoverAction"]["support"] == "not listed" and gaps["HoverAction"]["refused_files"] == 1
    assert "TeleportAction" not in gaps
    md = (out / "conformance.md").read_text()
    assert "| plain.xosc | loaded (" in md
    assert "| hover.xosc | **refused**: " in md and "<HoverAction>" in md
    assert "| HoverAction | 1 | 1 | not listed | 1 |" in md


def test_a_divergence_is_found_at_its_time_and_a_controlled_entity_by_outcome(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lane = scenario(corpus / "lane.xosc")
    acc = scenario(corpus / "acc.xosc", controller="ACCController")
    logs = {}
    tracks = dil_trace(lane, tmp_path / "ref")
    lead = tracks["Lead"].copy()
    lead[lead[:, 0] >= 2.0, 2] += 1.0  # esmini's Lead 1 m to the left from t = 2 s
    ghost = tracks["Lead"].copy()  # an entity of esmini's own (a follow-ghost controller makes one)
    write_esmini_csv(tmp_path / "lane.csv", {"Ego": tracks["Ego"], "Lead": lead, "Lead_ghost": ghost})
    logs["lane.xosc"] = tmp_path / "lane.csv"
    tracks = dil_trace(acc, tmp_path / "ref")
    lead = tracks["Lead"].copy()
    ego = tracks["Ego"]
    lead[:, 1] = np.where(lead[:, 0] >= 3.0, ego[:, 1] + 3.0, lead[:, 1])  # esmini's Lead: into the Ego
    write_esmini_csv(tmp_path / "acc.csv", {"Ego": ego, "Lead": lead})
    logs["acc.xosc"] = tmp_path / "acc.csv"
    esmini = stand_in(tmp_path / "esmini", logs)
    out = tmp_path / "out"
    p = conform(corpus, "--esmini", esmini, "--out", out, "--esmini-version", "stand-in 1")
    assert p.returncode == 0, p.stderr
    doc = json.loads((out / "conformance.json").read_text())
    rows = by_file(doc)
    ents = {e["entity"]: e for e in rows["lane.xosc"]["entities"]}
    assert ents["Ego"]["status"] == "within" and ents["Ego"]["max_position_m"] < 0.01
    assert ents["Lead"]["status"] == "differs"
    assert ents["Lead"]["first_divergence_s"] == pytest.approx(2.0)
    assert ents["Lead"]["max_position_m"] == pytest.approx(1.0, abs=1e-3)
    assert "Lead_ghost" not in ents
    assert "only in esmini's trace, not declared by the scenario: Lead_ghost" in rows["lane.xosc"]["notes"]
    # the controller-driven Lead: by outcome, not by trajectory
    acc_row = rows["acc.xosc"]
    assert [e["entity"] for e in acc_row["entities"]] == ["Ego"]
    (ctl,) = acc_row["controlled"]
    assert ctl["entity"] == "Lead" and ctl["controller"] == "ACCController"
    assert ctl["status"] == "other outcome"
    assert ctl["dil"]["collision"] is False
    assert ctl["dil"]["min_gap_m"] == pytest.approx(30.0 - 4.5, abs=0.01)  # bumper to bumper
    assert ctl["esmini"]["collision"] is True and ctl["esmini"]["collision_with"] == "Ego"
    assert ctl["esmini"]["collision_t_s"] == pytest.approx(3.0)
    s = doc["summary"]
    assert (s["entities"], s["entities_within"], s["entities_within_pct"]) == (3, 2, pytest.approx(66.7))
    assert (s["controlled"], s["controlled_same_outcome"]) == (1, 0)
    assert "storyboard-driven entities within 0.5 m of esmini: 2/3 (66.7 %)" in p.stdout
    assert doc["esmini"] == {"path": str(esmini), "version": "stand-in 1"}
    md = (out / "conformance.md").read_text()
    assert f"; esmini {esmini} (stand-in 1); position tolerance 0.5 m." in md
    assert "Lead: differs from 2.00 s (max 1.00 m" in md
    assert (
        "Lead (ACCController): other outcome; dil min gap 25.50 m, esmini collision with Ego at 3.00 s" in md
    )


def test_a_player_that_hangs_refuses_or_crashes_is_reported_and_the_harness_goes_on(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    a = scenario(corpus / "a.xosc")
    scenario(corpus / "b.xosc")  # the stand-in has no log for it: it refuses the file
    scenario(corpus / "c.xosc")  # the stand-in dies on it
    write_esmini_csv(tmp_path / "a.csv", dil_trace(a, tmp_path / "ref"))
    esmini = stand_in(tmp_path / "esmini", {"a.xosc": tmp_path / "a.csv"}, hang=True, crash="c.xosc")
    out = tmp_path / "out"
    p = conform(corpus, "--esmini", esmini, "--out", out, "--timeout", "12")
    assert p.returncode == 0, p.stderr
    rows = by_file(json.loads((out / "conformance.json").read_text()))
    assert rows["a.xosc"]["esmini"]["status"] == "loaded"
    assert rows["a.xosc"]["esmini"]["end"] == "cut after 12 s"  # the log it left is still compared
    assert all(e["status"] == "within" for e in rows["a.xosc"]["entities"])
    assert rows["b.xosc"]["esmini"]["status"] == "refused"
    assert "cannot load" in rows["b.xosc"]["esmini"]["message"]
    assert rows["b.xosc"]["dil"]["status"] == "loaded" and rows["b.xosc"]["entities"] == []
    assert rows["c.xosc"]["esmini"]["status"] == "crashed"
    assert rows["c.xosc"]["esmini"]["message"] == f"exit {-signal.SIGSEGV}, no log rows"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/nowhere"], "{tmp}/nowhere: no such file or folder"),
        (["{tmp}", "--tolerance", "-1"], "--tolerance -1.0: must be a number >= 0"),
        (["{tmp}", "--esmini", "{tmp}/a.xosc"], "--esmini {tmp}/a.xosc: not an executable file"),
        (["{tmp}/empty"], "{tmp}/empty: a folder without .xosc files"),
    ],
)
def test_bad_arguments_exit_2_naming_them(tmp_path, args: list[str], message: str) -> None:
    scenario(tmp_path / "a.xosc")
    (tmp_path / "empty").mkdir()
    p = conform(*[a.format(tmp=tmp_path) for a in args], "--out", tmp_path / "out")
    assert p.returncode == 2
    assert p.stderr.strip() == f"dil conform: {message.format(tmp=tmp_path)}"
    assert "Traceback" not in p.stderr


def test_a_run_that_stops_on_an_error_is_failed_not_loaded(tmp_path) -> None:
    """A file that loads but whose run stops on an error in its loop (here a SynchronizeAction's target
    beyond the road's end, met at 1 s) did not play the scenario: "failed", with the error, and its
    entities are not counted as within."""
    from dil.conform.players import FAILED, run_dil

    target = '<LanePosition roadId="1" laneId="-2" offset="0" s="5000"/>'
    sync = (
        '<Story name="s"><Act name="a"><ManeuverGroup maximumExecutionCount="1" name="g">'
        '<Actors selectTriggeringEntities="false"><EntityRef entityRef="Lead"/></Actors>'
        '<Maneuver name="m"><Event name="e" priority="override"><Action name="sync"><PrivateAction>'
        '<SynchronizeAction masterEntityRef="Ego"><TargetPositionMaster>'
        '<LanePosition roadId="1" laneId="-2" offset="0" s="300"/></TargetPositionMaster>'
        f"<TargetPosition>{target}</TargetPosition></SynchronizeAction></PrivateAction></Action>"
        '<StartTrigger><ConditionGroup><Condition name="c" delay="0" conditionEdge="none"><ByValueCondition>'
        '<SimulationTimeCondition value="1" rule="greaterThan"/></ByValueCondition></Condition>'
        "</ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>"
        '<StartTrigger><ConditionGroup><Condition name="go" delay="0" conditionEdge="none"><ByValueCondition>'
        '<SimulationTimeCondition value="0" rule="greaterOrEqual"/></ByValueCondition></Condition>'
        "</ConditionGroup></StartTrigger></Act></Story>"
    )
    path = scenario(tmp_path / "fails.xosc")
    path.write_text(path.read_text().replace("</Init>", "</Init>" + sync, 1))
    run = run_dil(path, tmp_path / "out", 300)
    assert run.status == FAILED, run
    assert "outside road 1" in run.message and run.trace is not None and run.trace.exists()


def test_both_players_whole_process_times_are_in_the_json_the_table_and_the_summary(tmp_path) -> None:
    """Each player's process is timed from start to exit, wall clock and its own CPU time: the
    stand-in esmini spends 0.5 s of CPU, which its row shows (not the harness's nor dil's)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    a = scenario(corpus / "a.xosc")
    write_esmini_csv(tmp_path / "a.csv", dil_trace(a, tmp_path / "ref"))
    esmini = stand_in(tmp_path / "esmini", {"a.xosc": tmp_path / "a.csv"}, burn_s=0.5)
    out = tmp_path / "out"
    p = conform(corpus, "--esmini", esmini, "--out", out)
    assert p.returncode == 0, p.stderr
    doc = json.loads((out / "conformance.json").read_text())
    dil, esm = by_file(doc)["a.xosc"]["dil"], by_file(doc)["a.xosc"]["esmini"]
    assert 0.5 <= esm["cpu_s"] < 1.0 and esm["wall_s"] >= esm["cpu_s"] - 0.002  # one thread: CPU <= wall
    assert dil["cpu_s"] > 0.1 and dil["wall_s"] > 0.1  # a whole `dil run` process: numba and all
    whole = doc["summary"]["whole_process"]
    assert whole["files"] == 1 and whole["esmini_cpu_median_s"] == esm["cpu_s"]
    assert whole["dil_wall_median_s"] == dil["wall_s"] and whole["esmini_wall_median_s"] == esm["wall_s"]
    assert whole["dil_not_slower_cpu"] == int(dil["cpu_s"] <= esm["cpu_s"])
    assert whole["dil_not_slower_wall"] == int(dil["wall_s"] <= esm["wall_s"])
    times = f"| {dil['wall_s']:.2f} ({dil['cpu_s']:.2f}) | {esm['wall_s']:.2f} ({esm['cpu_s']:.2f}) |"
    md = (out / "conformance.md").read_text()
    assert "| whole process dil | whole process esmini |" in md
    assert next(ln for ln in md.splitlines() if ln.startswith("| a.xosc |")).endswith(times)
    assert (
        f"whole process on the 1 files both ran (dil: fresh processes): dil median {dil['wall_s']:.2f} s wall"
        in p.stdout
    )
    ratio = round(dil["wall_s"] / esm["wall_s"], 3)
    assert whole["ratio_wall_median"] == whole["ratio_wall_max"] == pytest.approx(ratio, abs=0.002)
    assert f"dil/esmini whole process: wall median {whole['ratio_wall_median']:.2f}x" in p.stdout

    # the same corpus with dil's runs handed to a run-worker the harness starts: the same table, and a
    # dil process that no longer imports numba and loads kernels (its CPU time is the client's alone)
    served = conform(corpus, "--esmini", esmini, "--out", tmp_path / "served", "--worker")
    assert served.returncode == 0, served.stderr
    doc2 = json.loads((tmp_path / "served" / "conformance.json").read_text())
    assert (doc["dil_process"], doc2["dil_process"]) == ("fresh", "run-worker")
    row, row2 = by_file(doc)["a.xosc"], by_file(doc2)["a.xosc"]
    assert row2["entities"] == row["entities"] and row2["dil"]["status"] == row["dil"]["status"]
    assert row2["dil"]["cpu_s"] < dil["cpu_s"] / 3, (row2["dil"], dil)
    assert "whole process on the 1 files both ran (dil: through a run-worker)" in served.stdout
    assert "serving dil run at" not in served.stderr  # the worker's own output is in its log
