"""Contact response: bodies do not pass through each other.

After a step, a body that overlaps another and moved towards it goes back to where it was before
the step and stops (speed, velocity and acceleration 0). Both cars of a crash stop; a car driving
into a parked one stops at the point of contact. Bodies the caller moves itself (autopilot, physics
off) are put back too, but only the model's speed is reset.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .dynamics import K_AX, K_AY, K_PRE_X, K_PRE_Y, K_SPEED, K_VX, K_VY, K_X, K_Y


@njit(cache=True)
def respond(state: np.ndarray, pairs: np.ndarray, k: int) -> int:
    """Stop the bodies of the first ``k`` overlapping ``pairs`` (rows) that moved towards their
    partner in the last step; the number stopped."""
    stopped = 0
    for p in range(k):
        i = pairs[p, 0]
        j = pairs[p, 1]
        for a, b in ((i, j), (j, i)):
            ra = state[a]
            rb = state[b]
            mx = ra[K_X] - ra[K_PRE_X]
            my = ra[K_Y] - ra[K_PRE_Y]
            towards = mx * (rb[K_X] - ra[K_X]) + my * (rb[K_Y] - ra[K_Y])
            if towards <= 0.0:
                continue
            ra[K_X] = ra[K_PRE_X]
            ra[K_Y] = ra[K_PRE_Y]
            ra[K_VX] = 0.0
            ra[K_VY] = 0.0
            ra[K_SPEED] = 0.0
            ra[K_AX] = 0.0
            ra[K_AY] = 0.0
            stopped += 1
    return stopped


def remember_positions(state: np.ndarray, n: int) -> None:
    """Keep the positions the next :func:`respond` may return bodies to."""
    state[:n, K_PRE_X] = state[:n, K_X]
    state[:n, K_PRE_Y] = state[:n, K_Y]


__all__ = ["remember_positions", "respond"]
