import math

import numpy as np
from numba import njit

from vehicle_models.fastmath import fast_atan, fast_sin, sin_cos_small


@njit(cache=False)
def _apply(f, xs):
    out = np.empty_like(xs)
    for i in range(xs.size):
        out[i] = f(xs[i])
    return out


def test_fast_atan_error_below_1e8_everywhere():
    wide = np.geomspace(1e-9, 1e9, 10_001)
    xs = np.concatenate([np.linspace(-3, 3, 200_001), wide, -wide])
    err = np.abs(_apply(fast_atan, xs) - np.arctan(xs))
    assert err.max() < 1e-8
    assert fast_atan(0.0) == 0.0
    assert math.isclose(fast_atan(1e300), math.pi / 2)


def test_fast_sin_error_below_1e10_on_its_range():
    xs = np.linspace(-math.pi, math.pi, 400_001)
    err = np.abs(_apply(fast_sin, xs) - np.sin(xs))
    assert err.max() < 1e-10
    assert fast_sin(0.0) == 0.0


@njit(cache=False)
def _sin_cos(xs):
    s = np.empty_like(xs)
    c = np.empty_like(xs)
    for i in range(xs.size):
        s[i], c[i] = sin_cos_small(xs[i])
    return s, c


def test_sin_cos_small_within_an_ulp_on_its_range():
    """Both branches (below 1/16 rad and up to pi/4) agree with the C library to 2.3e-16."""
    for xs in (np.linspace(-math.pi / 4, math.pi / 4, 200_001), np.linspace(-0.0625, 0.0625, 100_001)):
        s, c = _sin_cos(xs)
        assert np.abs(s - np.sin(xs)).max() <= 2.3e-16
        assert np.abs(c - np.cos(xs)).max() <= 2.3e-16
    assert sin_cos_small(0.0) == (0.0, 1.0)
