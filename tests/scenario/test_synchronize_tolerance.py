"""SynchronizeAction's targetTolerance and targetToleranceMaster: each target counts as reached within
its tolerance, and the entity times its arrival at the edge of its tolerance for the moment the
master reaches the edge of its own, as in the reference player."""

from __future__ import annotations

from pathlib import Path

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, Outputs, RunSpec, ScenarioChoice, Timing
from dil.scenario.loader import load
from dil.scenario.xml import ScenarioError

from .helpers import action, event, scenario, sim_time, speed

# golden values: esmini 77028d83 on the file tolerance_scenario writes:
#   esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger es.csv --logfile_path log.txt
# (t [s], Car's x [m], speed [m/s]) from es.csv; the action's end from its log
ESMINI_CAR = [
    (2.0, 71.780323, 13.560274),
    (3.0, 87.155624, 17.153902),
    (4.0, 105.850624, 18.802258),
    (5.0, 122.834502, 15.201505),
    (6.0, 136.217627, 11.600753),
    (7.0, 146.0, 8.0),
    (9.0, 162.0, 8.0),
    (12.0, 186.0, 8.0),
]
ESMINI_END = 9.5


def sync(tolerance: str, tolerance_master: str) -> str:
    return action(
        "sync",
        f'<PrivateAction><SynchronizeAction masterEntityRef="Ego" targetTolerance="{tolerance}" '
        f'targetToleranceMaster="{tolerance_master}"><TargetPositionMaster><LanePosition roadId="1" '
        'laneId="-1" offset="0" s="210"/></TargetPositionMaster><TargetPosition><LanePosition roadId="1" '
        'laneId="-2" offset="0" s="170"/></TargetPosition><FinalSpeed><AbsoluteSpeed value="8">'
        '<TargetDistanceSteadyState distance="20"/></AbsoluteSpeed></FinalSpeed></SynchronizeAction>'
        "</PrivateAction>",
    )


def tolerance_scenario(tmp: Path, tolerance: str = "4", tolerance_master: str = "10") -> Path:
    """Ego (master) at 20 m/s from s = 10 towards s = 210; Car from s = 50 at 10 m/s towards s = 170,
    arriving at 8 m/s after 20 m at that speed; synchronised from 1 s."""
    events = event("e", sync(tolerance, tolerance_master), sim_time("1"))
    path = scenario(tmp, events, extra_init=speed("10"), stop=sim_time("14", "end"))
    text = path.read_text().replace(
        '<Private entityRef="Ego"><PrivateAction>', f'<Private entityRef="Ego">{speed("20")}<PrivateAction>'
    )
    path.write_text(text)
    return path


def test_targets_count_as_reached_within_their_tolerances(tmp_path):
    r = run(
        RunSpec(
            ScenarioChoice(tolerance_scenario(tmp_path)),
            DriverChoice("none"),
            outputs=Outputs(trace_rate_hz=100.0),
            timing=Timing(max_time=30.0),
        )
    )
    ends = [t for t, k, n, tr in r.transitions if (k, n, tr) == ("action", "sync", "end")]
    assert ends == [pytest.approx(ESMINI_END, abs=0.011)]
    car = {round(row[0], 2): row for row in r.trace if row[1] == "Car"}
    for t, x, v in ESMINI_CAR:
        assert car[t][2] == pytest.approx(x, abs=0.1) and car[t][5] == pytest.approx(v, abs=0.05), t


def test_a_negative_tolerance_is_refused(tmp_path):
    path = tolerance_scenario(tmp_path, tolerance="-1")
    with pytest.raises(ScenarioError, match="targetTolerance='-1' is negative") as err:
        load(path)
    assert str(err.value).startswith(f"{path}:")
