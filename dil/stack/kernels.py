"""Numba kernels of the built-in stack's lane following: which lane of a lane message it follows, and
which of that lane's points ahead its pure pursuit aims at.

The lane message's points arrive as one flat array of every drivable lane's points in the ego frame (x ahead,
y to the left [m]), with each lane's first and last row; the kernels pick the same lane and the same
point as the NumPy code they replace (first of equal minima), so the stack's commands are the same
to the bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NEAR_X = 3.0
"""A lane is followed only if one of its points lies within this of the ego along x [m]."""


@njit(cache=True)
def pick_lane(pts: np.ndarray, first: np.ndarray, end: np.ndarray, target: np.ndarray) -> int:
    """Index of the lane to follow, -1 for none. Lane k holds rows ``first[k]:end[k]`` of ``pts``
    (n, 2) [m]; ``target[k]`` 1 marks the target lane, taken as soon as it qualifies; otherwise the
    nearest lane sideways that runs ahead of the ego."""
    best = -1
    best_d = np.inf
    for k in range(first.shape[0]):
        lo, hi = first[k], end[k]
        if hi - lo < 2:
            continue
        near = lo
        near_x = abs(pts[lo, 0])
        for i in range(lo + 1, hi):
            a = abs(pts[i, 0])
            if a < near_x:
                near, near_x = i, a
        if near_x > NEAR_X:
            continue
        if target[k] != 0:
            return k
        d = abs(pts[near, 1])
        # the lane must run our way: its points ahead lie further ahead (read it in whichever order does)
        far = pts[lo, 0] if pts[hi - 1, 0] < pts[lo, 0] else pts[hi - 1, 0]
        if d < best_d and far > 0:
            best, best_d = k, d
    return best


@njit(cache=True)
def nearest_distance(d: np.ndarray, ld: float) -> int:
    """Index of the distance in ``d`` [m] nearest ``ld`` [m] (the first of equals); ``d`` not empty."""
    best = 0
    best_e = abs(d[0] - ld)
    for i in range(1, d.shape[0]):
        e = abs(d[i] - ld)
        if e < best_e:
            best, best_e = i, e
    return best
