"""Polynomial arctangent and sine for the tyre kernels.

The Magic Formula costs two arctangents and a sine per direction and tyre; the C library's
versions dominate a model step. These odd polynomials, least-squares fits on Chebyshev nodes,
are pure arithmetic (so also identical on every platform) and several times faster.
Maximum absolute error: arctangent 7e-9 rad, sine 2e-11 (tested in tests/vehicle_models).
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


@njit(cache=True, error_model="numpy", inline="always")
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


@njit(cache=True, error_model="numpy", inline="always")
def fast_sin(x: float) -> float:
    """Sine of x within [-pi, pi]."""
    a = abs(x)
    if a > _HALF_PI:
        a = math.pi - a
    t = a * a
    c = _SIN
    y = a * (c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * (c[4] + t * c[5])))))
    return -y if x < 0.0 else y
