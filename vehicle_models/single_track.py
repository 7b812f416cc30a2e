"""Dynamic single-track model: one wheel per axle with spin, combined-slip Magic Formula tyres,
longitudinal load transfer (lagged), drivetrain, brakes and steering. Reference point: the
centre of gravity. Valid from standstill (low-speed slip floors) to the limit, forward and in
reverse.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import batch
from .drivetrain import (
    LATERAL_SPEED_FLOOR,
    SLIP_SPEED_FLOOR,
    anti_lock,
    brake_rate,
    brake_torques,
    drive_torque,
    resisting_torque,
    select_gear,
    steering_rate,
)
from .inputs import U_FRICTION, check_inputs
from .integrators import rk4, semi_implicit_euler
from .outputs import A_AX, A_AY, A_SHAFT_SPEED, A_SHAFT_TORQUE, A_SPEED, A_STEERING_TORQUE
from .packing import (
    GRAVITY,
    P_A,
    P_ABS,
    P_B,
    P_CASTER_TRAIL,
    P_DRAG,
    P_DRIVE_F,
    P_H,
    P_IW,
    P_IZ,
    P_L,
    P_MASS,
    P_RADIUS,
    P_ROLL_RES,
    P_STEER_RATIO,
    P_TAU_LT,
    P_TYRE_F,
    P_TYRE_R,
    T_SX_PEAK,
)
from .tyres import tyre_forces

X = 0
"""Centre of gravity, world x [m]."""
Y = 1
"""Centre of gravity, world y [m]."""
YAW = 2
"""Heading from world x, counter-clockwise [rad]."""
VX = 3
"""Longitudinal velocity, vehicle frame [m/s]."""
VY = 4
"""Lateral velocity, vehicle frame [m/s]."""
YAW_RATE = 5
"""Yaw rate [rad/s]."""
OMEGA_F = 6
"""Front wheel spin [rad/s]."""
OMEGA_R = 7
"""Rear wheel spin [rad/s]."""
DELTA = 8
"""Road-wheel steering angle [rad]."""
AX_LT = 9
"""Longitudinal acceleration seen by the load transfer, lagged [m/s^2]."""
BRAKE = 10
"""Applied brake level [0..1], lagging the pedal."""
GEAR = 11
"""Engaged gear (-1 reverse, 0 neutral, 1..n); changes only between steps."""
N_STATES = 12
N_POSE = 3
STATE_NAMES = (
    "x",
    "y",
    "yaw",
    "vx",
    "vy",
    "yaw_rate",
    "omega_f",
    "omega_r",
    "delta",
    "ax_lt",
    "brake",
    "gear",
)


@njit(cache=True, error_model="numpy", inline="always")
def pose_rates(x: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    c = math.cos(x[YAW])
    s = math.sin(x[YAW])
    out[X] = x[VX] * c - x[VY] * s
    out[Y] = x[VX] * s + x[VY] * c
    out[YAW] = x[YAW_RATE]


@njit(cache=True, error_model="numpy", inline="always")
def carrier_speed(x: np.ndarray, p: np.ndarray) -> float:
    """Differential carrier speed [rad/s]: driven wheels' spin weighted by torque share."""
    share = p[P_DRIVE_F]
    return share * x[OMEGA_F] + (1.0 - share) * x[OMEGA_R]


@njit(cache=True, error_model="numpy")
def rhs(x: np.ndarray, u: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """State derivative into ``out[:N_STATES]``, outputs (``A_*``) after it."""
    pose_rates(x, p, out)
    rates(x, u, p, out)


@njit(cache=True, error_model="numpy", inline="always")
def rates(x: np.ndarray, u: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """:func:`rhs` but the pose rates: ``out[N_POSE:N_STATES]`` and the outputs after them. The
    semi-implicit Euler step works out the pose rates itself, after the other states moved."""
    m = p[P_MASS]
    a = p[P_A]
    b = p[P_B]
    wheelbase = p[P_L]
    radius = p[P_RADIUS]
    vx = x[VX]
    vy = x[VY]
    r = x[YAW_RATE]
    wf = x[OMEGA_F]
    wr = x[OMEGA_R]
    delta = x[DELTA]
    friction = u[U_FRICTION]

    ax_lt = x[AX_LT]
    fzf = max(0.0, m * (GRAVITY * b - ax_lt * p[P_H]) / wheelbase)
    fzr = max(0.0, m * (GRAVITY * a + ax_lt * p[P_H]) / wheelbase)

    cd = math.cos(delta)
    sd = math.sin(delta)
    vy_front = vy + a * r
    vxf = vx * cd + vy_front * sd
    vyf = -vx * sd + vy_front * cd
    vyr = vy - b * r
    kf = (wf * radius - vxf) / max(abs(vxf), SLIP_SPEED_FLOOR)
    kr = (wr * radius - vx) / max(abs(vx), SLIP_SPEED_FLOOR)
    fxf, fyf, trail_f = tyre_forces(p, P_TYRE_F, kf, -vyf / max(abs(vxf), LATERAL_SPEED_FLOOR), fzf, friction)
    fxr, fyr, _ = tyre_forces(p, P_TYRE_R, kr, -vyr / max(abs(vx), LATERAL_SPEED_FLOOR), fzr, friction)

    share = p[P_DRIVE_F]
    t_drive, w_shaft, t_shaft = drive_torque(p, u, x[GEAR], share * wf + (1.0 - share) * wr)
    tbf, tbr = brake_torques(p, x[BRAKE])
    if p[P_ABS] != 0.0:
        tbf *= anti_lock(kf, wf, p[P_TYRE_F + T_SX_PEAK])
        tbr *= anti_lock(kr, wr, p[P_TYRE_R + T_SX_PEAK])
    rolling = p[P_ROLL_RES] * radius
    inertia = 2.0 * p[P_IW]
    dwf = (share * t_drive + resisting_torque(wf, 2.0 * tbf, rolling * fzf) - radius * fxf) / inertia
    dwr = ((1.0 - share) * t_drive + resisting_torque(wr, 2.0 * tbr, rolling * fzr) - radius * fxr) / inertia

    fy_front = fxf * sd + fyf * cd
    ax = (fxf * cd - fyf * sd + fxr - p[P_DRAG] * vx * abs(vx)) / m
    ay = (fy_front + fyr) / m

    out[VX] = ax + r * vy
    out[VY] = ay - r * vx
    out[YAW_RATE] = (a * fy_front - b * fyr) / p[P_IZ]
    out[OMEGA_F] = dwf
    out[OMEGA_R] = dwr
    out[DELTA] = steering_rate(p, u, delta)
    out[AX_LT] = (ax - ax_lt) / p[P_TAU_LT]
    out[BRAKE] = brake_rate(p, u, x[BRAKE])
    out[GEAR] = 0.0
    n = N_STATES
    out[n + A_AX] = ax
    out[n + A_AY] = ay
    out[n + A_SPEED] = math.copysign(math.sqrt(vx * vx + vy * vy), vx)
    out[n + A_SHAFT_SPEED] = w_shaft
    out[n + A_SHAFT_TORQUE] = t_shaft
    out[n + A_STEERING_TORQUE] = -(trail_f + p[P_CASTER_TRAIL]) * fyf / p[P_STEER_RATIO]


@njit(cache=True, error_model="numpy")
def step(x: np.ndarray, u: np.ndarray, p: np.ndarray, h: float, w: np.ndarray, method: int) -> int:
    """Advance ``x`` by ``h`` [s] in place; method 0 RK4, 1 semi-implicit Euler.

    Returns 0, or the non-zero :func:`check_inputs` code (then ``x`` is unchanged).
    """
    code = check_inputs(u, p)
    if code != 0:
        return code
    x[GEAR] = select_gear(p, u, x[GEAR], carrier_speed(x, p))
    if method == 0:
        rk4(rhs, x, u, p, h, w)
    else:
        semi_implicit_euler(rates, pose_rates, N_POSE, x, u, p, h, w)
    return 0


@njit(cache=True, error_model="numpy")
def simulate(
    x: np.ndarray, u: np.ndarray, p: np.ndarray, h: float, n_steps: int, w: np.ndarray, method: int
) -> int:
    """``n_steps`` steps with constant input in one call (see :mod:`vehicle_models.batch`)."""
    return batch.simulate(step, x, u, p, h, n_steps, w, method)


@njit(cache=True, error_model="numpy")
def simulate_inputs(
    x: np.ndarray, u_seq: np.ndarray, p: np.ndarray, h: float, states: np.ndarray, w: np.ndarray, method: int
) -> int:
    """One step per input row, states recorded (see :mod:`vehicle_models.batch`)."""
    return batch.simulate_inputs(step, x, u_seq, p, h, states, w, method)


def initial_state(p: np.ndarray, speed: float = 0.0, gear: float = 0.0) -> np.ndarray:
    """State at the origin heading along world x, rolling freely at ``speed`` [m/s]."""
    x = np.zeros(N_STATES)
    x[VX] = speed
    x[OMEGA_F] = x[OMEGA_R] = speed / p[P_RADIUS]
    x[GEAR] = gear
    return x
