"""The single track's batch loop: many vehicles, many semi-implicit Euler steps, one compiled call.

:func:`advance` is :func:`vehicle_models.single_track.step` (method 1) fused into its step loop: the
state lives in local variables across the steps instead of the state and work arrays, the inputs are
checked once (they are constant over the call) and the parameters read once per vehicle. The heading's
cosine and sine are rotated on by each step's turn instead of taken from the heading, the steering
angle's come from their series, and divisions by loop constants become multiplications: the states
differ from stepping one by one in the last bits, and stay within 1e-9 of them over seconds of driving
(tests/vehicle_models/test_batch.py).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from . import batch
from .drivetrain import (
    LATERAL_SPEED_FLOOR,
    SLIP_SPEED_FLOOR,
    anti_lock,
    brake_torques,
    drive_torque,
    resisting_torque,
    select_gear,
)
from .fastmath import QUARTER_PI, sin_cos_small
from .inputs import U_BRAKE, U_FRICTION, U_STEERING_WHEEL, check_inputs
from .packing import (
    GRAVITY,
    P_A,
    P_ABS,
    P_B,
    P_BRAKE_TAU,
    P_DRAG,
    P_DRIVE_F,
    P_H,
    P_IW,
    P_IZ,
    P_L,
    P_MASS,
    P_RADIUS,
    P_ROLL_RES,
    P_STEER_MAX,
    P_STEER_RATE,
    P_STEER_RATIO,
    P_STEER_TAU,
    P_TAU_LT,
    P_TYRE_F,
    P_TYRE_R,
    T_SX_PEAK,
)
from .single_track import AX_LT, BRAKE, DELTA, GEAR, OMEGA_F, OMEGA_R, VX, VY, YAW, YAW_RATE, X, Y, step
from .tyres import tyre_forces

RESYNC_STEPS = 256
"""Steps after which the heading's cosine and sine are taken from the heading again, not rotated on
(bounds the rounding the rotations gather to well under 1e-12)."""
FAST = {"arcp", "contract"}
"""The fastmath flags of the fused step: divisions by a loop constant become multiplications by its
reciprocal, multiply-adds fuse (each changes a result by at most its last bit)."""
EULER = 1
"""The ``method`` code of the semi-implicit Euler step (see ``vehicle_models.METHODS``)."""


@njit(cache=True, error_model="numpy", fastmath=FAST)
def advance(x: np.ndarray, u: np.ndarray, p: np.ndarray, h: float, n_steps: int) -> int:
    """``n_steps`` semi-implicit Euler steps of ``h`` [s] with constant input ``u``, in place on ``x``.

    Returns 0, or the non-zero input check code (then ``x`` is unchanged).
    """
    code = check_inputs(u, p)
    if code != 0:
        return code
    m = p[P_MASS]
    a = p[P_A]
    b = p[P_B]
    wheelbase = p[P_L]
    radius = p[P_RADIUS]
    cg_height = p[P_H]
    share = p[P_DRIVE_F]
    rolling = p[P_ROLL_RES] * radius
    inertia = 2.0 * p[P_IW]
    drag = p[P_DRAG]
    iz = p[P_IZ]
    tau_lt = p[P_TAU_LT]
    has_abs = p[P_ABS] != 0.0
    peak_f = p[P_TYRE_F + T_SX_PEAK]
    peak_r = p[P_TYRE_R + T_SX_PEAK]
    friction = u[U_FRICTION]
    # the input-only parts of the drivetrain's steering_rate and brake_rate, taken once
    lock = p[P_STEER_MAX]
    target = max(-lock, min(lock, u[U_STEERING_WHEEL] / p[P_STEER_RATIO]))
    steer_tau = p[P_STEER_TAU]
    steer_limit = p[P_STEER_RATE]
    pedal = u[U_BRAKE]
    brake_tau = p[P_BRAKE_TAU]

    px, py, yaw = x[X], x[Y], x[YAW]
    vx, vy, r = x[VX], x[VY], x[YAW_RATE]
    wf, wr, delta = x[OMEGA_F], x[OMEGA_R], x[DELTA]
    ax_lt, brake, gear = x[AX_LT], x[BRAKE], x[GEAR]
    c = math.cos(yaw)
    s = math.sin(yaw)
    for k in range(n_steps):
        gear = select_gear(p, u, gear, share * wf + (1.0 - share) * wr)

        fzf = max(0.0, m * (GRAVITY * b - ax_lt * cg_height) / wheelbase)
        fzr = max(0.0, m * (GRAVITY * a + ax_lt * cg_height) / wheelbase)
        if abs(delta) <= QUARTER_PI:
            sd, cd = sin_cos_small(delta)
        else:
            cd = math.cos(delta)
            sd = math.sin(delta)
        vy_front = vy + a * r
        vxf = vx * cd + vy_front * sd
        vyf = -vx * sd + vy_front * cd
        vyr = vy - b * r
        kf = (wf * radius - vxf) / max(abs(vxf), SLIP_SPEED_FLOOR)
        kr = (wr * radius - vx) / max(abs(vx), SLIP_SPEED_FLOOR)
        fxf, fyf, _ = tyre_forces(p, P_TYRE_F, kf, -vyf / max(abs(vxf), LATERAL_SPEED_FLOOR), fzf, friction)
        fxr, fyr, _ = tyre_forces(p, P_TYRE_R, kr, -vyr / max(abs(vx), LATERAL_SPEED_FLOOR), fzr, friction)

        t_drive, _, _ = drive_torque(p, u, gear, share * wf + (1.0 - share) * wr)
        tbf, tbr = brake_torques(p, brake)
        if has_abs:
            tbf *= anti_lock(kf, wf, peak_f)
            tbr *= anti_lock(kr, wr, peak_r)
        dwf = (share * t_drive + resisting_torque(wf, 2.0 * tbf, rolling * fzf) - radius * fxf) / inertia
        dwr = (
            (1.0 - share) * t_drive + resisting_torque(wr, 2.0 * tbr, rolling * fzr) - radius * fxr
        ) / inertia

        fy_front = fxf * sd + fyf * cd
        ax = (fxf * cd - fyf * sd + fxr - drag * vx * abs(vx)) / m
        ay = (fy_front + fyr) / m
        steer_rate = max(-steer_limit, min(steer_limit, (target - delta) / steer_tau))

        # the velocity-level states move first, with the rates of the state before the step ...
        d_vx = ax + r * vy
        d_vy = ay - r * vx
        vx += h * d_vx
        vy += h * d_vy
        r += h * ((a * fy_front - b * fyr) / iz)
        wf += h * dwf
        wr += h * dwr
        delta += h * steer_rate
        ax_lt += h * ((ax - ax_lt) / tau_lt)
        brake += h * ((pedal - brake) / brake_tau)
        # ... then the pose, with the rates of the moved ones
        px += h * (vx * c - vy * s)
        py += h * (vx * s + vy * c)
        turn = h * r
        yaw += turn
        if (k + 1) % RESYNC_STEPS == 0 or abs(turn) > QUARTER_PI:
            c = math.cos(yaw)
            s = math.sin(yaw)
        else:  # rotate the heading's cosine and sine by this step's turn
            st, ct = sin_cos_small(turn)
            c, s = c * ct - s * st, s * ct + c * st

    x[X], x[Y], x[YAW] = px, py, yaw
    x[VX], x[VY], x[YAW_RATE] = vx, vy, r
    x[OMEGA_F], x[OMEGA_R], x[DELTA] = wf, wr, delta
    x[AX_LT], x[BRAKE], x[GEAR] = ax_lt, brake, gear
    return 0


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
    """Advance vehicle i (row i of ``xs``, ``us``, ``ps``) by ``n_steps`` steps of ``h`` [s], one
    vehicle per parallel iteration; ``codes[i]`` is 0 or vehicle i's input error code (its state then
    stays). Semi-implicit Euler runs fused (:func:`advance`, ``ws`` unused); RK4 steps one by one."""
    if method != EULER:
        batch.step_batch(step, xs, us, ps, h, n_steps, ws, method, codes)
        return
    for i in prange(xs.shape[0]):
        codes[i] = advance(xs[i], us[i], ps[i], h, n_steps)
