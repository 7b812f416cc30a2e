"""SynchronizeAction whose master stands: the master never arrives, so the entity waits at speed 0;
once the master drives, the entity accelerates to arrive with it, as in the reference player."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .helpers import action, dil_run, event, scenario, sim_time, speed
from .test_routes_sync_profile import _run, rows

SYNC = action(
    "sync",
    '<PrivateAction><SynchronizeAction masterEntityRef="Ego">'
    '<TargetPositionMaster><LanePosition roadId="1" laneId="-1" offset="0" s="210"/></TargetPositionMaster>'
    '<TargetPosition><LanePosition roadId="1" laneId="-2" offset="0" s="300"/></TargetPosition>'
    "</SynchronizeAction></PrivateAction>",
)


def waiting_scenario(tmp: Path) -> Path:
    """Ego (master) stands at s = 10 until 3 s, then drives at 20 m/s; Car from s = 50 at 10 m/s,
    synchronised from 1 s. Stop at 12 s."""
    path = scenario(tmp, event("e", SYNC, sim_time("1")), extra_init=speed("10"), stop=sim_time("12", "end"))
    ego_group = (
        '<ManeuverGroup maximumExecutionCount="1" name="egogroup">'
        '<Actors selectTriggeringEntities="false"><EntityRef entityRef="Ego"/></Actors>'
        f'<Maneuver name="egomaneuver">{event("go", action("go", speed("20")), sim_time("3"))}</Maneuver>'
        "</ManeuverGroup>"
    )
    text = path.read_text().replace("</ManeuverGroup>", "</ManeuverGroup>" + ego_group, 1)
    path.write_text(text)
    return path


# (t [s], x [m], speed [m/s]) of Car in esmini 77028d83 on the file waiting_scenario writes:
#   esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger out.csv --disable_stdout --disable_log
ESMINI = [
    (1.01, 60.1, 10.0),
    (1.5, 60.1, 0.0),
    (3.0, 60.1, 0.0),
    (6.0, 81.516, 14.324),
    (9.0, 146.179, 28.734),
    (12.0, 254.033, 43.106),
]


def test_an_entity_waits_while_its_master_stands_and_goes_when_it_drives(tmp_path):
    car = rows(_run(waiting_scenario(tmp_path)), "Car")
    for t, x, v in ESMINI:
        assert car[t][2] == pytest.approx(x, abs=0.3) and car[t][5] == pytest.approx(v, abs=0.15), t


def test_a_target_off_its_road_met_mid_run_aborts_with_the_file_line_and_value_and_no_traceback(tmp_path):
    """Bad input met while the run plays: the run ends aborted (exit 3) and says where, like a
    load-time error, without a traceback in the log."""
    off = SYNC.replace('s="300"', 's="5000"')
    path = scenario(
        tmp_path, event("e", off, sim_time("1")), extra_init=speed("10"), stop=sim_time("3", "end")
    )
    p = dil_run(path, "--no-record", "--out", str(tmp_path))
    assert p.returncode == 3, p.stderr
    assert "t.xosc:" in p.stderr and "s = 5000.0 is outside road 1" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr, p.stderr


if __name__ == "__main__":  # write the file for the reference player
    import sys

    print(waiting_scenario(Path(sys.argv[1])))
