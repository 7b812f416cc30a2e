"""``dil bench campaign``: the rows it prints side by side and the JSON it writes."""

import json
import subprocess
import sys

import pytest


def test_bench_campaign_sets_runs_beside_the_floor_recording_and_ray(tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "c.json"
    cmd = ["bench", "campaign", "--runs", "4", "--baseline-runs", "2", "--ray-runs", "2"]
    cmd += ["--trivial-tasks", "40", "--workers", "2", "--json", str(out)]
    done = subprocess.run([sys.executable, "-m", "dil", *cmd], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    engines = [r["engine"] for r in doc["rows"]]
    assert engines == ["local", "local", "local, every run recorded", "local", "ray"]
    assert all(r["errors"] == 0 and r["loop s per run"] > 0 for r in doc["rows"])
    assert [r["runs"] for r in doc["rows"]] == [4, 2, 2, 2, 2]
    assert all(r["CPU s per run"] > 0 for r in doc["rows"][:3])  # the pool's workers, measured
    assert doc["rows"][4]["CPU s per run"] is None  # Ray's workers are not the bench's children
    for r in doc["rows"]:  # each run's own CPU in its worker, beyond its loop: Ray's too
        assert r["loop CPU s per run"] > 0 and r["CPU beyond the loop ms per run"] > 0
        assert r["CPU s per run"] is None or r["CPU beyond the loop ms per run"] < 1000 * r["CPU s per run"]
    assert doc["cpu_beyond_loop_ms"] > 0 and doc["parent_cpu_ms"] > 0 and doc["floor_ratio"] > 0
    assert doc["cpu_bound_s"] > 0 and "CPU-bound estimate" in done.stdout
    assert doc["floor_s"] > 0 and doc["ray_start_s"] > 0
    assert doc["trivial_local_ms"] > 0 and doc["trivial_ray_ms"] > 0
    assert "x the floor" in done.stdout and "ms per task on a local process pool" in done.stdout
    assert "beyond the loop, CPU per run" in done.stdout
