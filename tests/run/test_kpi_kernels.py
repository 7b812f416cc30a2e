"""The KPI observer's gap kernel gives the gaps, times to collision and headways of
``dil.scenario.separation`` (what the storyboard's conditions measure) to the bit."""

import math
from dataclasses import dataclass

import numpy as np

from dil.run.kpi_kernels import K_SIZE, ego_gaps
from dil.scenario.separation import euclidean_distance, lateral_gap, time_headway, time_to_collision

HALF = 1.2
"""The observer's path half width [m]."""


@dataclass
class Box:
    x: float
    y: float
    yaw: float
    speed: float
    length: float
    width: float
    centre_x: float = 0.0

    def box_centre(self) -> tuple[float, float]:
        return self.x, self.y


def _actors(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = np.zeros((n, K_SIZE))
    rows[:, 0] = rng.uniform(-60.0, 60.0, n)
    rows[:, 1] = rng.choice([0.0, 0.3, -1.0, 3.5, -3.5, 7.0], n) + rng.normal(0.0, 0.5, n)
    rows[:, 2] = rng.choice([0.0, math.pi, 0.5 * math.pi], n) + rng.normal(0.0, 0.2, n)
    rows[:, 3] = rng.choice([0.0, 5.0, 20.0], n) + rng.uniform(0.0, 10.0, n)
    rows[:, 4] = rng.uniform(0.5, 12.0, n)
    rows[:, 5] = rng.uniform(0.5, 2.6, n)
    rows[0, :3] = (0.0, 0.0, rng.normal(0.0, 1.0))
    return rows


def _reference(rows: np.ndarray) -> tuple[list[float], float, float]:
    boxes = [Box(*r) for r in rows.tolist()]
    ego, distances, ttc, headway = boxes[0], [], math.inf, math.inf
    for other in boxes[1:]:
        distances.append(euclidean_distance(ego, other, True))
        if abs(lateral_gap(ego, other, False)) < HALF or abs(lateral_gap(ego, other, True)) <= 1e-9:
            ttc = min(ttc, time_to_collision(ego, other, True))
            headway = min(headway, time_headway(ego, other, True))
    return distances, ttc, headway


def test_gaps_ttc_and_headway_equal_the_separation_functions_bit_for_bit():
    rng = np.random.default_rng(7)
    in_path = finite = 0
    for _ in range(300):
        n = int(rng.integers(2, 9))
        rows = _actors(rng, n)
        gaps, least = np.zeros((n, 2)), np.array([math.inf, math.inf])
        ego_gaps(rows, n, HALF, gaps, least)
        distances, ttc, headway = _reference(rows)
        assert [math.hypot(abs(lon), abs(lat)) for lon, lat in gaps[1:].tolist()] == distances
        assert least.tolist() == [ttc, headway]
        in_path += headway < math.inf
        finite += ttc < math.inf
    assert in_path > 50 and finite > 20  # the cases reach the in-path and closing branches


def test_lowest_values_so_far_are_kept():
    rows = np.array([[0.0, 0.0, 0.0, 20.0, 4.5, 1.8], [30.0, 0.0, 0.0, 10.0, 4.5, 1.8]])
    least = np.array([0.5, 0.25])
    ego_gaps(rows, 2, HALF, np.zeros((2, 2)), least)
    assert least.tolist() == [0.5, 0.25]
    least = np.array([math.inf, math.inf])
    ego_gaps(rows, 2, HALF, np.zeros((2, 2)), least)
    assert least.tolist() == [(30.0 - 4.5) / 10.0, (30.0 - 4.5) / 20.0]
