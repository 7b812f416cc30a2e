"""Polynomial arctangent and sine for the tyre kernels.

The Magic Formula costs two arctangents and a sine per direction and tyre; the C library's
versions dominate a model step. These odd polynomials, least-squares fits on Chebyshev nodes,
are pure arithmetic (so also identical on every platform) and several times faster.
Maximum absolute error: arctangent 7e-9 rad, sine 2e-11 (tested in tests/vehicle_models).

:func:`fast_atan` and :func:`fast_sin` are compiled once and called: LLVM inlines functions this
small into each caller, while inlining them in numba's IR (``inline="always"``) would copy and type
them again at every call (twelve per single-track step). :data:`inline_atan` and :data:`inline_sin`
are the same functions inlined in numba's IR, for a caller whose ``fastmath`` flags must apply to
their arithmetic too (the single track's batch loop).
"""

from __future__ import annotations

import math

from numba import njit

_ATAN = (
    0.9999999055342171,
    -0.3333265778284979,
    0.1998653634293631,
    -0.14164325189282284,
    0.10507289378693052,
    -0.07247887425376674,
    0.039898818399079584,
    -0.014458239084503385,
    0.00246813089694428,
)
_SIN = (
    0.9999999999145279,
    -0.16666666557774387,
    0.008333329594949286,
    -0.00019840731239269288,
    2.7519944700660043e-06,
    -2.3810115319616385e-08,
)
_HALF_PI = 0.5 * math.pi


@njit(cache=True, error_model="numpy")
def fast_atan(x: float) -> float:
    """Arctangent of any finite x [rad]."""
    a = abs(x)
    invert = a > 1.0
    if invert:
        a = 1.0 / a
    t = a * a
    c = _ATAN
    y = a * (
        c[0]
        + t * (c[1] + t * (c[2] + t * (c[3] + t * (c[4] + t * (c[5] + t * (c[6] + t * (c[7] + t * c[8])))))))
    )
    if invert:
        y = _HALF_PI - y
    return -y if x < 0.0 else y


@njit(cache=True, error_model="numpy")
def fast_sin(x: float) -> float:
    """Sine of x within [-pi, pi]."""
    a = abs(x)
    if a > _HALF_PI:
        a = math.pi - a
    t = a * a
    c = _SIN
    y = a * (c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * (c[4] + t * c[5])))))
    return -y if x < 0.0 else y


_inline = njit(error_model="numpy", inline="always")
inline_atan = _inline(fast_atan.py_func)
""":func:`fast_atan` inlined in numba's IR (under its caller's ``fastmath`` flags)."""
inline_sin = _inline(fast_sin.py_func)
""":func:`fast_sin` inlined in numba's IR (under its caller's ``fastmath`` flags)."""


QUARTER_PI = 0.25 * math.pi
_SIN_T = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(9))
"""Taylor coefficients of sin(x) / x in x^2, to x^16."""
_COS_T = tuple((-1.0) ** k / math.factorial(2 * k) for k in range(10))
"""Taylor coefficients of cos(x) in x^2, to x^18."""


@njit(cache=True, error_model="numpy", inline="always")
def sin_cos_small(x: float) -> tuple[float, float]:
    """Sine and cosine of x [rad], |x| <= pi/4, from their Taylor series, to about an ulp.

    Terms to x^17 and x^18 (the first left out is below 2e-19 on the range); below 1/16 rad
    (a yaw or steering increment over one step), terms to x^9 and x^10 already are."""
    t = x * x
    a = _SIN_T
    b = _COS_T
    if t < 0.00390625:
        s = x * (a[0] + t * (a[1] + t * (a[2] + t * (a[3] + t * a[4]))))
        c = b[0] + t * (b[1] + t * (b[2] + t * (b[3] + t * (b[4] + t * b[5]))))
        return s, c
    sa = a[4] + t * (a[5] + t * (a[6] + t * (a[7] + t * a[8])))
    s = x * (a[0] + t * (a[1] + t * (a[2] + t * (a[3] + t * sa))))
    cb = b[5] + t * (b[6] + t * (b[7] + t * (b[8] + t * b[9])))
    c = b[0] + t * (b[1] + t * (b[2] + t * (b[3] + t * (b[4] + t * cb))))
    return s, c
