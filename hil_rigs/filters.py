"""Linear filters as discrete state space, discretised with the bilinear (Tustin) transform, and a
numba kernel that steps a bank of them in place."""

from __future__ import annotations

import numpy as np
from numba import njit


def continuous(num: list[float], den: list[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Controllable canonical state space of a proper transfer function num(s)/den(s)."""
    den = np.asarray(den, dtype=float)
    num = np.asarray(num, dtype=float)
    n = den.size - 1
    num = np.concatenate([np.zeros(n + 1 - num.size), num]) / den[0]
    den = den / den[0]
    a = np.zeros((n, n))
    a[0, :] = -den[1:]
    a[1:, :-1] = np.eye(n - 1)
    b = np.zeros(n)
    b[0] = 1.0
    d = num[0]
    c = num[1:] - d * den[1:]
    return a, b, c, d


def bilinear(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: float, dt: float):
    """Tustin discretisation: exact in frequency up to warping, stable for any stable filter."""
    n = a.shape[0]
    i = np.eye(n)
    m = np.linalg.inv(i - 0.5 * dt * a)
    ad = m @ (i + 0.5 * dt * a)
    bd = m @ b * dt
    cd = c @ m
    dd = d + 0.5 * dt * c @ m @ b
    return ad, bd, cd, dd


class FilterBank:
    """Several SISO filters of order up to ``order``, packed for one kernel call."""

    def __init__(self, filters: list[tuple[list[float], list[float]]], dt: float) -> None:
        order = 3
        k = len(filters)
        self.ad = np.zeros((k, order, order))
        self.bd = np.zeros((k, order))
        self.cd = np.zeros((k, order))
        self.dd = np.zeros(k)
        for j, (num, den) in enumerate(filters):
            a, b, c, d = continuous(num, den)
            ad, bd, cd, dd = bilinear(a, b, c, d, dt)
            n = ad.shape[0]
            self.ad[j, :n, :n], self.bd[j, :n], self.cd[j, :n], self.dd[j] = ad, bd, cd, dd
        self.state = np.zeros((k, order))

    def reset(self) -> None:
        self.state[:] = 0.0


@njit(cache=True)
def step_bank(
    ad: np.ndarray,
    bd: np.ndarray,
    cd: np.ndarray,
    dd: np.ndarray,
    x: np.ndarray,
    u: np.ndarray,
    y: np.ndarray,
) -> None:
    """One step of every filter (order 3, lower orders zero-padded): ``y = C x + D u``, then
    ``x = A x + B u``."""
    for j in range(x.shape[0]):
        x0, x1, x2 = x[j, 0], x[j, 1], x[j, 2]
        uj = u[j]
        y[j] = cd[j, 0] * x0 + cd[j, 1] * x1 + cd[j, 2] * x2 + dd[j] * uj
        for i in range(3):
            x[j, i] = ad[j, i, 0] * x0 + ad[j, i, 1] * x1 + ad[j, i, 2] * x2 + bd[j, i] * uj
