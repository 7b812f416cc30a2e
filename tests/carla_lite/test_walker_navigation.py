"""CARLA's client-side AI walker controller on carla-lite's navigation mesh, with the real client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import ROADS, LiteServer, start_server, stop_server, synchronous

carla = pytest.importorskip("carla")

STRIP_WIDTH = 1.5
"""carla-lite's walkable strip beside each road [m] (``navmesh.STRIP_WIDTH``)."""


@pytest.fixture
def rural() -> Iterator[LiteServer]:
    s = start_server("--map", str(ROADS / "rural.xodr"))
    yield s
    stop_server(s)


def _beside_the_road(m: carla.Map, loc: carla.Location) -> None:
    """On the strip just outside the road's outer lane, at the road's height."""
    assert m.get_waypoint(loc, project_to_road=False) is None  # on no driving lane
    wp = m.get_waypoint(loc)  # the nearest driving lane
    gap = loc.distance(wp.transform.location) - 0.5 * wp.lane_width
    assert -0.05 < gap < STRIP_WIDTH + 0.3
    assert abs(loc.z - wp.transform.location.z) < 0.2


def test_random_navigation_locations_lie_beside_the_roads(rural: LiteServer) -> None:
    world = rural.client().get_world()
    world.set_pedestrians_seed(7)
    m = world.get_map()
    locations = [world.get_random_location_from_navigation() for _ in range(20)]
    assert all(loc is not None for loc in locations)
    for loc in locations:
        _beside_the_road(m, loc)
    assert len({(round(loc.x), round(loc.y)) for loc in locations}) > 10


def test_the_ai_walker_controller_walks_to_its_target_at_its_max_speed(rural: LiteServer) -> None:
    client = rural.client()
    world = client.get_world()
    world.set_pedestrians_seed(3)
    with synchronous(world):
        library = world.get_blueprint_library()
        m = world.get_map()
        start = world.get_random_location_from_navigation()
        walker = world.spawn_actor(library.find("walker.pedestrian.0003"), carla.Transform(start))
        controller = world.spawn_actor(library.find("controller.ai.walker"), carla.Transform(), walker)
        world.tick()
        controller.start()
        target = None
        while target is None or target.distance(start) < 30.0:
            target = world.get_random_location_from_navigation()
        controller.go_to_location(target)
        controller.set_max_speed(1.2)
        before = walker.get_location()
        for _ in range(100):  # 5 s
            world.tick()
        after = walker.get_location()
        assert after.distance(before) == pytest.approx(6.0, abs=1.0)
        assert walker.get_velocity().length() <= 1.25
        _beside_the_road(m, after)
        controller.stop()
        world.tick()
        stopped = walker.get_location()
        for _ in range(10):
            world.tick()
        assert walker.get_location().distance(stopped) < 1e-3
        controller.destroy()
        walker.destroy()
