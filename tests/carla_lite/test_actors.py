"""Spawning, moving, driving and destroying actors through the real client."""

from __future__ import annotations

import math

import pytest

from .conftest import carla, synchronous


def _forward(t: carla.Transform) -> tuple[float, float]:
    yaw = math.radians(t.rotation.yaw)
    return math.cos(yaw), math.sin(yaw)


def _angle(deg: float) -> float:
    """Wrapped to [-180, 180) degrees."""
    return (deg + 180.0) % 360.0 - 180.0


def test_spawn_teleport_drive_destroy(client):
    world = client.get_world()
    library = world.get_blueprint_library()
    spawn = world.get_map().get_spawn_points()[3]
    with synchronous(world):
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), spawn)
        world.tick()
        assert car.id in [a.id for a in world.get_actors().filter("vehicle.*")]
        assert car.get_transform().location.distance(spawn.location) < 1e-3

        target = carla.Transform(spawn.location + carla.Location(x=-12.0), spawn.rotation)
        car.set_transform(target)
        world.tick()
        assert car.get_transform().location.distance(target.location) < 1e-3
        assert _angle(car.get_transform().rotation.yaw - target.rotation.yaw) == pytest.approx(0.0, abs=1e-3)

        car.apply_control(carla.VehicleControl(throttle=0.8))
        for _ in range(20):
            world.tick()
        now = car.get_transform().location
        fx, fy = _forward(target)
        along = (now.x - target.location.x) * fx + (now.y - target.location.y) * fy
        across = -(now.x - target.location.x) * fy + (now.y - target.location.y) * fx
        assert along > 1.0, "full throttle for 1 s did not move the car forward"
        assert abs(across) < 0.05
        velocity = car.get_velocity()
        assert velocity.x * fx + velocity.y * fy > 1.0
        assert car.get_control().throttle == pytest.approx(0.8)

        assert car.destroy()
        world.tick()
        assert car.id not in [a.id for a in world.get_actors()]


def test_steering_right_turns_right_and_physics_off_holds(client):
    world = client.get_world()
    library = world.get_blueprint_library()
    spawn = world.get_map().get_spawn_points()[0]
    with synchronous(world):
        car = world.spawn_actor(library.find("vehicle.audi.a2"), spawn)
        car.apply_control(carla.VehicleControl(throttle=0.6, steer=0.3))
        for _ in range(20):
            world.tick()
        # CARLA's yaw grows clockwise seen from above: a right turn increases it
        turned = _angle(car.get_transform().rotation.yaw - spawn.rotation.yaw)
        assert turned > 5.0
        car.set_simulate_physics(False)
        world.tick()
        held = car.get_transform().location
        for _ in range(10):
            world.tick()
        assert car.get_transform().location.distance(held) < 1e-6
        car.destroy()


def test_spawning_onto_a_car_fails_and_spectator_moves(client):
    world = client.get_world()
    library = world.get_blueprint_library()
    spawn = world.get_map().get_spawn_points()[1]
    with synchronous(world):
        car = world.spawn_actor(library.find("vehicle.lincoln.mkz_2020"), spawn)
        assert world.try_spawn_actor(library.find("vehicle.audi.a2"), spawn) is None
        with pytest.raises(RuntimeError, match="collision at spawn position"):
            world.spawn_actor(library.find("vehicle.audi.a2"), spawn)
        spectator = world.get_spectator()
        assert spectator.type_id == "spectator"
        view = carla.Transform(spawn.location + carla.Location(z=30.0), carla.Rotation(pitch=-60.0))
        spectator.set_transform(view)
        world.tick()
        assert spectator.get_transform().location.distance(view.location) < 1e-3
        assert spectator.get_transform().rotation.pitch == pytest.approx(-60.0)
        spectator.set_location(view.location + carla.Location(x=5.0))
        world.tick()
        assert spectator.get_transform().location.distance(view.location) == pytest.approx(5.0)
        assert spectator.get_transform().rotation.pitch == pytest.approx(-60.0)
        assert client.get_available_maps() == ["highway"]
        assert {a.type_id for a in world.get_actors()} == {"spectator", "vehicle.lincoln.mkz_2020"}
        car.destroy()
