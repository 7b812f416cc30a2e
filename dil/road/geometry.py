"""Reference-line and lane geometry as numba kernels over the compiled tables of :mod:`dil.road.tables`.

Shapes: line, arc, spiral (clothoid: curvature linear in s), paramPoly3 (poly3 is compiled into a
paramPoly3 with u = p, the way reference OpenDRIVE tools evaluate it). A spiral is integrated
once at load time into checkpoints every ``SPIRAL_STEP`` metres; a query integrates from the
nearest checkpoint with 6-point Gauss-Legendre, exact to rounding for the short remainder.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

G_S = 0
G_X = 1
G_Y = 2
G_HDG = 3
G_LEN = 4
G_KIND = 5
G_P = 6
"""First shape parameter; see :mod:`dil.road.tables` for each kind's layout."""
G_SIZE = 16

K_LINE = 0
K_ARC = 1
K_SPIRAL = 2
K_PARAMPOLY3 = 3

SPIRAL_STEP = 1.0
"""Distance between a spiral's precomputed checkpoints [m]."""

# 6-point Gauss-Legendre on [0, 1]
_GL_X = np.array(
    [
        0.033765242898423986,
        0.16939530676686776,
        0.38069040695840156,
        0.61930959304159844,
        0.83060469323313224,
        0.96623475710157601,
    ]
)
_GL_W = np.array(
    [
        0.085662246189585173,
        0.18038078652406930,
        0.23395696728634552,
        0.23395696728634552,
        0.18038078652406930,
        0.085662246189585173,
    ]
)


@njit(cache=True, inline="always")
def _spiral_heading(hdg0: float, k0: float, dk: float, u: float) -> float:
    """Heading at distance ``u`` along a spiral with start curvature ``k0``, curvature rate ``dk``."""
    return hdg0 + u * (k0 + 0.5 * dk * u)


@njit(cache=True)
def spiral_advance(x: float, y: float, hdg0: float, k0: float, dk: float, u0: float, u1: float) -> tuple:
    """Position at ``u1`` from the position ``(x, y)`` at ``u0`` along a spiral (Gauss-Legendre)."""
    h = u1 - u0
    sx = 0.0
    sy = 0.0
    for i in range(6):
        th = _spiral_heading(hdg0, k0, dk, u0 + _GL_X[i] * h)
        sx += _GL_W[i] * math.cos(th)
        sy += _GL_W[i] * math.sin(th)
    return x + h * sx, y + h * sy


@njit(cache=True)
def spiral_checkpoints(
    x0: float, y0: float, hdg0: float, k0: float, k1: float, length: float, out: np.ndarray
) -> None:
    """Positions every SPIRAL_STEP from the start into ``out[i] = (x, y)``."""
    dk = (k1 - k0) / length
    x, y = x0, y0
    out[0, 0] = x
    out[0, 1] = y
    for i in range(1, out.shape[0]):
        u0 = (i - 1) * SPIRAL_STEP
        u1 = min(i * SPIRAL_STEP, length)
        x, y = spiral_advance(x, y, hdg0, k0, dk, u0, u1)
        out[i, 0] = x
        out[i, 1] = y


@njit(cache=True)
def find_record(starts: np.ndarray, col: int, i0: int, i1: int, s: float) -> int:
    """Index of the last row in ``[i0, i1)`` whose ``starts[row, col] <= s`` (``i0`` if none)."""
    lo = i0
    hi = i1 - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid, col] <= s:
            lo = mid
        else:
            hi = mid - 1
    return lo


@njit(cache=True)
def geometry_pose(g: np.ndarray, spiral_pts: np.ndarray, s: float) -> tuple:
    """``(x, y, hdg)`` on one geometry row at road coordinate ``s`` (clamped to the geometry)."""
    ds = min(max(s - g[G_S], 0.0), g[G_LEN])
    x0 = g[G_X]
    y0 = g[G_Y]
    h0 = g[G_HDG]
    kind = int(g[G_KIND])
    if kind == K_LINE:
        return x0 + ds * math.cos(h0), y0 + ds * math.sin(h0), h0
    if kind == K_ARC:
        k = g[G_P]
        if abs(k) < 1e-12:
            return x0 + ds * math.cos(h0), y0 + ds * math.sin(h0), h0
        h = h0 + k * ds
        return x0 + (math.sin(h) - math.sin(h0)) / k, y0 - (math.cos(h) - math.cos(h0)) / k, h
    if kind == K_SPIRAL:
        k0 = g[G_P]
        dk = (g[G_P + 1] - k0) / g[G_LEN]
        base = int(g[G_P + 2])
        i = max(0, min(int(ds / SPIRAL_STEP), int(g[G_P + 3]) - 1))  # in bounds even for a NaN s
        u0 = i * SPIRAL_STEP
        x, y = spiral_advance(spiral_pts[base + i, 0], spiral_pts[base + i, 1], h0, k0, dk, u0, ds)
        return x, y, _spiral_heading(h0, k0, dk, ds)
    # paramPoly3: local u, v polynomials in p
    p = ds / g[G_LEN] if g[G_P + 8] > 0.5 else ds
    au, bu, cu, du = g[G_P], g[G_P + 1], g[G_P + 2], g[G_P + 3]
    av, bv, cv, dv = g[G_P + 4], g[G_P + 5], g[G_P + 6], g[G_P + 7]
    u = au + p * (bu + p * (cu + p * du))
    v = av + p * (bv + p * (cv + p * dv))
    du_dp = bu + p * (2.0 * cu + 3.0 * p * du)
    dv_dp = bv + p * (2.0 * cv + 3.0 * p * dv)
    c = math.cos(h0)
    sn = math.sin(h0)
    return x0 + c * u - sn * v, y0 + sn * u + c * v, h0 + math.atan2(dv_dp, du_dp)


@njit(cache=True)
def reference_pose(geom: np.ndarray, spiral_pts: np.ndarray, g0: int, g1: int, s: float) -> tuple:
    """``(x, y, hdg)`` of a road's reference line (geometry rows ``[g0, g1)``) at ``s``."""
    i = find_record(geom, G_S, g0, g1, s)
    return geometry_pose(geom[i], spiral_pts, s)


@njit(cache=True)
def poly_value(table: np.ndarray, i0: int, i1: int, s: float, base: float) -> tuple:
    """Value and slope of a piecewise cubic (rows ``(s0, a, b, c, d)``) at ``s``; 0 when empty.
    ``base`` is added to each row's s0 (lane widths are relative to their section)."""
    if i1 <= i0:
        return 0.0, 0.0
    lo = i0
    hi = i1 - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if table[mid, 0] + base <= s:
            lo = mid
        else:
            hi = mid - 1
    r = table[lo]
    ds = s - (r[0] + base)
    return r[1] + ds * (r[2] + ds * (r[3] + ds * r[4])), r[2] + ds * (2.0 * r[3] + 3.0 * ds * r[4])
