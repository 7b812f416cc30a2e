import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


def _dil(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "dil.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


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
    result = _dil(
        "bench",
        "dynamics",
        "--steps",
        "2000",
        "--vehicles",
        "4",
        "--batch-seconds",
        "0.05",
        "--baseline-steps",
        "50",
        "--json",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "single_track" in result.stdout and "CommonRoad ST" in result.stdout
    doc = json.loads(out.read_text())
    rows = {(r["model"], r["integrator"]): r for r in doc["rows"]}
    assert len(rows) == 8  # 3 models x 2 integrators + 2 baselines
    st = rows[("single_track", "semi_implicit_euler")]
    assert st["ns/step numba"] > 0 and st["batch veh-s/s"] > 0
    assert st["speedup vs CommonRoad"] > 1.0  # compiled kernels beat plain Python


def test_bench_bus_measures_every_transport_it_is_given(tmp_path):
    out = tmp_path / "bus.json"
    result = _dil(
        "bench",
        "bus",
        "--transports",
        "kernel",
        "inproc",
        "local",
        "--messages",
        "300",
        "--burst",
        "5000",
        "--json",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    rows = {r["transport"]: r for r in doc["rows"]}
    assert set(rows) == {"kernel", "inproc", "local"}
    for r in rows.values():
        assert r["lost"] == 0 and 0 < r["p50 us"] <= r["p99 us"] <= r["max us"]
        assert r["msgs/s raw"] > 0
    assert rows["local"]["msgs/s decoded"] > 0
    assert doc["codec"]["decode and check ns"] > doc["codec"]["encode fixed template ns"] > 0


def test_bench_loop_reports_the_full_tick_and_its_baseline(tmp_path):
    out = tmp_path / "loop.json"
    result = _dil("bench", "loop", "--duration", "0.5", "--loads", "0", "--json", str(out))
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())["rows"]
    assert [r["tick"] for r in rows] == ["baseline", "full"] * 2  # normal, then real-time scheduling
    for r in rows:
        assert r["seconds"] >= 0.45 and r["p50 us"] <= r["max us"]
    full = rows[1]
    assert full["tick cost p50 us"] > rows[0]["tick cost p50 us"]  # the full tick does real work


def test_messages_lists_every_topic():
    result = _dil("messages")
    assert result.returncode == 0
    for topic in ("driver/input", "vehicle/state", "rig/command", "run/status", "console/command"):
        assert topic in result.stdout


def test_keys_writes_a_curve_key_pair(tmp_path):
    result = _dil("keys", "rig", "--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "rig.key").is_file() and (tmp_path / "rig.key_secret").is_file()
    assert "secret" in (tmp_path / "rig.key_secret").read_text()


def test_drive_in_simulated_time_reports_where_the_car_went():
    result = _dil(
        "drive",
        "--headless",
        "--bus",
        "local",
        "--driver",
        "accelerate-brake",
        "--clock",
        "simulated",
        "--duration",
        "3",
    )
    assert result.returncode == 0, result.stderr
    assert "ticks 3000" in result.stdout and "missed 0" in result.stdout
    x = float(result.stdout.split("vehicle: x ")[1].split()[0])
    assert x > 10.0  # three seconds at full throttle


def test_drive_needs_headless_for_now():
    result = _dil("drive", "--duration", "1")
    assert result.returncode != 0 and "--headless" in result.stderr


def test_view_writes_a_png_of_a_network(tmp_path):
    import cv2

    out = tmp_path / "junction.png"
    result = _dil(
        "view",
        "scenarios/roads/junction.xodr",
        "-o",
        str(out),
        "--width",
        "400",
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert "12 roads, 1 junctions" in result.stdout
    img = cv2.imread(str(out))
    assert img.shape == (400, 400, 3)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 5  # lanes, marks and ground, not a blank image


def test_view_names_the_bad_file(tmp_path):
    bad = tmp_path / "bad.xodr"
    bad.write_text("<OpenDRIVE><header revMajor='1' revMinor='6'/><road id='1'/></OpenDRIVE>")
    result = _dil("view", str(bad))
    assert result.returncode == 2
    assert "bad.xodr:1: <road> road 1 has no <planView>" in result.stderr


def test_bench_world_prints_every_row(tmp_path):
    out = tmp_path / "world.json"
    result = _dil(
        "bench", "world", "--networks", "rural", "--json", str(out), cwd=Path(__file__).resolve().parents[2]
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())["rows"]
    whats = [r["what"] for r in rows]
    assert "world step, 50 actors" in whats and "camera frame 640x360" in whats
    lookup = rows[0]
    assert lookup["per call us"] > 0 and lookup["carla client us"] > 0


def test_bench_log_reports_write_and_read_rates(tmp_path):
    out = tmp_path / "log.json"
    result = _dil("bench", "log", "--seconds", "1", "--json", str(out))
    assert result.returncode == 0, result.stderr
    rows = {r["what"]: r for r in json.loads(out.read_text())["rows"]}
    assert rows["write in real time (threaded)"]["messages"] == 1020
    assert rows["read, dil fast reader, states only"]["messages"] == 1000
    assert all(r["msgs/s"] > 0 for r in rows.values())


def test_bench_rig_reports_tick_cost_and_latency(tmp_path):
    out = tmp_path / "rig.json"
    result = _dil("bench", "rig", "--ticks", "2000", "--json", str(out))
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())["rows"]
    assert rows[0]["per tick us"] > 0 and rows[2]["per tick us"] <= 2


def test_bench_carla_measures_the_backend_against_a_bare_tick(tmp_path):
    out = tmp_path / "carla.json"
    result = _dil("bench", "carla", "--ticks", "40", "--actors", "5", "--json", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    rows = {r["what"].strip(): r for r in doc["rows"]}
    assert rows["bare client world.tick() (baseline)"]["vs bare tick"] == 1
    backend = rows["backend step: dil step + mirror + tick"]
    assert backend["ticks"] == 40 and backend["ticks per s"] > 0 and backend["vs bare tick"] > 0
    assert (
        doc["camera_kpis"]["carla_front_frames"] == 20 and doc["camera_kpis"]["carla_front_stale_frames"] == 0
    )
