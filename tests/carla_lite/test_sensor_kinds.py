"""Depth and semantic cameras, lidars, IMU, GNSS, obstacle and lane invasion sensors, decoded by the
real client and checked against geometry the test sets up: a car parked a known distance ahead."""

from __future__ import annotations

import math
import queue

import numpy as np

from .conftest import Collector, carla, synchronous

GAP = 10.0
"""Distance between the two cars' centres [m]."""
A2_LENGTH = 3.71


def _two_cars(world: carla.World) -> tuple[carla.Actor, carla.Actor]:
    """The ego on a spawn point and an Audi A2 ``GAP`` ahead of it, in line."""
    library = world.get_blueprint_library()
    spawn = world.get_map().get_spawn_points()[2]
    car = world.spawn_actor(library.find("vehicle.tesla.model3"), spawn)
    ahead = carla.Transform(spawn.transform(carla.Location(x=GAP)), spawn.rotation)
    ahead.location.z = spawn.location.z
    other = world.spawn_actor(library.find("vehicle.audi.a2"), ahead)
    world.tick()
    return car, other


def _listen(server, world: carla.World, sensor: carla.Actor, ticks: int) -> tuple[list, list[int]]:
    got = Collector()
    sensor.listen(got)
    frames = [world.tick() for _ in range(ticks)]
    items = got.wait_for(ticks, timeout=20.0)
    sensor.stop()
    assert len(items) >= ticks, (
        f"{sensor.type_id}: frames {[i.frame for i in items]} of {frames} within 20 s" + _stream_log(server)
    )
    return items, frames


def _stream_log(server) -> str:
    """What the server said about its streams (readers joining, going away, kept messages dropped)."""
    return "; the server's stream log:\n" + "".join(line for line in server.log if "stream" in line)


def _camera(world, car, kind: str) -> carla.Actor:
    bp = world.get_blueprint_library().find(kind)
    bp.set_attribute("image_size_x", "160")
    bp.set_attribute("image_size_y", "120")
    bp.set_attribute("fov", "90")
    return world.spawn_actor(bp, carla.Transform(carla.Location(x=2.5, z=1.0)), attach_to=car)


def test_depth_camera_sees_the_car_ahead_at_its_distance(server, client):
    world = client.get_world()
    with synchronous(world):
        car, other = _two_cars(world)
        camera = _camera(world, car, "sensor.camera.depth")
        images, frames = _listen(server, world, camera, 3)
        assert [i.frame for i in images] == frames  # the first frame too
        image = images[-1]
        assert isinstance(image, carla.Image)
        bgra = np.frombuffer(image.raw_data, np.uint8).reshape(120, 160, 4).astype(float)
        depth = (bgra[..., 2] + 256 * bgra[..., 1] + 65536 * bgra[..., 0]) / (2**24 - 1) * 1000.0
        expected = GAP - A2_LENGTH / 2 - 2.5
        assert abs(depth[60, 80] - expected) < 0.05
        assert depth[2, 80] > 999.0  # sky
        road = depth[119, 80]  # the ray 45 deg * (59.5 / 80) below the axis meets the road 1 m below
        assert abs(road - 1.0 / math.tan(math.atan(59.5 / 80))) < 0.05
        image.convert(carla.ColorConverter.LogarithmicDepth)
        for a in (camera, other, car):
            a.destroy()


def test_semantic_camera_tags_car_road_and_sky_in_cityscapes_colours(server, client):
    world = client.get_world()
    with synchronous(world):
        car, other = _two_cars(world)
        camera = _camera(world, car, "sensor.camera.semantic_segmentation")
        images, _ = _listen(server, world, camera, 2)
        image = images[-1]
        tags = np.frombuffer(image.raw_data, np.uint8).reshape(120, 160, 4)[..., 2].copy()
        assert tags[60, 80] == 14  # car
        assert tags[118, 80] == 1  # road
        assert tags[2, 80] == 11  # sky
        image.convert(carla.ColorConverter.CityScapesPalette)
        rgb = np.frombuffer(image.raw_data, np.uint8).reshape(120, 160, 4)
        instance = _camera(world, car, "sensor.camera.instance_segmentation")
        images, _ = _listen(server, world, instance, 1)
        bgra = np.frombuffer(images[0].raw_data, np.uint8).reshape(120, 160, 4).astype(int)
        assert bgra[60, 80, 2] == 14 and bgra[60, 80, 1] + 256 * bgra[60, 80, 0] == other.id
        assert bgra[118, 80, 2] == 1
        instance.destroy()
        assert tuple(rgb[60, 80, 2::-1]) == (0, 0, 142)
        assert tuple(rgb[118, 80, 2::-1]) == (128, 64, 128)
        for a in (camera, other, car):
            a.destroy()


def _lidar(world, car, kind: str, **extra: str) -> carla.Actor:
    bp = world.get_blueprint_library().find(kind)
    for k, v in {
        "channels": "1",
        "upper_fov": "0",
        "lower_fov": "0",
        "range": "50",
        "rotation_frequency": "20",
        "points_per_second": "7200",
        **extra,
    }.items():
        bp.set_attribute(k, v)
    return world.spawn_actor(bp, carla.Transform(carla.Location(z=1.0)), attach_to=car)


def test_lidar_ring_measures_the_car_ahead(server, client):
    world = client.get_world()
    with synchronous(world):
        car, other = _two_cars(world)
        lidar = _lidar(
            world, car, "sensor.lidar.ray_cast", dropoff_general_rate="0", dropoff_intensity_limit="0"
        )
        scans, frames = _listen(server, world, lidar, 2)
        scan = scans[-1]
        assert isinstance(scan, carla.LidarMeasurement)
        assert scan.channels == 1 and scan.frame == frames[-1]
        pts = np.frombuffer(scan.raw_data, np.float32).reshape(-1, 4)
        assert scan.get_point_count(0) == len(pts) > 0
        front = pts[(pts[:, 0] > 0) & (np.abs(pts[:, 1]) < 0.5)]
        assert len(front) > 5
        assert abs(front[:, 0].min() - (GAP - A2_LENGTH / 2)) < 0.05
        assert np.allclose(front[:, 3], np.exp(-0.004 * np.hypot(front[:, 0], front[:, 1])), atol=1e-4)
        assert np.abs(pts[:, 2]).max() < 1e-3  # a flat ring at the sensor's height
        for a in (lidar, other, car):
            a.destroy()


def test_semantic_lidar_names_the_actor_it_hits(server, client):
    world = client.get_world()
    with synchronous(world):
        car, other = _two_cars(world)
        lidar = _lidar(world, car, "sensor.lidar.ray_cast_semantic", upper_fov="-5", lower_fov="-5")
        scans, _ = _listen(server, world, lidar, 2)
        scan = scans[-1]
        assert isinstance(scan, carla.SemanticLidarMeasurement)
        # 7200 points/s over 0.05 s steps, one full turn per step, every ray meets car or ground
        assert [len(list(s)) for s in scans] == [360, 360]
        hits = list(scan)
        azimuths = np.degrees(np.arctan2([d.point.y for d in hits], [d.point.x for d in hits])) % 360
        per_10_degrees = np.histogram(azimuths, bins=36, range=(0, 360))[0]
        assert per_10_degrees.min() >= 9 and per_10_degrees.max() <= 11  # evenly round the whole turn
        on_car = [d for d in hits if d.object_idx == other.id]
        assert on_car and all(d.object_tag == carla.CityObjectLabel.Car for d in on_car)
        ground = [d for d in hits if d.object_idx == 0]
        assert ground and all(d.point.z < -0.9 for d in ground)
        for a in (lidar, other, car):
            a.destroy()


def test_obstacle_sensor_reports_the_car_ahead_and_its_distance(server, client):
    world = client.get_world()
    with synchronous(world):
        car, other = _two_cars(world)
        bp = world.get_blueprint_library().find("sensor.other.obstacle")
        bp.set_attribute("distance", "20")
        sensor = world.spawn_actor(bp, carla.Transform(carla.Location(x=2.5, z=1.0)), attach_to=car)
        events, frames = _listen(server, world, sensor, 2)
        event = events[0]
        assert isinstance(event, carla.ObstacleDetectionEvent)
        assert event.frame == frames[0]
        assert event.other_actor.id == other.id and event.actor.id == car.id
        gap = GAP - A2_LENGTH / 2 - 2.5
        assert gap - 0.6 < event.distance <= gap + 0.01
        for a in (sensor, other, car):
            a.destroy()


def test_gnss_matches_the_clients_geolocation_of_the_sensor(server, client):
    world = client.get_world()
    with synchronous(world):
        car, other = _two_cars(world)
        bp = world.get_blueprint_library().find("sensor.other.gnss")
        sensor = world.spawn_actor(bp, carla.Transform(carla.Location(x=1.0, z=2.0)), attach_to=car)
        fixes, _ = _listen(server, world, sensor, 2)
        fix = fixes[-1]
        assert isinstance(fix, carla.GnssMeasurement)
        geo = world.get_map().transform_to_geolocation(sensor.get_transform().location)
        assert abs(fix.latitude - geo.latitude) < 1e-7
        assert abs(fix.longitude - geo.longitude) < 1e-7
        assert abs(fix.altitude - geo.altitude) < 1e-3
        for a in (sensor, other, car):
            a.destroy()


def test_imu_feels_gravity_at_rest_and_the_yaw_rate_of_a_turn(server, client):
    world = client.get_world()
    with synchronous(world, delta=0.05):
        car, other = _two_cars(world)
        other.destroy()
        imu = world.spawn_actor(
            world.get_blueprint_library().find("sensor.other.imu"), carla.Transform(), attach_to=car
        )
        got = Collector()
        imu.listen(got)
        world.tick()
        rest = got.wait_for(1, timeout=20.0)[0]
        assert isinstance(rest, carla.IMUMeasurement)
        assert abs(rest.accelerometer.z - 9.81) < 0.05
        yaw = car.get_transform().rotation.yaw
        assert abs(rest.compass - (math.radians(yaw) + math.pi / 2) % (2 * math.pi)) < 1e-3
        car.apply_control(carla.VehicleControl(throttle=0.6, steer=-0.4))
        yaws = []
        for _ in range(30):
            world.tick()
            yaws.append(car.get_transform().rotation.yaw)
        data = got.wait_for(31, timeout=20.0)
        imu.stop()
        rate = math.radians((yaws[-1] - yaws[-2] + 180.0) % 360.0 - 180.0) / 0.05
        assert rate < -0.05  # steering left turns CARLA's yaw down
        assert abs(data[-1].gyroscope.z - rate) < 0.1 * abs(rate) + 0.02
        for a in (imu, car):
            a.destroy()


def test_lane_invasion_fires_when_the_car_crosses_a_lane_mark(server, client):
    world = client.get_world()
    with synchronous(world):
        library = world.get_blueprint_library()
        carla_map = world.get_map()
        spawn = next(
            p
            for p in carla_map.get_spawn_points()
            if (w := carla_map.get_waypoint(p.location)).get_right_lane() is not None
            and w.get_right_lane().lane_type == carla.LaneType.Driving
        )
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), spawn)
        sensor = world.spawn_actor(
            library.find("sensor.other.lane_invasion"), carla.Transform(), attach_to=car
        )
        events = Collector()
        sensor.listen(events)
        world.tick()
        world.tick()
        assert events.items == []
        right = carla_map.get_waypoint(spawn.location).get_right_lane().transform
        car.set_transform(carla.Transform(right.location + carla.Location(z=0.2), right.rotation))
        for _ in range(3):
            world.tick()
        got = events.wait_for(1, timeout=10.0)
        sensor.stop()
        assert got, "no lane invasion"
        assert isinstance(got[0], carla.LaneInvasionEvent)
        crossed = got[0].crossed_lane_markings
        assert crossed and all(m.type == carla.LaneMarkingType.Broken for m in crossed)
        for a in (sensor, car):
            a.destroy()


def test_radar_sees_the_car_ahead_closing_in(server, client):
    world = client.get_world()
    with synchronous(world):
        car, other = _two_cars(world)
        bp = world.get_blueprint_library().find("sensor.other.radar")
        bp.set_attribute("horizontal_fov", "10")
        bp.set_attribute("vertical_fov", "5")
        bp.set_attribute("points_per_second", "4000")
        radar = world.spawn_actor(bp, carla.Transform(carla.Location(x=2.5, z=0.8)), attach_to=car)
        car.set_target_velocity(car.get_transform().get_forward_vector() * 5.0)
        scans, frames = _listen(server, world, radar, 2)
        scan = scans[-1]
        assert isinstance(scan, carla.RadarMeasurement)
        assert scan.frame == frames[-1]
        hits = list(scan)
        assert len(hits) > 20
        gap = other.get_location().distance(car.get_location()) - A2_LENGTH / 2 - 2.5  # it has moved
        depths = np.array([d.depth for d in hits])
        assert gap - 0.3 < depths.min() and np.median(depths) < gap + 1.0
        assert all(abs(d.azimuth) <= math.radians(5.0) + 1e-6 for d in hits)
        assert abs(np.median([d.velocity for d in hits]) + 5.0) < 0.5  # closing at 5 m/s
        for a in (radar, other, car):
            a.destroy()


def test_every_sensor_delivers_each_frame_from_the_first_in_a_queue_per_sensor(server, client):
    """The synchronous-mode pattern of CARLA's examples: one queue per sensor and the world's on_tick,
    tick, then take from each queue the data of the frame ticked (it waits for ever if one is lost)."""

    world = client.get_world()
    with synchronous(world):
        car, other = _two_cars(world)
        library = world.get_blueprint_library()
        kinds = (
            "sensor.camera.rgb",
            "sensor.camera.depth",
            "sensor.camera.semantic_segmentation",
            "sensor.lidar.ray_cast",
            "sensor.lidar.ray_cast_semantic",
            "sensor.other.radar",
            "sensor.other.imu",
            "sensor.other.gnss",
        )
        sensors = []
        for kind in kinds:
            bp = library.find(kind)
            if bp.has_attribute("image_size_x"):
                bp.set_attribute("image_size_x", "64")
                bp.set_attribute("image_size_y", "48")
            mount = carla.Transform(carla.Location(x=-5.5, z=2.8), carla.Rotation(pitch=-15))
            sensors.append(world.spawn_actor(bp, mount, attach_to=car))
        queues = []
        for register in [world.on_tick] + [s.listen for s in sensors]:
            q: queue.Queue = queue.Queue()
            register(q.put)
            queues.append(q)
        names = ("world tick", *kinds)
        for _ in range(5):
            frame = world.tick()
            for name, q in zip(names, queues, strict=True):
                data = _next(q, name, frame, server)
                while data.frame < frame:
                    data = _next(q, name, frame, server)
                assert data.frame == frame, name
        for s in sensors:
            s.stop()
            s.destroy()
        other.destroy()
        car.destroy()


def test_gnss_follows_the_maps_geo_reference(tmp_path):
    from .conftest import ROADS, start_server, stop_server

    text = (ROADS / "highway.xodr").read_text()
    head_end = text.index("/>", text.index("<header"))
    geo = (
        "<geoReference><![CDATA[+proj=tmerc +lat_0=48.137 +lon_0=11.575 +k=1 +x_0=0 +y_0=0]]></geoReference>"
    )
    path = tmp_path / "munich.xodr"
    path.write_text(text[:head_end] + ">" + geo + "</header>" + text[head_end + 2 :])
    server = start_server("--map", str(path))
    try:
        world = server.client().get_world()
        with synchronous(world):
            bp = world.get_blueprint_library().find("sensor.other.gnss")
            bp.set_attribute("noise_alt_bias", "2.0")
            place = carla.Transform(carla.Location(x=1000.0, y=-500.0, z=3.0))
            sensor = world.spawn_actor(bp, place)
            fixes, _ = _listen(server, world, sensor, 1)
            fix = fixes[0]
            # 1 km east of the origin and, in the 0.9.16 client's projection, 500 m south (y -500)
            geo = world.get_map().transform_to_geolocation(place.location)
            assert abs(fix.latitude - geo.latitude) < 1e-7 and abs(fix.longitude - geo.longitude) < 1e-7
            assert 48.13 < fix.latitude < 48.14 and 11.58 < fix.longitude < 11.59
            assert abs(fix.altitude - 5.0) < 1e-6
            sensor.destroy()
    finally:
        stop_server(server)


def test_a_lidar_with_impossible_attributes_is_refused_naming_them(server, client):
    world = client.get_world()
    bp = world.get_blueprint_library().find("sensor.lidar.ray_cast")
    bp.set_attribute("channels", "0")
    try:
        world.spawn_actor(bp, carla.Transform())
    except RuntimeError as exc:
        assert "channels 0" in str(exc)
    else:
        raise AssertionError("a lidar without channels was spawned")
    assert not world.get_actors().filter("sensor.lidar.*")


def test_a_walker_ahead_is_a_pedestrian_to_the_semantic_camera_and_lidar(server, client):
    world = client.get_world()
    with synchronous(world):
        library = world.get_blueprint_library()
        spawn = world.get_map().get_spawn_points()[2]
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), spawn)
        ahead = carla.Transform(spawn.transform(carla.Location(x=GAP)), spawn.rotation)
        ahead.location.z = spawn.location.z
        walker = world.spawn_actor(library.find("walker.pedestrian.0001"), ahead)
        world.tick()
        camera = _camera(world, car, "sensor.camera.semantic_segmentation")
        images, _ = _listen(server, world, camera, 1)
        tags = np.frombuffer(images[0].raw_data, np.uint8).reshape(120, 160, 4)[..., 2]
        assert tags[60, 80] == 12
        lidar = _lidar(world, car, "sensor.lidar.ray_cast_semantic")
        scans, _ = _listen(server, world, lidar, 1)
        seen = {(d.object_idx, d.object_tag) for d in scans[0]}
        assert (walker.id, int(carla.CityObjectLabel.Pedestrians)) in seen
        for a in (lidar, camera, walker, car):
            a.destroy()


def _next(q: queue.Queue, name: str, frame: int, server) -> object:
    """The next item of a listener's queue; a frame that never comes fails naming the listener and
    telling what the server said about its streams."""
    try:
        return q.get(timeout=20.0)
    except queue.Empty:
        raise AssertionError(f"{name}: no data for frame {frame} within 20 s" + _stream_log(server)) from None
