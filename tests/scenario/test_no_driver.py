"""Entities handed to a person or an outside program that is not connected (interactive and external
controllers in a batch run); on the same file, catalog parameter assignments over an entry's defaults
(a maneuver's EntityName, a controller's mistyped default) and ``${30 * pi}``.

Golden values come from the reference player on tests/scenario/data/no_driver/no_driver.xosc
(esmini 77028d83):
  esmini --headless --fixed_timestep 0.01 --osc tests/scenario/data/no_driver/no_driver.xosc \
         --csv_logger no_driver.csv --disable_stdout --logfile_path no_driver.log
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing

from .helpers import dil_run

FILE = Path(__file__).parent / "data" / "no_driver" / "no_driver.xosc"

# esmini: entity -> [(t [s], x [m], speed [m/s])] (every entity drives along x on road 1)
GOLDEN = {
    # interactive controller taken in Init: its Init SpeedAction (25 m/s) moves nothing
    "Ego": [(0.0, 10.0, 0.0), (5.0, 10.0, 0.0), (10.0, 10.0, 0.0)],
    # placed at s = ${30 * pi}
    "Lead": [(0.0, 94.2478, 10.0), (10.0, 194.2478, 10.0)],
    # waits (catalog maneuver, EntityName assigned "Lead") for Lead to travel 21.234 m: starts at 2.13 s
    "Target": [(2.0, 20.0, 0.0), (3.0, 21.914, 4.35), (5.0, 40.664, 14.35), (10.0, 115.625, 15.0)],
    # goes once the Ego is still (speed < 1) after 3 s: starts at 3.01 s
    "Waiter": [(3.0, 60.0, 0.0), (5.0, 79.9, 10.0), (10.0, 129.9, 10.0)],
    # interactive controller taken at 20 m/s at 1.01 s: rolls on, engine braking
    "Rolling": [
        (1.0, 320.0, 20.0),
        (2.0, 339.0416, 18.114),
        (5.0, 385.9628, 13.4171),
        (10.0, 438.7227, 8.1359),
    ],
    # interactive controller on the lateral domain only: its lane change at 2.01 s moves nothing,
    # its speed is the storyboard's (15 m/s, slowing at 2 m/s^2 to 5 m/s from 2.01 s); y stays -1.75
    "Sideways": [(2.0, 430.0, 15.0), (3.0, 444.01, 13.02), (5.0, 466.03, 9.02), (10.0, 495.05, 5.0)],
    # external controller taken at 20 m/s at 1.01 s: stays where it is
    "Frozen": [(1.0, 320.0, 20.0), (2.0, 320.2, 0.0), (10.0, 320.2, 0.0)],
}
EVENT_STARTS = {"GoEvent": 2.13, "WaiterEvent": 3.01, "HandOverEvent": 1.01, "SidewaysEvent": 2.01}


@pytest.fixture(scope="module")
def result():
    return run(RunSpec(ScenarioChoice(FILE), DriverChoice("none"), timing=Timing(max_time=20.0)))


def _at(result, name: str, t: float) -> tuple[float, float]:
    row = min((r for r in result.trace if r[1] == name), key=lambda r: abs(r[0] - t))
    assert abs(row[0] - t) < 1e-6, f"no row of {name} at {t} s"
    return row[2], row[5]


def test_positions_and_speeds_match_the_reference_player(result):
    for name, points in GOLDEN.items():
        for t, x, v in points:
            got_x, got_v = _at(result, name, t)
            assert got_x == pytest.approx(x, abs=0.02), f"{name} x at {t} s"
            assert got_v == pytest.approx(v, abs=0.02), f"{name} speed at {t} s"
    assert all(abs(r[3] + 1.75) < 1e-6 for r in result.trace if r[1] == "Sideways")  # kept its lane


def test_trigger_times_match_the_reference_player(result):
    starts = {n: t for t, kind, n, tr in result.transitions if kind == "event" and tr == "start"}
    for name, t in EVENT_STARTS.items():
        assert starts[name] == pytest.approx(t, abs=0.005), name


def test_one_warning_per_controller_names_file_line_and_what_happens(result):
    warns = [w for w in result.scenario.warnings if "connected" in w]
    assert len(warns) == 4, warns
    ego = next(w for w in warns if "Ego" in w)
    assert ego.startswith(f"{FILE}:21: controller 'InteractiveController': ")
    assert "no driver is connected in a batch run: Ego holds still; run it with `dil drive`" in ego
    assert any("Rolling rolls to a stop" in w for w in warns)
    assert any("no external client is connected for Frozen" in w and "stops where it is" in w for w in warns)
    assert any("Sideways keeps its lane" in w for w in warns)


def test_a_mistyped_default_is_a_warning_naming_the_catalog_file(result):
    cat = FILE.parent / "Catalogs" / "Controllers" / "DriverControllers.xosc"
    assert any(
        w.startswith(f"{cat}:8: ") and "'Mode' of type double has value 'position'" in w
        for w in result.scenario.warnings
    )


@pytest.mark.parametrize("stack", ["driver", "builtin"])
def test_the_driver_seat_or_a_stack_takes_the_ego_instead(stack):
    """`dil drive` gives the ego to the person at the wheel (the driver seat), `--stack` to a stack:
    the file's interactive controller never takes it, and no warning says it holds still."""
    r = run(RunSpec(ScenarioChoice(FILE), DriverChoice(stack), timing=Timing(max_time=2.0)))
    ego = r.scenario.entities["Ego"]
    assert ego.stack_driven and not ego.controller.active
    track = [row for row in r.trace if row[1] == "Ego"]
    assert track[-1][2] > track[0][2] + 5.0  # it moved off at its Init speed, in the driver's car
    assert not any("Ego holds still" in w for w in r.scenario.warnings)
    assert any("Frozen stops where it is" in w for w in r.scenario.warnings)  # the others have nobody


def test_a_run_is_deterministic_with_held_entities(result):
    again = run(RunSpec(ScenarioChoice(FILE), DriverChoice("none"), timing=Timing(max_time=20.0)))
    assert again.trace == result.trace


def test_dil_run_reports_the_warning_in_result_json(tmp_path):
    out = tmp_path / "out"
    p = dil_run(FILE, "--no-record", "--out", str(out))
    assert p.returncode == 0, p.stderr
    doc_ = json.loads((out / "no_driver" / "result.json").read_text())
    assert sum("Ego holds still" in w for w in doc_["warnings"]) == 1
