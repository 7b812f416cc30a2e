"""Set-up reuse in campaign workers: runs on the road network, parameter set and criteria an earlier
run of the process read are the same runs as fresh ones, and an edited file is read again."""

import json
import shutil
from pathlib import Path

import pytest

from dil.campaign.engine import result_path, run_campaign
from dil.campaign.runs import RunSpec, run_specs
from dil.campaign.spec import load
from dil.campaign.worker import execute, process_reuse
from dil.run import spec as run
from dil.run.reuse import Reuse
from dil.run.runner import run as play

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "scenarios" / "catalog"


def _spec(path: Path, **params: str) -> run.RunSpec:
    return run.RunSpec(
        run.ScenarioChoice(path, params), run.DriverChoice("builtin"), timing=run.Timing(max_time=12.0)
    )


def _campaign(tmp_path: Path, body: str) -> list[RunSpec]:
    path = tmp_path / "c.yaml"
    path.write_text(f"name: test\nscenarios: [{CATALOG / 'alks_cutout.xosc'}]\n" + body)
    return run_specs(load(path))


def test_a_run_on_parts_an_earlier_run_read_is_the_fresh_run_to_the_bit():
    reuse = Reuse()
    scenario = CATALOG / "alks_cutout.xosc"
    play(_spec(scenario, StopDistance="40"), reuse=reuse)
    assert (reuse.misses, reuse.hits) == (2, 0)  # the road network and the vehicle parameter set
    again = play(_spec(scenario, StopDistance="55"), reuse=reuse)
    assert (reuse.misses, reuse.hits) == (2, 2)
    fresh = play(_spec(scenario, StopDistance="55"))
    assert again.trace == fresh.trace and len(fresh.trace) > 100
    assert again.kpis == fresh.kpis and again.verdict == fresh.verdict and again.end == fresh.end


def test_an_edited_file_is_read_again(tmp_path):
    road = tmp_path / "road.xodr"
    shutil.copy(ROOT / "scenarios" / "roads" / "highway.xodr", road)
    reuse = Reuse()
    net = reuse.network(road)
    assert reuse.network(road) is net
    road.write_text(road.read_text() + "\n<!-- edited -->\n")
    assert reuse.network(road) is not net and reuse.misses == 2
    scenario = tmp_path / "s.xosc"
    criteria = tmp_path / "s.criteria.yaml"
    assert reuse.criteria(scenario).min_ttc == reuse.criteria(scenario).min_ttc  # defaults: no file
    criteria.write_text("min_ttc: 1.5\n")
    assert reuse.criteria(scenario).min_ttc == 1.5
    criteria.write_text("min_ttc: 2.25\n")
    assert reuse.criteria(scenario).min_ttc == 2.25
    assert reuse.vehicle_params("sedan_bmw320i") is reuse.vehicle_params("sedan_bmw320i")


def test_only_a_few_parts_of_a_kind_are_kept(tmp_path):
    reuse = Reuse(keep=2)
    files = []
    for k in range(3):
        f = tmp_path / f"s{k}.criteria.yaml"
        f.write_text(f"min_ttc: {k + 1}.0\n")
        files.append(tmp_path / f"s{k}.xosc")
    for f in files:
        reuse.criteria(f)
    reuse.criteria(files[2])
    assert reuse.hits == 1
    reuse.criteria(files[0])  # the oldest went first
    assert reuse.misses == 4


def test_a_worker_reads_its_set_up_once_and_its_rows_are_the_fresh_rows(tmp_path):
    specs = _campaign(tmp_path, "stacks: [builtin]\nparameters:\n  StopDistance: {values: [40, 60]}\n")
    first = execute(specs[0].as_dict(), str(tmp_path / "a"), False, 0)
    second = execute(specs[1].as_dict(), str(tmp_path / "a"), False, 0)
    assert second["reused"] >= 3 and second["cpu_s"] >= second["loop_cpu_s"] > 0  # network, vehicle, criteria
    process_reuse().clear()  # the same run in a worker that read nothing yet
    fresh = execute(specs[1].as_dict(), str(tmp_path / "b"), False, 0)
    assert fresh["reused"] == 0 and first["status"] == "pass"
    same = lambda r: {k: r[k] for k in ("status", "kpis", "verdict", "end", "simulated_s", "plays")}  # noqa: E731
    assert same(second) == same(fresh)


def test_ray_workers_reuse_their_set_up_too(tmp_path):
    pytest.importorskip("ray")
    specs = _campaign(
        tmp_path, "stacks: [builtin]\nmax_time: 2\nparameters:\n  StopDistance: {values: [40, 45, 50, 55]}\n"
    )
    run_campaign(specs, tmp_path / "ray", engine="ray", workers=1)
    docs = [json.loads(result_path(tmp_path / "ray", s.run_id).read_text()) for s in specs]
    assert all(d["status"] != "error" for d in docs), docs
    assert sum(d["reused"] > 0 for d in docs) >= 3  # one worker: every run after its first reuses
