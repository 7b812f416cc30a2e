"""Common client calls beyond CARLA's examples: reloading the world, ray casts and point projection
against the scene, constant velocity, the level's (absent) static objects."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import carla, synchronous

# The reload/load sequence runs in a client process of its own: CARLA's client library has crashed
# (SIGSEGV) in load_world inside a test process that had already held many clients of servers since
# gone; in a fresh process, as a user's script runs, it does not.
RELOAD_SCRIPT = """
import sys, carla
client = carla.Client(sys.argv[1], int(sys.argv[2]))
client.set_timeout(20.0)
world = client.get_world()
library = world.get_blueprint_library()
settings = world.get_settings()
settings.synchronous_mode, settings.fixed_delta_seconds = True, 0.05
world.apply_settings(settings)
world.spawn_actor(library.find("vehicle.audi.tt"), world.get_map().get_spawn_points()[0])
world.tick()
settings.synchronous_mode, settings.fixed_delta_seconds = False, None
world.apply_settings(settings)
name = world.get_map().name
assert client.get_available_maps() == [name], client.get_available_maps()
fresh = client.reload_world()
assert fresh.id != world.id
assert [a.type_id for a in fresh.get_actors()] == ["spectator"], list(fresh.get_actors())
assert not fresh.get_settings().synchronous_mode  # reset_settings defaults to True
again = client.load_world(name)
assert again.id != fresh.id and again.get_map().name == name
try:
    client.load_world("Town03")
    raise SystemExit("load_world('Town03') was not refused")
except RuntimeError as e:
    assert "load_new_episode: map 'Town03' is not served" in str(e), str(e)
car = again.spawn_actor(library.find("vehicle.audi.tt"), again.get_map().get_spawn_points()[1])
assert car.is_alive
print("reload ok")
"""


def test_reload_and_load_of_the_served_map_start_a_new_episode_another_map_is_refused(server):
    done = subprocess.run(
        [sys.executable, "-c", RELOAD_SCRIPT, server.host, str(server.port)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "reload ok" in done.stdout, done.stdout + done.stderr


def test_cast_ray_and_project_point_meet_bodies_and_the_road(client):
    world = client.get_world()
    with synchronous(world):
        spawn = world.get_map().get_spawn_points()[2]
        car = world.spawn_actor(world.get_blueprint_library().find("vehicle.tesla.model3"), spawn)
        world.tick()
        top = car.bounding_box.extent.z * 2.0
        at = car.get_location()
        hits = world.cast_ray(at + carla.Location(z=20.0), at + carla.Location(z=-20.0))
        assert [h.label for h in hits] == [carla.CityObjectLabel.Car, carla.CityObjectLabel.Roads]
        assert hits[0].location.z == pytest.approx(at.z + top, abs=0.05)
        road_z = world.get_map().get_waypoint(at).transform.location.z
        assert hits[1].location.z == pytest.approx(road_z, abs=0.05)
        beside = at + carla.Location(x=30.0, z=5.0)
        point = world.ground_projection(beside, 20.0)
        assert point is not None and point.label == carla.CityObjectLabel.Roads
        road_z = world.get_map().get_waypoint(beside).transform.location.z
        assert point.location.z == pytest.approx(road_z, abs=0.05)
        assert world.project_point(beside, carla.Vector3D(0.0, 0.0, 1.0), 20.0) is None  # nothing above
        assert world.get_environment_objects() == [] and world.get_level_bbs() == []


def test_constant_velocity_holds_the_speed_whatever_the_control(client):
    world = client.get_world()
    with synchronous(world, 0.05):
        spawn = world.get_map().get_spawn_points()[4]
        car = world.spawn_actor(world.get_blueprint_library().find("vehicle.tesla.model3"), spawn)
        world.tick()
        car.enable_constant_velocity(carla.Vector3D(8.0, 0.0, 0.0))
        car.apply_control(carla.VehicleControl(brake=1.0))
        start = car.get_location()
        for _ in range(20):
            world.tick()
        assert car.get_velocity().length() == pytest.approx(8.0, abs=0.05)
        assert car.get_location().distance(start) == pytest.approx(8.0, abs=0.5)  # 1 s at 8 m/s
        car.disable_constant_velocity()
        for _ in range(20):
            world.tick()
        assert car.get_velocity().length() < 1.0  # the brake acts again


def test_unsupported_calls_answered_as_void_raise_at_once_and_lidar_dropoffs_are_recommended(client):
    world = client.get_world()
    library = world.get_blueprint_library()
    lidar = library.find("sensor.lidar.ray_cast")
    assert lidar.get_attribute("dropoff_general_rate").recommended_values[0] == "0.45"
    camera = world.spawn_actor(library.find("sensor.camera.rgb"), world.get_map().get_spawn_points()[0])
    with pytest.raises(RuntimeError, match="does not support 'enable_gbuffers'"):
        camera.enable_gbuffers(True)  # CARLA-only: a clear error, not a decoding time-out
    camera.destroy()
