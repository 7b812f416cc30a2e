"""The autopilot's junction right of way against a vehicle it does not drive (an agent's ego), on the
junction network: the ego holds the junction from 8 s before it reaches it, and an autopilot car that
was granted the junction but has not entered it gives the grant up while it can still stop."""

from __future__ import annotations

import pytest

from dil.carla_lite.junctions import JunctionReservations
from dil.road.network import RoadNetwork

from .conftest import ROADS

CAR, EGO = 1, 2
ARM_LENGTH = 150.0
"""The arms end at the crossing at s 150; their lanes -1 and -2 drive towards it (+s)."""


def _room(road: int, lane: int, direction: int) -> bool:
    return True


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return RoadNetwork.load(ROADS / "junction.xodr")


def _car_asks(res: JunctionReservations, net: RoadNetwork, s: float, speed: float) -> float | None:
    """The autopilot car on arm 3, lane -1, towards the crossing: its stop line [m ahead] or None."""
    return res.stop_distance(CAR, net.road_index("3"), -1, 1, s, speed, _room)


def _ego_at(net: RoadNetwork, s: float, speed: float) -> list[tuple[int, int, int, int, float, float]]:
    """The ego on arm 4, lane -1, towards the crossing (a path that crosses the car's)."""
    return [(EGO, net.road_index("4"), -1, 1, s, speed)]


def test_an_ego_8_s_out_holds_the_junction_against_a_car_that_asks(network):
    res = JunctionReservations(network)
    res.observe(_ego_at(network, ARM_LENGTH - 60.0, 8.0))  # 7.5 s out
    assert _car_asks(res, network, ARM_LENGTH - 20.0, 6.0) == pytest.approx(20.0)


def test_a_far_or_standing_ego_does_not_hold_it(network):
    for s, speed in ((ARM_LENGTH - 80.0, 8.0), (ARM_LENGTH - 60.0, 0.0)):  # 10 s out; standing
        res = JunctionReservations(network)
        res.observe(_ego_at(network, s, speed))
        assert _car_asks(res, network, ARM_LENGTH - 20.0, 6.0) is None


def test_a_granted_car_yields_to_an_ego_while_it_can_stop_and_goes_on_when_it_cannot(network):
    res = JunctionReservations(network)
    assert _car_asks(res, network, ARM_LENGTH - 20.0, 6.0) is None  # granted: no one else is near
    res.observe(_ego_at(network, ARM_LENGTH - 60.0, 8.0))
    assert _car_asks(res, network, ARM_LENGTH - 12.0, 6.0) == pytest.approx(12.0)  # 6 m to stop: yields
    assert CAR not in res.holders["100"]

    res = JunctionReservations(network)
    assert _car_asks(res, network, ARM_LENGTH - 20.0, 6.0) is None
    res.observe(_ego_at(network, ARM_LENGTH - 60.0, 8.0))
    assert _car_asks(res, network, ARM_LENGTH - 5.0, 6.0) is None  # too near to stop: it goes on


def test_an_ego_in_the_same_lane_behind_does_not_stop_the_car(network):
    res = JunctionReservations(network)
    res.observe([(EGO, network.road_index("3"), -1, 1, ARM_LENGTH - 50.0, 8.0)])
    assert _car_asks(res, network, ARM_LENGTH - 20.0, 6.0) is None  # the same path through
