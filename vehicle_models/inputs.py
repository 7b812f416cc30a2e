"""Cockpit inputs: the layout of the input vector ``u`` shared by every model, and its checks."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .packing import P_N_GEARS, P_TR_KIND, TR_MANUAL

U_STEERING_WHEEL = 0
"""Steering-wheel angle [rad], positive turns left (counter-clockwise seen by the driver)."""
U_THROTTLE = 1
"""Accelerator pedal [0..1]."""
U_BRAKE = 2
"""Brake pedal [0..1]."""
U_GEAR = 3
"""Gear selector, an integer: -1 reverse, 0 neutral; manual 1..n picks the gear, else 1 is drive."""
U_FRICTION = 4
"""Road friction scale [-], 1.0 for the tyres' reference dry asphalt; (0, 2]."""
N_INPUTS = 5

INPUT_NAMES = ("steering_wheel_angle", "throttle", "brake", "gear", "road_friction")


class InputError(ValueError):
    """An input value is not finite or out of its range; the message names it."""


@njit(cache=True, error_model="numpy")
def check_inputs(u: np.ndarray, p: np.ndarray) -> int:
    """0 when ``u`` is valid, else 1 + the index of the first bad input."""
    if not math.isfinite(u[U_STEERING_WHEEL]):
        return 1 + U_STEERING_WHEEL
    if not (0.0 <= u[U_THROTTLE] <= 1.0):  # also false for NaN
        return 1 + U_THROTTLE
    if not (0.0 <= u[U_BRAKE] <= 1.0):
        return 1 + U_BRAKE
    g = u[U_GEAR]
    top = p[P_N_GEARS] if p[P_TR_KIND] == TR_MANUAL else 1.0
    if not (-1.0 <= g <= top) or g != math.floor(g):
        return 1 + U_GEAR
    if not (0.0 < u[U_FRICTION] <= 2.0):
        return 1 + U_FRICTION
    return 0


_RANGES = {
    U_STEERING_WHEEL: "a finite angle in rad",
    U_THROTTLE: "within [0, 1]",
    U_BRAKE: "within [0, 1]",
    U_GEAR: "an integer gear from -1 (reverse) to the highest gear of the transmission",
    U_FRICTION: "within (0, 2]",
}


def input_error(code: int, u: np.ndarray, where: str = "") -> InputError:
    """The exception for a non-zero :func:`check_inputs` code."""
    i = code - 1
    prefix = f"{where}: " if where else ""
    return InputError(f"{prefix}input {INPUT_NAMES[i]} = {float(u[i])!r}: must be {_RANGES[i]}")
