"""Messages a publisher vouches for (it checked their numbers in one kernel) reach readers in the same
process unchecked; a NaN or an out-of-range value withdraws the vouch, and every reader drops the
message naming topic and field, as for any other message. Frames to other processes are checked by
their readers whatever the publisher said."""

import math

import numpy as np
import pytest

from dil.bus import Drop, Drops, Encoder, Field, FixedEncoder, Inbox, Kind, LocalBus, Schema, decode
from dil.bus.handoff import Outlet
from dil.bus.messages import AI_COMMAND, VEHICLE_STATE, WORLD_ACTORS, with_sensors
from dil.bus.schema import MessageError
from dil.realtime.clock import SimClock
from dil.world.actors import A_SPEED, A_X, ActorSpec
from dil.world.embedded import EmbeddedWorld
from dil.world.node import WorldNode
from dil.world.sensors import ObjectList

from ..road.helpers import ROADS
from .samples import sample


def test_a_vouched_message_is_taken_as_it_is_and_taps_get_its_frame():
    bus = LocalBus()
    tapped: list[bytes] = []
    bus.tap(tapped.append)
    drops = Drops()
    reader = Inbox(bus.subscriber(AI_COMMAND.topic), drops)
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack", check=False))
    fields = sample(AI_COMMAND)
    fields = {k: v for k, v in fields.items() if k not in ("schema_version", "seq", "t_sim_ns", "t_wall_ns")}
    out.publish(5, 6, fields, checked=True)
    msg = reader.next()
    assert msg is not None and msg == decode(tapped[-1])[1]
    # the same message not vouched for is checked by the reader: a NaN in it is dropped
    out.publish(7, 8, {**fields, "steering_wheel_angle": math.nan})
    assert reader.next() is None and drops.of(AI_COMMAND.topic, Drop.NOT_FINITE) == 1
    # the publisher's word is taken: only one that checked the values may vouch for them
    out.publish(9, 10, {**fields, "steering_wheel_angle": math.nan}, checked=True)
    assert math.isnan(reader.next()["steering_wheel_angle"])


def _state_encoder() -> FixedEncoder:
    enc = FixedEncoder(VEHICLE_STATE, "vehicle")
    enc.floats[:] = 0.5  # every field valid (throttle and brake within [0, 1])
    enc.ints[:] = 2
    return enc


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("vx", math.nan, Drop.NOT_FINITE),
        ("yaw", -math.inf, Drop.NOT_FINITE),
        ("brake", 1.5, Drop.OUT_OF_RANGE),
    ],
)
def test_a_fixed_template_state_vouches_only_for_valid_numbers(field, value, reason):
    bus, drops = LocalBus(), Drops()
    readers = [Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops) for _ in range(2)]
    pub = bus.publisher(VEHICLE_STATE.topic)
    enc = _state_encoder()
    assert enc.checked() is VEHICLE_STATE
    pub.hand(enc.message(0, 0), enc.pack, enc.checked())
    assert all(r.latest() is not None for r in readers)
    enc.floats[enc.float_names.index(field)] = value
    assert enc.checked() is None
    pub.hand(enc.message(1, 1), enc.pack, enc.checked())
    for r in readers:
        assert r.latest() is None
    assert drops.of(VEHICLE_STATE.topic, reason) == 2
    with pytest.raises(MessageError, match=f"vehicle/state: {field} = "):
        VEHICLE_STATE.check(enc.message(2, 2))


def test_an_integer_out_of_its_bounds_withdraws_the_vouch():
    schema = Schema(
        "test/counts", 1, "a bounded count", (Field("n", Kind.INT, lo=0, hi=3), Field("v", Kind.F64))
    )
    enc = FixedEncoder(schema, "test")
    enc.ints[:] = 3
    assert enc.checked() is schema
    enc.ints[:] = 4
    assert enc.checked() is None
    with pytest.raises(MessageError, match="test/counts: n = 4: must be within"):
        schema.check(enc.message(0, 0))


def _world(bus: LocalBus, drops: Drops) -> tuple[EmbeddedWorld, WorldNode]:
    world = EmbeddedWorld(ROADS / "highway.xodr", ActorSpec("ego"))
    world.spawn_in_lane(ActorSpec("lead"), "1", -2, 40.0, speed=10.0)
    x, y, z, h = world.network.lane_to_world("1", -2, 20.0)
    world.set_pose(0, (x, y, z, h), 10.0)
    node = WorldNode(bus, drops, world, SimClock(), ego_from_state=False, sensors=[ObjectList(rate_hz=50.0)])
    node.start(0)
    return world, node


def test_the_world_node_vouches_for_valid_actors_and_objects_and_not_for_a_nan():
    bus, drops = LocalBus(), Drops()
    frames: list[bytes] = []
    bus.tap(frames.append)
    actors = Inbox(bus.subscriber(WORLD_ACTORS.topic), drops)
    schemas = {"objects": ObjectList().kind}
    objects = Inbox(bus.subscriber("sensor/objects"), drops, with_sensors(schemas))
    raw = bus.subscriber(WORLD_ACTORS.topic).values()  # a typed reader's view: the hand-off itself
    raw_objects = bus.subscriber("sensor/objects").values()
    world, node = _world(bus, drops)
    node.tick(0)
    assert raw(0).checked is WORLD_ACTORS
    assert raw_objects(0).checked is objects.schema  # the readers' own schema: not checked again
    assert [a["name"] for a in actors.next()["actors"]] == ["ego", "lead"]
    assert [o["id"] for o in objects.next()["objects"]] == [1]
    for f in frames:  # what was vouched for passes the schema's own checks
        decode(f, with_sensors(schemas))
    world.actors.state[1, A_SPEED] = math.nan
    node.tick(20_000_000)
    assert raw(0).checked is None
    assert actors.next() is None and objects.next() is None
    assert drops.of(WORLD_ACTORS.topic, Drop.NOT_FINITE) == 1
    assert drops.of("sensor/objects", Drop.NOT_FINITE) == 1
    world.actors.state[1, A_SPEED] = 10.0
    world.actors.state[1, A_X] = math.inf
    node.tick(40_000_000)
    assert actors.next() is None and drops.of(WORLD_ACTORS.topic, Drop.NOT_FINITE) == 2
    assert np.isfinite(world.actors.state[0, :2]).all()
