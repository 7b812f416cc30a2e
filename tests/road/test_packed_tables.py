"""The road network's arrays packed into three for the engine's kernels come back unchanged: every
table and the lookup grid, value for value and shape for shape, on the catalog's roads (an empty
table included); arrays of another kind are refused, naming which."""

import numpy as np
import pytest

from dil.paths import catalog_dir
from dil.road.network import RoadNetwork
from dil.road.packed import pack, unpack
from dil.scenario.loader import load


@pytest.mark.parametrize("name", ["ccrs", "lane_keeping_rural", "alks_cutin"])
def test_packed_arrays_give_back_the_network_s_tables_and_grid(name):
    net = RoadNetwork.load(load(catalog_dir() / f"{name}.xosc", {}).road_file)
    packed = pack(net.flat)
    back = unpack(*packed)
    assert len(back) == len(net.flat)
    for k, (got, want) in enumerate(zip(back, net.flat, strict=True)):
        assert got.dtype == want.dtype and got.shape == want.shape, k
        np.testing.assert_array_equal(got, want, err_msg=f"array {k}")
    assert any(a.size == 0 for a in net.flat[:15]) or name != "ccrs"  # an empty table comes back too


def test_arrays_of_another_kind_are_refused():
    net = RoadNetwork.load(load(catalog_dir() / "ccrs.xosc", {}).road_file)
    arrays = list(net.flat)
    arrays[3] = arrays[3].astype(np.float32)
    with pytest.raises(ValueError, match="road array 3: float32 with 1 dimensions, expected f8 1-D"):
        pack(tuple(arrays))
    with pytest.raises(ValueError, match="19 flat arrays, not 18"):
        pack(tuple(arrays[:18]))
