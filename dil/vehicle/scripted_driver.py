"""Scripted driver inputs: a node that publishes ``driver/input`` from a named time profile.

Stands in for a human at the wheel in demonstrations and tests: the same messages a rig's input
devices would send, from another process or in the same loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from dil.bus.codec import Encoder
from dil.bus.graph import NodeSpec, Port
from dil.bus.messages import DRIVER_INPUT
from dil.bus.transport import Bus
from dil.realtime.clock import Clock

Inputs = tuple[float, float, float, int]
"""steering-wheel angle [rad], throttle [0..1], brake [0..1], gear."""


def _launch(t: float) -> Inputs:
    """Pull away in first gear and hold a gentle throttle."""
    return 0.0, min(0.4, 0.2 * t), 0.0, 1


def _step_steer(t: float) -> Inputs:
    """Accelerate for 4 s, then a 90 degree steering-wheel step held at a light throttle."""
    if t < 4.0:
        return 0.0, 0.5, 0.0, 1
    return math.radians(90.0), 0.15, 0.0, 1


def _sine_steer(t: float) -> Inputs:
    """Accelerate for 3 s, then weave: 60 degrees at 0.5 Hz."""
    if t < 3.0:
        return 0.0, 0.5, 0.0, 1
    return math.radians(60.0) * math.sin(math.pi * (t - 3.0)), 0.2, 0.0, 1


def _accelerate_brake(t: float) -> Inputs:
    """Full throttle for 5 s, then a hard stop."""
    if t < 5.0:
        return 0.0, 1.0, 0.0, 1
    return 0.0, 0.0, 0.8, 1


PROFILES: dict[str, Callable[[float], Inputs]] = {
    "launch": _launch,
    "step-steer": _step_steer,
    "sine-steer": _sine_steer,
    "accelerate-brake": _accelerate_brake,
}


class ScriptedDriver:
    """Publishes the profile's inputs at ``rate_hz``."""

    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        profile: str = "sine-steer",
        *,
        rate_hz: float = 100.0,
        name: str = "scripted-driver",
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown driver profile {profile!r} (known: {', '.join(PROFILES)})")
        self.rate_hz = rate_hz
        self.profile = PROFILES[profile]
        self.clock = clock
        self.spec = NodeSpec(name, outputs=(Port("input", DRIVER_INPUT.topic, rate_hz),))
        self._pub = bus.publisher(DRIVER_INPUT.topic)
        self._enc = Encoder(DRIVER_INPUT, name)

    def start(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        steer, throttle, brake, gear = self.profile(t_sim_ns * 1e-9)
        self._pub.send(
            self._enc.encode(
                t_sim_ns,
                self.clock.wall_ns(t_sim_ns),
                {"steering_wheel_angle": steer, "throttle": throttle, "brake": brake, "gear": gear},
            )
        )

    def stop(self, t_sim_ns: int) -> None:
        pass
