"""An AI stack with a person in the seat: a driver who took control and then let go leaves nobody
in control; the car is braked, never driven on the last input, and it is announced."""

import msgpack

from dil.bus import SCHEMAS, Drops, Encoder, LocalBus
from dil.bus.messages import DRIVER_INPUT
from dil.realtime.clock import SimClock
from dil.stack.builtin import BuiltinStack
from dil.stack.remote import RemoteOptions, RemoteStack
from vehicle_models.parameters import load as load_vehicle


def _frames(sub) -> list[dict]:
    out = []
    while (f := sub.recv()) is not None:
        out.append(msgpack.unpackb(f.split(b"\0", 1)[1]))
    return out


def test_a_driver_who_lets_go_leaves_the_car_braked_and_nobody_in_control():
    bus, drops, clock = LocalBus(), Drops(), SimClock()
    fallback = BuiltinStack(bus, drops, clock, load_vehicle("sedan_bmw320i"))
    stack = RemoteStack(bus, drops, clock, fallback, RemoteOptions(("n1",), driver_seat=True))
    events, commands = bus.subscriber("stack/events"), bus.subscriber("ai/command")
    driver = bus.publisher(DRIVER_INPUT.topic)
    enc = Encoder(SCHEMAS["driver/input"], "wheel")
    push = {"steering_wheel_angle": 0.1, "throttle": 0.6, "brake": 0.0, "gear": 1}
    driver.send(enc.encode(0, 0, {**push, "brake": 0.5}))  # the driver brakes: takes control
    step = 5_000_000  # the stack polls at 200 Hz
    stack.tick(0)
    assert stack.control == "driver"
    t = step
    while t <= 100_000_000:  # the driver pushes the throttle for 0.1 s, then lets go
        driver.send(enc.encode(t, 0, push))
        stack.tick(t)
        t += step
    _frames(events)
    assert _frames(commands)[-1]["throttle"] == 0.6
    while t <= 1_000_000_000:  # nobody: 0.9 s without input
        stack.tick(t)
        t += step
    (gone,) = _frames(events)
    assert gone["control"] == "none" and gone["kind"] == "fallback" and "200 ms" in gone["detail"]
    assert abs(gone["t_sim_ns"] - 300_000_000) <= 20_000_000  # 200 ms after the last input at 0.1 s
    held = [c for c in _frames(commands) if c["t_sim_ns"] > gone["t_sim_ns"]]
    assert held and all(c["throttle"] == 0.0 and c["brake"] == 0.3 for c in held)  # never 0.6 held on
    for _ in range(4):  # back at the wheel (the stack commands at 50 Hz: every 4th poll)
        driver.send(enc.encode(t, 0, push))
        stack.tick(t)
        t += step
    (back,) = _frames(events)
    assert back["control"] == "driver" and back["kind"] == "takeover"
    assert abs(stack.no_driver_s - (back["t_sim_ns"] - gone["t_sim_ns"]) * 1e-9) < 1e-9
    assert 0.65 < stack.no_driver_s < 0.75
