"""A message published as its fields' values (``Outlet.publish_fields``): readers of values get the
values tuple, readers of messages the map ``publish`` makes of the same fields, taps and raw
subscribers exactly the frame the encoder makes of it."""

from __future__ import annotations

from dil.bus import Drops, Encoder, Inbox, LocalBus, decode
from dil.bus.fixed import field_reader
from dil.bus.handoff import Outlet
from dil.bus.messages import AI_COMMAND


def _fields(k: int) -> dict:
    return {
        "steering_wheel_angle": 0.1 * k - 0.05,
        "throttle": 0.2,
        "brake": 0.0,
        "gear": 1,
        "frame_id": k,
        "inference_ns": 1000 * k,
    }


def test_values_readers_get_the_tuple_others_the_message_and_taps_the_same_bytes():
    bus = LocalBus()
    tapped: list[bytes] = []
    bus.tap(tapped.append)
    values = Inbox(bus.subscriber(AI_COMMAND.topic, conflate=True), Drops())
    messages = Inbox(bus.subscriber(AI_COMMAND.topic), Drops())
    raw = bus.subscriber(AI_COMMAND.topic)
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack", check=False))
    reference = Encoder(AI_COMMAND, "stack")
    read = field_reader(AI_COMMAND, ("steering_wheel_angle", "gear", "frame_id", "seq"))
    for k in range(4):
        out.publish_fields(10 * k, 20 * k, tuple(_fields(k).values()), True)
        frame = reference.encode(10 * k, 20 * k, _fields(k))
        assert tapped[-1] == frame
        assert raw.recv() == frame
        msg = messages.next()
        assert msg == decode(frame)[1]
        assert list(msg) == list(decode(frame)[1])  # the same keys in the same order
        got = values.latest_value()
        assert type(got) is tuple and read(got) == read(msg) == (0.1 * k - 0.05, 1, k, k)


def test_without_taps_nothing_is_packed_and_the_sequence_goes_on():
    bus = LocalBus()
    values = Inbox(bus.subscriber(AI_COMMAND.topic, conflate=True), Drops())
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack", check=False))
    out._pack_values = lambda v: (_ for _ in ()).throw(AssertionError("packed"))  # type: ignore[misc]
    for k in range(3):
        out.publish_fields(k, k, tuple(_fields(k).values()), True)
    assert values.latest_value()[1] == 2  # seq


def test_a_checking_encoder_checks_and_publishes_the_message():
    bus = LocalBus()
    drops = Drops()
    messages = Inbox(bus.subscriber(AI_COMMAND.topic), drops)
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack"))
    out.publish_fields(5, 6, tuple(_fields(2).values()))
    msg = messages.next()
    assert msg is not None and msg["frame_id"] == 2 and msg["t_wall_ns"] == 6
