"""Driver inputs from the keyboard of a terminal, for desks without a wheel: a fallback.

Keys: left/right arrows turn the steering wheel in steps (it returns towards centre by itself),
up arrow opens the throttle a step, down arrow brakes a step (each closes the other), space
brakes fully, r selects reverse, d drive, n neutral, q quits. Published as ``driver/input`` at
``rate_hz``; the terminal is put in cbreak mode and restored on exit.
"""

from __future__ import annotations

import math
import os
import select
import sys
import termios
import time
import tty
from dataclasses import dataclass

from dil.bus.codec import Encoder
from dil.bus.messages import DRIVER_INPUT

ARROWS = {b"\x1b[A": "up", b"\x1b[B": "down", b"\x1b[C": "right", b"\x1b[D": "left"}


@dataclass
class KeyboardDriver:
    steer_step: float = math.radians(30)
    steer_max: float = math.radians(450)
    centring: float = math.radians(90)
    """How fast the wheel returns to centre [rad/s]."""
    pedal_step: float = 0.1
    steering: float = 0.0
    throttle: float = 0.0
    brake: float = 0.0
    gear: int = 1

    def key(self, name: str) -> bool:
        """Apply one key; False for quit."""
        if name == "left":
            self.steering = min(self.steering + self.steer_step, self.steer_max)
        elif name == "right":
            self.steering = max(self.steering - self.steer_step, -self.steer_max)
        elif name == "up":
            self.brake = 0.0
            self.throttle = min(self.throttle + self.pedal_step, 1.0)
        elif name == "down":
            self.throttle = 0.0
            self.brake = min(self.brake + self.pedal_step, 1.0)
        elif name == " ":
            self.throttle, self.brake = 0.0, 1.0
        elif name in ("r", "d", "n"):
            self.gear = {"r": -1, "d": 1, "n": 0}[name]
        elif name == "q":
            return False
        return True

    def relax(self, dt: float) -> None:
        step = self.centring * dt
        self.steering = math.copysign(max(abs(self.steering) - step, 0.0), self.steering)


def parse_keys(data: bytes) -> list[str]:
    """Key names in a chunk read from the terminal."""
    out = []
    i = 0
    while i < len(data):
        seq = data[i : i + 3]
        if seq in ARROWS:
            out.append(ARROWS[seq])
            i += 3
        else:
            out.append(chr(data[i]))
            i += 1
    return out


def run_keyboard(bus, rate_hz: float = 100.0) -> None:
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd) if os.isatty(fd) else None
    if old is not None:
        tty.setcbreak(fd)
    pub = bus.publisher(DRIVER_INPUT.topic)
    enc = Encoder(DRIVER_INPUT, "keyboard")
    drv = KeyboardDriver()
    period = 1.0 / rate_hz
    t0 = time.monotonic()
    try:
        running = True
        while running:
            ready, _, _ = select.select([fd], [], [], period)
            if ready:
                data = os.read(fd, 64)
                if not data:
                    break
                for k in parse_keys(data):
                    running = running and drv.key(k)
            drv.relax(period)
            t = int((time.monotonic() - t0) * 1e9)
            pub.send(
                enc.encode(
                    t,
                    time.time_ns(),
                    {
                        "steering_wheel_angle": drv.steering,
                        "throttle": drv.throttle,
                        "brake": drv.brake,
                        "gear": drv.gear,
                    },
                )
            )
    finally:
        if old is not None:
            termios.tcsetattr(fd, termios.TCSADRAIN, old)
