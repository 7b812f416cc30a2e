"""The world node's one-call tick (the embedded world's step, checks and object sensor in one kernel)
publishes exactly what the world's and the sensors' methods called one by one publish."""

from __future__ import annotations

import pytest

import vehicle_models
from dil.bus import Drops, LocalBus
from dil.realtime.clock import SimClock
from dil.realtime.loop import Loop
from dil.vehicle.node import VehicleNode
from dil.vehicle.scripted_driver import ScriptedDriver
from dil.world.actors import ActorSpec
from dil.world.embedded import EmbeddedWorld
from dil.world.node import WorldNode
from dil.world.sensors import LaneGeometry, ObjectList

from ..road.helpers import ROADS


class _StepByStep(EmbeddedWorld):
    """The embedded world as any other backend: the node calls its ``set_pose`` and ``step``."""


def _frames(
    world_type: type[EmbeddedWorld], road: str | None, script: str, seconds: float
) -> tuple[list, WorldNode]:
    """Every frame published in ``seconds`` of a drive on ``road`` (None: a world without roads)."""
    bus = LocalBus()
    frames: list[bytes] = []
    bus.tap(frames.append)
    clock, drops = SimClock(), Drops()
    world = world_type(
        None if road is None else ROADS / f"{road}.xodr", ActorSpec("ego", length=4.6, width=1.85)
    )
    vehicle = vehicle_models.Vehicle("single_track", "sedan_bmw320i")
    net = world.network
    if net is None:
        world.spawn(ActorSpec("lead"), (30.0, 0.0, 0.0, 0.0))  # a stopped car ahead
        sensors: list = [ObjectList(rate_hz=25.0, range_m=60.0)]
    else:
        road_id = net.roads[0].id
        world.spawn_in_lane(ActorSpec("lead"), road_id, -1, 45.0, speed=0.0)  # a stopped car ahead
        world.spawn_in_lane(ActorSpec("beside"), road_id, 1, 30.0, speed=0.0)  # and one in the next lane
        x, y, _, yaw = net.lane_to_world(road_id, -1, 5.0)
        vehicle.x[0], vehicle.x[1], vehicle.x[2] = x, y, yaw
        sensors = [ObjectList(rate_hz=25.0, range_m=60.0), LaneGeometry(net, rate_hz=10.0)]
    node = WorldNode(bus, drops, world, clock, rate_hz=50.0, ego_offset=1.4, sensors=sensors)
    nodes = [ScriptedDriver(bus, clock, script), VehicleNode(bus, drops, vehicle, clock), node]
    Loop(nodes, clock, bus, drops).run(int(seconds * 1000))
    return frames, node


@pytest.mark.parametrize(
    ("road", "script"),
    [
        ("highway", "sine-steer"),
        ("rural", "step-steer"),
        ("junction", "accelerate-brake"),
        (None, "accelerate-brake"),
    ],
)
def test_one_call_tick_publishes_what_the_step_by_step_tick_publishes(road, script):
    fast, node = _frames(EmbeddedWorld, road, script, 8.0)
    slow, other = _frames(_StepByStep, road, script, 8.0)
    assert node._one_call and not other._one_call
    assert fast == slow  # every message of every topic, to the bit
    assert len(fast) > 1000
    assert node.events == other.events
    assert {e.kind for e in node.events} >= {"collision"}  # the cases compared include events
