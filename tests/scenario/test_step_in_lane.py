"""The lane-following step kernel gives, to the bit, the pose the network's Python calls give, on the
catalog's straight and curved roads; where it declines (past a road's end, a lane that is not there)
the Python path takes the step."""

import math

import numpy as np

from dil.paths import catalog_dir
from dil.road.network import RoadNetwork
from dil.scenario.kernels import LaneStepper
from dil.scenario.loader import load
from dil.scenario.motion import ds_for_distance


def _python_step(net, road, lane, s, offset, along, forward):
    t_lat = net.lane_to_road(road, lane, s, offset)
    ds = ds_for_distance(net, road, s, t_lat, along)
    s1 = s + (ds if forward else -ds)
    length = net.roads[net.road_index(road)].length
    if s1 > length or s1 < 0.0:
        return None
    t_lat = net.lane_to_road(road, lane, s1, offset)
    return (s1, *net.road_to_world(road, s1, t_lat))


def _catalog_roads():
    """Each road of three catalog networks (straight, clothoid bends, a highway with more lanes) with
    its network, a lane stepper for it and the road's lane ids (the centre lane left out)."""
    for name in ("ccrs", "lane_keeping_rural", "alks_cutin"):
        net = RoadNetwork.load(load(catalog_dir() / f"{name}.xosc").road_file)
        stepper = LaneStepper(net)
        for road in net.roads:
            yield (
                net,
                stepper,
                road,
                sorted({ln.id for sec in road.lane_sections for ln in sec.lanes if ln.id != 0}),
            )


def test_kernel_pose_equals_the_python_calls():
    rng = np.random.default_rng(11)
    taken = declined = 0
    for net, stepper, road, lanes in _catalog_roads():
        for _ in range(300):
            lane = int(rng.choice(lanes))
            s = float(rng.uniform(0.0, road.length))
            offset = float(rng.uniform(-1.0, 1.0))
            along = float(rng.uniform(0.0, 3.0)) * (100.0 if rng.random() < 0.05 else 1.0)
            forward = bool(rng.random() < 0.5)
            got = stepper.step(road.id, lane, s, offset, along, forward)
            if got is None:
                declined += 1
                continue
            taken += 1
            want = _python_step(net, road.id, lane, s, offset, along, forward)
            assert want is not None and got == want, (road.id, lane, s, offset, along, forward)
            assert all(type(v) is float for v in got)
    assert taken > 500 and declined > 0


def test_a_lane_that_is_not_there_is_left_to_the_python_path():
    net = RoadNetwork.load(load(catalog_dir() / "ccrs.xosc").road_file)
    road = net.roads[0]
    assert LaneStepper(net).step(road.id, 99, 1.0, 0.0, 1.0, True) is None
    assert LaneStepper(net).step(road.id, -1, road.length + 5.0, 0.0, 1.0, True) is None
    assert not math.isnan(net.lane_to_road(road.id, -1, 1.0))


def test_many_steps_in_one_call_equal_the_steps_one_by_one():
    rng = np.random.default_rng(5)
    net = RoadNetwork.load(load(catalog_dir() / "lane_keeping_rural.xosc").road_file)
    stepper = LaneStepper(net)
    requests, singles = [], []
    for _ in range(40):  # more than the stepper's first buffers hold: they grow
        road = net.roads[int(rng.integers(len(net.roads)))]
        lane = int(
            rng.choice(sorted({ln.id for sec in road.lane_sections for ln in sec.lanes if ln.id != 0}))
        )
        s, offset = float(rng.uniform(0.0, road.length)), float(rng.uniform(-1.0, 1.0))
        along, forward = (
            float(rng.uniform(0.0, 3.0)) * (100.0 if rng.random() < 0.1 else 1.0),
            rng.random() < 0.5,
        )
        requests.append((stepper.road_row(road.id), lane, s, offset, along, 1.0 if forward else 0.0))
        singles.append(stepper.step(road.id, lane, s, offset, along, bool(forward)))
    rows = stepper.step_many(requests)
    assert [tuple(r[1:]) if r[0] else None for r in rows] == singles
    assert any(s is None for s in singles) and sum(s is not None for s in singles) > 20


def test_steps_and_the_ego_lookup_in_one_call_equal_the_calls_apart():
    net = RoadNetwork.load(load(catalog_dir() / "lane_keeping_rural.xosc").road_file)
    stepper = LaneStepper(net)
    road = net.roads[0]
    lane = next(ln.id for ln in road.lane_sections[0].lanes if ln.id != 0)
    requests = [(stepper.road_row(road.id), lane, 1.0 + k, 0.1 * k, 0.3, 1.0) for k in range(3)]
    for x, y in [tuple(net.lane_to_world(road.id, lane, 5.0, 0.0)[:2]), (1e5, 1e5)]:
        for rows in (requests, []):  # with no storyboard entity to step too
            got, found = stepper.step_many_and_locate(rows, x, y)
            assert got == stepper.step_many(rows)
            assert found == net.locate_into(x, y)
            if found:
                assert stepper.found.tolist() == net.result.tolist()


def test_a_step_by_road_row_and_the_lookup_alone_equal_the_calls_of_many():
    """The one-step call by road row (the engine's call for one entity alone) gives the row of the
    many-step call, and the lookup alone gives the lookup of the combined call, to the bit."""
    rng = np.random.default_rng(8)
    for _net, stepper, road, lanes in _catalog_roads():
        for _ in range(100):
            lane = int(rng.choice(lanes))
            s, offset = float(rng.uniform(0.0, road.length)), float(rng.uniform(-1.0, 1.0))
            along, forward = float(rng.uniform(0.0, 3.0)), bool(rng.random() < 0.5)
            row = stepper.road_row(road.id)
            got = stepper.step_row(row, lane, s, offset, along, forward)
            (want,) = stepper.step_many([(row, lane, s, offset, along, 1.0 if forward else 0.0)])
            assert got == (want[1:] if want[0] else None)
            x, y = float(rng.uniform(-50.0, 300.0)), float(rng.uniform(-30.0, 30.0))
            _, found = stepper.step_many_and_locate([], x, y)
            combined = stepper.found.tolist()
            assert stepper.locate(x, y) == found
            if found:
                assert stepper.found.tolist() == combined
