"""Numba kernels of the built-in stack's lane following: which lane of a lane message it follows, and
which of that lane's points ahead its pure pursuit aims at.

The lane message's points arrive as one flat array of every drivable lane's points in the ego frame (x ahead,
y to the left [m]), with each lane's first and last row; the kernels pick the same lane and the same
point as the NumPy code they replace (first of equal minima), so the stack's commands are the same
to the bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

NEAR_X = 3.0
"""A lane is followed only if one of its points lies within this of the ego along x [m]."""


AHEAD_X = 0.5
"""The followed lane's points nearer than this along x are not aimed at [m]."""


@njit(cache=True)
def _choose_lane(
    pts: np.ndarray, first: np.ndarray, end: np.ndarray, use: np.ndarray, target: np.ndarray
) -> int:
    """Index of the lane to follow among those with ``use[k]`` not 0, -1 for none (see :func:`pick_lane`)."""
    best = -1
    best_d = np.inf
    for k in range(first.shape[0]):
        if use[k] == 0:
            continue
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
def pick_lane(pts: np.ndarray, first: np.ndarray, end: np.ndarray, target: np.ndarray) -> int:
    """Index of the lane to follow, -1 for none. Lane k holds rows ``first[k]:end[k]`` of ``pts``
    (n, 2) [m]; ``target[k]`` 1 marks the target lane, taken as soon as it qualifies; otherwise the
    nearest lane sideways that runs ahead of the ego."""
    return _choose_lane(pts, first, end, np.ones(first.shape[0], dtype=np.int64), target)


@njit(cache=True)
def lane_path_ahead(
    pts: np.ndarray,
    ends: np.ndarray,
    use: np.ndarray,
    target: np.ndarray,
    first: np.ndarray,
    ahead: np.ndarray,
    dist: np.ndarray,
) -> int:
    """The path the pure pursuit aims along, from a lane message's points ``pts`` (n, 2) in the ego
    frame [m], lane k's rows ending at ``ends[k]`` (each starting where the one before ends): the lane
    :func:`pick_lane` takes among those with ``use[k]`` not 0 (``target`` as there), its points beyond
    ``AHEAD_X`` along x into ``ahead`` (in order) and their distances from the ego [m] into ``dist``.
    Returns how many (0: no lane to follow, or none of its points ahead). ``first`` is work space for
    each lane's first row (at least one entry per lane)."""
    m = ends.shape[0]
    row = 0
    for k in range(m):
        first[k] = row
        row = ends[k]
    k = _choose_lane(pts, first[:m], ends, use, target)
    if k < 0:
        return 0
    j = 0
    for i in range(first[k], ends[k]):
        x, y = pts[i, 0], pts[i, 1]
        if x > AHEAD_X:
            ahead[j, 0] = x
            ahead[j, 1] = y
            dist[j] = math.hypot(x, y)
            j += 1
    return j


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
