"""Typed values in one process: a lane measurement handed over as arrays reaches a reader that takes
the value as the very object, its fields made only for readers of messages and taps; those get
exactly the frame and message the publisher's encoder makes of the fields, in sequence with the
messages published as fields; across processes (ZeroMQ) the frame is sent."""

import math
import time

import numpy as np
import pytest

from dil.bus import Drops, Encoder, Endpoints, FixedEncoder, Inbox, LocalBus, ZmqBus, decode
from dil.bus.fixed import field_reader
from dil.bus.handoff import Outlet
from dil.bus.messages import VEHICLE_STATE, sensor_schema
from dil.bus.values import NO_LANES, NO_OBJECTS, OBJ_SIZE, OBJ_X, OBJ_YAW, LaneSet, ObjectSet
from dil.paths import catalog_dir
from dil.road.network import RoadNetwork
from dil.scenario.loader import load
from dil.world.actors import A_ALIVE, A_SIZE, A_X, A_Y, A_YAW
from dil.world.sensors import LaneGeometry

LANES = sensor_schema("lanes", "lanes")
OBJECTS = sensor_schema("objects", "objects")
SCHEMAS = {LANES.topic: LANES}


def _measured() -> list[LaneSet]:
    """Lane sets the lane sensor measures on the lane_keeping_rural network at a few ego poses."""
    scen = load(catalog_dir() / "lane_keeping_rural.xosc")
    sensor = LaneGeometry(RoadNetwork.load(scen.road_file), range_m=80.0)
    out = []
    for st in sensor.strips[:: max(1, len(sensor.strips) // 4)]:
        actors = np.zeros((1, A_SIZE))
        actors[0, A_X], actors[0, A_Y] = st.centre[len(st.centre) // 2, :2]
        actors[0, A_YAW], actors[0, A_ALIVE] = 0.3, 1.0
        value = sensor.measure_value(actors, 1)
        assert sensor.checked
        out.append(value)
    assert all(len(v) > 1 for v in out)
    return out


def test_a_lane_set_makes_the_fields_it_was_made_from_and_selects_strips():
    for value in _measured():
        fields = value.fields()
        again = LaneSet.from_fields(fields["lanes"])
        assert again.fields() == fields
        assert np.array_equal(again.points, value.points) and np.array_equal(again.ends, value.ends)
        keep = list(range(len(value)))[::2]
        pts, first, end = value.select(keep)
        for j, k in enumerate(keep):
            want = np.asarray(fields["lanes"][k]["points"]).reshape(-1, 2)
            assert np.array_equal(pts[first[j] : end[j]], want)
        pts, first, end = value.select(range(len(value)))
        assert pts is value.points and end[-1] == len(pts) and first[0] == 0
    assert NO_LANES.fields() == {"lanes": []} and len(NO_LANES.select([])[0]) == 0


def test_a_value_reader_gets_the_object_and_nothing_is_made_for_it():
    bus = LocalBus()
    reader = Inbox(bus.subscriber(LANES.topic), Drops(), SCHEMAS)
    out = Outlet(bus.publisher(LANES.topic), Encoder(LANES, "world", check=False))
    made = []

    def fields_of(v: LaneSet) -> dict:
        made.append(v)
        return v.fields()

    values = _measured()
    for k, v in enumerate(values):
        out.publish_value(k, k, v, fields_of, checked=True)
    assert reader.latest_value() is values[-1]
    assert made == []
    assert reader.received == len(values)


def test_message_readers_and_taps_get_what_the_encoder_makes_in_sequence():
    bus = LocalBus()
    tapped: list[bytes] = []
    bus.tap(tapped.append)
    values_in = Inbox(bus.subscriber(LANES.topic), Drops(), SCHEMAS)
    messages_in = Inbox(bus.subscriber(LANES.topic), Drops(), SCHEMAS)
    out = Outlet(bus.publisher(LANES.topic), Encoder(LANES, "world", check=False))
    reference = Encoder(LANES, "world", check=False)
    for k, v in enumerate(_measured()):
        if k % 2:  # published as fields: the same sequence goes on
            out.publish(10 * k, 20 * k, v.fields(), True)
        else:
            out.publish_value(10 * k, 20 * k, v, LaneSet.fields, checked=True)
        frame = reference.encode(10 * k, 20 * k, v.fields())
        assert tapped[-1] == frame
        assert messages_in.latest() == decode(frame, SCHEMAS)[1]
        got = values_in.latest_value()
        assert (got is v) if k % 2 == 0 else got == decode(frame, SCHEMAS)[1]


def test_a_value_unchecked_by_its_publisher_is_checked_and_a_bad_one_dropped():
    bus = LocalBus()
    drops = Drops()
    reader = Inbox(bus.subscriber(LANES.topic), drops, SCHEMAS)
    out = Outlet(bus.publisher(LANES.topic), Encoder(LANES, "world", check=False))
    good = _measured()[0]
    bad = LaneSet(good.roads, good.lanes, good.types, good.points.copy(), good.ends)
    bad.points[0, 0] = np.nan
    out.publish_value(0, 0, bad, LaneSet.fields)
    out.publish_value(1, 1, good, LaneSet.fields)
    assert reader.latest_value() is good
    assert drops.of(LANES.topic) == 1


def test_across_processes_the_frame_is_sent(tmp_path):
    bus = ZmqBus(Endpoints.default("ipc", directory=tmp_path))
    try:
        sub = bus.subscriber(LANES.topic)
        out = Outlet(bus.publisher(LANES.topic), Encoder(LANES, "world", check=False))
        reference = Encoder(LANES, "world", check=False)
        value = _measured()[0]
        end = time.monotonic() + 10.0
        frame = None
        while frame is None and time.monotonic() < end:  # PUB/SUB joins asynchronously
            out.publish_value(5, 6, value, LaneSet.fields, checked=True)
            frame = sub.recv(50)
        assert frame is not None, "the subscriber never received a frame"
        seq = decode(frame, SCHEMAS)[1]["seq"]
        reference.seq = seq
        assert frame == reference.encode(5, 6, value.fields())
    finally:
        bus.close()


def test_fixed_values_are_read_by_field_name_without_the_message_made():
    bus = LocalBus()
    reader = Inbox(bus.subscriber(VEHICLE_STATE.topic), Drops())
    enc = FixedEncoder(VEHICLE_STATE, "vehicle")
    enc.floats[:] = np.arange(len(enc.float_names)) * 0.5
    made = []

    def make(values: tuple) -> dict:
        made.append(values)
        return enc.make(values)

    values = enc.values(10, 20)
    bus.publisher(VEHICLE_STATE.topic).hand(values, enc.pack_values, VEHICLE_STATE, make, enc.view)
    got = reader.latest_value()
    assert got is values  # the tuple handed over, nothing made
    want = enc.make(values)
    names = tuple(want)
    assert field_reader(VEHICLE_STATE, names)(got) == tuple(want.values())
    assert field_reader(VEHICLE_STATE, names)(want) == tuple(want.values())  # a message's map alike
    assert field_reader(VEHICLE_STATE, ("speed", "seq"))(got) == (want["speed"], 0)
    assert field_reader(VEHICLE_STATE, ("t_sim_ns",))(got) == 10
    assert made == []
    with pytest.raises(ValueError, match=r"schema vehicle/state has no fields \['no_such_field'\]"):
        field_reader(VEHICLE_STATE, ("speed", "no_such_field"))


def _objects() -> list[dict]:
    return [
        {"id": 3, "kind": "vehicle", "x": 12.5, "y": -0.25, "yaw": -0.0, "speed": 8.0,
         "length": 4.5, "width": 1.8, "height": 1.5},
        {"id": 7, "kind": "pedestrian", "x": -3.0, "y": 2.0, "yaw": 3.0, "speed": 1.2,
         "length": 0.5, "width": 0.6, "height": 1.8},
        {"id": 9, "kind": "vehicle", "x": 40.0, "y": 3.5, "yaw": 0.01, "speed": 20.0,
         "length": 4.0, "width": 1.7, "height": 1.4},
    ]  # fmt: skip


def test_an_object_set_makes_the_fields_it_was_made_from_as_the_encoder_sends_them():
    objects = _objects()
    value = ObjectSet.from_fields(objects)
    assert len(value) == 3 and value.rows.shape == (3, OBJ_SIZE)
    assert value.rows[:, OBJ_X].tolist() == [12.5, -3.0, 40.0] and value.rows[1, OBJ_YAW] == 3.0
    assert value.fields() == {"objects": objects}
    assert [type(v) for v in value.fields()["objects"][0].values()] == [type(v) for v in objects[0].values()]
    assert math.copysign(1.0, value.fields()["objects"][0]["yaw"]) == -1.0  # the sign of a zero kept
    enc = Encoder(OBJECTS, "world")
    assert enc.encode(5, 5, value.fields()) == Encoder(OBJECTS, "world").encode(5, 5, {"objects": objects})
    assert NO_OBJECTS.fields() == {"objects": []} and len(NO_OBJECTS) == 0


def test_an_object_set_reaches_a_value_reader_as_it_is_and_a_message_reader_as_its_fields():
    bus = LocalBus()
    values_in = Inbox(bus.subscriber(OBJECTS.topic), Drops(), {OBJECTS.topic: OBJECTS})
    messages_in = Inbox(bus.subscriber(OBJECTS.topic), Drops(), {OBJECTS.topic: OBJECTS})
    out = Outlet(bus.publisher(OBJECTS.topic), Encoder(OBJECTS, "world", check=False))
    value = ObjectSet.from_fields(_objects())
    out.publish_value(1, 1, value, ObjectSet.fields, checked=True)
    assert values_in.latest_value() is value
    assert messages_in.latest()["objects"] == _objects()
