"""SynchronizeAction whose target positions lie beside the entities' paths (another lateral offset):
a position is reached when passed, so the action ends and the next event starts, as in the reference
player."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import action, event, scenario, sim_time, speed
from .test_routes_sync_profile import _run, rows

SYNC = action(
    "sync",
    '<PrivateAction><SynchronizeAction masterEntityRef="Ego">'
    '<TargetPositionMaster><LanePosition roadId="1" laneId="-1" offset="1.5" s="210"/></TargetPositionMaster>'
    '<TargetPosition><LanePosition roadId="1" laneId="-2" offset="1.5" s="350"/></TargetPosition>'
    '<FinalSpeed><AbsoluteSpeed value="25"><TargetDistanceSteadyState distance="50"/></AbsoluteSpeed>'
    "</FinalSpeed></SynchronizeAction></PrivateAction>",
)
AFTER = (
    '<Condition name="synced" delay="0" conditionEdge="none"><ByValueCondition>'
    '<StoryboardElementStateCondition storyboardElementType="action" storyboardElementRef="sync" '
    'state="endTransition"/></ByValueCondition></Condition>'
)


def sync_scenario(tmp: Path) -> Path:
    """Ego (master) at 20 m/s from s = 10; Car from s = 50 at 10 m/s, synchronised from 1 s; once the
    action ends Car slows to 15 m/s at once. Stop at 13 s."""
    events = event("e", SYNC, sim_time("1")) + event("slow", action("slow", speed("15")), AFTER)
    path = scenario(tmp, events, extra_init=speed("10"), stop=sim_time("13", "end"))
    text = path.read_text().replace(
        '<Private entityRef="Ego"><PrivateAction>', f'<Private entityRef="Ego">{speed("20")}<PrivateAction>'
    )
    path.write_text(text)
    return path


# (t [s], x [m], speed [m/s]) of Car in esmini 77028d83 on the file sync_scenario writes:
#   esmini --headless --fixed_timestep 0.01 --osc t.xosc --csv_logger out.csv --disable_stdout --disable_log
ESMINI = [
    (3.0, 100.06, 30.054),
    (6.0, 229.94, 45.164),
    (8.0, 300.0, 25.0),
    (10.0, 350.0, 25.0),
    (10.1, 351.6, 15.0),
    (12.0, 380.1, 15.0),
]


def test_synchronize_ends_when_its_positions_are_passed(tmp_path):
    r = _run(sync_scenario(tmp_path))
    car = rows(r, "Car")
    for t, x, v in ESMINI:
        assert car[t][2] == pytest.approx(x, abs=0.3) and car[t][5] == pytest.approx(v, abs=0.1), t
    ends = [t for t, k, n, tr in r.transitions if (k, n, tr) == ("action", "sync", "end")]
    assert ends == [pytest.approx(10.0, abs=0.05)]
