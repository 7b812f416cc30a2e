"""Ground following, walkers and the contact response, with the real client against a real server."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from ..ports import free_port
from .conftest import ROADS, Collector, LiteServer, start_server, stop_server, synchronous

carla = pytest.importorskip("carla")

RURAL_GRADE = 0.015
"""rural.xodr's elevation: 1.5 % rising along its first road's s."""


@pytest.fixture
def rural() -> Iterator[LiteServer]:
    s = start_server("--map", str(ROADS / "rural.xodr"))
    yield s
    stop_server(s)


def _on_rural_slope(world: carla.World) -> tuple[carla.Transform, carla.Waypoint]:
    """A spawn point on the sloping road, with room ahead along its lane."""
    m = world.get_map()
    for t in m.get_spawn_points():
        wp = m.get_waypoint(t.location)
        ahead = wp.next(40.0)
        if ahead and abs(ahead[0].transform.location.z - wp.transform.location.z) > 0.3:
            return t, wp
    raise AssertionError("no spawn point on a slope in rural.xodr")


def test_a_car_follows_the_road_up_or_down_the_slope(rural: LiteServer) -> None:
    world = rural.client().get_world()
    with synchronous(world):
        start, wp = _on_rural_slope(world)
        start.location.z += 2.0  # dropped from above, as CARLA's spawn points are
        car = world.spawn_actor(world.get_blueprint_library().find("vehicle.audi.a2"), start)
        car.apply_control(carla.VehicleControl(throttle=0.6))
        for _ in range(100):
            world.tick()
        t = car.get_transform()
        road = world.get_map().get_waypoint(t.location)
        assert t.location.distance(start.location) > 20.0
        assert t.location.z == pytest.approx(road.transform.location.z, abs=0.05)
        rise = road.transform.location.z - wp.transform.location.z
        assert abs(rise) > 0.3
        # nose up when driving uphill, down when downhill: the grade along the heading
        expected = math.degrees(math.atan(RURAL_GRADE)) * (1.0 if rise > 0 else -1.0)
        assert t.rotation.pitch == pytest.approx(expected, abs=0.1)
        assert abs(t.rotation.roll) < 0.1
        car.destroy()


def test_physics_off_keeps_the_pose_it_is_given(rural: LiteServer) -> None:
    world = rural.client().get_world()
    with synchronous(world):
        start, _ = _on_rural_slope(world)
        start.location.z += 3.0
        car = world.spawn_actor(world.get_blueprint_library().find("vehicle.audi.a2"), start)
        car.set_simulate_physics(False)
        world.tick()
        world.tick()
        assert car.get_transform().location.z == pytest.approx(start.location.z, abs=1e-3)
        car.destroy()


def test_walker_blueprints_have_carlas_attributes(server: LiteServer) -> None:
    world = server.client().get_world()
    walkers = world.get_blueprint_library().filter("walker.pedestrian.*")
    assert len(walkers) >= 10
    bp = walkers[0]
    assert bp.has_attribute("is_invincible") and bp.has_attribute("speed")
    speeds = [float(v) for v in bp.get_attribute("speed").recommended_values]
    assert speeds[1] > 0.5 and speeds[2] > speeds[1]  # walk, run
    assert any(int(w.get_attribute("generation")) == 2 for w in walkers)
    assert world.get_blueprint_library().find("controller.ai.walker") is not None


def test_a_walker_walks_by_its_control_and_is_a_body(server: LiteServer) -> None:
    world = server.client().get_world()
    with synchronous(world):
        library = world.get_blueprint_library()
        start = world.get_map().get_spawn_points()[0]
        bp = library.find("walker.pedestrian.0001")
        bp.set_attribute("is_invincible", "false")
        walker = world.spawn_actor(bp, start)
        controller = world.spawn_actor(library.find("controller.ai.walker"), carla.Transform(), walker)
        assert controller.parent.id == walker.id
        forward = start.get_forward_vector()
        walker.apply_control(carla.WalkerControl(direction=forward, speed=1.5))
        for _ in range(40):  # 2 s
            world.tick()
        moved = walker.get_location().distance(start.location)
        assert moved == pytest.approx(3.0, abs=0.2)
        assert walker.get_velocity().length() == pytest.approx(1.5, abs=0.05)
        control = walker.get_control()
        assert control.speed == pytest.approx(1.5)
        assert control.direction.x == pytest.approx(forward.x, abs=1e-4)
        assert control.direction.y == pytest.approx(forward.y, abs=1e-4)
        # a car spawned onto the walker is refused: the walker is a body
        with pytest.raises(RuntimeError, match="collision"):
            world.spawn_actor(library.find("vehicle.audi.a2"), walker.get_transform())
        # batch control stops it
        server.client().apply_batch_sync([carla.command.ApplyWalkerControl(walker, carla.WalkerControl())])
        world.tick()
        here = walker.get_location()
        world.tick()
        assert walker.get_location().distance(here) < 1e-3
        for a in (controller, walker):
            a.destroy()


def test_cars_stop_on_contact_and_the_collision_is_reported(server: LiteServer) -> None:
    world = server.client().get_world()
    with synchronous(world):
        library = world.get_blueprint_library()
        start = world.get_map().get_spawn_points()[0]
        ahead = carla.Transform(start.location + 15.0 * start.get_forward_vector(), start.rotation)
        parked = world.spawn_actor(library.find("vehicle.tesla.model3"), ahead)
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), start)
        sensor = world.spawn_actor(library.find("sensor.other.collision"), carla.Transform(), car)
        events = Collector()
        sensor.listen(events)
        world.tick()
        car.apply_control(carla.VehicleControl(throttle=1.0))
        for _ in range(100):  # 5 s at full throttle: far past the parked car without a response
            world.tick()
        hits = events.wait_for(1, timeout=10.0)
        assert hits[0].other_actor.id == parked.id
        gap = car.get_location().distance(parked.get_location())
        assert gap > 4.0  # the centres stay about a car length apart: nobody passed through
        assert car.get_velocity().length() < 0.5
        assert parked.get_location().distance(ahead.location) < 0.05
        sensor.stop()
        for a in (sensor, car, parked):
            a.destroy()


def test_an_autopilot_car_stops_for_a_walker_on_its_lane(server: LiteServer) -> None:
    client = server.client()
    world = client.get_world()
    with synchronous(world):
        library = world.get_blueprint_library()
        points = world.get_map().get_spawn_points()
        start = min((p for p in points if abs(p.rotation.yaw) < 1.0), key=lambda p: p.location.x)
        ahead = carla.Transform(start.location + 40.0 * start.get_forward_vector(), start.rotation)
        walker = world.spawn_actor(library.find("walker.pedestrian.0001"), ahead)
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), start)
        tm_port = free_port()
        tm = client.get_trafficmanager(tm_port)
        car.set_autopilot(True, tm_port)
        tm.auto_lane_change(car, False)  # else it overtakes the walker in the next lane
        for _ in range(300):  # 15 s: long enough to reach the walker at any speed
            world.tick()
        gap = car.get_location().distance(walker.get_location())
        assert 2.4 < gap < 12.0  # stopped behind it, not through it
        assert car.get_velocity().length() < 0.3
        car.set_autopilot(False)
        for a in (car, walker):
            a.destroy()


def test_both_cars_of_a_head_on_crash_stop(server: LiteServer) -> None:
    world = server.client().get_world()
    with synchronous(world):
        library = world.get_blueprint_library()
        start = world.get_map().get_spawn_points()[0]
        facing = carla.Rotation(yaw=start.rotation.yaw + 180.0)
        a = world.spawn_actor(library.find("vehicle.audi.a2"), start)
        b_at = carla.Transform(start.location + 20.0 * start.get_forward_vector(), facing)
        b = world.spawn_actor(library.find("vehicle.audi.a2"), b_at)
        for car in (a, b):
            car.apply_control(carla.VehicleControl(throttle=0.7))
        for _ in range(120):  # 6 s: each would have driven far past the other's start
            world.tick()
        assert a.get_velocity().length() < 0.5 and b.get_velocity().length() < 0.5
        assert a.get_location().distance(b.get_location()) > 3.0  # about a car length: nose to nose
        assert a.get_location().distance(start.location) < 10.0
        for car in (a, b):
            car.destroy()
