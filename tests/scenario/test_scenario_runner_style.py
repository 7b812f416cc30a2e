"""A file in CARLA ScenarioRunner's style (written for dil: a map name as the LogicFile, the
environment in Init, an external controller with every override off, catalog references,
criteria_* conditions) plays with the embedded world on the map's .xodr found on DIL_MAP_PATH."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dil.scenario.loader import load

from .helpers import HIGHWAY

DATA = Path(__file__).parent / "data" / "srunner_style"
FILE = DATA / "FollowLeadingVehicleStyle.xosc"


def run_with_maps(path: Path, maps: Path | None, out: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DIL_MAP_PATH"}
    if maps is not None:
        env["DIL_MAP_PATH"] = str(maps)
    return subprocess.run(
        [sys.executable, "-m", "dil", "run", str(path), "--stack", "none", "--no-record", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


def maps_folder(tmp_path: Path, name: str = "Town01") -> Path:
    maps = tmp_path / "maps"
    maps.mkdir()
    shutil.copy(HIGHWAY, maps / f"{name}.xodr")
    return maps


def test_a_scenario_runner_file_plays_on_the_map_s_xodr_as_the_reference_player_plays_it(tmp_path):
    done = run_with_maps(FILE, maps_folder(tmp_path), tmp_path / "out")
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode in (0, 1), done.stderr  # 1: the hero runs into the lead (a FAIL verdict)
    out = tmp_path / "out" / FILE.stem
    result = json.loads((out / "result.json").read_text())
    assert result["end"].startswith("stop trigger")
    assert result["simulated_s"] == pytest.approx(15.02, abs=0.011)  # esmini 77028d83: 15.01 s
    starts = {e["element"]: e["t"] for e in result["storyboard"] if e["transition"] == "start"}
    assert starts["LeadingVehicleKeepsVelocity"] == pytest.approx(0.56, abs=1e-6)  # esmini: 0.56 s
    rows = [r for r in csv.DictReader((out / "trace.csv").open()) if r["t_s"] == "15.0"]
    at = {r["entity"]: r for r in rows}
    # golden (esmini 77028d83 on the same file with the .xodr path): hero 170.0 m, adversary 70.08 m
    assert float(at["hero"]["x_m"]) == pytest.approx(170.0, abs=0.01)
    assert float(at["hero"]["y_m"]) == pytest.approx(-5.25, abs=0.01)
    assert float(at["adversary"]["x_m"]) == pytest.approx(70.08, abs=0.01)
    assert float(at["adversary"]["speed_mps"]) == 0.0


def test_without_the_map_s_xodr_the_embedded_world_asks_for_it_with_exit_2(tmp_path):
    done = run_with_maps(FILE, None, tmp_path / "out")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "'Town01'" in done.stderr and "xodr" in done.stderr


def test_a_layered_map_name_is_served_by_its_base_map_s_xodr(tmp_path, monkeypatch):
    copy = tmp_path / "scenario"
    shutil.copytree(DATA, copy)
    path = copy / FILE.name
    path.write_text(path.read_text().replace('filepath="Town01"', 'filepath="Town01_Opt"'))
    monkeypatch.setenv("DIL_MAP_PATH", str(maps_folder(tmp_path)))
    scen = load(path)
    assert scen.road_map == "Town01_Opt" and scen.road_file == (tmp_path / "maps" / "Town01.xodr").resolve()


def test_a_map_beside_the_scenario_wins_over_the_search_path(tmp_path, monkeypatch):
    copy = tmp_path / "scenario"
    shutil.copytree(DATA, copy)
    shutil.copy(HIGHWAY, copy / "Town01.xodr")
    monkeypatch.setenv("DIL_MAP_PATH", str(maps_folder(tmp_path)))
    assert load(copy / FILE.name).road_file == (copy / "Town01.xodr").resolve()
