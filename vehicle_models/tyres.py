"""Magic Formula tyre with combined slip by the normalised-slip method (Pacejka, Tyre and
Vehicle Dynamics, 3rd ed., sec. 4.3.2).

Slips are the practical ones: slip ratio kappa = (omega R - v_x) / |v_x| and lateral slip
tan(alpha) = -v_y / |v_x|, in the wheel frame. The pure-slip curves are scaled so that each
direction reaches its peak at the same normalised slip; the resultant force follows the
direction of the normalised slip vector. Forces are in the wheel frame [N].
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .fastmath import fast_atan, fast_sin, inline_atan, inline_sin
from .packing import (
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
    T_TRAIL,
)


@njit(error_model="numpy", inline="always")
def _magic_formula(atan, sin, s: float, b: float, c: float, d: float, e: float) -> float:
    """:func:`magic_formula` with the arctangent ``atan`` and sine ``sin``."""
    bs = b * s
    return d * sin(c * atan(bs - e * (bs - atan(bs))))


@njit(cache=True, error_model="numpy", inline="always")
def magic_formula(s: float, b: float, c: float, d: float, e: float) -> float:
    """Pure-slip Magic Formula y = D sin(C atan(B s - E (B s - atan(B s)))), for C < 2."""
    return _magic_formula(fast_atan, fast_sin, s, b, c, d, e)


@njit(cache=True, error_model="numpy", inline="always")
def magic_formula_many(
    s: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, e: np.ndarray, out: np.ndarray
) -> None:
    """:func:`magic_formula` of each element: ``out[j]`` from ``s[j]``, ``b[j]``, ``c[j]``, ``d[j]``,
    ``e[j]``. The elements are independent and the arithmetic branch-free (the polynomials' range
    tests compile to selects), so the loop runs as SIMD lanes with no evaluation waiting on another."""
    for j in range(out.shape[0]):  # the polynomials inlined: the caller's fastmath flags apply to them
        out[j] = _magic_formula(inline_atan, inline_sin, s[j], b[j], c[j], d[j], e[j])


@njit(cache=True, error_model="numpy", inline="always")
def tyre_forces(
    p: np.ndarray, base: int, kappa: float, tan_alpha: float, fz: float, friction: float
) -> tuple[float, float, float]:
    """Longitudinal and lateral force [N] and the trail [m] behind which the lateral force acts.

    ``base`` is the tyre's block in the packed parameters, ``fz`` the wheel load [N] and
    ``friction`` the road friction scale on the peak friction. The tyre's parameters are read here
    and the forces worked out by :func:`combined_slip`.
    """
    return combined_slip(
        kappa, tan_alpha, fz, friction, p[base + T_TRAIL], p[base + T_SX_PEAK], p[base + T_SY_PEAK],
        p[base + T_BX], p[base + T_CX], p[base + T_MUX], p[base + T_EX],
        p[base + T_BY], p[base + T_CY], p[base + T_MUY], p[base + T_EY],
    )  # fmt: skip


@njit(cache=True, error_model="numpy", forceinline=True)
def combined_slip(
    kappa: float, tan_alpha: float, fz: float, friction: float, trail0: float, sx_peak: float,
    sy_peak: float, bx: float, cx: float, mux: float, ex: float, by: float, cy: float, muy: float,
    ey: float,
) -> tuple[float, float, float]:  # fmt: skip
    """:func:`tyre_forces` from the tyre's parameters (``T_*`` of its block, in order): the combined-slip
    arithmetic on numbers alone, compiled once and inlined by LLVM (``forceinline``) into each model's
    step. Inlined in numba's IR instead, it would be copied and typed again at every call (two to four
    per model step, the model step itself in several kernels); with no array among its arguments, the
    inlined call leaves no reference counting behind."""
    if fz <= 0.0:
        return 0.0, 0.0, trail0
    nx = kappa / sx_peak
    ny = tan_alpha / sy_peak
    n = math.sqrt(nx * nx + ny * ny)
    if n < 1e-12:
        return 0.0, 0.0, trail0
    fx0 = magic_formula(n * sx_peak, bx, cx, mux * friction * fz, ex)
    fy0 = magic_formula(n * sy_peak, by, cy, muy * friction * fz, ey)
    trail = trail0 * (1.0 - n) if n < 1.0 else 0.0
    return fx0 * nx / n, fy0 * ny / n, trail
