"""In-process hand-off: readers on a LocalBus get the message as a value, the same one decoding its
frame gives; taps and raw subscribers get exactly the frame the encoder makes; bad messages are
dropped and counted by every reader as before."""

import math

import numpy as np

from dil.bus import Drops, Encoder, FixedEncoder, Inbox, LocalBus, decode
from dil.bus.handoff import Handoff, Outlet
from dil.bus.messages import AI_COMMAND, VEHICLE_STATE

from .samples import sample


def _command(steer: float) -> dict:
    fields = sample(AI_COMMAND)
    fields["steering_wheel_angle"] = steer
    return {k: v for k, v in fields.items() if k not in ("schema_version", "seq", "t_sim_ns", "t_wall_ns")}


def test_readers_get_the_value_and_taps_the_encoders_frame():
    bus = LocalBus()
    tapped: list[bytes] = []
    bus.tap(tapped.append)
    typed = Inbox(bus.subscriber(AI_COMMAND.topic), Drops())
    raw = bus.subscriber(AI_COMMAND.topic)
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack"))
    reference = Encoder(AI_COMMAND, "stack")
    for k in range(3):
        out.publish(10 * k, 20 * k, _command(0.1 * k))
        frame = reference.encode(10 * k, 20 * k, _command(0.1 * k))
        assert tapped[-1] == frame
        assert raw.recv() == frame
        msg = typed.next()
        assert msg == decode(frame)[1]
        assert [type(v) for v in msg.values()] == [type(v) for v in decode(frame)[1].values()]
    assert typed.received == 3


def test_no_reader_and_no_tap_packs_nothing():
    bus = LocalBus()
    packed = []
    bus.publisher(AI_COMMAND.topic).hand({"x": 1}, lambda m: packed.append(m) or b"")
    assert packed == []


def test_a_bad_value_is_dropped_and_counted_by_each_reader_checked_once():
    bus = LocalBus()
    drops = Drops()
    readers = [Inbox(bus.subscriber(AI_COMMAND.topic), drops) for _ in range(2)]
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack", check=False))
    out.publish(0, 0, _command(math.nan))
    out.publish(1, 1, _command(0.2))
    for r in readers:
        msg = r.next()
        assert msg is not None and msg["steering_wheel_angle"] == 0.2
    assert drops.of(AI_COMMAND.topic) == 2
    item = Handoff({"schema_version": 1}, lambda m: b"")
    first = item.check(AI_COMMAND)
    assert first is not None and item.check(AI_COMMAND) is first


def test_fixed_template_message_and_pack_match_encode_and_decode():
    enc, ref = FixedEncoder(VEHICLE_STATE, "vehicle"), FixedEncoder(VEHICLE_STATE, "vehicle")
    rng = np.random.default_rng(3)
    bus = LocalBus()
    typed = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), Drops())
    raw = bus.subscriber(VEHICLE_STATE.topic, conflate=True)
    pub = bus.publisher(VEHICLE_STATE.topic)
    for t in range(4):
        for e in (enc, ref):
            e.floats[:] = rng.uniform(0, 1, enc.floats.size) if e is enc else enc.floats
            e.ints[:] = t
        pub.hand(enc.message(t, t + 5), enc.pack)
        frame = bytes(ref.encode(t, t + 5))
        assert raw.recv() == frame
        msg = typed.latest()
        assert msg == decode(frame)[1] and list(msg) == list(decode(frame)[1])
        assert enc.seq == ref.seq


def test_values_handed_lazily_make_the_message_only_when_read_and_pack_the_encoders_frame():
    enc, ref = FixedEncoder(VEHICLE_STATE, "vehicle"), FixedEncoder(VEHICLE_STATE, "vehicle")
    bus = LocalBus()
    typed = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), Drops())
    made = []

    def make(values: tuple) -> dict:
        made.append(values[1])
        return enc.make(values)

    pub = bus.publisher(VEHICLE_STATE.topic)
    for t in range(5):
        enc.floats[:] = ref.floats[:] = np.arange(enc.floats.size) * 0.01 + 0.1 * t
        enc.ints[:] = ref.ints[:] = t
        pub.hand(enc.values(t, t + 7), enc.pack_values, None, make)
        frame = bytes(ref.encode(t, t + 7))
    msg = typed.latest()  # conflating: only the newest of the five is read, and only it is made
    assert made == [4]
    assert msg == decode(frame)[1] and list(msg) == list(decode(frame)[1])
    assert enc.pack_values(enc.values(9, 9)) == bytes(ref.encode(9, 9))
    tapped: list[bytes] = []
    bus.tap(tapped.append)
    tap_pub = bus.publisher(VEHICLE_STATE.topic)
    tap_pub.hand(enc.values(10, 11), enc.pack_values, None, make)
    assert tapped == [bytes(ref.encode(10, 11))]
    assert made == [4]  # the tap got the frame packed from the values: no message made
