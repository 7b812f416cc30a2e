"""Driver inputs from a steering wheel and pedals (SDL through pygame's joystick API), mapped and
calibrated per device from YAML, published as ``driver/input``.

The mapping is plain arithmetic on raw axis values (``map_axes``), tested here; reading a device
needs pygame (the ``wheel`` extra) and a wheel plugged in, which the build machine does not have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from dil.bus.codec import Encoder
from dil.bus.messages import DRIVER_INPUT
from dil.config.ranges import Bound, check, closed, count, positive
from dil.config.typed import from_dict
from dil.config.yaml_safe import ConfigError, load_yaml

from .force_feedback import FeedbackParameters

WHEELS = Path(__file__).resolve().parent / "wheels"


@dataclass(frozen=True)
class Axis:
    index: int
    """SDL axis number."""
    raw_min: float = -1.0
    raw_max: float = 1.0
    """Raw values at the ends of travel (pedals: released, pressed)."""
    dead_zone: float = 0.0
    """Fraction of travel around the rest position that reads as rest."""
    curve: float = 1.0
    """Pedal curve exponent: > 1 gives finer control at light pressure."""


@dataclass(frozen=True)
class WheelMapping:
    name: str
    steering: Axis
    throttle: Axis
    brake: Axis
    steering_range: float = math.radians(900)
    """Lock to lock [rad]."""
    gear: int = 1
    force_feedback: FeedbackParameters = field(default_factory=FeedbackParameters)
    """The torque ``driver/feedback`` asks of this wheel's motor."""


RANGES: dict[str, Bound] = {
    "*.index": count(0, 255),
    "*.raw_min": closed(-1e6, 1e6),
    "*.raw_max": closed(-1e6, 1e6),
    "*.dead_zone": Bound(0.0, 1.0, hi_open=True),
    "*.curve": closed(0.1, 10.0),
    "steering_range": closed(0.1, 60.0, "rad"),
    "gear": count(-1, 10),
    "force_feedback.gain": closed(0.0, 10.0),
    "force_feedback.damping": closed(0.0, 100.0, "N m s/rad"),
    "force_feedback.friction": closed(0.0, 100.0, "N m"),
    "force_feedback.end_stop_stiffness": closed(0.0, 10_000.0, "N m/rad"),
    "force_feedback.end_stop_damping": closed(0.0, 1_000.0, "N m s/rad"),
    "force_feedback.max_torque": positive(100.0, "N m"),
}
"""Valid range of every number of a wheel mapping (``*`` is steering, throttle or brake)."""


def load_mapping(name_or_path: str | Path) -> WheelMapping:
    """A mapping by name (``hil_rigs/wheels/NAME.yaml``) or path; strict keys, checked ranges."""
    path = Path(name_or_path)
    if not path.suffix:
        path = WHEELS / f"{name_or_path}.yaml"
    try:
        m = from_dict(WheelMapping, load_yaml(path, "wheel mapping"), str(path))
        check(m, RANGES, str(path))
    except ConfigError as e:
        raise ValueError(str(e)) from None
    for name in ("steering", "throttle", "brake"):
        axis: Axis = getattr(m, name)
        if axis.raw_min == axis.raw_max:
            raise ValueError(f"{path}: {name}.raw_min = raw_max = {axis.raw_min:g}: an axis needs travel")
    return m


def _unit(axis: Axis, raw: float) -> float:
    """Raw value to 0..1 of travel."""
    u = (raw - axis.raw_min) / (axis.raw_max - axis.raw_min)
    return min(max(u, 0.0), 1.0)


def map_axes(m: WheelMapping, raw: list[float]) -> tuple[float, float, float]:
    """Steering-wheel angle [rad, positive left], throttle and brake [0..1] from raw axis values."""
    s = 2.0 * _unit(m.steering, raw[m.steering.index]) - 1.0  # -1 full right .. +1 full left
    dz = m.steering.dead_zone
    s = 0.0 if abs(s) <= dz else math.copysign((abs(s) - dz) / (1.0 - dz), s)
    pedals = []
    for axis in (m.throttle, m.brake):
        u = _unit(axis, raw[axis.index])
        u = 0.0 if u <= axis.dead_zone else (u - axis.dead_zone) / (1.0 - axis.dead_zone)
        pedals.append(u**axis.curve)
    return s * 0.5 * m.steering_range, pedals[0], pedals[1]


def run_wheel(mapping: WheelMapping, bus, device: int = 0, rate_hz: float = 250.0) -> None:
    """Read the device and publish ``driver/input`` until interrupted (needs pygame and a wheel)."""
    import os
    import time

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    try:
        import pygame
    except ImportError:
        raise SystemExit("dil wheel: needs pygame (pip install 'dil[wheel]')") from None
    pygame.init()
    pygame.joystick.init()
    if pygame.joystick.get_count() <= device:
        raise SystemExit(f"dil wheel: no joystick {device} (found {pygame.joystick.get_count()})")
    js = pygame.joystick.Joystick(device)
    pub = bus.publisher(DRIVER_INPUT.topic)
    enc = Encoder(DRIVER_INPUT, f"wheel:{js.get_name()}")
    period = 1.0 / rate_hz
    t0 = time.monotonic()
    while True:
        pygame.event.pump()
        raw = [js.get_axis(i) for i in range(js.get_numaxes())]
        steer, throttle, brake = map_axes(mapping, raw)
        now = time.time_ns()
        pub.send(
            enc.encode(
                int((time.monotonic() - t0) * 1e9),
                now,
                {"steering_wheel_angle": steer, "throttle": throttle, "brake": brake, "gear": mapping.gear},
            )
        )
        time.sleep(period)
