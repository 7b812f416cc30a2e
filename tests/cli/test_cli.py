import json
import subprocess
import sys

import pytest


def _dil(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "dil.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_help_lists_the_subcommands():
    result = _dil("--help")
    assert result.returncode == 0
    for command in ("bench", "vehicles"):
        assert command in result.stdout


def test_vehicles_lists_models_and_sets():
    result = _dil("vehicles")
    assert result.returncode == 0
    for name in ("kinematic", "single_track", "two_track", "sedan_bmw320i", "compact_ev", "van_manual"):
        assert name in result.stdout


def test_bench_dynamics_prints_a_table_and_writes_json(tmp_path):
    pytest.importorskip("vehiclemodels")
    out = tmp_path / "bench.json"
    result = _dil("bench", "dynamics", "--steps", "2000", "--vehicles", "4", "--batch-seconds", "0.05",
                  "--baseline-steps", "50", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert "single_track" in result.stdout and "CommonRoad ST" in result.stdout
    doc = json.loads(out.read_text())
    rows = {(r["model"], r["integrator"]): r for r in doc["rows"]}
    assert len(rows) == 8  # 3 models x 2 integrators + 2 baselines
    st = rows[("single_track", "semi_implicit_euler")]
    assert st["ns/step numba"] > 0 and st["batch veh-s/s"] > 0
    assert st["speedup vs CommonRoad"] > 1.0  # compiled kernels beat plain Python
