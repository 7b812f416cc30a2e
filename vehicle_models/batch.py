"""Many steps, or many vehicles, inside one compiled call.

These loops take a model's ``step`` kernel and are inlined into each model's own cached entry
points (``simulate``, ``simulate_inputs``, ``step_batch`` in the model modules), so the step is
a direct call and the compiled code is cached per model.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(error_model="numpy", inline="always")
def simulate(
    step, x: np.ndarray, u: np.ndarray, p: np.ndarray, h: float, n_steps: int, w: np.ndarray, method: int
) -> int:
    """``n_steps`` steps of size ``h`` [s] with constant input; returns 0 or the input error code."""
    for _ in range(n_steps):
        code = step(x, u, p, h, w, method)
        if code != 0:
            return code
    return 0


@njit(error_model="numpy", inline="always")
def simulate_inputs(
    step,
    x: np.ndarray,
    u_seq: np.ndarray,
    p: np.ndarray,
    h: float,
    states: np.ndarray,
    w: np.ndarray,
    method: int,
) -> int:
    """One step per row of ``u_seq``; the state after step k goes to ``states[k]``.

    Returns 0, or ``k * 16 + code`` for the first bad input row k (code < 16).
    """
    for k in range(u_seq.shape[0]):
        code = step(x, u_seq[k], p, h, w, method)
        if code != 0:
            return k * 16 + code
        states[k] = x
    return 0


@njit(error_model="numpy", inline="always")
def step_batch(
    step,
    xs: np.ndarray,
    us: np.ndarray,
    ps: np.ndarray,
    h: float,
    n_steps: int,
    ws: np.ndarray,
    method: int,
    codes: np.ndarray,
) -> None:
    """Advance vehicle i (row i of ``xs``, ``us``, ``ps``, ``ws``) by ``n_steps`` steps, in parallel.

    ``codes[i]`` is set to 0 or to vehicle i's input error code (its state then stops there).
    """
    for i in prange(xs.shape[0]):
        codes[i] = 0
        x, u, p, w = xs[i], us[i], ps[i], ws[i]  # row views once per vehicle, not once per step
        for _ in range(n_steps):
            c = step(x, u, p, h, w, method)
            if c != 0:
                codes[i] = c
                break
