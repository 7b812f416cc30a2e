"""The blueprint library and the served OpenDRIVE map, read by the real client."""

from __future__ import annotations

import pytest

from .conftest import ROADS, carla, start_server, stop_server


def test_blueprint_library(client):
    library = client.get_world().get_blueprint_library()
    vehicles = library.filter("vehicle.*")
    assert len(vehicles) >= 3
    car = library.find("vehicle.tesla.model3")
    assert car.has_tag("vehicle")
    assert car.get_attribute("number_of_wheels").as_int() == 4
    assert car.get_attribute("generation").as_int() == 2
    assert car.get_attribute("base_type").as_str() == "car"
    role = car.get_attribute("role_name")
    assert role.is_modifiable and role.type == carla.ActorAttributeType.String
    colour = car.get_attribute("color")
    assert colour.type == carla.ActorAttributeType.RGBColor
    assert len(colour.recommended_values) > 1
    car.set_attribute("color", colour.recommended_values[2])
    camera = library.find("sensor.camera.rgb")
    assert camera.get_attribute("image_size_x").as_int() == 800
    assert camera.get_attribute("fov").as_float() == pytest.approx(90.0)
    assert camera.get_attribute("sensor_tick").type == carla.ActorAttributeType.Float
    assert library.find("sensor.other.collision").id == "sensor.other.collision"


def test_map_is_the_served_opendrive_and_spawn_points_lie_on_driving_lanes(client):
    world_map = client.get_world().get_map()
    assert world_map.name == "highway"
    points = world_map.get_spawn_points()
    assert len(points) > 10
    for sp in points[:: max(1, len(points) // 20)]:
        wp = world_map.get_waypoint(sp.location, project_to_road=False, lane_type=carla.LaneType.Driving)
        assert wp is not None, f"spawn point {sp} is off the road"
        assert wp.lane_type == carla.LaneType.Driving
        assert wp.transform.location.distance(sp.location) < 0.1
        # spawn points face the lane's direction of travel (CARLA's y and yaw are mirrored)
        assert (wp.transform.rotation.yaw - sp.rotation.yaw + 180.0) % 360.0 - 180.0 == pytest.approx(
            0, abs=0.5
        )


def test_another_network_and_its_topology():
    server = start_server("--map", str(ROADS / "junction.xodr"))
    try:
        world_map = server.client().get_world().get_map()
        assert world_map.name == "junction"
        assert len(world_map.get_topology()) > 4
        assert len(world_map.get_spawn_points()) > 0
    finally:
        stop_server(server)
