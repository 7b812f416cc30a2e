"""The driver's head in the vehicle: the specific force felt there, not at the vehicle's reference
point.

For a head at ``r`` from the reference point (vehicle frame, x forward, y left, z up) on a rigid
body turning at ``w`` with angular acceleration ``alpha``:
``a_head = a_ref + alpha x r + w x (w x r)``. The angular acceleration is the difference of
successive angular rates through a first-order low-pass (time constant ``tau``), so the 1 kHz
difference does not pass on the model's step-to-step noise.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# state layout: previous angular rate (3), filtered angular acceleration (3), started flag
S_SIZE = 7


@njit(cache=True)
def head_acceleration(
    a: np.ndarray, w: np.ndarray, r: np.ndarray, state: np.ndarray, dt: float, tau: float, out: np.ndarray
) -> None:
    """``out`` = the acceleration at ``r`` (vehicle frame) given the reference point's
    acceleration ``a`` and the angular rate ``w``; updates ``state`` in place."""
    k = dt / (tau + dt)
    for i in range(3):
        d = (w[i] - state[i]) / dt if state[6] > 0.0 else 0.0
        state[3 + i] += k * (d - state[3 + i])
        state[i] = w[i]
    state[6] = 1.0
    al = state[3:6]
    # w x r
    cx = w[1] * r[2] - w[2] * r[1]
    cy = w[2] * r[0] - w[0] * r[2]
    cz = w[0] * r[1] - w[1] * r[0]
    out[0] = a[0] + (al[1] * r[2] - al[2] * r[1]) + (w[1] * cz - w[2] * cy)
    out[1] = a[1] + (al[2] * r[0] - al[0] * r[2]) + (w[2] * cx - w[0] * cz)
    out[2] = a[2] + (al[0] * r[1] - al[1] * r[0]) + (w[0] * cy - w[1] * cx)


class Head:
    """The head offset with its preallocated arrays; :meth:`step` returns a reused array."""

    def __init__(self, offset: tuple[float, float, float] = (0.0, 0.0, 0.0), tau: float = 0.02) -> None:
        self.r = np.array(offset, dtype=float)
        self.tau = tau
        self.state = np.zeros(S_SIZE)
        self._a = np.zeros(3)
        self._w = np.zeros(3)
        self.out = np.zeros(3)

    def step(self, ax: float, ay: float, az: float, wx: float, wy: float, wz: float, dt: float) -> np.ndarray:
        a, w = self._a, self._w
        a[0], a[1], a[2] = ax, ay, az
        w[0], w[1], w[2] = wx, wy, wz
        head_acceleration(a, w, self.r, self.state, dt, self.tau, self.out)
        return self.out

    def reset(self) -> None:
        self.state[:] = 0.0
