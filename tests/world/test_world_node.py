import numpy as np
import pytest

import vehicle_models
from dil.bus import Drops, Inbox, LocalBus, decode
from dil.bus.messages import with_sensors
from dil.realtime.clock import SimClock
from dil.realtime.loop import Loop
from dil.vehicle.node import VehicleNode
from dil.vehicle.scripted_driver import ScriptedDriver
from dil.world.actors import ActorSpec
from dil.world.camera import CameraSpec
from dil.world.embedded import EmbeddedWorld
from dil.world.node import WorldNode
from dil.world.sensors import BirdsEye, CameraSensor, LaneGeometry, ObjectList

from ..road.helpers import ROADS


def _run(seconds: float, lead_s: float = 60.0):
    bus = LocalBus()
    frames: list[bytes] = []
    bus.tap(frames.append)
    clock = SimClock()
    drops = Drops()
    world = EmbeddedWorld(ROADS / "highway.xodr", ActorSpec("ego", length=4.6, width=1.85))
    lead = world.spawn_in_lane(ActorSpec("lead"), "1", -2, lead_s, speed=0.0)  # a stopped car ahead
    # the vehicle starts at the origin heading +x: put it in lane -2 of the highway
    vehicle = vehicle_models.Vehicle("single_track", "sedan_bmw320i")
    vehicle.x[1] = world.network.lane_to_road("1", -2, 0.0)
    sensors = [
        ObjectList(rate_hz=10.0),
        LaneGeometry(world.network, rate_hz=5.0),
        BirdsEye(world.network, rate_hz=10.0, size_px=128),
        CameraSensor(world.network, rate_hz=10.0, spec=CameraSpec(width=160, height=90)),
    ]
    node = WorldNode(bus, drops, world, clock, rate_hz=50.0, sensors=sensors)
    nodes = [ScriptedDriver(bus, clock, "accelerate-brake"), VehicleNode(bus, drops, vehicle, clock), node]
    Loop(nodes, clock, bus, drops).run(int(seconds * 1000))
    return frames, node, lead


def test_world_node_reports_the_crash_into_a_stopped_car_and_publishes_its_sensors():
    frames, node, lead = _run(6.0)
    schemas = with_sensors({s.name: s.kind for s in node.sensors})
    by_topic: dict[str, list[dict]] = {}
    for f in frames:
        schema, msg = decode(f, schemas)
        by_topic.setdefault(schema.topic, []).append(msg)
    crashes = [e for e in by_topic["world/events"] if e["kind"] == "collision"]
    assert len(crashes) == 1 and crashes[0]["other_id"] == lead
    assert crashes[0]["relative_speed"] > 5.0  # full throttle for 5 s from rest
    assert len(by_topic["world/actors"]) == 300  # 50 Hz for 6 s
    assert [a["name"] for a in by_topic["world/actors"][0]["actors"]] == ["ego", "lead"]
    assert by_topic["world/actors"][0]["actors"][0]["id"] == 0
    assert len(by_topic["sensor/objects"]) == 60 and len(by_topic["sensor/lanes"]) == 30
    assert len(by_topic["sensor/front"]) == 60 and len(by_topic["sensor/bev"]) == 60
    first = by_topic["sensor/objects"][0]["objects"][0]
    assert first["x"] == pytest.approx(60.0 - 0.0, abs=3.0) and abs(first["y"]) < 0.5  # straight ahead
    cam = by_topic["sensor/front"][-1]
    img = np.frombuffer(cam["data"], np.uint8).reshape(cam["height"], cam["width"], 3)
    assert img.shape == (90, 160, 3) and img.std() > 10
    lanes = by_topic["sensor/lanes"][0]["lanes"]
    assert {ln["lane"] for ln in lanes} == {3, 2, 1, -1, -2, -3}


def test_world_runs_are_repeatable():
    a, _, _ = _run(2.0, lead_s=30.0)
    b, _, _ = _run(2.0, lead_s=30.0)
    assert a == b


def test_inbox_reads_sensor_topics_with_their_schema():
    bus = LocalBus()
    world = EmbeddedWorld(ROADS / "highway.xodr")
    sensor = ObjectList(name="gt", rate_hz=50.0)
    node = WorldNode(bus, Drops(), world, SimClock(), sensors=[sensor])
    inbox = Inbox(bus.subscriber("sensor/gt"), Drops(), with_sensors({"gt": "objects"}))
    node.start(0)
    node.tick(0)
    assert inbox.next()["objects"] == []


def test_the_ego_stands_on_a_sloping_road_surface():
    # rural.xodr climbs 1.5 %; the planar vehicle model's z is 0, so without the road's height the
    # front camera would sit below the road ahead and an AI stack would see another world
    bus, drops, clock = LocalBus(), Drops(), SimClock()
    world = EmbeddedWorld(ROADS / "rural.xodr", ActorSpec("ego", length=4.6, width=1.85))
    vehicle = vehicle_models.Vehicle("single_track", "sedan_bmw320i")
    vehicle.x[1] = world.network.lane_to_road("1", -1, 0.0)
    node = WorldNode(bus, drops, world, clock, rate_hz=50.0)
    nodes = [ScriptedDriver(bus, clock, "launch"), VehicleNode(bus, drops, vehicle, clock), node]
    Loop(nodes, clock, bus, drops).run(8000)
    ego = world.actor_state()[0][0]
    assert ego[0] > 20.0  # it has driven up the slope
    assert ego[2] == pytest.approx(world.network.road_to_world("1", ego[0], 0.0)[2], abs=0.02)
    assert ego[2] == pytest.approx(0.015 * ego[0], abs=0.05)
