"""Campaign workers: a run records its log only where the log is kept, and Ray tasks carry several runs."""

import json
from pathlib import Path

import pytest

from dil.campaign.engine import ray_chunk, result_path, run_campaign
from dil.campaign.results import rows
from dil.campaign.runs import RunSpec, run_specs
from dil.campaign.spec import load
from dil.campaign.worker import _play

ROOT = Path(__file__).resolve().parents[2]
CCRS = ROOT / "scenarios" / "catalog" / "ccrs.xosc"


def _campaign(tmp_path: Path, body: str) -> list[RunSpec]:
    path = tmp_path / "c.yaml"
    path.write_text(f"name: test\nscenarios: [{CCRS}]\n" + body)
    return run_specs(load(path))


def test_a_run_played_again_to_record_it_is_the_same_run(tmp_path):
    (spec,) = _campaign(tmp_path, "stacks: [none]\nmax_time: 20\nparameters:\n  EgoSpeed: {values: [40]}\n")
    quiet = _play(spec, None, osi=False)
    recorded = _play(spec, tmp_path / "run.mcap", osi=False)
    assert quiet["status"] == "fail"  # no stack: the ego runs into the target
    assert (tmp_path / "run.mcap").stat().st_size > 0
    drop = lambda r: {k: v for k, v in r.items() if k not in ("loop_s", "loop_cpu_s")}  # noqa: E731
    assert drop(quiet) == drop(recorded)


def test_only_runs_that_did_not_pass_are_recorded(tmp_path):
    specs = _campaign(
        tmp_path, "stacks: [aeb, none]\nmax_time: 20\nparameters:\n  EgoSpeed: {values: [20, 40]}\n"
    )
    out = tmp_path / "out"
    run_campaign(specs, out, workers=2)
    docs = {
        s.stack + "/" + dict(s.params)["EgoSpeed"]: json.loads(result_path(out, s.run_id).read_text())
        for s in specs
    }
    for key, doc in docs.items():
        passed = doc["status"] == "pass"
        assert doc["plays"] == (1 if passed else 2), key
        assert bool(doc["log"]) == (not passed) and (not doc["log"] or Path(doc["log"]).stat().st_size > 0)
    assert docs["aeb/20"]["status"] == "pass" and docs["none/40"]["status"] == "fail"
    kept = tmp_path / "kept"
    run_campaign(specs, kept, workers=2, keep_passing_logs=True)
    again = [json.loads(result_path(kept, s.run_id).read_text()) for s in specs]
    assert all(d["plays"] == 1 and Path(d["log"]).is_file() for d in again)  # recorded from the start
    keep = lambda r: {k: v for k, v in r.items() if k not in ("wall_s", "log")}  # noqa: E731
    assert [keep(r) for r in rows(specs, out)] == [keep(r) for r in rows(specs, kept)]


def test_ray_tasks_carry_several_runs():
    assert ray_chunk(1000, 2) == 16 and ray_chunk(3, 2) == 1 and ray_chunk(9, 1) == 2


def test_ray_tasks_of_several_runs_give_the_local_table(tmp_path):
    pytest.importorskip("ray")
    specs = _campaign(
        tmp_path, "stacks: [aeb, none]\nmax_time: 3\nparameters:\n  EgoSpeed: {values: [20, 30, 40, 50]}\n"
    )
    assert ray_chunk(len(specs), 1) > 1
    run_campaign(specs, tmp_path / "local", engine="local", workers=1)
    run_campaign(specs, tmp_path / "ray", engine="ray", workers=1)
    keep = lambda r: {k: v for k, v in r.items() if k not in ("wall_s", "log")}  # noqa: E731
    a = [keep(r) for r in rows(specs, tmp_path / "local")]
    assert a == [keep(r) for r in rows(specs, tmp_path / "ray")] and len(a) == 8
