"""The in-process hand-over with one reader: a lone reader of values, a lone reader of frames, and
readers and taps that join between messages each get what they got with several readers: the value,
the message the encoder makes, the encoder's frame."""

from __future__ import annotations

import pytest

from dil.bus import Drops, Encoder, Inbox, LocalBus, decode
from dil.bus.fixed import field_reader
from dil.bus.handoff import Outlet
from dil.bus.messages import AI_COMMAND
from dil.bus.schema import MessageError


def _fields(k: int) -> dict:
    return {
        "steering_wheel_angle": 0.1 * k - 0.05,
        "throttle": 0.2,
        "brake": 0.0,
        "gear": 1,
        "frame_id": k,
        "inference_ns": 1000 * k,
    }


def test_a_lone_reader_of_values_then_others_joining():
    bus = LocalBus()
    values = Inbox(bus.subscriber(AI_COMMAND.topic, conflate=True), Drops())
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack", check=False))
    reference = Encoder(AI_COMMAND, "stack")
    read = field_reader(AI_COMMAND, ("steering_wheel_angle", "frame_id", "seq", "source"))
    raw = messages = None
    tapped: list[bytes] = []
    for k in range(9):
        if k == 3:  # a reader of frames and one of messages join
            raw = bus.subscriber(AI_COMMAND.topic)
            messages = Inbox(bus.subscriber(AI_COMMAND.topic), Drops())
        if k == 6:  # a recorder's tap joins
            bus.tap(tapped.append)
        out.publish_fields(10 * k, 20 * k, tuple(_fields(k).values()), True)
        frame = reference.encode(10 * k, 20 * k, _fields(k))
        got = values.latest_value()
        assert type(got) is tuple and read(got) == (0.1 * k - 0.05, k, k, "stack")
        if raw is not None and messages is not None:
            assert raw.recv() == frame
            assert messages.next() == decode(frame)[1]
        assert tapped == ([frame] if k >= 6 else [])
        tapped.clear()


def test_a_lone_reader_of_frames_and_of_typed_values():
    bus = LocalBus()
    raw = bus.subscriber(AI_COMMAND.topic)
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack", check=False))
    reference = Encoder(AI_COMMAND, "stack")
    for k in range(3):
        out.publish_fields(k, k, tuple(_fields(k).values()), True)
        assert raw.recv() == reference.encode(k, k, _fields(k))
        out.publish_value(k, k, _fields(k), dict, True)
        assert raw.recv() == reference.encode(k, k, _fields(k))
    lone = LocalBus()
    values = Inbox(lone.subscriber(AI_COMMAND.topic, conflate=True), Drops())
    typed = Outlet(lone.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack", check=False))
    value = {"any": "value"}
    typed.publish_value(5, 6, value, dict, True)
    assert values.latest_value() is value  # handed over as it is


def test_a_checking_encoder_still_makes_and_checks_each_message():
    bus = LocalBus()
    drops = Drops()
    messages = Inbox(bus.subscriber(AI_COMMAND.topic), drops)
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack"))
    out.publish_value(1, 2, _fields(1), dict)
    bad = dict(_fields(2), gear="first")
    with pytest.raises(MessageError):  # the checking encoder refuses it before it leaves
        out.publish_value(3, 4, bad, dict)
    msg = messages.next()
    assert msg is not None and msg["frame_id"] == 1 and msg["seq"] == 0
    assert messages.next() is None
