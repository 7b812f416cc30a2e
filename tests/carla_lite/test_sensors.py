"""The RGB camera and the collision sensor streams, read by the real client."""

from __future__ import annotations

import numpy as np

from .conftest import Collector, carla, synchronous


def test_attached_rgb_camera_delivers_images_of_the_requested_size(server, client):
    world = client.get_world()
    library = world.get_blueprint_library()
    spawn = world.get_map().get_spawn_points()[2]
    with synchronous(world):
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), spawn)
        bp = library.find("sensor.camera.rgb")
        bp.set_attribute("image_size_x", "320")
        bp.set_attribute("image_size_y", "180")
        bp.set_attribute("fov", "100")
        mount = carla.Transform(carla.Location(x=-6.0, z=2.5), carla.Rotation(pitch=-10.0))
        camera = world.spawn_actor(bp, mount, attach_to=car)
        assert camera.parent.id == car.id
        images = Collector()
        joined = server.readers()
        camera.listen(images)
        server.wait_for_readers(joined + 1)
        frames = [world.tick() for _ in range(4)]
        got = images.wait_for(4)
        camera.stop()
        assert len(got) == 4
        image = got[-1]
        assert isinstance(image, carla.Image)
        assert (image.width, image.height) == (320, 180)
        assert image.fov == 100.0
        assert image.frame in frames
        pixels = np.frombuffer(image.raw_data, np.uint8).reshape(180, 320, 4)
        assert (pixels[..., 3] == 255).all()
        assert len(np.unique(pixels.reshape(-1, 4), axis=0)) > 3  # sky, ground, road, the car
        world.tick()
        expected = car.get_transform().transform(carla.Location(x=-6.0, z=2.5))
        assert camera.get_transform().location.distance(expected) < 1e-3
        camera.destroy()
        car.destroy()


def test_collision_sensor_reports_two_cars_teleported_onto_each_other(server, client):
    world = client.get_world()
    library = world.get_blueprint_library()
    points = world.get_map().get_spawn_points()
    with synchronous(world):
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), points[4])
        other = world.spawn_actor(library.find("vehicle.audi.a2"), points[9])
        sensor = world.spawn_actor(library.find("sensor.other.collision"), carla.Transform(), attach_to=car)
        events = Collector()
        joined = server.readers()
        sensor.listen(events)
        server.wait_for_readers(joined + 1)
        world.tick()
        assert events.items == []
        place = car.get_transform()
        place.location.x += 1.0
        other.set_transform(place)
        hit_frame = world.tick()
        got = events.wait_for(1)
        sensor.stop()
        assert len(got) == 1
        event = got[0]
        assert isinstance(event, carla.CollisionEvent)
        assert event.frame == hit_frame
        assert event.actor.id == car.id
        assert event.other_actor.id == other.id
        assert event.other_actor.type_id == "vehicle.audi.a2"
        assert event.normal_impulse.length() > 0.0
        for a in (sensor, other, car):
            a.destroy()
