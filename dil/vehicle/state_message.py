"""The ``vehicle/state`` message from any vehicle model: a gather table built once per model.

Each message field takes one value from the state ``x``, the derivative-and-outputs array, or
the inputs ``u``, times a scale; fields a model does not have (roll on the single track) are 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from vehicle_models import INPUT_NAMES, OUTPUT_NAMES, Vehicle
from vehicle_models.packing import P_RADIUS

SRC_STATE = 0
SRC_RHS = 1
"""Derivative then outputs, as ``model.rhs`` writes them."""
SRC_INPUT = 2
SRC_ZERO = 3

# message field -> candidate names, first found wins: ("x", state), ("d", derivative of a state),
# ("o", output), ("u", input)
_SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "x": (("x", "x"),),
    "y": (("x", "y"),),
    "z": (("x", "heave"),),
    "roll": (("x", "roll"),),
    "pitch": (("x", "pitch"),),
    "yaw": (("x", "yaw"),),
    "vx": (("x", "vx"), ("x", "v")),
    "vy": (("x", "vy"),),
    "vz": (("x", "heave_rate"),),
    "roll_rate": (("x", "roll_rate"),),
    "pitch_rate": (("x", "pitch_rate"),),
    "yaw_rate": (("x", "yaw_rate"), ("d", "yaw")),
    "ax": (("o", "ax"),),
    "ay": (("o", "ay"),),
    "speed": (("o", "speed"),),
    "steering_wheel_angle": (("u", "steering_wheel_angle"),),
    "road_wheel_angle": (("x", "delta"),),
    "steering_torque": (("o", "steering_torque"),),
    "wheel_speed_fl": (("x", "omega_fl"), ("x", "omega_f"), ("w", "v")),
    "wheel_speed_fr": (("x", "omega_fr"), ("x", "omega_f"), ("w", "v")),
    "wheel_speed_rl": (("x", "omega_rl"), ("x", "omega_r"), ("w", "v")),
    "wheel_speed_rr": (("x", "omega_rr"), ("x", "omega_r"), ("w", "v")),
    "shaft_speed": (("o", "shaft_speed"),),
    "shaft_torque": (("o", "shaft_torque"),),
    "throttle": (("u", "throttle"),),
    "brake": (("u", "brake"),),
    "gear": (("x", "gear"),),
}


def gather_table(vehicle: Vehicle, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(table, scale)`` for :func:`gather`: rows of (source, index) for the fields ``names``."""
    states = vehicle.model.state_names
    n = len(states)
    table = np.zeros((len(names), 2), dtype=np.int64)
    scale = np.ones(len(names))
    for row, name in enumerate(names):
        table[row] = (SRC_ZERO, 0)
        for kind, what in _SOURCES[name]:
            if kind in ("x", "d", "w") and what in states:
                src = SRC_RHS if kind == "d" else SRC_STATE
                table[row] = (src, states.index(what))
                if kind == "w":  # wheel speed of a model without wheel spin: rolling at speed v
                    scale[row] = 1.0 / vehicle.p[P_RADIUS]
                break
            if kind == "o":
                table[row] = (SRC_RHS, n + OUTPUT_NAMES.index(what))
                break
            if kind == "u":
                table[row] = (SRC_INPUT, INPUT_NAMES.index(what))
                break
    return table, scale


@njit(cache=True, inline="always")
def _pick(x: np.ndarray, rhs: np.ndarray, u: np.ndarray, table: np.ndarray, i: int) -> float:
    src = table[i, 0]
    j = table[i, 1]
    if src == SRC_STATE:
        return x[j]
    if src == SRC_RHS:
        return rhs[j]
    if src == SRC_INPUT:
        return u[j]
    return 0.0


@njit(cache=True)
def gather(
    x: np.ndarray, rhs: np.ndarray, u: np.ndarray, table: np.ndarray, scale: np.ndarray, out: np.ndarray
) -> None:
    """``out[i]`` from the source and index in ``table[i]``, times ``scale[i]``."""
    for i in range(out.size):
        out[i] = _pick(x, rhs, u, table, i) * scale[i]


@njit(cache=True)
def gather_ints(x: np.ndarray, rhs: np.ndarray, u: np.ndarray, table: np.ndarray, out: np.ndarray) -> None:
    """Like :func:`gather` for integer fields (values rounded to the nearest integer)."""
    for i in range(out.size):
        out[i] = np.int64(np.floor(_pick(x, rhs, u, table, i) + 0.5))
