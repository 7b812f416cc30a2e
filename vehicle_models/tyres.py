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

from .fastmath import fast_atan, fast_sin
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


@njit(cache=True, error_model="numpy", inline="always")
def magic_formula(s: float, b: float, c: float, d: float, e: float) -> float:
    """Pure-slip Magic Formula y = D sin(C atan(B s - E (B s - atan(B s)))), for C < 2."""
    bs = b * s
    return d * fast_sin(c * fast_atan(bs - e * (bs - fast_atan(bs))))


@njit(cache=True, error_model="numpy", inline="always")
def magic_formula_many(
    s: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, e: np.ndarray, out: np.ndarray
) -> None:
    """:func:`magic_formula` of each element: ``out[j]`` from ``s[j]``, ``b[j]``, ``c[j]``, ``d[j]``,
    ``e[j]``. The elements are independent and the arithmetic branch-free (the polynomials' range
    tests compile to selects), so the loop runs as SIMD lanes with no evaluation waiting on another."""
    for j in range(out.shape[0]):
        out[j] = magic_formula(s[j], b[j], c[j], d[j], e[j])


@njit(cache=True, error_model="numpy", inline="always")
def tyre_forces(
    p: np.ndarray, base: int, kappa: float, tan_alpha: float, fz: float, friction: float
) -> tuple[float, float, float]:
    """Longitudinal and lateral force [N] and the trail [m] behind which the lateral force acts.

    ``base`` is the tyre's block in the packed parameters, ``fz`` the wheel load [N] and
    ``friction`` the road friction scale on the peak friction.
    """
    trail0 = p[base + T_TRAIL]
    if fz <= 0.0:
        return 0.0, 0.0, trail0
    sx_peak = p[base + T_SX_PEAK]
    sy_peak = p[base + T_SY_PEAK]
    nx = kappa / sx_peak
    ny = tan_alpha / sy_peak
    n = math.sqrt(nx * nx + ny * ny)
    if n < 1e-12:
        return 0.0, 0.0, trail0
    fx0 = magic_formula(
        n * sx_peak, p[base + T_BX], p[base + T_CX], p[base + T_MUX] * friction * fz, p[base + T_EX]
    )
    fy0 = magic_formula(
        n * sy_peak, p[base + T_BY], p[base + T_CY], p[base + T_MUY] * friction * fz, p[base + T_EY]
    )
    trail = trail0 * (1.0 - n) if n < 1.0 else 0.0
    return fx0 * nx / n, fy0 * ny / n, trail
