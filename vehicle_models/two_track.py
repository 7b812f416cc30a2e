"""Two-track model: four wheels with spin, combined-slip Magic Formula tyres per wheel, and the
body on a suspension with heave, roll and pitch (springs, dampers, anti-roll bars), so wheel
loads follow from the suspension rather than from a formula. Open differential per driven
axle, brakes with ABS per wheel, parallel steering of the front wheels.

Reference point: the centre of gravity; the roll and pitch axes lie at ground level.
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
    P_ARB_F,
    P_ARB_R,
    P_B,
    P_C_F,
    P_C_R,
    P_CASTER_TRAIL,
    P_DRAG,
    P_DRIVE_F,
    P_H,
    P_IW,
    P_IX,
    P_IY,
    P_IZ,
    P_K_F,
    P_K_R,
    P_L,
    P_MASS,
    P_RADIUS,
    P_ROLL_RES,
    P_STEER_RATIO,
    P_TRACK_F,
    P_TRACK_R,
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
HEAVE = 3
"""Body height above its static ride height [m]."""
ROLL = 4
"""Body roll about the vehicle x axis [rad]; positive lifts the left side."""
PITCH = 5
"""Body pitch about the vehicle y axis [rad]; positive lowers the nose."""
VX = 6
"""Longitudinal velocity, vehicle frame [m/s]."""
VY = 7
"""Lateral velocity, vehicle frame [m/s]."""
YAW_RATE = 8
"""Yaw rate [rad/s]."""
HEAVE_RATE = 9
"""[m/s]"""
ROLL_RATE = 10
"""[rad/s]"""
PITCH_RATE = 11
"""[rad/s]"""
OMEGA_FL = 12
"""Wheel spin front left [rad/s]; front right, rear left, rear right follow."""
OMEGA_FR = 13
OMEGA_RL = 14
OMEGA_RR = 15
DELTA = 16
"""Road-wheel steering angle [rad]."""
BRAKE = 17
"""Applied brake level [0..1], lagging the pedal."""
GEAR = 18
"""Engaged gear (-1 reverse, 0 neutral, 1..n); changes only between steps."""
N_STATES = 19
N_POSE = 6
STATE_NAMES = (
    "x",
    "y",
    "yaw",
    "heave",
    "roll",
    "pitch",
    "vx",
    "vy",
    "yaw_rate",
    "heave_rate",
    "roll_rate",
    "pitch_rate",
    "omega_fl",
    "omega_fr",
    "omega_rl",
    "omega_rr",
    "delta",
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
    out[HEAVE] = x[HEAVE_RATE]
    out[ROLL] = x[ROLL_RATE]
    out[PITCH] = x[PITCH_RATE]


@njit(cache=True, error_model="numpy", inline="always")
def carrier_speed(x: np.ndarray, p: np.ndarray) -> float:
    """Differential carrier speed [rad/s]: axle means weighted by torque share."""
    share = p[P_DRIVE_F]
    front = 0.5 * (x[OMEGA_FL] + x[OMEGA_FR])
    rear = 0.5 * (x[OMEGA_RL] + x[OMEGA_RR])
    return share * front + (1.0 - share) * rear


@njit(cache=True, error_model="numpy", inline="always")
def _suspension_force(
    x: np.ndarray, cx: float, cy: float, k: float, c: float, arb: float, track: float
) -> float:
    """Change of wheel load at corner (cx, cy) from heave, roll, pitch and the anti-roll bar [N]."""
    dz = x[HEAVE] + cy * x[ROLL] - cx * x[PITCH]
    dz_rate = x[HEAVE_RATE] + cy * x[ROLL_RATE] - cx * x[PITCH_RATE]
    side = 1.0 if cy > 0.0 else -1.0
    return -k * dz - c * dz_rate - side * arb * x[ROLL] / track


@njit(cache=True, error_model="numpy", inline="always")
def _wheel(
    p: np.ndarray,
    tyre: int,
    omega: float,
    vxw: float,
    vyw: float,
    fz: float,
    friction: float,
    drive: float,
    brake: float,
    rolling: float,
) -> tuple[float, float, float, float]:
    """Wheel-frame tyre forces [N], trail [m] and spin acceleration [rad/s^2] of one wheel."""
    radius = p[P_RADIUS]
    kappa = (omega * radius - vxw) / max(abs(vxw), SLIP_SPEED_FLOOR)
    fx, fy, trail = tyre_forces(p, tyre, kappa, -vyw / max(abs(vxw), LATERAL_SPEED_FLOOR), fz, friction)
    if p[P_ABS] != 0.0:
        brake *= anti_lock(kappa, omega, p[tyre + T_SX_PEAK])
    domega = (drive + resisting_torque(omega, brake, rolling * fz) - radius * fx) / p[P_IW]
    return fx, fy, trail, domega


@njit(cache=True, error_model="numpy")
def rhs(x: np.ndarray, u: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """State derivative into ``out[:N_STATES]``, outputs (``A_*``) after it."""
    m = p[P_MASS]
    a = p[P_A]
    b = p[P_B]
    h = p[P_H]
    half_f = 0.5 * p[P_TRACK_F]
    half_r = 0.5 * p[P_TRACK_R]
    vx = x[VX]
    vy = x[VY]
    r = x[YAW_RATE]
    delta = x[DELTA]
    friction = u[U_FRICTION]

    # Wheel loads: static share plus suspension forces.
    fz_f0 = 0.5 * m * GRAVITY * b / p[P_L]
    fz_r0 = 0.5 * m * GRAVITY * a / p[P_L]
    dfl = _suspension_force(x, a, half_f, p[P_K_F], p[P_C_F], p[P_ARB_F], p[P_TRACK_F])
    dfr = _suspension_force(x, a, -half_f, p[P_K_F], p[P_C_F], p[P_ARB_F], p[P_TRACK_F])
    drl = _suspension_force(x, -b, half_r, p[P_K_R], p[P_C_R], p[P_ARB_R], p[P_TRACK_R])
    drr = _suspension_force(x, -b, -half_r, p[P_K_R], p[P_C_R], p[P_ARB_R], p[P_TRACK_R])

    # Drive torque through the open differentials, brakes per wheel.
    share = p[P_DRIVE_F]
    t_drive, w_shaft, t_shaft = drive_torque(p, u, x[GEAR], carrier_speed(x, p))
    drive_f = 0.5 * share * t_drive
    drive_r = 0.5 * (1.0 - share) * t_drive
    tbf, tbr = brake_torques(p, x[BRAKE])
    rolling = p[P_ROLL_RES] * p[P_RADIUS]

    # Wheel-centre velocities in the vehicle frame; front wheels turned by delta.
    cd = math.cos(delta)
    sd = math.sin(delta)
    vy_f = vy + a * r
    vy_r = vy - b * r
    vx_l_f = vx - half_f * r
    vx_r_f = vx + half_f * r
    fx_fl, fy_fl, trail_fl, dw_fl = _wheel(
        p,
        P_TYRE_F,
        x[OMEGA_FL],
        vx_l_f * cd + vy_f * sd,
        -vx_l_f * sd + vy_f * cd,
        max(0.0, fz_f0 + dfl),
        friction,
        drive_f,
        tbf,
        rolling,
    )
    fx_fr, fy_fr, trail_fr, dw_fr = _wheel(
        p,
        P_TYRE_F,
        x[OMEGA_FR],
        vx_r_f * cd + vy_f * sd,
        -vx_r_f * sd + vy_f * cd,
        max(0.0, fz_f0 + dfr),
        friction,
        drive_f,
        tbf,
        rolling,
    )
    fx_rl, fy_rl, _, dw_rl = _wheel(
        p,
        P_TYRE_R,
        x[OMEGA_RL],
        vx - half_r * r,
        vy_r,
        max(0.0, fz_r0 + drl),
        friction,
        drive_r,
        tbr,
        rolling,
    )
    fx_rr, fy_rr, _, dw_rr = _wheel(
        p,
        P_TYRE_R,
        x[OMEGA_RR],
        vx + half_r * r,
        vy_r,
        max(0.0, fz_r0 + drr),
        friction,
        drive_r,
        tbr,
        rolling,
    )

    # Tyre forces in the vehicle frame.
    bx_fl = fx_fl * cd - fy_fl * sd
    by_fl = fx_fl * sd + fy_fl * cd
    bx_fr = fx_fr * cd - fy_fr * sd
    by_fr = fx_fr * sd + fy_fr * cd
    ax = (bx_fl + bx_fr + fx_rl + fx_rr - p[P_DRAG] * vx * abs(vx)) / m
    ay = (by_fl + by_fr + fy_rl + fy_rr) / m
    mz = a * (by_fl + by_fr) - b * (fy_rl + fy_rr) - half_f * (bx_fl - bx_fr) - half_r * (fx_rl - fx_rr)

    # Body on its springs: moments about axes at ground level under the centre of gravity.
    roll_moment = half_f * (dfl - dfr) + half_r * (drl - drr) + m * h * (ay + GRAVITY * x[ROLL])
    pitch_moment = -a * (dfl + dfr) + b * (drl + drr) + m * h * (GRAVITY * x[PITCH] - ax)

    pose_rates(x, p, out)
    out[VX] = ax + r * vy
    out[VY] = ay - r * vx
    out[YAW_RATE] = mz / p[P_IZ]
    out[HEAVE_RATE] = (dfl + dfr + drl + drr) / m
    out[ROLL_RATE] = roll_moment / (p[P_IX] + m * h * h)
    out[PITCH_RATE] = pitch_moment / (p[P_IY] + m * h * h)
    out[OMEGA_FL] = dw_fl
    out[OMEGA_FR] = dw_fr
    out[OMEGA_RL] = dw_rl
    out[OMEGA_RR] = dw_rr
    out[DELTA] = steering_rate(p, u, delta)
    out[BRAKE] = brake_rate(p, u, x[BRAKE])
    out[GEAR] = 0.0
    n = N_STATES
    out[n + A_AX] = ax
    out[n + A_AY] = ay
    out[n + A_SPEED] = math.copysign(math.sqrt(vx * vx + vy * vy), vx)
    out[n + A_SHAFT_SPEED] = w_shaft
    out[n + A_SHAFT_TORQUE] = t_shaft
    caster = p[P_CASTER_TRAIL]
    aligning = (trail_fl + caster) * fy_fl + (trail_fr + caster) * fy_fr
    out[n + A_STEERING_TORQUE] = -aligning / p[P_STEER_RATIO]


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
    """State at the origin heading along world x, rolling freely at ``speed`` [m/s]."""
    x = np.zeros(N_STATES)
    x[VX] = speed
    x[OMEGA_FL : OMEGA_RR + 1] = speed / p[P_RADIUS]
    x[GEAR] = gear
    return x
