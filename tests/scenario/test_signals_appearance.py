"""Traffic signals (states, controllers and their phases), entity visibility and appearance, and
qualified storyboard element names."""

from __future__ import annotations

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
from dil.scenario.loader import load
from dil.scenario.xml import ScenarioError

from .helpers import dil_run
from .signal_scenarios import signal_controllers, signals_and_appearance


def _starts(result, name: str) -> list[float]:
    return [round(t, 2) for t, k, n, tr in result.transitions if (k, n, tr) == ("event", name, "start")]


def _car(result) -> dict[float, tuple]:
    return {round(row[0], 2): row for row in result.trace if row[1] == "Car"}


def test_signal_states_lamps_and_qualified_names_play_as_the_reference_player(tmp_path):
    # golden values: esmini 77028d83 on this file,
    # esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger es.csv --logfile_path log.txt
    # (events go 3.00 s, slow 6.52 s; Car speed and x at each checkpoint below)
    r = run(
        RunSpec(
            ScenarioChoice(signals_and_appearance(tmp_path)),
            DriverChoice("none"),
            timing=Timing(max_time=20.0),
        )
    )
    assert _starts(r, "go") == [3.0]  # signal 1 green from Init, condition delay 3 s
    assert _starts(r, "never") == []  # signal 2 is red
    assert _starts(r, "slow") == [
        6.52
    ]  # B::Action ends 1.5 s after 5.01 s; A's Action at 0.51 s does not count
    car = _car(r)
    golden = {
        4.0: (15.0, 92.525),
        5.0: (20.0, 110.05),
        7.0: (15.2, 148.874),
        8.0: (5.2, 159.024),
        9.0: (5.0, 164.025),
    }
    for t, (v, x) in golden.items():
        assert car[t][5] == pytest.approx(v, abs=1e-6) and car[t][2] == pytest.approx(x, abs=1e-3)
    changes = {k: (round(t, 2), v) for t, values in r.scenario.environment.changes for k, v in values.items()}
    assert changes["TrafficSignal.1"] == (0.0, "off;off;on")
    assert changes["TrafficSignal.2"] == (1.01, "on;off;off")
    assert changes["Entity.Car.Visibility.sensors"] == (0.51, "false")
    assert changes["Entity.Car.Visibility.graphics"] == (0.51, "true")
    assert changes["Entity.Car.Light.lowBeam.luminousIntensity"] == (5.01, 1200.0)
    assert changes["Entity.Car.Light.warningLights.mode"] == (6.01, "flashing")
    assert changes[
        "Entity.Car.Animation.AnimationType.ComponentAnimation.VehicleComponent.vehicleComponentType"
    ] == (
        6.01,
        "doorFrontLeft",
    )
    look = r.scenario.environment.appearance
    assert look.intensity("Car", "lowBeam", 5.76) == pytest.approx(600.0)  # half way through 1.5 s
    assert look.intensity("Car", "lowBeam", 7.0) == 1200.0
    # a flashing lamp keeps its action running: its event never ends
    assert not [1 for t, k, n, tr in r.transitions if (k, n) == ("event", "C") and tr == "end"]


def test_signal_controllers_cycle_their_phases_and_jump_when_told(tmp_path):
    # the reference player (77028d83) has no TrafficSignalController: these times follow from the
    # standard (phases 4 + 1 + 3 s; ``walk`` starts 1 s after ``main``; the jump to ``green`` at 12.01 s
    # restarts the cycle there, so the second red begins at 12.01 + 5 s)
    r = run(
        RunSpec(
            ScenarioChoice(signal_controllers(tmp_path)), DriverChoice("none"), timing=Timing(max_time=30.0)
        )
    )
    assert _starts(r, "red") == [5.0, 17.01]
    assert _starts(r, "walk") == [6.0]
    signal1 = [
        (round(t, 2), v["TrafficSignal.1"])
        for t, v in r.scenario.environment.changes
        if "TrafficSignal.1" in v
    ]
    assert signal1[:7] == [
        (0.0, "off;off;on"),
        (4.0, "off;on;off"),
        (5.0, "on;off;off"),
        (8.0, "off;off;on"),
        (12.0, "off;on;off"),
        (12.01, "off;off;on"),
        (16.01, "off;on;off"),
    ]
    car = _car(r)
    assert car[6.0][5] == pytest.approx(5.0) and car[7.0][5] == pytest.approx(15.0)
    assert car[20.0][5] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            (
                'trafficSignalControllerRef="main" phase="green"',
                'trafficSignalControllerRef="nope" phase="green"',
            ),
            "trafficSignalControllerRef='nope' names no TrafficSignalController",
        ),
        (('phase="red"/>', 'phase="purple"/>'), "phase='purple'"),
        (('name="walk" delay="1" reference="main"', 'name="walk" delay="1" reference="walk"'), "form a loop"),
    ],
)
def test_bad_signal_references_name_file_line_and_value(tmp_path, edit, message):
    path = signal_controllers(tmp_path)
    text = path.read_text()
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1]))
    with pytest.raises(ScenarioError, match=message) as err:
        load(path)
    assert str(err.value).startswith(f"{path}:")
    cli = dil_run(path)
    assert cli.returncode == 2 and message.split("'")[0] in cli.stderr and "Traceback" not in cli.stderr
