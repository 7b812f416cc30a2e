"""A road network packs its arrays once (``RoadNetwork.packed``) and every kernel that takes the packed
form sees the network's own tables and grid, value for value and shape for shape, on each shipped
network and on an empty one; what it keeps (``RoadNetwork.kept``) is made once per key."""

import numpy as np
import pytest

from dil.road.network import RoadNetwork
from dil.road.packed import unpack

from .helpers import ROADS


@pytest.mark.parametrize("name", ["highway", "rural", "junction", None])
def test_the_packed_arrays_are_made_once_and_give_back_the_network(name):
    net = RoadNetwork.load(ROADS / f"{name}.xodr") if name else RoadNetwork.empty()
    packed = net.packed
    assert net.packed is packed
    back = unpack(*packed)
    assert len(back) == len(net.flat)
    for k, (got, want) in enumerate(zip(back, net.flat, strict=True)):
        assert got.dtype == want.dtype and got.shape == want.shape, k
        np.testing.assert_array_equal(got, want, err_msg=f"array {k}")


def test_kept_values_are_made_once_per_key():
    net = RoadNetwork.load(ROADS / "rural.xodr")
    made: list[str] = []

    def make(what: str) -> list[str]:
        made.append(what)
        return [what]

    first = net.kept(("a", 1), lambda: make("a"))
    assert net.kept(("a", 1), lambda: make("again")) is first
    assert net.kept(("a", 2), lambda: make("b")) == ["b"]
    assert made == ["a", "b"]
    assert RoadNetwork.load(ROADS / "rural.xodr").kept(("a", 1), lambda: make("c")) == ["c"]
