"""The object sensor's typed value: headings wrapped to the bit as ``math.remainder`` wraps them, the
list handed to readers in this process as the array itself, and readers of messages given the same
records (the same bytes) as a sensor that makes records."""

import math

import numpy as np

from dil.bus import Drops, Encoder, Inbox, LocalBus
from dil.bus.messages import sensor_schema
from dil.bus.values import OBJ_SIZE, OBJ_YAW, ObjectSet
from dil.realtime.clock import SimClock
from dil.world.actors import (
    A_ALIVE,
    A_HEIGHT,
    A_KIND,
    A_LENGTH,
    A_SIZE,
    A_SPEED,
    A_WIDTH,
    A_X,
    A_Y,
    A_YAW,
    ActorKind,
    ActorSpec,
)
from dil.world.embedded import EmbeddedWorld
from dil.world.node import WorldNode
from dil.world.sensor_kernels import wrap_angles
from dil.world.sensors import ObjectList

from ..road.helpers import ROADS

OBJECTS = sensor_schema("objects", "objects")


def test_headings_wrap_to_the_bit_as_the_ieee_remainder_does():
    rng = np.random.default_rng(3)
    ties = np.arange(-21, 22) * math.pi  # odd multiples of pi: ties, to the even multiple of 2 pi
    edges = [0.0, -0.0, math.pi, -math.pi, np.nextafter(math.pi, 4.0), np.nextafter(-math.pi, -4.0)]
    angles = np.concatenate([rng.uniform(-7.0, 7.0, 50_000), rng.uniform(-1e4, 1e4, 50_000), ties, edges])
    rows = np.zeros((len(angles), OBJ_SIZE))
    rows[:, OBJ_YAW] = angles
    wrap_angles(rows, OBJ_YAW)
    want = np.array([math.remainder(a, 2 * math.pi) for a in angles])
    assert np.array_equal(rows[:, OBJ_YAW].view(np.int64), want.view(np.int64))  # signed zeros too
    assert np.all(np.abs(rows[:, OBJ_YAW]) <= math.pi)


def _scattered(rng: np.random.Generator, n: int) -> np.ndarray:
    s = np.zeros((n, A_SIZE))
    s[:, A_X], s[:, A_Y] = rng.uniform(-150, 150, n), rng.uniform(-150, 150, n)
    s[:, A_YAW], s[:, A_SPEED] = rng.uniform(-9, 9, n), rng.uniform(0, 40, n)
    s[:, A_KIND] = rng.integers(0, 4, n)
    s[:, A_LENGTH], s[:, A_WIDTH], s[:, A_HEIGHT] = 4.5, 1.8, 1.5
    s[:, A_ALIVE] = rng.random(n) > 0.2
    s[0, A_ALIVE] = 1.0
    return s


def test_the_value_makes_the_bytes_of_the_records_made_one_by_one():
    rng = np.random.default_rng(11)
    sensor = ObjectList(range_m=120.0)
    seen = 0
    for k in range(50):
        state = _scattered(rng, 16)
        value = sensor.measure_value(state, len(state))
        assert sensor.checked and type(value) is ObjectSet
        ego = state[0]
        c, s = math.cos(ego[A_YAW]), math.sin(ego[A_YAW])
        want = []
        for i in range(1, len(state)):
            a = state[i]
            dx, dy = a[A_X] - ego[A_X], a[A_Y] - ego[A_Y]
            if a[A_ALIVE] > 0.5 and math.hypot(dx, dy) <= sensor.range_m:
                want.append(
                    {"id": i, "kind": ActorKind(int(a[A_KIND])).label, "x": dx * c + dy * s,
                     "y": -dx * s + dy * c, "yaw": math.remainder(a[A_YAW] - ego[A_YAW], 2 * math.pi),
                     "speed": float(a[A_SPEED]), "length": float(a[A_LENGTH]), "width": float(a[A_WIDTH]),
                     "height": float(a[A_HEIGHT])}
                )  # fmt: skip
        made = Encoder(OBJECTS, "world").encode(k, k, value.fields())
        assert made == Encoder(OBJECTS, "world").encode(k, k, {"objects": want})
        seen += len(want)
    assert seen > 100


def test_the_world_node_hands_the_list_over_as_an_array_and_messages_carry_its_records():
    bus = LocalBus()
    frames: list[bytes] = []
    bus.tap(frames.append)
    world = EmbeddedWorld(ROADS / "highway.xodr", ActorSpec("ego", length=4.6, width=1.85))
    world.spawn_in_lane(ActorSpec("lead"), "1", -2, 30.0, speed=5.0)
    world.spawn_in_lane(ActorSpec("other"), "1", 2, 60.0, speed=5.0)  # the other direction
    node = WorldNode(bus, Drops(), world, SimClock(), sensors=[ObjectList(rate_hz=50.0)])
    values_in = Inbox(bus.subscriber(OBJECTS.topic), Drops(), {OBJECTS.topic: OBJECTS})
    messages_in = Inbox(bus.subscriber(OBJECTS.topic), Drops(), {OBJECTS.topic: OBJECTS})
    node.start(0)
    node.tick(0)
    value = values_in.latest_value()
    assert type(value) is ObjectSet and len(value) == 2
    records = messages_in.latest()["objects"]
    assert records == value.fields()["objects"] and [o["id"] for o in records] == [1, 2]
    assert abs(records[0]["yaw"]) < 0.1 and abs(records[1]["yaw"]) > 3.0  # the one ahead faces us
    tapped = [f for f in frames if f.startswith(OBJECTS.topic.encode())]
    assert len(tapped) == 1  # the recorder's tap got the message's bytes


def test_a_list_with_a_bad_number_keeps_its_rows_and_is_not_marked_checked():
    rng = np.random.default_rng(5)
    sensor = ObjectList(range_m=1e3)
    state = _scattered(rng, 8)
    state[:, A_ALIVE] = 1.0
    good = sensor.measure_value(state, len(state))
    assert sensor.checked and len(good.rows) == 7
    for col, bad in ((A_SPEED, math.nan), (A_WIDTH, -1.0)):
        broken = state.copy()
        broken[3, col] = bad
        value = sensor.measure_value(broken, len(broken))
        assert not sensor.checked  # readers check its numbers against the schema themselves
        assert len(value.rows) == 7 and np.array_equal(value.rows[:, 0], good.rows[:, 0])
    sensor.measure_value(state, len(state))
    assert sensor.checked
