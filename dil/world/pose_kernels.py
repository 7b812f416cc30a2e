"""Numba kernel that writes many actors' poses into the actor table in one call."""

from __future__ import annotations

import numpy as np
from numba import njit

from .actors import A_ALIVE, A_SPEED, A_X, A_Y, A_YAW, A_Z


@njit(cache=True)
def write_poses(state: np.ndarray, count: int, ids: np.ndarray, poses: np.ndarray) -> int:
    """Rows ``poses[k]`` (box-centre x, y, z [m], heading [rad], speed [m/s]) into the actor rows
    ``ids[k]`` of ``state``; stops at the first id that is no live actor (of the first ``count``)
    and returns its index in ``ids``, else -1."""
    for k in range(ids.shape[0]):
        i = ids[k]
        if i < 0 or i >= count or state[i, A_ALIVE] < 0.5:
            return k
        p = poses[k]
        row = state[i]
        row[A_X] = p[0]
        row[A_Y] = p[1]
        row[A_Z] = p[2]
        row[A_YAW] = p[3]
        row[A_SPEED] = p[4]
    return -1
