"""The built-in stack's lane kernels pick the lane and the aim point that a plain NumPy reading of the
lane message picks: the target lane once visible, else the nearest lane sideways running ahead."""

import math

import numpy as np

from dil.stack.kernels import lane_path_ahead, nearest_distance, pick_lane


def _reference(lanes: list[np.ndarray], target: list[bool]) -> int:
    best, best_d = -1, math.inf
    for k, pts in enumerate(lanes):
        if len(pts) < 2:
            continue
        near = pts[np.argmin(np.abs(pts[:, 0]))]
        if abs(near[0]) > 3.0:
            continue
        if target[k]:
            return k
        d = abs(near[1])
        if pts[-1, 0] < pts[0, 0]:
            pts = pts[::-1]
        if d < best_d and pts[-1, 0] > 0:
            best, best_d = k, d
    return best


def _lane(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(0, 30))
    x0 = rng.uniform(-40.0, 10.0)
    x = x0 + 2.0 * np.arange(n)
    if rng.random() < 0.3:
        x = x[::-1]  # a lane of the other direction
    y = rng.choice([0.0, 3.5, -3.5, 7.0]) + rng.normal(0.0, 0.3) + 0.01 * x
    return np.stack([x, y], axis=1).reshape(-1, 2)


def test_pick_lane_equals_the_numpy_reading():
    rng = np.random.default_rng(3)
    picked_target = picked_other = 0
    for _ in range(400):
        lanes = [_lane(rng) for _ in range(int(rng.integers(1, 7)))]
        target = [bool(rng.random() < 0.2) for _ in lanes]
        end = np.cumsum([len(p) for p in lanes]).astype(np.int64)
        first = np.concatenate([[0], end[:-1]]).astype(np.int64)
        pts = np.concatenate(lanes) if any(len(p) for p in lanes) else np.zeros((0, 2))
        k = pick_lane(np.ascontiguousarray(pts), first, end, np.array(target, dtype=np.int64))
        assert k == _reference(lanes, target)
        picked_target += k >= 0 and target[k]
        picked_other += k >= 0 and not target[k]
    assert picked_target > 20 and picked_other > 20


def test_nearest_distance_is_the_first_of_equal_minima():
    d = np.array([1.0, 4.0, 6.0, 8.0, 6.0, 4.0])
    assert nearest_distance(d, 5.0) == int(np.argmin(np.abs(d - 5.0))) == 1
    assert nearest_distance(d, 100.0) == 3
    assert nearest_distance(d, -3.0) == 0


def test_the_path_ahead_is_the_picked_lanes_points_ahead_of_the_usable_lanes():
    """Lanes not to be used (not drivable) are passed over as if absent; the points ahead and their
    distances are those of a NumPy reading, bit for bit."""
    rng = np.random.default_rng(8)
    found = empty = 0
    first = np.zeros(8, dtype=np.int64)
    ahead, dist = np.zeros((8 * 30, 2)), np.zeros(8 * 30)
    for _ in range(400):
        lanes = [_lane(rng) for _ in range(int(rng.integers(0, 7)))]
        use = [bool(rng.random() < 0.7) for _ in lanes]
        target = [bool(rng.random() < 0.2) for _ in lanes]
        ends = np.cumsum([len(p) for p in lanes]).astype(np.int64)
        pts = np.ascontiguousarray(np.concatenate(lanes)) if any(len(p) for p in lanes) else np.zeros((0, 2))
        m = lane_path_ahead(
            pts, ends, np.array(use, dtype=np.int64), np.array(target, dtype=np.int64), first, ahead, dist
        )
        kept = [k for k in range(len(lanes)) if use[k]]
        k = _reference([lanes[k] for k in kept], [target[k] for k in kept])
        want = lanes[kept[k]] if k >= 0 else np.zeros((0, 2))
        want = want[want[:, 0] > 0.5]
        assert m == len(want)
        assert ahead[:m].tolist() == want.tolist()
        assert dist[:m].tolist() == np.hypot(want[:, 0], want[:, 1]).tolist()
        found += m > 0
        empty += m == 0
    assert found > 50 and empty > 20
