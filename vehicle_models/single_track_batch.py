"""The single track's batch loop: many vehicles, many semi-implicit Euler steps, one compiled call.

:func:`advance_block` is :func:`vehicle_models.single_track.step` (method 1) over a block of vehicles,
the step loop outside and the vehicles inside: each step first works out every vehicle's wheel loads,
slips and drivetrain torques, then evaluates the block's four Magic Formulas per vehicle as one loop of
independent values (SIMD lanes; no vehicle's step waits on its tyre chain), then moves every vehicle's
state. The inputs are checked once (they are constant over the call) and the parameters read once per
vehicle into a row of constants (reciprocals where the step divides). The heading's cosine and sine are
rotated on by each step's turn instead of taken from the heading, and the steering angle's come from
their series: the states differ from stepping one by one in the last bits, and stay within 1e-9 of
them over seconds of driving (tests/vehicle_models/test_batch.py).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from . import batch, drivetrain
from .drivetrain import LATERAL_SPEED_FLOOR, SLIP_SPEED_FLOOR, anti_lock, resisting_torque
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
    T_BX,
    T_BY,
    T_CX,
    T_CY,
    T_EX,
    T_EY,
    T_MUX,
    T_MUY,
    T_SX_PEAK,
    T_SY_PEAK,
)
from .single_track import AX_LT, BRAKE, DELTA, GEAR, OMEGA_F, OMEGA_R, VX, VY, YAW, YAW_RATE, X, Y, step
from .tyres import magic_formula_many

# The drivetrain's per-step functions compiled again from their own source, to be inlined into the
# block loop: a call per vehicle and step (arrays passed field by field) costs more than their work.
_inline = njit(error_model="numpy", inline="always")
select_gear = _inline(drivetrain.select_gear.py_func)
drive_torque = _inline(drivetrain.drive_torque.py_func)
brake_torques = _inline(drivetrain.brake_torques.py_func)

RESYNC_STEPS = 256
"""Steps after which the heading's cosine and sine are taken from the heading again, not rotated on
(bounds the rounding the rotations gather to well under 1e-12)."""
FAST = {"arcp", "contract"}
"""The fastmath flags of the fused step: divisions by a loop constant become multiplications by its
reciprocal, multiply-adds fuse (each changes a result by at most its last bit)."""
EULER = 1
"""The ``method`` code of the semi-implicit Euler step (see ``vehicle_models.METHODS``)."""
BLOCK = 16
"""Vehicles stepped together: enough independent tyre evaluations per step to fill the SIMD lanes and
the core's pipeline, few enough that the block's rows stay in the first-level cache."""
MIN_BLOCKS = 8
"""Blocks a smaller batch is still split into, so that it keeps every thread busy (on up to 8 cores;
the number of threads itself would keep the kernel out of numba's cache)."""
TYRE_FORCES = 4
"""Magic Formula evaluations per vehicle and step: front x, front y, rear x, rear y."""

# A vehicle's constants over one call, a row of ``k`` (units of the parameters they come from).
K_MASS, K_A, K_B, K_INV_L, K_CG_H, K_SHARE, K_ROLLING, K_INV_INERTIA = 0, 1, 2, 3, 4, 5, 6, 7
K_DRAG, K_INV_MASS, K_INV_IZ, K_INV_TAU_LT, K_ABS, K_RADIUS, K_TARGET, K_INV_STEER_TAU = (
    8, 9, 10, 11, 12, 13, 14, 15)  # fmt: skip
K_STEER_LIMIT, K_PEDAL, K_INV_BRAKE_TAU = 16, 17, 18
K_SX_F, K_SY_F, K_INV_SX_F, K_INV_SY_F, K_DX_F, K_DY_F = 19, 20, 21, 22, 23, 24
K_SX_R, K_SY_R, K_INV_SX_R, K_INV_SY_R, K_DX_R, K_DY_R = 25, 26, 27, 28, 29, 30
N_K = 31
# What a step's first pass hands its last, a row of ``q``.
Q_SD, Q_CD, Q_FZF, Q_FZR, Q_T_DRIVE, Q_TBF, Q_TBR, Q_COS, Q_SIN = 0, 1, 2, 3, 4, 5, 6, 7, 8
N_Q = 9


@njit(cache=True, error_model="numpy", inline="always")
def _constants(p: np.ndarray, u: np.ndarray, k: np.ndarray) -> None:
    """Vehicle ``p``'s constants under input ``u`` into ``k`` (a row of ``N_K``)."""
    k[K_MASS] = p[P_MASS]
    k[K_A] = p[P_A]
    k[K_B] = p[P_B]
    k[K_INV_L] = 1.0 / p[P_L]
    k[K_CG_H] = p[P_H]
    k[K_SHARE] = p[P_DRIVE_F]
    k[K_ROLLING] = p[P_ROLL_RES] * p[P_RADIUS]
    k[K_INV_INERTIA] = 1.0 / (2.0 * p[P_IW])
    k[K_DRAG] = p[P_DRAG]
    k[K_INV_MASS] = 1.0 / p[P_MASS]
    k[K_INV_IZ] = 1.0 / p[P_IZ]
    k[K_INV_TAU_LT] = 1.0 / p[P_TAU_LT]
    k[K_ABS] = p[P_ABS]
    k[K_RADIUS] = p[P_RADIUS]
    # the input-only parts of the drivetrain's steering_rate and brake_rate
    lock = p[P_STEER_MAX]
    k[K_TARGET] = max(-lock, min(lock, u[U_STEERING_WHEEL] / p[P_STEER_RATIO]))
    k[K_INV_STEER_TAU] = 1.0 / p[P_STEER_TAU]
    k[K_STEER_LIMIT] = p[P_STEER_RATE]
    k[K_PEDAL] = u[U_BRAKE]
    k[K_INV_BRAKE_TAU] = 1.0 / p[P_BRAKE_TAU]
    friction = u[U_FRICTION]
    for base, first in ((P_TYRE_F, K_SX_F), (P_TYRE_R, K_SX_R)):
        k[first] = p[base + T_SX_PEAK]
        k[first + 1] = p[base + T_SY_PEAK]
        k[first + 2] = 1.0 / p[base + T_SX_PEAK]
        k[first + 3] = 1.0 / p[base + T_SY_PEAK]
        k[first + 4] = p[base + T_MUX] * friction
        k[first + 5] = p[base + T_MUY] * friction


@njit(cache=True, error_model="numpy", inline="always")
def _tyre_arguments(
    kappa: float, tan_alpha: float, fz: float, k: np.ndarray, first: int, s: np.ndarray, d: np.ndarray,
    g: np.ndarray, j: int,
) -> None:  # fmt: skip
    """One tyre's Magic Formula slips ``s[j]``, ``s[j+1]`` and peaks ``d[j]``, ``d[j+1]`` [N] (x, y),
    and ``g[j]``, ``g[j+1]``, the normalised slip's direction, by which the formula's forces are scaled
    (as :func:`vehicle_models.tyres.tyre_forces`); all zero with no load or no slip."""
    nx = kappa * k[first + 2]
    ny = tan_alpha * k[first + 3]
    n = math.sqrt(nx * nx + ny * ny)
    if fz <= 0.0 or n < 1e-12:
        s[j] = s[j + 1] = d[j] = d[j + 1] = g[j] = g[j + 1] = 0.0
        return
    s[j] = n * k[first]
    s[j + 1] = n * k[first + 1]
    d[j] = k[first + 4] * fz
    d[j + 1] = k[first + 5] * fz
    g[j] = nx / n
    g[j + 1] = ny / n


@njit(cache=True, error_model="numpy", fastmath=FAST, inline="always")
def _loads_slips_torques(
    x: np.ndarray, u: np.ndarray, p: np.ndarray, k: np.ndarray, q: np.ndarray, s: np.ndarray,
    d: np.ndarray, g: np.ndarray, j: int,
) -> None:  # fmt: skip
    """A step's first pass for one vehicle: gear, wheel loads, slips (into the block's Magic Formula
    arguments at ``j``), drive and brake torques (into ``q``)."""
    vx, vy, r = x[VX], x[VY], x[YAW_RATE]
    wf, wr, delta = x[OMEGA_F], x[OMEGA_R], x[DELTA]
    share = k[K_SHARE]
    gear = select_gear(p, u, x[GEAR], share * wf + (1.0 - share) * wr)
    x[GEAR] = gear
    m = k[K_MASS]
    a = k[K_A]
    b = k[K_B]
    ax_lt = x[AX_LT]
    fzf = max(0.0, m * (GRAVITY * b - ax_lt * k[K_CG_H]) * k[K_INV_L])
    fzr = max(0.0, m * (GRAVITY * a + ax_lt * k[K_CG_H]) * k[K_INV_L])
    if abs(delta) <= QUARTER_PI:
        sd, cd = sin_cos_small(delta)
    else:
        cd = math.cos(delta)
        sd = math.sin(delta)
    vy_front = vy + a * r
    vxf = vx * cd + vy_front * sd
    vyf = -vx * sd + vy_front * cd
    vyr = vy - b * r
    radius = k[K_RADIUS]
    kf = (wf * radius - vxf) / max(abs(vxf), SLIP_SPEED_FLOOR)
    kr = (wr * radius - vx) / max(abs(vx), SLIP_SPEED_FLOOR)
    _tyre_arguments(kf, -vyf / max(abs(vxf), LATERAL_SPEED_FLOOR), fzf, k, K_SX_F, s, d, g, j)
    _tyre_arguments(kr, -vyr / max(abs(vx), LATERAL_SPEED_FLOOR), fzr, k, K_SX_R, s, d, g, j + 2)
    t_drive, _, _ = drive_torque(p, u, gear, share * wf + (1.0 - share) * wr)
    tbf, tbr = brake_torques(p, x[BRAKE])
    if k[K_ABS] != 0.0:
        tbf *= anti_lock(kf, wf, k[K_SX_F])
        tbr *= anti_lock(kr, wr, k[K_SX_R])
    q[Q_SD], q[Q_CD], q[Q_FZF], q[Q_FZR] = sd, cd, fzf, fzr
    q[Q_T_DRIVE], q[Q_TBF], q[Q_TBR] = t_drive, tbf, tbr


@njit(cache=True, error_model="numpy", fastmath=FAST, inline="always")
def _move(x: np.ndarray, k: np.ndarray, q: np.ndarray, f: np.ndarray, h: float, resync: bool) -> None:
    """A step's last pass for one vehicle: from its tyre forces ``f`` (front x, y, rear x, y [N]) the
    rates, then the semi-implicit Euler move of ``h`` [s]; the heading's cosine and sine in ``q`` are
    rotated on, or taken afresh when ``resync``."""
    vx, vy, r = x[VX], x[VY], x[YAW_RATE]
    wf, wr = x[OMEGA_F], x[OMEGA_R]
    fxf, fyf, fxr, fyr = f[0], f[1], f[2], f[3]
    sd, cd, fzf, fzr = q[Q_SD], q[Q_CD], q[Q_FZF], q[Q_FZR]
    share = k[K_SHARE]
    radius = k[K_RADIUS]
    rolling = k[K_ROLLING]
    t_drive = q[Q_T_DRIVE]
    dwf = (share * t_drive + resisting_torque(wf, 2.0 * q[Q_TBF], rolling * fzf) - radius * fxf) * k[
        K_INV_INERTIA
    ]
    dwr = ((1.0 - share) * t_drive + resisting_torque(wr, 2.0 * q[Q_TBR], rolling * fzr) - radius * fxr) * k[
        K_INV_INERTIA
    ]
    fy_front = fxf * sd + fyf * cd
    inv_m = k[K_INV_MASS]
    ax = (fxf * cd - fyf * sd + fxr - k[K_DRAG] * vx * abs(vx)) * inv_m
    ay = (fy_front + fyr) * inv_m
    limit = k[K_STEER_LIMIT]
    delta = x[DELTA]
    steer_rate = max(-limit, min(limit, (k[K_TARGET] - delta) * k[K_INV_STEER_TAU]))

    # the velocity-level states move first, with the rates of the state before the step ...
    d_vx = ax + r * vy
    d_vy = ay - r * vx
    vx += h * d_vx
    vy += h * d_vy
    r += h * ((k[K_A] * fy_front - k[K_B] * fyr) * k[K_INV_IZ])
    x[VX], x[VY], x[YAW_RATE] = vx, vy, r
    x[OMEGA_F] = wf + h * dwf
    x[OMEGA_R] = wr + h * dwr
    x[DELTA] = delta + h * steer_rate
    ax_lt = x[AX_LT]
    x[AX_LT] = ax_lt + h * ((ax - ax_lt) * k[K_INV_TAU_LT])
    brake = x[BRAKE]
    x[BRAKE] = brake + h * ((k[K_PEDAL] - brake) * k[K_INV_BRAKE_TAU])
    # ... then the pose, with the rates of the moved ones
    c, s = q[Q_COS], q[Q_SIN]
    x[X] += h * (vx * c - vy * s)
    x[Y] += h * (vx * s + vy * c)
    turn = h * r
    yaw = x[YAW] + turn
    x[YAW] = yaw
    if resync or abs(turn) > QUARTER_PI:
        q[Q_COS] = math.cos(yaw)
        q[Q_SIN] = math.sin(yaw)
    else:  # rotate the heading's cosine and sine by this step's turn
        st, ct = sin_cos_small(turn)
        q[Q_COS], q[Q_SIN] = c * ct - s * st, s * ct + c * st


@njit(cache=True, error_model="numpy", fastmath=FAST)
def advance_block(
    xs: np.ndarray, us: np.ndarray, ps: np.ndarray, rows: np.ndarray, h: float, n_steps: int
) -> None:
    """``n_steps`` semi-implicit Euler steps of ``h`` [s] with constant inputs, in place on the rows
    ``rows`` of ``xs`` (their inputs already checked)."""
    nb = rows.shape[0]
    k = np.empty((nb, N_K))
    q = np.empty((nb, N_Q))
    n_mf = TYRE_FORCES * nb
    s = np.empty(n_mf)
    bc = np.empty(n_mf)
    cc = np.empty(n_mf)
    d = np.empty(n_mf)
    ec = np.empty(n_mf)
    g = np.empty(n_mf)
    f = np.empty(n_mf)
    for i in range(nb):
        p = ps[rows[i]]
        _constants(p, us[rows[i]], k[i])
        for t, (base, bi, ci, ei) in enumerate(
            ((P_TYRE_F, T_BX, T_CX, T_EX), (P_TYRE_F, T_BY, T_CY, T_EY),
             (P_TYRE_R, T_BX, T_CX, T_EX), (P_TYRE_R, T_BY, T_CY, T_EY))
        ):  # fmt: skip
            j = TYRE_FORCES * i + t
            bc[j] = p[base + bi]
            cc[j] = p[base + ci]
            ec[j] = p[base + ei]
        yaw = xs[rows[i], YAW]
        q[i, Q_COS] = math.cos(yaw)
        q[i, Q_SIN] = math.sin(yaw)
    for step_k in range(n_steps):
        for i in range(nb):
            r = rows[i]
            _loads_slips_torques(xs[r], us[r], ps[r], k[i], q[i], s, d, g, TYRE_FORCES * i)
        magic_formula_many(s, bc, cc, d, ec, f)
        for j in range(n_mf):
            f[j] *= g[j]
        resync = (step_k + 1) % RESYNC_STEPS == 0
        for i in range(nb):
            j = TYRE_FORCES * i
            _move(xs[rows[i]], k[i], q[i], f[j : j + TYRE_FORCES], h, resync)


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
    """Advance vehicle i (row i of ``xs``, ``us``, ``ps``) by ``n_steps`` steps of ``h`` [s], a block of
    at most :data:`BLOCK` vehicles per parallel iteration (at least :data:`MIN_BLOCKS` blocks while there
    are vehicles enough); ``codes[i]`` is 0 or vehicle i's input error code (its state then stays).
    Semi-implicit Euler runs fused (:func:`advance_block`, ``ws`` unused); RK4 steps one by one."""
    if method != EULER:
        batch.step_batch(step, xs, us, ps, h, n_steps, ws, method, codes)
        return
    n = xs.shape[0]
    for i in range(n):
        codes[i] = check_inputs(us[i], ps[i])
    n_blocks = max((n + BLOCK - 1) // BLOCK, min(n, MIN_BLOCKS))
    size = (n + n_blocks - 1) // max(n_blocks, 1)
    for blk in prange(n_blocks):
        lo = min(n, blk * size)
        hi = min(n, lo + size)
        rows = np.empty(hi - lo, dtype=np.int64)
        nb = 0
        for i in range(lo, hi):
            if codes[i] == 0:
                rows[nb] = i
                nb += 1
        advance_block(xs, us, ps, rows[:nb], h, n_steps)
