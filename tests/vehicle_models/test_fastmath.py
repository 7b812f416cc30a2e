import math

import numpy as np
from numba import njit

from vehicle_models.fastmath import fast_atan, fast_sin


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
