import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from ..inproc import dil_here
from ..ports import port_block

# `dil bench dynamics/bus/rig/world/carla` and their reports: test_readme_commands.py (bench_reports)


def _dil(*args, cwd=None):
    """``dil ARGS`` as a process: for ``dil bench loop``, which may change its process's scheduling."""
    return subprocess.run(
        [sys.executable, "-m", "dil.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def _in_process(capsys, *args: str) -> tuple[int, str, str]:
    """``dil ARGS`` run by ``dil.cli.main`` in this process (each command runs as a process in the README
    test): its status, stdout and stderr."""
    from dil.cli import main

    try:
        rc = main(list(args))
    except SystemExit as stop:
        rc = stop.code if isinstance(stop.code, int) else 1
    out, err = capsys.readouterr()
    return rc, out, err


def test_help_lists_the_subcommands(capsys):
    rc, out, _ = _in_process(capsys, "--help")
    assert rc == 0
    for command in ("bench", "vehicles"):
        assert command in out


def test_vehicles_lists_models_and_sets(capsys):
    rc, out, _ = _in_process(capsys, "vehicles")
    assert rc == 0
    for name in ("kinematic", "single_track", "two_track", "sedan_bmw320i", "compact_ev", "van_manual"):
        assert name in out


def test_bench_loop_reports_the_full_tick_and_its_baseline(tmp_path):
    out = tmp_path / "loop.json"
    port = str(port_block(2))  # four loops, 16 ports apart: never the default ports another test holds
    result = _dil("bench", "loop", "--duration", "0.5", "--loads", "0", "--port", port, "--json", str(out))
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())["rows"]
    assert [r["tick"] for r in rows] == ["baseline", "full"] * 2  # normal, then real-time scheduling
    for r in rows:
        assert r["seconds"] >= 0.45 and r["p50 us"] <= r["max us"]
    full = rows[1]
    assert full["tick cost p50 us"] > rows[0]["tick cost p50 us"]  # the full tick does real work


def test_messages_lists_every_topic(capsys):
    rc, out, _ = _in_process(capsys, "messages")
    assert rc == 0
    for topic in ("driver/input", "vehicle/state", "rig/command", "run/status", "console/command"):
        assert topic in out


def test_keys_writes_a_curve_key_pair(tmp_path, capsys):
    rc, _, err = _in_process(capsys, "keys", "rig", "--dir", str(tmp_path))
    assert rc == 0, err
    assert (tmp_path / "rig.key").is_file() and (tmp_path / "rig.key_secret").is_file()
    assert "secret" in (tmp_path / "rig.key_secret").read_text()


def test_drive_in_simulated_time_reports_where_the_car_went():
    result = dil_here(
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
    result = dil_here("drive", "--duration", "1")
    assert result.returncode != 0 and "--headless" in result.stderr


def test_view_writes_a_png_of_a_network(tmp_path):
    import cv2

    out = tmp_path / "junction.png"
    result = dil_here(
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


def test_view_names_the_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.xodr"
    bad.write_text("<OpenDRIVE><header revMajor='1' revMinor='6'/><road id='1'/></OpenDRIVE>")
    rc, _, err = _in_process(capsys, "view", str(bad))
    assert rc == 2
    assert "bad.xodr:1: <road> road 1 has no <planView>" in err


def test_bench_log_reports_write_and_read_rates(tmp_path):
    out = tmp_path / "log.json"
    result = dil_here("bench", "log", "--seconds", "1", "--json", str(out))
    assert result.returncode == 0, result.stderr
    rows = {r["what"]: r for r in json.loads(out.read_text())["rows"]}
    assert rows["write in real time (threaded)"]["messages"] == 1020
    assert rows["read, dil fast reader, states only"]["messages"] == 1000
    assert all(r["msgs/s"] > 0 for r in rows.values())
