"""Collision tests between oriented boxes on the ground plane, as numba kernels.

A box row is ``(x, y, yaw, length, width)``: centre [m], heading [rad], size [m]. Pairs are
first filtered by bounding circles, then tested with the separating-axis theorem on the four
edge normals.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

B_X = 0
B_Y = 1
B_YAW = 2
B_LENGTH = 3
B_WIDTH = 4
BOX_SIZE = 5


@njit(cache=True, inline="always")
def _project(cx: float, cy: float, c: float, s: float, hl: float, hw: float, ax: float, ay: float) -> tuple:
    """Interval of a box's projection onto axis (ax, ay)."""
    centre = cx * ax + cy * ay
    r = hl * abs(c * ax + s * ay) + hw * abs(-s * ax + c * ay)
    return centre - r, centre + r


@njit(cache=True)
def boxes_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """True when the oriented boxes ``a`` and ``b`` (rows as above) overlap (touching counts)."""
    dx = b[B_X] - a[B_X]
    dy = b[B_Y] - a[B_Y]
    ra = 0.5 * math.hypot(a[B_LENGTH], a[B_WIDTH])
    rb = 0.5 * math.hypot(b[B_LENGTH], b[B_WIDTH])
    if dx * dx + dy * dy > (ra + rb) * (ra + rb):
        return False
    ca, sa = math.cos(a[B_YAW]), math.sin(a[B_YAW])
    cb, sb = math.cos(b[B_YAW]), math.sin(b[B_YAW])
    hla, hwa = 0.5 * a[B_LENGTH], 0.5 * a[B_WIDTH]
    hlb, hwb = 0.5 * b[B_LENGTH], 0.5 * b[B_WIDTH]
    for k in range(4):
        if k == 0:
            ax, ay = ca, sa
        elif k == 1:
            ax, ay = -sa, ca
        elif k == 2:
            ax, ay = cb, sb
        else:
            ax, ay = -sb, cb
        lo_a, hi_a = _project(a[B_X], a[B_Y], ca, sa, hla, hwa, ax, ay)
        lo_b, hi_b = _project(b[B_X], b[B_Y], cb, sb, hlb, hwb, ax, ay)
        if hi_a < lo_b or hi_b < lo_a:
            return False
    return True


@njit(cache=True)
def overlapping_pairs(boxes: np.ndarray, n: int, pairs: np.ndarray) -> int:
    """Write the index pairs ``(i, j)``, ``i < j < n``, of overlapping boxes into ``pairs``;
    return how many (at most ``len(pairs)``)."""
    count = 0
    cap = pairs.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            if boxes_overlap(boxes[i], boxes[j]):
                if count < cap:
                    pairs[count, 0] = i
                    pairs[count, 1] = j
                count += 1
    return min(count, cap)
