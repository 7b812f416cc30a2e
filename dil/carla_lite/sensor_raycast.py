"""Rays against carla-lite's world: its bodies as boxes (turned by their heading) and the ground as a
horizontal plane at the road surface under the sensor. Numba kernels shared by the depth camera, the
lidars and the obstacle detector (OpenDRIVE frame: m, rad).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

B_X = 0
B_Y = 1
B_Z = 2
"""Bottom of the box [m]."""
B_YAW = 3
B_LENGTH = 4
B_WIDTH = 5
B_HEIGHT = 6
B_SIZE = 7

HIT_NONE = -2
"""Nothing within range."""
HIT_GROUND = -1
"""The ground plane; a hit index >= 0 is a box row."""


@njit(cache=True)
def _slab(o, d, lo, hi, t0, t1):
    """Narrow the interval ``[t0, t1]`` to where ``o + t d`` lies in ``[lo, hi]`` (empty: t0 > t1)."""
    if abs(d) < 1e-12:
        if o < lo or o > hi:
            return 1.0, 0.0
        return t0, t1
    a = (lo - o) / d
    b = (hi - o) / d
    if a > b:
        a, b = b, a
    return max(t0, a), min(t1, b)


@njit(cache=True)
def ray_box(ox, oy, oz, dx, dy, dz, box, grow):
    """Entry distance (in units of the direction's length) of a ray into a box grown by ``grow`` [m]
    on every side; -1 when it misses or starts inside."""
    c, s = math.cos(box[B_YAW]), math.sin(box[B_YAW])
    px, py = ox - box[B_X], oy - box[B_Y]
    hl, hw = 0.5 * box[B_LENGTH] + grow, 0.5 * box[B_WIDTH] + grow
    t0, t1 = _slab(c * px + s * py, c * dx + s * dy, -hl, hl, -1e30, 1e30)
    t0, t1 = _slab(-s * px + c * py, -s * dx + c * dy, -hw, hw, t0, t1)
    t0, t1 = _slab(oz - box[B_Z], dz, -grow, box[B_HEIGHT] + grow, t0, t1)
    if t0 > t1 or t0 <= 0.0:
        return -1.0
    return t0


@njit(cache=True)
def cast_rays(origin, dirs, boxes, n_boxes, ground_z, max_t, grow, dist, hit):
    """First hit of each ray ``origin + t * dirs[i]`` with ``0 < t <= max_t``: ``dist[i] = t`` and
    ``hit[i]`` the box row, ``HIT_GROUND`` or ``HIT_NONE`` (then ``dist[i] = max_t``). Boxes a ray
    passes far from (outside their bounding sphere) are skipped before the exact test."""
    ox, oy, oz = origin[0], origin[1], origin[2]
    centre = np.empty((n_boxes, 3))
    radius2 = np.empty(n_boxes)
    for j in range(n_boxes):
        b = boxes[j]
        hl, hw, hh = 0.5 * b[B_LENGTH] + grow, 0.5 * b[B_WIDTH] + grow, 0.5 * b[B_HEIGHT] + grow
        centre[j, 0], centre[j, 1], centre[j, 2] = b[B_X] - ox, b[B_Y] - oy, b[B_Z] + 0.5 * b[B_HEIGHT] - oz
        radius2[j] = hl * hl + hw * hw + hh * hh
    for i in range(dirs.shape[0]):
        dx, dy, dz = dirs[i, 0], dirs[i, 1], dirs[i, 2]
        d2 = dx * dx + dy * dy + dz * dz
        best = max_t
        what = HIT_NONE
        if dz < -1e-12 and oz > ground_z:
            t = (ground_z - oz) / dz
            if t < best:
                best = t
                what = HIT_GROUND
        for j in range(n_boxes):
            vx, vy, vz = centre[j, 0], centre[j, 1], centre[j, 2]
            along = vx * dx + vy * dy + vz * dz
            v2 = vx * vx + vy * vy + vz * vz
            if v2 > radius2[j] and (along <= 0.0 or v2 - along * along / d2 > radius2[j]):
                continue
            t = ray_box(ox, oy, oz, dx, dy, dz, boxes[j], grow)
            if 0.0 < t < best:
                best = t
                what = j
        dist[i] = best
        hit[i] = what


def camera_rays(width: int, height: int, fov_deg: float) -> np.ndarray:
    """Directions through the pixel centres in the camera frame (x right, y down, z forward), scaled
    so that z is 1: the distance along them is the depth [m]. Shape (height * width, 3)."""
    f = 0.5 * width / math.tan(math.radians(fov_deg) / 2.0)
    u = (np.arange(width) + 0.5 - 0.5 * width) / f
    v = (np.arange(height) + 0.5 - 0.5 * height) / f
    uu, vv = np.meshgrid(u, v)
    return np.stack([uu.ravel(), vv.ravel(), np.ones(width * height)], axis=1)


DEPTH_MAX_T = 1000.0
"""Depth rays end here [m] (CARLA's depth encoding saturates at 1000 m)."""


@njit(cache=True)
def rotate_rays(local, axes, out):
    """``out[i] = local[i] @ axes``: directions from a sensor frame (rows of ``axes``: its axes in the
    world) into the world."""
    for i in range(local.shape[0]):
        a, b, c = local[i, 0], local[i, 1], local[i, 2]
        for k in range(3):
            out[i, k] = a * axes[0, k] + b * axes[1, k] + c * axes[2, k]
