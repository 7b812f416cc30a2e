"""The lane sensor's range test takes a point exactly as the compiled ``math.hypot(dx, dy) <= range``
(the C library's hypot, which can differ from Python's in the last bit) does, also for points a few
ulps either side of the range (its squared-distance shortcut only decides points surely inside or
outside), and a lane list with a non-finite point is not marked checked."""

import math

import numpy as np
from numba import njit

from dil.world.sensor_kernels import lanes_in_range


@njit
def _within(dx: float, dy: float, r: float) -> bool:
    return math.hypot(dx, dy) <= r


def _one_strip(xy: np.ndarray) -> tuple:
    boxes = np.array([[*xy.min(axis=0), *xy.max(axis=0)]])
    return boxes, np.zeros(1, dtype=np.int64), np.array([[0, len(xy)]], dtype=np.int64)


def test_points_at_the_edge_of_the_range_are_taken_as_hypot_takes_them():
    rng = np.random.default_rng(2)
    r = 80.0
    angles = rng.uniform(-math.pi, math.pi, 4000)
    radii = r + np.concatenate([np.zeros(1000), rng.integers(-4, 5, 3000) * np.spacing(r)])
    xy = np.column_stack([radii * np.cos(angles) + 3.0, radii * np.sin(angles) - 7.0])
    boxes, strip, span = _one_strip(xy)
    points, runs = np.zeros((len(xy), 2)), np.zeros((1, 3), dtype=np.int64)
    m = lanes_in_range(boxes, strip, span, xy, 3.0, -7.0, 0.0, r, r + 1.0, points, runs)
    want = [_within(x - 3.0, y + 7.0, r) for x, y in xy]
    assert 0 < sum(want) < len(xy)  # both sides of the edge are met
    assert m == 1 and runs[0, 2] == sum(want)
    want_xy = np.column_stack([xy[want, 0] - 3.0, xy[want, 1] + 7.0])
    np.testing.assert_array_equal(points[: sum(want)], want_xy)


def test_a_non_finite_point_leaves_the_list_unchecked():
    xy = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    boxes, strip, span = _one_strip(xy)
    points, runs = np.zeros((3, 2)), np.zeros((1, 3), dtype=np.int64)
    assert lanes_in_range(boxes, strip, span, xy, 0.0, 0.0, 0.0, 10.0, 11.0, points, runs) == 1
    xy[1, 1] = np.inf  # the box of the run is not finite either: the run is looked at point by point
    boxes[0, 3] = np.inf
    got = lanes_in_range(boxes, strip, span, xy, 0.0, 0.0, 0.0, 10.0, 11.0, points, runs)
    assert got == 1 and runs[0, 2] == 2  # the infinite point is out of range, the rest taken
    bad_ego = lanes_in_range(boxes, strip, span, xy, 0.0, 0.0, math.nan, 10.0, 11.0, points, runs)
    assert bad_ego == -2  # one run, its points turned by a NaN heading
