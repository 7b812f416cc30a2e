"""The lane sensor's sampled lanes are made once per road network and step and kept on the network:
a second sensor (a later run of a campaign worker on its kept network) takes them as they are and
measures what a sensor on a freshly read network measures."""

import numpy as np
import pytest

from dil.road.network import RoadNetwork
from dil.world.actors import A_SIZE, A_X, A_Y, A_YAW
from dil.world.sensors import LaneGeometry

from ..road.helpers import ROADS


def _ego_at(x: float, y: float, yaw: float) -> np.ndarray:
    state = np.zeros((1, A_SIZE))
    state[0, A_X], state[0, A_Y], state[0, A_YAW] = x, y, yaw
    return state


def test_a_second_sensor_on_the_network_takes_its_lanes_and_measures_the_same():
    net = RoadNetwork.load(ROADS / "highway.xodr")
    first, second = LaneGeometry(net), LaneGeometry(net, rate_hz=50.0)
    assert second.strips is first.strips and second._xy is first._xy  # made once
    other_step = LaneGeometry(net, step=1.0)
    assert other_step.strips is not first.strips and len(other_step._xy) > len(first._xy)
    fresh = LaneGeometry(RoadNetwork.load(ROADS / "highway.xodr"))
    for x, y, yaw in ((10.0, -3.0, 0.0), (120.0, 2.0, 3.1), (400.0, -5.0, 0.3)):
        a = second.measure_value(_ego_at(x, y, yaw), 1).fields()
        b = fresh.measure_value(_ego_at(x, y, yaw), 1).fields()
        assert a == b and a["lanes"]


def test_the_kept_tables_cannot_be_written():
    sensor = LaneGeometry(RoadNetwork.load(ROADS / "highway.xodr"))
    with pytest.raises(ValueError, match="read-only"):
        sensor._xy[0, 0] = 1.0
