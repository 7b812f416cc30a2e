import math

import numpy as np
import pytest
from scipy.special import fresnel

from dil.road.network import RoadNetwork
from dil.road.parse import parse

from .helpers import ROADS, document, geometry
from .helpers import road as road_xml


def _net(geom_xml: str, length: float, **kw) -> RoadNetwork:
    return RoadNetwork(parse(document(road_xml(geom_xml, length, **kw))))


def test_line_end_point_and_heading():
    net = _net(geometry("<line/>", 80.0, x=10.0, y=-5.0, hdg=0.7), 80.0)
    x, y, _, h = net.road_to_world("1", 80.0)
    assert (x, y, h) == pytest.approx((10.0 + 80 * math.cos(0.7), -5.0 + 80 * math.sin(0.7), 0.7), abs=1e-12)


@pytest.mark.parametrize("curvature", [0.01, -0.04, 1e-14])
def test_arc_points_lie_on_their_circle(curvature):
    length = 60.0
    net = _net(geometry(f'<arc curvature="{curvature!r}"/>', length, hdg=0.3), length)
    for s in np.linspace(0, length, 13):
        x, y, _, h = net.road_to_world("1", s)
        assert h == pytest.approx(0.3 + curvature * s, abs=1e-12)
        if abs(curvature) > 1e-9:
            r = 1 / curvature
            cx, cy = -r * math.sin(0.3), r * math.cos(0.3)
            assert math.hypot(x - cx, y - cy) == pytest.approx(abs(r), abs=1e-9)


@pytest.mark.parametrize("k_end,length", [(0.02, 40.0), (-0.05, 75.0), (0.2, 13.7)])
def test_clothoid_from_zero_curvature_matches_fresnel_integrals(k_end, length):
    net = _net(geometry(f'<spiral curvStart="0" curvEnd="{k_end!r}"/>', length), length)
    c = k_end / length  # curvature rate
    a = math.sqrt(math.pi / abs(c))
    for s in np.linspace(0, length, 9):
        fs, fc = fresnel(s / a)
        x, y, _, h = net.road_to_world("1", s)
        assert x == pytest.approx(a * fc, abs=1e-9)
        assert y == pytest.approx(math.copysign(a * fs, c), abs=1e-9)
        assert h == pytest.approx(0.5 * c * s * s, abs=1e-12)


def test_spiral_between_two_curvatures_agrees_with_dense_integration():
    k0, k1, length = 0.03, -0.01, 90.0
    net = _net(geometry(f'<spiral curvStart="{k0}" curvEnd="{k1}"/>', length, hdg=1.0, x=3.0), length)
    u = np.linspace(0, length, 2_000_001)
    th = 1.0 + k0 * u + 0.5 * (k1 - k0) / length * u * u
    x = 3.0 + np.trapezoid(np.cos(th), u)
    y = np.trapezoid(np.sin(th), u)
    assert net.road_to_world("1", length)[:2] == pytest.approx((x, y), abs=1e-7)


def test_param_poly3_normalised_and_arc_length_ranges_agree():
    length = 50.0
    # the same curve: u = p, v = 0.002 p^2 with p in metres, or p' = p / length normalised
    arc = geometry(
        '<paramPoly3 aU="0" bU="1" cU="0" dU="0" aV="0" bV="0" cV="0.002" dV="0" pRange="arcLength"/>', length
    )
    norm = geometry(
        f'<paramPoly3 aU="0" bU="{length}" cU="0" dU="0" aV="0" bV="0" cV="{0.002 * length**2}" '
        'dV="0" pRange="normalized"/>',
        length,
    )
    a, b = _net(arc, length), _net(norm, length)
    for s in (0.0, 12.5, 50.0):
        assert a.road_to_world("1", s) == pytest.approx(b.road_to_world("1", s), abs=1e-12)
    x, y, _, h = a.road_to_world("1", 20.0)
    assert (x, y, h) == pytest.approx((20.0, 0.8, math.atan(0.08)), abs=1e-12)


@pytest.mark.parametrize("name", ["highway.xodr", "rural.xodr", "junction.xodr"])
def test_shipped_networks_are_continuous_across_geometries(name):
    net = RoadNetwork.load(ROADS / name)
    for road in net.roads:
        for g in road.geometries[1:]:
            before = net.road_to_world(road.id, g.s - 1e-9)
            after = net.road_to_world(road.id, g.s)
            assert before[:2] == pytest.approx(after[:2], abs=1e-6), (road.id, g.s)
            assert math.remainder(before[3] - after[3], 2 * math.pi) == pytest.approx(0.0, abs=1e-6)
            assert (after[0], after[1], after[3]) == pytest.approx((g.x, g.y, g.hdg), abs=1e-6)


def test_elevation_and_superelevation_place_points_in_3d():
    extra = (
        '<elevationProfile><elevation s="0" a="2" b="0.05" c="0" d="0"/></elevationProfile>'
        '<lateralProfile><superelevation s="0" a="0.1" b="0" c="0" d="0"/></lateralProfile>'
    )
    net = _net(geometry("<line/>", 100.0), 100.0, extra=extra)
    x, y, z, _ = net.road_to_world("1", 40.0, 3.0)
    assert (x, y, z) == pytest.approx((40.0, 3.0 * math.cos(0.1), 2 + 0.05 * 40 + 3.0 * math.sin(0.1)))
    pos = net.locate(x, y)
    assert pos.s == pytest.approx(40.0) and pos.t == pytest.approx(3.0)


@pytest.mark.parametrize("name", ["highway.xodr", "rural.xodr", "junction.xodr"])
def test_road_and_world_coordinates_round_trip(name):
    net = RoadNetwork.load(ROADS / name)
    rng = np.random.default_rng(3)
    for road in net.roads:
        for _ in range(10):
            s = rng.uniform(0.0, road.length)
            lane = int(rng.choice([ln.id for ln in road.lane_sections[0].lanes if ln.id != 0]))
            offset = rng.uniform(-0.5, 0.5)
            x, y, _, _ = net.lane_to_world(road.id, lane, s, offset)
            pos = net.locate(x, y)
            other = net.roads[net.road_index(pos.road)]
            if (
                pos.road != road.id
                and "-1" in (road.junction, other.junction)
                and road.junction != other.junction
            ):
                continue  # where an arm meets the junction's connecting roads, both answers are right
            if pos.road != road.id and road.junction != "-1" and other.junction == road.junction:
                continue  # overlapping connecting roads inside a junction
            if (
                pos.road != road.id
                and road.junction == other.junction == "-1"
                and pos.s in (0.0, other.length)
            ):
                continue  # where two roads meet end to end, the neighbour's end is as near
            assert (pos.road, pos.lane) == (road.id, lane)
            assert pos.s == pytest.approx(s, abs=1e-6) and pos.offset == pytest.approx(offset, abs=1e-6)
            assert pos.inside


@pytest.mark.parametrize("name", ["rural.xodr", "junction.xodr"])
def test_lane_centres_agree_with_the_carla_client(name):
    """The official carla client parses OpenDRIVE itself (no server needed): an independent
    implementation of the same geometry. CARLA's y axis points the other way."""
    import carla

    net = RoadNetwork.load(ROADS / name)
    cmap = carla.Map(name, (ROADS / name).read_text())
    checked = 0
    for road in net.roads:
        for lane in (ln.id for ln in road.lane_sections[0].lanes if ln.id != 0):
            for s in np.linspace(0.0, road.length, 5)[1:-1]:
                wp = cmap.get_waypoint_xodr(int(road.id), lane, float(s))
                x, y, z, _ = net.lane_to_world(road.id, lane, float(s))
                loc = wp.transform.location
                if not math.isfinite(loc.x):
                    continue  # CARLA returns NaN on spirals of constant curvature (its known bug)
                assert (loc.x, -loc.y, loc.z) == pytest.approx((x, y, z), abs=2e-3)  # CARLA stores float32
                checked += 1
    assert checked >= 6
