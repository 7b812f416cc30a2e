"""Powertrain, gearbox, open differential, brakes and steering, shared by every model.

Sign convention: wheel spin omega > 0 rolls the car forward; torques at the wheel > 0 drive
forward. The shaft is the engine or motor output; its speed is taken positive when it turns
the way the engaged gear drives.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .inputs import U_BRAKE, U_GEAR, U_STEERING_WHEEL, U_THROTTLE
from .packing import (
    P_BRAKE_F,
    P_BRAKE_MAX,
    P_BRAKE_TAU,
    P_CURVE_N,
    P_CURVE_T,
    P_CURVE_W,
    P_DOWNSHIFT,
    P_DRAG_TORQUE,
    P_EFF,
    P_FINAL,
    P_GEARS,
    P_IDLE,
    P_MAX_SPEED,
    P_N_GEARS,
    P_PT_KIND,
    P_REVERSE,
    P_STEER_MAX,
    P_STEER_RATE,
    P_STEER_RATIO,
    P_STEER_TAU,
    P_TR_KIND,
    P_UPSHIFT,
    PT_ENGINE,
    TR_MANUAL,
)

WHEEL_SPIN_SMOOTHING = 2.0
"""Wheel speed [rad/s] below which brake and rolling-resistance torque fade linearly to zero.

Dry friction has no unique value at zero speed; this band makes it a stiff damper that holds a
braked wheel still without chattering at a 1 ms step, and keeps a car at rest exactly at rest.
"""
SLIP_SPEED_FLOOR = 4.0
"""Speed [m/s] under which the slip ratio's denominator stops shrinking (low-speed slip)."""
LATERAL_SPEED_FLOOR = 1.0
"""Speed [m/s] under which the lateral slip's denominator stops shrinking."""


@njit(cache=True, error_model="numpy", inline="always")
def saturate(x: float) -> float:
    """Clip to [-1, 1]."""
    return -1.0 if x < -1.0 else (1.0 if x > 1.0 else x)


@njit(cache=True, error_model="numpy")
def full_load_torque(p: np.ndarray, w: float) -> float:
    """Full-load shaft torque [N m] at shaft speed ``w`` >= 0 [rad/s], linear in the table."""
    n = int(p[P_CURVE_N])
    if w <= p[P_CURVE_W]:
        return p[P_CURVE_T]
    for i in range(1, n):
        w1 = p[P_CURVE_W + i]
        if w <= w1:
            w0 = p[P_CURVE_W + i - 1]
            t0 = p[P_CURVE_T + i - 1]
            return t0 + (p[P_CURVE_T + i] - t0) * (w - w0) / (w1 - w0)
    return p[P_CURVE_T + n - 1]


@njit(cache=True, error_model="numpy")
def overall_ratio(p: np.ndarray, gear: float) -> float:
    """Shaft speed per driven-wheel speed in ``gear``; negative in reverse, 0 in neutral."""
    if gear == 0.0:
        return 0.0
    if gear < 0.0:
        return -p[P_REVERSE] * p[P_FINAL]
    return p[P_GEARS + int(gear) - 1] * p[P_FINAL]


@njit(cache=True, error_model="numpy")
def shaft_torque(p: np.ndarray, throttle: float, w_shaft: float) -> float:
    """Shaft torque [N m] from the pedal at shaft speed ``w_shaft`` [rad/s].

    Engine: the clutch (or converter) slips below idle, so full torque is available from rest,
    and the released pedal gives drag torque that fades out below idle. Motor: the released
    pedal regenerates, fading out below ``idle_rpm``. No drive torque above the rev limit.
    """
    w_idle = p[P_IDLE]
    w_max = p[P_MAX_SPEED]
    w = abs(w_shaft)
    drive = full_load_torque(p, max(w, w_idle)) if w < w_max else 0.0
    drag = p[P_DRAG_TORQUE] * max(w, w_idle) / w_max if p[P_PT_KIND] == PT_ENGINE else p[P_DRAG_TORQUE]
    return throttle * drive - (1.0 - throttle) * drag * saturate(w_shaft / w_idle)


@njit(cache=True, error_model="numpy")
def brake_rate(p: np.ndarray, u: np.ndarray, brake: float) -> float:
    """Rate of the applied brake level [1/s]: a first-order lag behind the pedal."""
    return (u[U_BRAKE] - brake) / p[P_BRAKE_TAU]


@njit(cache=True, error_model="numpy")
def brake_torques(p: np.ndarray, brake: float) -> tuple[float, float]:
    """Brake torque per front and per rear wheel [N m], >= 0, at applied brake level ``brake``."""
    total = brake * p[P_BRAKE_MAX]
    return 0.5 * total * p[P_BRAKE_F], 0.5 * total * (1.0 - p[P_BRAKE_F])


@njit(cache=True, error_model="numpy", inline="always")
def anti_lock(kappa: float, omega: float, kappa_peak: float) -> float:
    """ABS factor on brake torque [0..1]: full below the peak slip, off at twice the peak."""
    if kappa * omega >= 0.0:  # driving slip, or none
        return 1.0
    excess = (abs(kappa) - kappa_peak) / kappa_peak
    return 1.0 if excess <= 0.0 else max(0.0, 1.0 - excess)


@njit(cache=True, error_model="numpy", inline="always")
def resisting_torque(omega: float, brake: float, rolling: float) -> float:
    """Brake plus rolling-resistance torque on a wheel [N m], opposing its spin."""
    return -(brake + rolling) * saturate(omega / WHEEL_SPIN_SMOOTHING)


@njit(cache=True, error_model="numpy")
def steering_rate(p: np.ndarray, u: np.ndarray, delta: float) -> float:
    """Road-wheel angle rate [rad/s]: first-order lag to the wheel's command, rate-limited."""
    target = u[U_STEERING_WHEEL] / p[P_STEER_RATIO]
    lock = p[P_STEER_MAX]
    target = max(-lock, min(lock, target))
    rate = (target - delta) / p[P_STEER_TAU]
    limit = p[P_STEER_RATE]
    return max(-limit, min(limit, rate))


@njit(cache=True, error_model="numpy")
def drive_torque(p: np.ndarray, u: np.ndarray, gear: float, w_wheels: float) -> tuple[float, float, float]:
    """Total drive torque at the driven wheels [N m], shaft speed [rad/s] and shaft torque [N m].

    ``w_wheels`` is the differential carrier's speed: the mean spin of the driven wheels.
    """
    ratio = overall_ratio(p, gear)
    if ratio == 0.0:
        return 0.0, 0.0, 0.0
    w_shaft = w_wheels * ratio  # positive when turning the way the engaged gear drives
    torque = shaft_torque(p, u[U_THROTTLE], w_shaft)
    return torque * ratio * p[P_EFF], w_shaft, torque


@njit(cache=True, error_model="numpy")
def select_gear(p: np.ndarray, u: np.ndarray, gear: float, w_wheels: float) -> float:
    """The gear to use this step from the selector, the current gear and the carrier speed.

    Manual: the selector is the gear. Automatic: -1 and 0 pass through; drive starts in first
    and shifts one gear at a time at the shift speeds. Single ratio: drive is gear 1.
    """
    selector = u[U_GEAR]
    if selector <= 0.0 or p[P_TR_KIND] == TR_MANUAL:
        return selector
    n = p[P_N_GEARS]
    g = gear if gear >= 1.0 else 1.0
    if n == 1.0:
        return 1.0
    w_shaft = w_wheels * p[P_GEARS + int(g) - 1] * p[P_FINAL]
    if w_shaft > p[P_UPSHIFT] and g < n:
        return g + 1.0
    if w_shaft < p[P_DOWNSHIFT] and g > 1.0:
        return g - 1.0
    return g
