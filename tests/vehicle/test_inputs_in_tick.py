"""The vehicle node's tick that takes a command's inputs in its kernel call gives the states, messages
and drops of taking the inputs first (``take_inputs``) and then stepping, for every registered model,
with valid and refused commands, from a values tuple handed over in this process or a message's map."""

from __future__ import annotations

import numpy as np
import pytest

from dil.bus import Drops, Encoder, Inbox, LocalBus
from dil.bus.handoff import Outlet
from dil.bus.messages import AI_COMMAND, VEHICLE_STATE
from dil.realtime.clock import SimClock
from dil.vehicle.node import VehicleNode
from dil.vehicle.tick_kernel import take_inputs
from vehicle_models import MODELS, Vehicle

# steering-wheel angle, throttle, brake, gear; None: no command that tick; the bad ones are refused
COMMANDS = [
    (0.1, 0.4, 0.0, 1),
    None,
    (0.25, 0.6, 0.0, 1),
    (0.3, 1.5, 0.0, 1),  # throttle out of range: refused, the previous inputs stay
    None,
    (-0.2, 0.0, 0.5, 1),
    (-0.1, 0.0, 0.2, 7.5),  # no such gear: refused
    (0.05, 0.3, 0.0, 1),
]


def _send(out: Outlet, k: int, cmd: tuple, as_values: bool) -> None:
    steer, throttle, brake, gear = cmd
    if as_values:  # as the built-in stack publishes: the values tuple
        out.publish_fields(k, k, (steer, throttle, brake, gear, k, 0))
    else:  # a message's map (a frame from another process decodes to one)
        fields = {"steering_wheel_angle": steer, "throttle": throttle, "brake": brake, "gear": gear}
        out.publish(k, k, {**fields, "frame_id": k, "inference_ns": 0})


@pytest.mark.parametrize("as_values", [True, False])
@pytest.mark.parametrize("model", sorted(MODELS))
def test_inputs_taken_in_the_tick_kernel_match_taking_them_first(model: str, as_values: bool) -> None:
    bus, drops = LocalBus(), Drops()
    car, ref = Vehicle(model, speed=12.0, gear=1), Vehicle(model, speed=12.0, gear=1)
    node = VehicleNode(bus, drops, car, SimClock(), input_topic=AI_COMMAND.topic, substeps=10)
    assert node._kernel_inputs is not None
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack", check=False))
    reader = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), Drops())
    ref_node = VehicleNode(LocalBus(), Drops(), ref, SimClock(), substeps=10)  # its start: the fallback
    node.start(0)
    ref_node.start(0)
    refused = 0
    for k in range(40):
        cmd = COMMANDS[k % len(COMMANDS)]
        t = k * 10_000_000
        if cmd is not None:
            _send(out, t, cmd, as_values)
            code = take_inputs(ref.u, np.zeros_like(ref.u), ref.p, *(float(v) for v in cmd))
            refused += code != 0
        node.tick(t)
        ref.advance(10)
        assert np.array_equal(car.u, ref.u)
        assert np.array_equal(car.x, ref.x)
    assert drops.total == refused == 2 * (40 // len(COMMANDS))
    _, i_bounds = node._encoder.bounds()  # the message's integer bounds kept exactly beside the input code
    assert np.array_equal(node._iwork[-1 - i_bounds.size : -1], i_bounds.ravel())
    msg = reader.latest()
    assert msg is not None and msg["x"] == ref.x[0] and msg["t_sim_ns"] == 400_000_000
