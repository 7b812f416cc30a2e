"""The built-in stack's tick (reading, control law, overrides and publishing in one call) gives the
commands, alerts and ``ai/command`` messages of its parts called one by one (:meth:`command`, the
scenario's overrides, :meth:`publish`), bit for bit, on the golden traces' inputs."""

import pytest

from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import AI_COMMAND, VEHICLE_STATE
from dil.bus.transport import LocalBus
from dil.realtime.clock import SimClock
from dil.stack.builtin import BuiltinStack, apply_overrides
from tests.stack.golden import CASES, load, replay
from vehicle_models import load as load_parameters


def _by_parts(self, t_sim_ns):
    cmd = self.command()
    if cmd is not None:
        if self.overrides:
            cmd = apply_overrides(cmd, self.overrides, self.max_wheel)
        self.publish(t_sim_ns, *cmd)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_tick_equals_its_parts_called_one_by_one(case, monkeypatch):
    trace = load(case)
    inline = replay(trace)
    monkeypatch.setattr(BuiltinStack, "tick", _by_parts)
    assert replay(trace) == inline  # bit for bit, not within a tolerance


def _frames(tick, speeds, overrides):
    """The ``ai/command`` frames a stack publishes, fed the vehicle's values tuples in this process."""
    bus, clock = LocalBus(), SimClock()
    frames = []
    bus.tap(frames.append)
    stack = BuiltinStack(bus, Drops(), clock, load_parameters("sedan_bmw320i"))
    reader = Inbox(bus.subscriber(AI_COMMAND.topic, conflate=True), Drops())
    state = bus.publisher(VEHICLE_STATE.topic)
    from dil.bus.fixed import FixedEncoder

    enc = FixedEncoder(VEHICLE_STATE, "vehicle")
    stack.start(0)
    stack.cruise_speed = 20.0
    values = []
    for k, v in enumerate(speeds):
        t = k * 20_000_000
        enc.floats[[f for f in enc.float_names].index("speed")] = v
        state.hand(enc.values(t, clock.wall_ns(t)), enc.pack_values, enc.checked(), enc.make, enc.view)
        stack.overrides = overrides(k)
        tick(stack, t)
        values.append(reader.latest_value())
    return [f for f in frames if f.startswith(AI_COMMAND.topic.encode())], values


def test_values_tuples_and_overrides_give_the_same_messages():
    speeds = [0.0, 3.0, 12.5, 19.0, 22.0, 25.0, 8.0, 0.2]

    def overrides(k):
        return {"brake": (True, 0.7)} if k in (3, 4) else {"steering_wheel": (True, 40.0)} if k == 6 else {}

    assert _frames(BuiltinStack.tick, speeds, overrides) == _frames(_by_parts, speeds, overrides)
