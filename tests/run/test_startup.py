"""The first message of every topic holds the initial state: no start-up transient in any run."""

import itertools
import math
from pathlib import Path

import msgpack
import pytest

from dil.bus.transport import LocalBus
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing

from ..scenario.helpers import CATALOG

SCENARIOS = sorted(p.stem for p in CATALOG.glob("*.xosc"))


def _messages(scenario: Path, stack: str, max_time: float | None = None):
    bus = LocalBus()
    frames: list[bytes] = []
    bus.tap(frames.append)
    result = run(
        RunSpec(ScenarioChoice(scenario), DriverChoice(stack), timing=Timing(max_time=max_time)), bus=bus
    )
    by_topic: dict[str, list[dict]] = {}
    for frame in frames:
        topic, data = bytes(frame).split(b"\0", 1)
        by_topic.setdefault(topic.decode(), []).append(msgpack.unpackb(data))
    return result, by_topic


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_first_half_second_holds_no_input_or_kpi_extreme(name):
    scenario = CATALOG / f"{name}.xosc"
    # the storyboard alone puts the ego exactly where Init says; its frame at t = 0 shows the
    # state at t = 0 (Init), at the Init speed
    _, reference = _messages(scenario, "none", 0.2)
    _, m = _messages(scenario, "builtin", 1.0)
    want = reference["world/actors"][0]["actors"][0]
    want_x, want_y = want["x"], want["y"]
    first = m["world/actors"][0]
    assert first["t_sim_ns"] == 0
    ego = first["actors"][0]
    assert math.hypot(ego["x"] - want_x, ego["y"] - want_y) < 1e-3, (ego, want)
    assert abs(ego["yaw"] - want["yaw"]) < 1e-3 and abs(ego["speed"] - want["speed"]) < 1e-9
    assert ego["speed"] > 0.0  # every catalog scenario starts moving: (x, y, speed) = 0 would be wrong
    # the vehicle's first state is there before any node's first tick, at t = 0, already moving
    state = m["vehicle/state"][0]
    assert state["t_sim_ns"] == 0 and abs(state["speed"] - want["speed"]) < 1e-6
    early = [s for s in m["vehicle/state"] if s["t_sim_ns"] <= 500_000_000]
    commands = [c for c in m["ai/command"] if c["t_sim_ns"] <= 500_000_000]
    assert commands[0]["t_sim_ns"] == 0  # the stack answers the first tick
    assert max(abs(c["steering_wheel_angle"]) for c in commands) < 0.05  # rad at the wheel (was 1.345)
    assert max(abs(s["ay"]) for s in early) < 0.3  # m/s^2 (was 4.05 at 0.08 s)
    assert max(abs(s["yaw_rate"]) for s in early) < 0.02  # rad/s
    jerk = max(
        abs(b["ax"] - a["ax"]) / ((b["t_sim_ns"] - a["t_sim_ns"]) * 1e-9)
        for a, b in itertools.pairwise(early)
    )
    if not any(c["brake"] > 0.0 for c in commands):  # no braking asked for: nothing jolts the car
        assert jerk < 5.0, jerk
    # the sensors' first frames see the ego where it is: a lane centre line passes under the car
    lanes = m["sensor/lanes"][0]
    assert lanes["t_sim_ns"] == 0
    assert min(_lateral_gap(ln["points"]) for ln in lanes["lanes"]) < 0.5


def _lateral_gap(points: list[float]) -> float:
    """How far to the side [m] a centre line (vehicle frame) passes the ego's reference point."""
    near = [abs(y) for x, y in zip(points[::2], points[1::2], strict=True) if abs(x) < 3.0]
    return min(near, default=math.inf)


def test_ccrs_max_jerk_is_a_physical_value():
    result, m = _messages(CATALOG / "ccrs.xosc", "builtin")
    assert result.outcome == "pass"
    assert 1.0 < result.kpis["max_jerk"] < 20.0, result.kpis["max_jerk"]  # was 51.7, the start-up artefact
    first = m["world/actors"][0]["actors"][0]
    assert math.hypot(first["x"], first["y"]) > 10.0  # the plots start where the car is, not at (0, 0)
