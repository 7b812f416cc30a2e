import math

import numpy as np
import pytest

from dil.world.collision import boxes_overlap, overlapping_pairs


def _box(x, y, yaw, length=4.0, width=2.0):
    return np.array([x, y, yaw, length, width], dtype=float)


def test_axis_aligned_boxes_touch_at_their_faces():
    assert boxes_overlap(_box(0, 0, 0), _box(3.99, 0, 0))
    assert not boxes_overlap(_box(0, 0, 0), _box(4.01, 0, 0))
    assert not boxes_overlap(_box(0, 0, 0), _box(0, 2.01, 0))


def test_rotated_box_corner_reaches_further_than_its_faces():
    # a 2 x 2 square rotated 45 degrees reaches sqrt(2) from its centre along x
    square = _box(0, 0, math.pi / 4, 2.0, 2.0)
    assert boxes_overlap(square, _box(1.0 + math.sqrt(2) - 0.01, 0, 0, 2.0, 2.0))
    assert not boxes_overlap(square, _box(1.0 + math.sqrt(2) + 0.01, 0, 0, 2.0, 2.0))


def test_separating_axis_of_the_second_box_is_used():
    # bounding circles overlap and the first box's axes do not separate; the diamond's axis does
    square = _box(1.9, 1.9, 0.0, 2.0, 2.0)
    diamond = _box(0.0, 0.0, math.pi / 4, 2.0, 2.0)
    assert not boxes_overlap(square, diamond)
    assert not boxes_overlap(diamond, square)
    assert boxes_overlap(_box(1.6, 1.6, 0.0, 2.0, 2.0), diamond)


def test_random_boxes_against_a_sampling_reference():
    rng = np.random.default_rng(5)

    def inside(box, p):
        c, s = math.cos(box[2]), math.sin(box[2])
        d = p - box[:2]
        return abs(d[0] * c + d[1] * s) <= box[3] / 2 and abs(-d[0] * s + d[1] * c) <= box[4] / 2

    def sampled_overlap(a, b):
        c, s = math.cos(a[2]), math.sin(a[2])
        u = np.linspace(-0.5, 0.5, 41)
        for du in u:
            for dv in u:
                p = a[:2] + np.array([du * a[3] * c - dv * a[4] * s, du * a[3] * s + dv * a[4] * c])
                if inside(b, p):
                    return True
        return False

    agree = 0
    for _ in range(300):
        a = _box(0, 0, rng.uniform(-3, 3), rng.uniform(1, 5), rng.uniform(0.5, 2))
        b = _box(
            rng.uniform(-5, 5), rng.uniform(-5, 5), rng.uniform(-3, 3), rng.uniform(1, 5), rng.uniform(0.5, 2)
        )
        exact, sampled = boxes_overlap(a, b), sampled_overlap(a, b)
        if sampled:
            assert exact  # sampling finds only real overlaps
        agree += exact == sampled
    assert agree >= 290  # sampling can miss slivers, rarely


def test_pairs_are_listed_once_in_order():
    boxes = np.array([_box(0, 0, 0), _box(3, 0, 0), _box(50, 0, 0), _box(1, 0.5, 1.0)])
    pairs = np.zeros((8, 2), dtype=np.int64)
    n = overlapping_pairs(boxes, 4, pairs)
    assert [tuple(p) for p in pairs[:n]] == [(0, 1), (0, 3), (1, 3)]
    assert overlapping_pairs(boxes, 4, pairs[:1]) == 1  # capped, never overruns


@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_boxes_have_no_pairs(n):
    assert overlapping_pairs(np.zeros((2, 5)), n, np.zeros((2, 2), dtype=np.int64)) == 0
