"""A TeleportAction started at t puts its entity at the new place at t + dt (at t it is still where it
was, and it does not move in the step that takes it there), while a speed change started with it
goes on from t, as in the reference player."""

from __future__ import annotations

from pathlib import Path

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, Outputs, RunSpec, ScenarioChoice, Timing

from .helpers import action, event, scenario, sim_time, speed, teleport

# golden values: esmini 77028d83 on the file jump_scenario writes:
#   esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger es.csv --logfile_path log.txt
# (t [s], Car's x [m], speed [m/s]) from es.csv; both events start at 2.01 s in its log
ESMINI_CAR = [
    (2.0, 70.0, 10.0),
    (2.01, 70.1, 10.0),
    (2.02, 200.0, 10.05),
    (2.03, 200.101, 10.1),
    (3.0, 212.2745, 14.95),
    (4.5, 239.7495, 20.0),
]


def jump_scenario(tmp: Path) -> Path:
    """Car at 10 m/s from s = 50; after 2 s it is put at s = 200 and speeds up to 20 m/s in 2 s."""
    events = event(
        "jump",
        action("j", f"<PrivateAction>{teleport('-2', '200')}</PrivateAction>"),
        sim_time("2"),
        "parallel",
    ) + event("go", action("g", speed("20", "linear", "time", "2")), sim_time("2"), "parallel")
    return scenario(tmp, events, extra_init=speed("10"), stop=sim_time("5", "end"))


def test_a_teleport_lands_in_the_next_step_as_the_reference_player_has_it(tmp_path):
    r = run(
        RunSpec(
            ScenarioChoice(jump_scenario(tmp_path)),
            DriverChoice("none"),
            outputs=Outputs(trace_rate_hz=100.0),
            timing=Timing(max_time=30.0),
        )
    )
    starts = {n: round(t, 2) for t, k, n, tr in r.transitions if k == "event" and tr == "start"}
    assert starts == {"jump": 2.01, "go": 2.01}
    car = {round(row[0], 2): row for row in r.trace if row[1] == "Car"}
    for t, x, v in ESMINI_CAR:
        assert (car[t][2], car[t][5]) == (pytest.approx(x, abs=1e-3), pytest.approx(v, abs=1e-3)), t
