"""Fixed-step integrators for any model ``f(x, u, p, out)``.

``f`` writes the state derivative into ``out[:x.size]`` (a model may append algebraic outputs
after it). The integrators are inlined into each model's cached step function, so the model's
right-hand side is called directly, with no function-pointer indirection and no allocation:
``w`` is a caller-owned work array of shape (5, n_out).
"""

from __future__ import annotations

import numpy as np
from numba import njit

WORK_ROWS = 5


@njit(error_model="numpy", inline="always")
def rk4(f, x: np.ndarray, u: np.ndarray, p: np.ndarray, h: float, w: np.ndarray) -> None:
    """Classical fourth-order Runge-Kutta step of size ``h`` [s], in place on ``x``."""
    k1 = w[0]
    k2 = w[1]
    k3 = w[2]
    k4 = w[3]
    tmp = w[4][: x.size]
    n = x.size
    f(x, u, p, k1)
    for i in range(n):
        tmp[i] = x[i] + 0.5 * h * k1[i]
    f(tmp, u, p, k2)
    for i in range(n):
        tmp[i] = x[i] + 0.5 * h * k2[i]
    f(tmp, u, p, k3)
    for i in range(n):
        tmp[i] = x[i] + h * k3[i]
    f(tmp, u, p, k4)
    for i in range(n):
        x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])


@njit(error_model="numpy", inline="always")
def semi_implicit_euler(
    f, pose_rates, n_pose: int, x: np.ndarray, u: np.ndarray, p: np.ndarray, h: float, w: np.ndarray
) -> None:
    """Symplectic (semi-implicit) Euler step of size ``h`` [s], in place on ``x``.

    The first ``n_pose`` states are positions and angles whose rates depend only on the other
    states; those others are advanced first, then the pose with the updated rates from
    ``pose_rates(x, p, out)``. One right-hand-side evaluation per step.
    """
    k = w[0]
    f(x, u, p, k)
    for i in range(n_pose, x.size):
        x[i] += h * k[i]
    pose_rates(x, p, k)
    for i in range(n_pose):
        x[i] += h * k[i]
