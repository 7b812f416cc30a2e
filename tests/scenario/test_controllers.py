"""Controllers on any entity (ObjectController, ActivateControllerAction, OverrideControllerValueAction).

Golden values come from the reference player on tests/scenario/data/controllers.xosc (esmini 77028d83):
  esmini --headless --fixed_timestep 0.01 --osc tests/scenario/data/controllers.xosc \
         --csv_logger controllers.csv --disable_stdout --disable_log
Controller-driven entities are compared by outcome (collision, gap to the lead, final speed), as each
player has its own controller; storyboard-driven ones by position.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import vehicle_models
from dil.bus.inbox import Drops
from dil.bus.transport import LocalBus
from dil.realtime.clock import SimClock
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
from dil.scenario.controllers.alks import r157_time_gap
from dil.scenario.controllers.stack_link import configure_stack
from dil.scenario.loader import load
from dil.stack.builtin import BuiltinStack, apply_overrides

from .helpers import dil_run

FILE = Path(__file__).parent / "data" / "controllers.xosc"
ACT_START = '<StartTrigger><ConditionGroup><Condition name="go"'
"""Where the act's start trigger begins: maneuver groups go before it."""
LENGTH = 4.5
"""Every car's length [m] (same box offset: the gap between reference points less this is the gap)."""

# esmini: (t [s], x [m], speed [m/s]) of the storyboard-driven entities
STORYBOARD = {
    "Braker": [(5.0, 170.0, 20.0), (8.0, 194.9, 0.0), (25.0, 194.9, 0.0)],
    "Lead": [(5.0, 195.0, 15.0), (10.0, 263.97, 9.0), (25.0, 341.617, 5.0)],
    "Parked": [(25.0, 300.0, 0.0)],
}
# esmini: controller-driven entity -> (its lead, min gap [m], x at 25 s [m], speed at 25 s [m/s])
OUTCOMES = {
    "Ego": ("Braker", 2.19, 188.206, 0.052),  # ALKS_R157SM_Controller (reference driver)
    "Follower": ("Lead", 10.45, 326.664, 5.002),  # ACCController, time gap 1.5 s
    "Second": ("Parked", 3.00, 292.5, 0.0),  # ACCController, approaching a stopped car
}


def _tracks(trace: list[tuple]) -> dict[str, list[tuple[float, float, float]]]:
    out: dict[str, list[tuple[float, float, float]]] = {}
    for t, name, x, _y, _yaw, v, *_ in trace:
        out.setdefault(name, []).append((t, x, v))
    return out


def _at(track: list[tuple[float, float, float]], t: float) -> tuple[float, float, float]:
    return min(track, key=lambda row: abs(row[0] - t))


def _run(path: Path, stack: str = "none"):
    return run(RunSpec(ScenarioChoice(path), DriverChoice(stack), timing=Timing(max_time=40.0)))


@pytest.fixture(scope="module")
def played():
    return _run(FILE)


def test_storyboard_driven_entities_match_the_reference_player(played):
    tracks = _tracks(played.trace)
    for name, checkpoints in STORYBOARD.items():
        for t, x, v in checkpoints:
            _, x_dil, v_dil = _at(tracks[name], t)
            assert x_dil == pytest.approx(x, abs=0.5), (name, t)
            assert v_dil == pytest.approx(v, abs=0.05), (name, t)


def test_controller_driven_entities_reach_the_reference_player_s_outcome(played):
    assert played.scenario.warnings == []
    tracks = _tracks(played.trace)
    for name, (lead, gap, x_end, v_end) in OUTCOMES.items():
        me, other = tracks[name], tracks[lead]
        gaps = [b[1] - a[1] - LENGTH for a, b in zip(me, other, strict=True)]
        assert min(gaps) > 1.0, name  # no collision: it stops or follows behind its lead
        assert min(gaps) == pytest.approx(gap, abs=1.0), name
        _, x, v = _at(me, 25.0)
        assert x == pytest.approx(x_end, abs=1.0), name
        assert v == pytest.approx(v_end, abs=0.2), name
    # the ACC slows down for its lead, the ALKS brakes for the car braking hard ahead of it
    assert _at(tracks["Follower"], 10.0)[2] < 16.0
    assert _at(tracks["Ego"], 10.0)[2] < 5.0


def test_several_controller_driven_entities_run_deterministically(played):
    again = _run(FILE)
    assert again.trace == played.trace


def test_a_brake_override_stops_a_controller_driven_entity(tmp_path):
    override = (
        '<ManeuverGroup maximumExecutionCount="1" name="stop"><Actors selectTriggeringEntities="false">'
        '<EntityRef entityRef="Follower"/></Actors><Maneuver name="stop">'
        '<Event name="stop" priority="parallel">'
        '<Action name="brake"><PrivateAction><ControllerAction><OverrideControllerValueAction>'
        '<OverrideBrakeAction active="true"><BrakePercent value="1.0"/></OverrideBrakeAction>'
        '<OverrideThrottleAction value="0" active="false"/>'
        "</OverrideControllerValueAction></ControllerAction></PrivateAction></Action>"
        '<StartTrigger><ConditionGroup><Condition name="at3" delay="0" conditionEdge="none">'
        "<ByValueCondition>"
        '<SimulationTimeCondition value="3" rule="greaterOrEqual"/></ByValueCondition></Condition>'
        "</ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>"
    )
    path = tmp_path / "controllers.xosc"
    text = FILE.read_text().replace("../../../scenarios", str(FILE.parents[3] / "scenarios"))
    path.write_text(text.replace(ACT_START, override + ACT_START, 1))
    tracks = _tracks(_run(path).trace)
    follower = tracks["Follower"]
    assert _at(follower, 3.0)[2] > 15.0
    # 10 m/s^2 (its maximum deceleration) from about 20 m/s: standing within 2.2 s, and it stays
    assert _at(follower, 5.3)[2] == 0.0
    assert _at(follower, 20.0)[2] == 0.0
    assert _at(tracks["Second"], 5.0)[2] > 15.0  # the other ACC is not overridden


def test_the_ego_s_object_controller_configures_the_built_in_stack():
    scen = load(FILE)
    bus = LocalBus()
    stack = BuiltinStack(bus, Drops(), SimClock(), vehicle_models.load("sedan_bmw320i"))
    stack.cruise_speed = 20.0
    assert configure_stack(stack, scen.entities["Ego"].controller) == [f"time gap={r157_time_gap(20.0):g} s"]
    assert stack.p.time_gap == pytest.approx(1.6)
    assert configure_stack(stack, scen.entities["Follower"].controller) == [
        "set speed=90.0 km/h",  # 25 m/s
        "time gap=1.5 s",
    ]
    assert stack.cruise_speed == 25.0 and stack.p.time_gap == 1.5


def test_overrides_replace_the_stack_s_pedals_and_wheel():
    cmd = (0.2, 0.5, 0.0)
    assert apply_overrides(cmd, {}, 8.0) == cmd
    assert apply_overrides(cmd, {"brake": (True, 0.7), "throttle": (False, 1.0)}, 8.0) == (0.2, 0.5, 0.7)
    assert apply_overrides(cmd, {"steering_wheel": (True, 20.0)}, 8.0) == (8.0, 0.5, 0.0)
    assert apply_overrides(cmd, {"parking_brake": (True, 1.0)}, 8.0) == (0.2, 0.0, 1.0)
    assert apply_overrides(cmd, {"gear": (True, 0.0)}, 8.0) == (0.2, 0.0, 0.0)


def test_a_brake_override_stops_the_ego_driven_by_the_built_in_stack(tmp_path):
    override = (
        '<ManeuverGroup maximumExecutionCount="1" name="stop"><Actors selectTriggeringEntities="false">'
        '<EntityRef entityRef="Ego"/></Actors><Maneuver name="stop">'
        '<Event name="stop" priority="parallel">'
        '<Action name="brake"><PrivateAction><ControllerAction><OverrideControllerValueAction>'
        '<OverrideBrakeAction active="true" value="1.0"/>'
        "</OverrideControllerValueAction></ControllerAction></PrivateAction></Action>"
        '<StartTrigger><ConditionGroup><Condition name="at1" delay="0" conditionEdge="none">'
        "<ByValueCondition>"
        '<SimulationTimeCondition value="1" rule="greaterOrEqual"/></ByValueCondition></Condition>'
        "</ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>"
    )
    path = tmp_path / "controllers.xosc"
    text = FILE.read_text().replace("../../../scenarios", str(FILE.parents[3] / "scenarios"))
    text = text.replace('revMinor="1"', 'revMinor="0"')  # 1.0: the brake's value as an attribute
    path.write_text(text.replace(ACT_START, override + ACT_START, 1))
    ego = _tracks(_run(path, stack="builtin").trace)["Ego"]
    assert _at(ego, 0.9)[2] > 18.0
    assert _at(ego, 4.5)[2] < 0.5  # braking fully from 20 m/s; without the override it cruises on


def test_a_bad_controller_property_is_refused_naming_file_line_and_value(tmp_path):
    path = tmp_path / "bad.xosc"
    text = FILE.read_text().replace("../../../scenarios", str(FILE.parents[3] / "scenarios"))
    path.write_text(
        text.replace('<Property name="timeGap" value="1.5"/>', '<Property name="timeGap" value="soon"/>')
    )
    proc = dil_run(path, "--no-record")
    assert proc.returncode == 2
    assert "bad.xosc:" in proc.stderr and "timeGap='soon'" in proc.stderr and "'Follower'" in proc.stderr
    assert "Traceback" not in proc.stderr
