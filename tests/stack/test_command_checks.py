"""The built-in stack's commands: plain numbers within the schema's bounds go out vouched for (readers
in the process do not check them again) and equal what a checking encoder makes; anything else gets
the schema's whole check: a bad command raises naming its field and uses no sequence number, an
integer pedal from an override passes."""

import math
from collections.abc import Callable

import numpy as np
import pytest

import vehicle_models
from dil.bus import Drops, Encoder, Inbox, LocalBus, decode
from dil.bus.messages import AI_COMMAND
from dil.bus.schema import MessageError
from dil.realtime.clock import SimClock
from dil.stack.builtin import BuiltinStack


def _stack() -> tuple[BuiltinStack, list, Inbox, Callable]:
    bus = LocalBus()
    tapped: list[bytes] = []
    bus.tap(tapped.append)
    reader = Inbox(bus.subscriber(AI_COMMAND.topic), Drops())
    raw = bus.subscriber(AI_COMMAND.topic).values()  # the handed-over items themselves
    params = vehicle_models.Vehicle("single_track", "sedan_bmw320i").params
    return BuiltinStack(bus, Drops(), SimClock(), params, name="stack"), tapped, reader, raw


def test_valid_commands_go_out_vouched_and_as_a_checking_encoder_makes_them():
    stack, tapped, reader, raw = _stack()
    reference = Encoder(AI_COMMAND, "stack")
    for k, (steer, throttle, brake) in enumerate(((0.1, 0.3, 0.0), (-20.0, 0.0, 1.0), (20.0, 1.0, 0.5))):
        stack.publish(10 * k, steer, throttle, brake, inference_ns=7)
        fields = {"steering_wheel_angle": steer, "throttle": throttle, "brake": brake, "gear": 1}
        frame = reference.encode(10 * k, 10 * k, {**fields, "frame_id": k, "inference_ns": 7})
        assert tapped[-1] == frame
        assert reader.next() == decode(frame)[1]
        assert raw(0).checked is AI_COMMAND  # vouched: readers take it without a check of their own
    assert reader.received == 3


@pytest.mark.parametrize(
    ("steer", "throttle", "brake", "field"),
    [
        (math.nan, 0.2, 0.0, "steering_wheel_angle"),
        (25.0, 0.2, 0.0, "steering_wheel_angle"),
        (0.0, 1.5, 0.0, "throttle"),
        (0.0, 0.0, -0.1, "brake"),
    ],
)
def test_a_bad_command_raises_naming_its_field_and_takes_no_sequence_number(steer, throttle, brake, field):
    stack, tapped, reader, _ = _stack()
    with pytest.raises(MessageError, match=field):
        stack.publish(0, steer, throttle, brake)
    assert tapped == [] and reader.next() is None
    stack.publish(10, 0.0, 0.5, 0.0)
    assert reader.next()["seq"] == 0


def test_numbers_of_other_types_get_the_schemas_check_and_pass_when_valid():
    stack, _, reader, _ = _stack()
    stack.publish(0, 0.0, 1, 0)  # an override's integer pedal values
    stack.publish(10, np.float64(0.25), 0.0, 0.0)
    first, second = reader.next(), reader.next()
    assert (first["throttle"], first["brake"]) == (1, 0)
    assert second["steering_wheel_angle"] == 0.25
