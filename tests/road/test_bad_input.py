"""Hostile OpenDRIVE input and hostile query points: refused with errors naming file, line, element
and attribute, never an out-of-bounds index in a kernel."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from dil.road.network import RoadNetwork, RoadNetworkError
from dil.road.parse import parse
from dil.road.render import MAX_SIDE, render_png

from .helpers import ROADS

HIGHWAY = (ROADS / "highway.xodr").read_text()


@pytest.fixture(scope="module")
def highway() -> RoadNetwork:
    return RoadNetwork(parse(HIGHWAY, "highway.xodr"))


@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan, 1e300, -1e300, 1e19, -1e19])
def test_a_point_that_is_not_finite_or_far_away_has_no_road(highway, x):
    assert highway.locate_into(x, 0.0) is False
    assert highway.locate_into(0.0, x) is False
    assert highway.locate(x, x) is None
    xy = np.array([[x, 0.0], [10.0, x], [100.0, -3.5]])
    out, found = np.zeros((3, 9)), np.zeros(3, dtype=np.int64)
    highway.locate_many_into(xy, out, found)
    assert list(found) == [0, 0, 1]  # the good point in the same batch is still found


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('x="0" y="0" hdg="0"', 'x="2e9" y="0" hdg="0"', "attribute x='2e9' is outside"),
        ('x="0" y="0" hdg="0"', 'x="0" y="inf" hdg="0"', "attribute y='inf' is not finite"),
        ('x="0" y="0" hdg="0"', 'x="0" y="nan" hdg="0"', "attribute y='nan' is not finite"),
        ('length="1200.000031">', 'length="1e300">', "attribute length='1e300' is outside"),
        ('revMajor="1"', 'revMajor="1' + "0" * 5000 + '"', "attribute revMajor='1000"),
    ],
)
def test_huge_or_non_finite_values_are_named(old, new, named):
    assert old in HIGHWAY
    with pytest.raises(RoadNetworkError) as e:
        RoadNetwork(parse(HIGHWAY.replace(old, new, 1), "bad.xodr"))
    assert str(e.value).startswith("bad.xodr:") and named in str(e.value)
    assert len(str(e.value)) < 400  # a 5000-digit value is not copied into the message


def test_lanes_wider_than_any_road_are_refused():
    text = HIGHWAY.replace(
        '<width a="3.5" b="0.0" c="-0.0" d="0.0"', '<width a="3.5" b="0.0" c="-0.0" d="1e6"', 1
    )
    assert text != HIGHWAY
    with pytest.raises(RoadNetworkError, match=r"lanes reach .* from a reference line"):
        RoadNetwork(parse(text, "wide.xodr"))


def test_a_long_thin_network_is_drawn_within_the_image_bound(tmp_path):
    text = HIGHWAY.replace('hdg="0" length="1200.000031"', 'hdg="1.5707963" length="90000"', 1)
    text = text.replace('length="1200.000031">', 'length="90000">', 1)
    net = RoadNetwork(parse(text, "long.xodr"))
    w, h = render_png(net, str(tmp_path / "long.png"), 1600)
    assert h == MAX_SIDE and 16 <= w < 1600
    assert cv2.imread(str(tmp_path / "long.png")).shape[:2] == (h, w)
    with pytest.raises(ValueError, match="image width"):
        render_png(net, str(tmp_path / "x.png"), 10**7)
