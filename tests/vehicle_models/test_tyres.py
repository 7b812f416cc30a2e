"""The compiled tyre forces are the combined-slip formula to the bit, whichever way the kernels reach
the polynomials: called and inlined by LLVM in the model steps, inlined in numba's IR (under the
caller's ``fastmath`` flags) in the single track's batch loop."""

from __future__ import annotations

import math
import re

import numpy as np
from numba import njit

from vehicle_models import load, pack
from vehicle_models.fastmath import fast_atan, fast_sin
from vehicle_models.packing import (
    P_TYRE_F,
    P_TYRE_R,
    T_BX,
    T_BY,
    T_CX,
    T_CY,
    T_EX,
    T_EY,
    T_MUX,
    T_MUY,
    T_SX_PEAK,
    T_SY_PEAK,
    T_TRAIL,
)
from vehicle_models.tyres import magic_formula, magic_formula_many, tyre_forces

atan, sin = fast_atan.py_func, fast_sin.py_func


def _formula(s: float, b: float, c: float, d: float, e: float) -> float:
    """The pure-slip Magic Formula in Python's own floats."""
    bs = b * s
    return d * sin(c * atan(bs - e * (bs - atan(bs))))


def _reference(p: np.ndarray, base: int, kappa: float, tan_alpha: float, fz: float, friction: float):
    """The combined-slip forces and trail in Python's own floats, read from the packed parameters."""
    trail0 = p[base + T_TRAIL]
    if fz <= 0.0:
        return 0.0, 0.0, trail0
    sx_peak, sy_peak = p[base + T_SX_PEAK], p[base + T_SY_PEAK]
    nx, ny = kappa / sx_peak, tan_alpha / sy_peak
    n = math.sqrt(nx * nx + ny * ny)
    if n < 1e-12:
        return 0.0, 0.0, trail0
    dx, dy = p[base + T_MUX] * friction * fz, p[base + T_MUY] * friction * fz
    fx0 = _formula(n * sx_peak, p[base + T_BX], p[base + T_CX], dx, p[base + T_EX])
    fy0 = _formula(n * sy_peak, p[base + T_BY], p[base + T_CY], dy, p[base + T_EY])
    trail = trail0 * (1.0 - n) if n < 1.0 else 0.0
    return fx0 * nx / n, fy0 * ny / n, trail


@njit(cache=False)
def _forces(p, base, cases, out):
    for i in range(cases.shape[0]):
        kappa, tan_alpha, fz, friction = cases[i]
        out[i, 0], out[i, 1], out[i, 2] = tyre_forces(p, base, kappa, tan_alpha, fz, friction)


def _cases() -> np.ndarray:
    """Slips from locked to spinning and pure to combined, loads from none to heavy, frictions."""
    slips = np.array([-1.0, -0.3, -0.08, -0.01, -1e-13, 0.0, 1e-13, 0.004, 0.05, 0.2, 1.5])
    loads, frictions = [-50.0, 0.0, 900.0, 6500.0], [0.3, 1.0, 1.6]
    kappa, tan_alpha, fz, friction = np.meshgrid(slips, slips * 0.7, loads, frictions)
    return np.stack([kappa.ravel(), tan_alpha.ravel(), fz.ravel(), friction.ravel()], axis=1)


def test_tyre_forces_are_the_combined_slip_formula_to_the_bit():
    cases = _cases()
    for name in ("sedan_bmw320i", "compact_ev", "van_manual"):
        p = pack(load(name))
        for base in (P_TYRE_F, P_TYRE_R):
            got = np.empty((cases.shape[0], 3))
            _forces(p, base, cases, got)
            want = np.array([_reference(p, base, *case) for case in cases.tolist()])
            assert got.tobytes() == want.tobytes(), (name, base)
            assert np.count_nonzero(got[:, 0]) > cases.shape[0] // 3  # forces, not only the zero branches


@njit(cache=False)
def _one_by_one(s, b, c, d, e, out):
    for j in range(out.shape[0]):
        out[j] = magic_formula(s[j], b[j], c[j], d[j], e[j])


@njit(cache=False)
def _many(s, b, c, d, e, out):
    magic_formula_many(s, b, c, d, e, out)


def _formula_arguments(n: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(3)
    return (
        rng.uniform(-2.0, 2.0, n), rng.uniform(5.0, 20.0, n), rng.uniform(1.2, 1.9, n),
        rng.uniform(100.0, 9000.0, n), rng.uniform(-1.0, 0.9, n),
    )  # fmt: skip


def test_the_batch_formula_and_the_called_one_agree_to_the_bit_without_fastmath():
    args = _formula_arguments(4096)
    one, many = np.empty(4096), np.empty(4096)
    _one_by_one(*args, one)
    _many(*args, many)
    want = np.array([_formula(*a) for a in zip(*(x.tolist() for x in args), strict=True)])
    assert one.tobytes() == many.tobytes() == want.tobytes()


def test_the_batch_formula_inlines_the_polynomials_under_its_callers_fastmath_flags():
    @njit(cache=False, fastmath={"arcp", "contract"})
    def fused(s, b, c, d, e, out):
        magic_formula_many(s, b, c, d, e, out)

    args = _formula_arguments(64)
    fused(*args, np.empty(64))
    ir = fused.inspect_llvm(fused.signatures[0])
    # no call to (or copy of) the compiled polynomials' functions: their arithmetic is the caller's,
    # with its flags
    assert not re.search(r"@\S*fast_(atan|sin)", ir)
    assert "fmul contract" in ir or "fmul arcp contract" in ir
