"""The KPI kernel leaves out of the least distance's hypot only actors whose Python ``math.hypot`` is
surely not below the least so far, also when the two differ in the last bits."""

from __future__ import annotations

import math

import numpy as np

from dil.run.kpi_kernels import farther_bound, may_be_nearer


def test_a_distance_below_the_least_is_never_left_out():
    rng = np.random.default_rng(5)
    kept = left_out = 0
    for _ in range(20000):
        scale = 10.0 ** rng.uniform(-3, 4)
        lon, lat = (float(v) for v in rng.uniform(0.0, scale, 2) * rng.choice([0.0, 1.0], 2, p=[0.05, 0.95]))
        d = math.hypot(lon, lat)
        for least in (
            d,
            math.nextafter(d, math.inf),
            math.nextafter(math.nextafter(d, math.inf), math.inf),
            math.nextafter(d, 0.0),
            d * (1.0 + 1e-12),
            d * (1.0 + 1e-6),
            d * (1.0 - 1e-6),
        ):
            nearer = may_be_nearer(lon, lat, least, farther_bound(least))
            if d < least:
                assert nearer, (lon, lat, least)
            kept += nearer
            left_out += not nearer
    assert kept and left_out  # the test also leaves some out


def test_no_bound_outside_the_sure_range():
    assert farther_bound(math.inf) == math.inf
    assert farther_bound(1e-120) == math.inf
    assert farther_bound(1e120) == math.inf
    assert may_be_nearer(3.0, 4.0, 5.0 + 1e-9, farther_bound(5.0 + 1e-9))
    assert not may_be_nearer(3.0, 4.0, 4.9, farther_bound(4.9))
