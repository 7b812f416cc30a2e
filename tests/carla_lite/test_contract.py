"""The client's layout assumptions carla-lite depends on. The client does not validate packed layouts
(a mismatch decodes as garbage), so these tests say what changed when one fails."""

from __future__ import annotations

import math
import time

import pytest

from dil.carla_lite import layouts
from dil.road.network import RoadNetwork

from .conftest import ROADS, Collector, carla, synchronous

PINNED = "0.9.16"


def test_the_installed_client_is_the_pinned_version():
    version = carla.Client("127.0.0.1", 1).get_client_version()
    assert version == PINNED, (
        f"carla client {version} installed; carla-lite's layouts are those of {PINNED}: re-check "
        "dil/carla_lite/layouts.py (record sizes, sensor registry indices, attribute types) before "
        "changing the pin"
    )


def test_attribute_type_enum_matches_the_client():
    client_enum = {name: int(value) for name, value in carla.ActorAttributeType.names.items()}
    ours = {
        "Bool": layouts.AttributeType.BOOL,
        "Int": layouts.AttributeType.INT,
        "Float": layouts.AttributeType.FLOAT,
    }
    ours |= {"String": layouts.AttributeType.STRING, "RGBColor": layouts.AttributeType.RGB_COLOR}
    assert client_enum == {k: int(v) for k, v in ours.items()}, (
        f"the client's ActorAttributeType is {client_enum}; layouts.AttributeType packs {ours}"
    )


def test_packed_sizes_are_the_documented_ones():
    sizes = {
        "token": (layouts.TOKEN.size, layouts.TOKEN_SIZE, 24),
        "sensor header": (layouts.SENSOR_HEADER.size, layouts.SENSOR_HEADER_SIZE, 48),
        "episode header": (layouts.EPISODE_HEADER.size, layouts.EPISODE_HEADER_SIZE, 36),
        "actor record": (layouts.ACTOR_RECORD.itemsize, layouts.ACTOR_RECORD_SIZE, 119),
        "actor union": (layouts.VEHICLE_UNION.itemsize, layouts.ACTOR_UNION_SIZE, 54),
        "image header": (layouts.IMAGE_HEADER.size, layouts.IMAGE_HEADER_SIZE, 12),
    }
    for name, (packed, constant, wire) in sizes.items():
        assert packed == constant == wire, (
            f"{name}: packs {packed} bytes, constant {constant}, 0.9.16 wire {wire}"
        )
    stream_id, port, address = layouts.unpack_token(layouts.pack_token(7, 2001, "127.0.0.1"))
    assert (stream_id, port, address) == (7, 2001, "127.0.0.1")


def test_every_field_of_a_vehicle_record_decodes_in_the_client(client):
    world = client.get_world()
    library = world.get_blueprint_library()
    spawn = world.get_map().get_spawn_points()[7]
    with synchronous(world, 0.05):
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), spawn)
        car.set_simulate_physics(False)  # the values set below stay as set
        pose = carla.Transform(
            spawn.location + carla.Location(x=1.5, y=0.25, z=0.75),
            carla.Rotation(pitch=3.0, yaw=-40.0, roll=2.0),
        )
        car.set_transform(pose)
        car.set_target_velocity(carla.Vector3D(1.0, -2.0, 0.5))
        car.set_target_angular_velocity(carla.Vector3D(0.0, 0.0, 30.0))
        control = carla.VehicleControl(
            throttle=0.25,
            steer=-0.5,
            brake=0.125,
            hand_brake=True,
            reverse=True,
            manual_gear_shift=True,
            gear=3,
        )
        car.apply_control(control)
        world.tick()
        snapshot = world.get_snapshot()
        got = car.get_transform()
        where = "actor record (layouts.ACTOR_RECORD)"
        assert got.location.distance(pose.location) < 1e-4, f"{where}: location {got.location}"
        rotation = (got.rotation.pitch, got.rotation.yaw, got.rotation.roll)
        assert rotation == pytest.approx((3.0, -40.0, 2.0), abs=1e-4), f"{where}: rotation {rotation}"
        v = car.get_velocity()
        assert (v.x, v.y, v.z) == pytest.approx((1.0, -2.0, 0.5)), f"{where}: velocity {v}"
        w = car.get_angular_velocity()
        assert (w.x, w.y, w.z) == pytest.approx((0.0, 0.0, 30.0), abs=1e-4), f"{where}: angular velocity {w}"
        a = car.get_acceleration()
        assert (a.x, a.y, a.z) == (0.0, 0.0, 0.0), f"{where}: acceleration {a}"
        c = car.get_control()
        decoded = (c.throttle, c.steer, c.brake, c.hand_brake, c.reverse, c.manual_gear_shift, c.gear)
        assert decoded == (0.25, -0.5, 0.125, True, True, True, 3), (
            f"vehicle union (layouts.VEHICLE_UNION): {c}"
        )
        net = RoadNetwork.load(ROADS / "highway.xodr")
        pos = net.locate(pose.location.x, -pose.location.y)
        limit = net.speed_limit(pos.road, pos.lane, pos.s)
        expected = 3.6 * limit if limit is not None and math.isfinite(limit) else 30.0
        assert car.get_speed_limit() == pytest.approx(expected), "vehicle union: speed limit [km/h]"
        assert car.get_traffic_light_state() == carla.TrafficLightState.Unknown, "vehicle union: light state"
        assert not car.is_at_traffic_light()
        stamp = snapshot.timestamp
        assert stamp.delta_seconds == pytest.approx(0.05), "episode header (layouts.EPISODE_HEADER): delta"
        assert abs(stamp.platform_timestamp - time.time()) < 5.0, "episode header: platform timestamp"
        assert snapshot.find(car.id) is not None
        car.destroy()


def test_sensor_registry_indices_decode_as_the_right_data(server, client):
    world = client.get_world()
    library = world.get_blueprint_library()
    points = world.get_map().get_spawn_points()
    with synchronous(world):
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), points[0])
        bp = library.find("sensor.camera.rgb")
        bp.set_attribute("image_size_x", "64")
        bp.set_attribute("image_size_y", "48")
        camera = world.spawn_actor(bp, carla.Transform(carla.Location(z=2.0)), attach_to=car)
        images = Collector()
        joined = server.readers()
        camera.listen(images)
        server.wait_for_readers(joined + 1)
        world.tick()
        got = images.wait_for(1)
        camera.stop()
        assert got, "no camera data"
        index = int(layouts.SensorType.CAMERA_RGB)
        assert type(got[0]) is carla.Image, (
            f"sensor type {index} decodes as {type(got[0]).__name__}: the client's sensor registry order "
            "changed (layouts.SensorType)"
        )
        camera.destroy()
        car.destroy()
