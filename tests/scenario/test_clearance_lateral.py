"""RelativeClearanceCondition, LateralDistanceAction and TimeToCollisionCondition to a position."""

from __future__ import annotations

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
from dil.scenario.clearance import relative_lane
from dil.scenario.loader import load
from dil.scenario.xml import ScenarioError

from .clearance_scenarios import clearance_events, lateral_distances, ttc_to_position
from .helpers import dil_run

ESMINI = "esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger es.csv --logfile_path log.txt"


def _starts(result) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for t, k, n, tr in result.transitions:
        if k == "event" and tr == "start":
            out.setdefault(n, []).append(round(t, 2))
    return out


def test_clearance_fires_when_the_lanes_around_become_free_as_the_reference_player_has_it(tmp_path):
    # golden trigger times: esmini 77028d83 on this file (ESMINI): centre 5.00 s, free 5.45 s,
    # wide 7.00 s; "right" (the lane to Car's right is free from the start: no rising edge) never
    r = run(
        RunSpec(
            ScenarioChoice(clearance_events(tmp_path)), DriverChoice("none"), timing=Timing(max_time=30.0)
        )
    )
    assert _starts(r) == {"centre": [5.0], "free": [5.45], "wide": [7.0]}


def test_relative_lanes_skip_the_reference_line():
    assert relative_lane(-2, -1) == (1, False)
    assert relative_lane(-1, 1) == (1, True)
    assert relative_lane(1, -2) == (-2, True)
    assert relative_lane(2, 3) == (1, False)


def test_lateral_distance_keeps_the_side_distance_as_the_reference_player(tmp_path):
    # golden values: esmini 77028d83 on this file (ESMINI); Car's world y [m] at each checkpoint
    # (the road runs along x; Car's x follows from the world speed it keeps while moving sideways)
    r = run(
        RunSpec(
            ScenarioChoice(lateral_distances(tmp_path)), DriverChoice("none"), timing=Timing(max_time=30.0)
        )
    )
    assert _starts(r) == {"near": [1.01], "left": [2.49], "snap": [9.01]}
    ends = {n: round(t, 2) for t, k, n, tr in r.transitions if k == "event" and tr == "end"}
    assert ends["near"] == 1.48 and ends["snap"] == 9.03
    car = {round(row[0], 2): row for row in r.trace if row[1] == "Car"}
    golden = {
        2.0: (89.973838, -4.55),
        3.0: (109.969544, -4.295),
        4.0: (129.899976, -2.647973),
        5.0: (149.832343, -1.011588),
        7.0: (189.79435, 0.64512),
        9.0: (229.791237, 1.109297),
        10.0: (249.791235, -3.75),
        12.0: (289.791235, -3.75),
    }
    for t, (x, y) in golden.items():
        assert car[t][2] == pytest.approx(x, abs=0.01) and car[t][3] == pytest.approx(y, abs=0.05), t
        assert car[t][5] == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('distance="1.0"', 'distance="-1.0"'), "distance=-1 is negative"),
        (
            ('coordinateSystem="road" displacement="leftTo', 'coordinateSystem="lane" displacement="leftTo'),
            "coordinateSystem='lane'",
        ),
        (('maxSpeed="1.5"', 'maxSpeed="0"'), "maxSpeed=0 must be positive"),
        (('displacement="rightToReferencedEntity"', 'displacement="below"'), "displacement=.below. must be"),
    ],
)
def test_bad_lateral_distance_names_file_line_and_value(tmp_path, edit, message):
    path = lateral_distances(tmp_path)
    text = path.read_text()
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ScenarioError, match=message) as err:
        load(path)
    assert str(err.value).startswith(f"{path}:")
    cli = dil_run(path)
    assert cli.returncode == 2 and "Traceback" not in cli.stderr and f"{path}:" in cli.stderr


def test_bad_lane_range_is_refused(tmp_path):
    path = clearance_events(tmp_path)
    path.write_text(path.read_text().replace('from="-1" to="1"', 'from="1" to="-1"'))
    with pytest.raises(ScenarioError, match="from=1 is greater than to=-1"):
        load(path)


def test_time_to_collision_to_a_position_counts_from_the_front_with_freespace(tmp_path):
    # golden trigger times: esmini 77028d83 on this file (ESMINI): front 4.49 s, rear 4.67 s
    r = run(
        RunSpec(ScenarioChoice(ttc_to_position(tmp_path)), DriverChoice("none"), timing=Timing(max_time=30.0))
    )
    assert _starts(r) == {"front": [4.49], "rear": [4.67]}
