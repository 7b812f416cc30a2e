"""The vehicle node's compiled tick (its kernel arguments bound once, the common case of taking a
command inline) gives the states, frames, drops and input time-outs of the general tick, bit for bit:
with commands, refused commands and gaps longer than the input time-out, as values or as maps."""

from __future__ import annotations

import types

import numpy as np
import pytest

from dil.bus import Drops, Encoder, LocalBus
from dil.bus.handoff import Outlet
from dil.bus.messages import AI_COMMAND
from dil.realtime.clock import SimClock
from dil.vehicle.node import VehicleNode
from vehicle_models import MODELS, Vehicle


def _command(k: int) -> tuple | None:
    """Commands with gaps: none from tick 12 to 40 (past the 200 ms time-out), refused ones."""
    if 12 <= k < 40 or k % 3 == 2:
        return None
    if k % 11 == 5:
        return (0.1, 1.7, 0.0, 1)  # throttle out of range: refused
    return (0.2 * np.sin(k / 4), 0.5 if k < 30 else 0.0, 0.0 if k < 50 else 0.4, 1)


def _run(model: str, general: bool, as_values: bool):
    bus, drops, frames = LocalBus(), Drops(), []
    bus.tap(frames.append)
    car = Vehicle(model, speed=10.0, gear=1)
    node = VehicleNode(bus, drops, car, SimClock(), input_topic=AI_COMMAND.topic, substeps=10)
    if general:
        node.tick = types.MethodType(VehicleNode.tick, node)
    out = Outlet(bus.publisher(AI_COMMAND.topic), Encoder(AI_COMMAND, "stack", check=False))
    node.start(0)
    states, flags = [], []
    for k in range(70):
        t = k * 10_000_000
        cmd = _command(k)
        if cmd is not None:
            steer, throttle, brake, gear = (float(cmd[0]), *cmd[1:])
            if as_values:
                out.publish_fields(t, t, (steer, throttle, brake, gear, k, 0))
            else:
                fields = {"steering_wheel_angle": steer, "throttle": throttle, "brake": brake, "gear": gear}
                out.publish(t, t, {**fields, "frame_id": k, "inference_ns": 0})
        node.tick(t)
        states.append(car.x.tobytes() + car.u.tobytes())
        flags.append((node.timed_out, node.input_timeouts, node.input_lost(t), drops.total))
    return states, flags, frames


@pytest.mark.parametrize("as_values", [True, False], ids=["values", "maps"])
@pytest.mark.parametrize("model", sorted(MODELS))
def test_compiled_tick_matches_the_general_tick(model: str, as_values: bool) -> None:
    fast, general = _run(model, False, as_values), _run(model, True, as_values)
    assert fast[1] == general[1]
    assert any(f[0] for f in fast[1]) and fast[1][-1][1] >= 1 and fast[1][-1][3] > 0  # timed out, refused
    assert fast[0] == general[0]
    assert fast[2] == general[2] and len(fast[2]) > 90
