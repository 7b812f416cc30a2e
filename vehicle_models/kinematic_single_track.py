"""Kinematic single-track model: no tyre slip, reference point the rear axle.

Valid at low lateral acceleration; the fastest model, for parking, traffic and AI-stack
training at scale. Longitudinally it has the full drivetrain; the tyre force sum is limited
by road friction.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import batch
from .drivetrain import (
    WHEEL_SPIN_SMOOTHING,
    brake_rate,
    brake_torques,
    drive_torque,
    saturate,
    select_gear,
    steering_rate,
)
from .inputs import U_FRICTION, check_inputs
from .integrators import rk4, semi_implicit_euler
from .outputs import A_AX, A_AY, A_SHAFT_SPEED, A_SHAFT_TORQUE, A_SPEED, A_STEERING_TORQUE
from .packing import (
    GRAVITY,
    P_B,
    P_CASTER_TRAIL,
    P_DRAG,
    P_IW,
    P_L,
    P_MASS,
    P_RADIUS,
    P_ROLL_RES,
    P_STEER_RATIO,
    P_TYRE_F,
    P_TYRE_R,
    T_MUX,
    T_TRAIL,
)

X = 0
"""Rear-axle centre, world x [m]."""
Y = 1
"""Rear-axle centre, world y [m]."""
YAW = 2
"""Heading from world x, counter-clockwise [rad]."""
V = 3
"""Speed along the vehicle x axis at the rear axle [m/s]."""
DELTA = 4
"""Road-wheel steering angle [rad]."""
BRAKE = 5
"""Applied brake level [0..1], lagging the pedal."""
GEAR = 6
"""Engaged gear (-1 reverse, 0 neutral, 1..n); changes only between steps."""
N_STATES = 7
N_POSE = 3
STATE_NAMES = ("x", "y", "yaw", "v", "delta", "brake", "gear")


@njit(cache=True, error_model="numpy", inline="always")
def pose_rates(x: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    v = x[V]
    out[X] = v * math.cos(x[YAW])
    out[Y] = v * math.sin(x[YAW])
    out[YAW] = v * math.tan(x[DELTA]) / p[P_L]


@njit(cache=True, error_model="numpy")
def rhs(x: np.ndarray, u: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """State derivative into ``out[:N_STATES]``, outputs (``A_*``) after it."""
    m = p[P_MASS]
    radius = p[P_RADIUS]
    v = x[V]
    w_wheel = v / radius
    t_drive, w_shaft, t_shaft = drive_torque(p, u, x[GEAR], w_wheel)
    tbf, tbr = brake_torques(p, x[BRAKE])
    resist = (2.0 * (tbf + tbr) / radius + p[P_ROLL_RES] * m * GRAVITY) * saturate(
        w_wheel / WHEEL_SPIN_SMOOTHING
    )
    grip = 0.5 * (p[P_TYRE_F + T_MUX] + p[P_TYRE_R + T_MUX]) * u[U_FRICTION] * m * GRAVITY
    f_tyres = max(-grip, min(grip, t_drive / radius - resist))
    m_eff = m + 4.0 * p[P_IW] / (radius * radius)
    dv = (f_tyres - p[P_DRAG] * v * abs(v)) / m_eff
    pose_rates(x, p, out)
    out[V] = dv
    out[DELTA] = steering_rate(p, u, x[DELTA])
    out[BRAKE] = brake_rate(p, u, x[BRAKE])
    out[GEAR] = 0.0
    n = N_STATES
    ay = v * out[YAW]
    out[n + A_AX] = dv
    out[n + A_AY] = ay
    out[n + A_SPEED] = v
    out[n + A_SHAFT_SPEED] = w_shaft
    out[n + A_SHAFT_TORQUE] = t_shaft
    fy_front = m * p[P_B] / p[P_L] * ay
    trail = p[P_TYRE_F + T_TRAIL] + p[P_CASTER_TRAIL]
    out[n + A_STEERING_TORQUE] = -trail * fy_front / p[P_STEER_RATIO]


@njit(cache=True, error_model="numpy")
def step(x: np.ndarray, u: np.ndarray, p: np.ndarray, h: float, w: np.ndarray, method: int) -> int:
    """Advance ``x`` by ``h`` [s] in place; method 0 RK4, 1 semi-implicit Euler.

    Returns 0, or the non-zero :func:`check_inputs` code (then ``x`` is unchanged).
    """
    code = check_inputs(u, p)
    if code != 0:
        return code
    x[GEAR] = select_gear(p, u, x[GEAR], x[V] / p[P_RADIUS])
    if method == 0:
        rk4(rhs, x, u, p, h, w)
    else:
        semi_implicit_euler(rhs, pose_rates, N_POSE, x, u, p, h, w)
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


@njit(cache=True, error_model="numpy", parallel=True)
def step_batch(
    xs: np.ndarray,
    us: np.ndarray,
    ps: np.ndarray,
    h: float,
    n_steps: int,
    ws: np.ndarray,
    method: int,
    codes: np.ndarray,
) -> None:
    """Many vehicles in parallel (see :mod:`vehicle_models.batch`)."""
    batch.step_batch(step, xs, us, ps, h, n_steps, ws, method, codes)


def initial_state(p: np.ndarray, speed: float = 0.0, gear: float = 0.0) -> np.ndarray:
    """State at the origin heading along world x at ``speed`` [m/s]."""
    x = np.zeros(N_STATES)
    x[V] = speed
    x[GEAR] = gear
    return x
