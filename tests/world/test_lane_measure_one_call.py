"""The lane sensor's measurement in one kernel call (``measure_lanes``) gives the lane sets of the
range search (``lanes_in_range``) followed by the strips' ids picked in Python, on every shipped
road network, along a drive that sees strips come and go, and with the ego's position not finite."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dil.road.network import RoadNetwork
from dil.world.actors import A_SIZE, A_X, A_Y, A_YAW, EGO
from dil.world.sensor_kernels import lanes_in_range
from dil.world.sensors import LaneGeometry

from ..road.helpers import ROADS


def _reference(sensor: LaneGeometry, actors: np.ndarray) -> tuple:
    """What the sensor measured with the range search and the strips' ids picked in Python."""
    points, runs = np.zeros_like(sensor._points), np.zeros_like(sensor._runs)
    ego = actors[EGO]
    m = lanes_in_range(sensor._boxes, sensor._chunk_strip, sensor._chunk_span, sensor._xy, ego[A_X], ego[A_Y],
                       ego[A_YAW], sensor.range_m, sensor.range_m + 1.0, points, runs)  # fmt: skip
    valid = m >= 0
    m = m if valid else -1 - m
    end = int(runs[m - 1, 2]) if m else 0
    picked = [sensor._about[k] for k in runs[:m, 0].tolist()]
    roads, lanes, types = tuple(zip(*picked, strict=True)) if picked else ((), (), ())
    return roads, lanes, types, points[:end].copy(), runs[:m, 2].copy(), valid


@pytest.mark.parametrize("road", ["highway", "rural", "junction"])
def test_one_call_measures_what_the_range_search_and_python_measured(road: str) -> None:
    net = RoadNetwork.load(ROADS / f"{road}.xodr")
    sensor = LaneGeometry(net, range_m=60.0)
    x0, y0, x1, y1 = net.bounds()
    actors = np.zeros((2, A_SIZE))
    changes = 0
    last = None
    for k in range(120):
        f = k / 119
        actors[EGO, A_X] = x0 + (x1 - x0) * f
        actors[EGO, A_Y] = 0.5 * (y0 + y1) + (0.5 * (y1 - y0) + 150.0) * math.sin(7 * f)  # off and on
        actors[EGO, A_YAW] = 3.0 * math.sin(5 * f)
        got = sensor.measure_value(actors, 2)
        roads, lanes, types, points, ends, valid = _reference(sensor, actors)
        assert (got.roads, got.lanes, got.types) == (roads, lanes, types)
        assert np.array_equal(got.points, points) and np.array_equal(got.ends, ends)
        assert got.ends.dtype == ends.dtype and sensor.checked == valid
        changes += (roads, lanes) != last
        last = (roads, lanes)
    assert changes > 2


def test_a_point_not_finite_makes_the_measurement_unchecked() -> None:
    net = RoadNetwork.load(ROADS / "highway.xodr")
    actors = np.zeros((1, A_SIZE))
    actors[EGO, A_X] = math.nan
    sensor = LaneGeometry(net)
    got = sensor.measure_value(actors, 1)
    roads, _, _, points, _, valid = _reference(sensor, actors)
    assert (got.roads, len(got.points), sensor.checked) == (roads, len(points), valid)
