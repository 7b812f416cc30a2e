"""DVS, optical flow, normals and Cosmos visualization cameras, decoded by the real client: CARLA's
classes and byte layouts, events and flow only where something moves."""

from __future__ import annotations

import math

import numpy as np

from .conftest import Collector, carla, synchronous

W, H = 160, 120
FOCAL = 0.5 * W / math.tan(math.radians(45.0))
"""Focal length of the 90 degree cameras [px]."""
CAM_X, CAM_Z = 2.5, 1.0
"""The camera's mount on the ego [m]: at the front bumper, 1 m up."""
GAP = 10.0
"""Distance between the two cars' centres [m]."""
A2_LENGTH = 3.71
DVS_EVENT = np.dtype([("x", "<u2"), ("y", "<u2"), ("t", "<i8"), ("pol", "?")])


def _scene(world: carla.World, kind: str) -> tuple[carla.Actor, carla.Actor, carla.Actor]:
    """The ego on a straight lane, an Audi A2 ``GAP`` ahead in line and a camera on the ego."""
    library = world.get_blueprint_library()
    spawn = world.get_map().get_spawn_points()[2]
    ego = world.spawn_actor(library.find("vehicle.tesla.model3"), spawn)
    ahead = carla.Transform(spawn.transform(carla.Location(x=GAP)), spawn.rotation)
    ahead.location.z = spawn.location.z
    other = world.spawn_actor(library.find("vehicle.audi.a2"), ahead)
    bp = library.find(kind)
    bp.set_attribute("image_size_x", str(W))
    bp.set_attribute("image_size_y", str(H))
    bp.set_attribute("fov", "90")
    camera = world.spawn_actor(bp, carla.Transform(carla.Location(x=CAM_X, z=CAM_Z)), attach_to=ego)
    world.tick()
    return ego, other, camera


def _frames(world: carla.World, camera: carla.Actor, ticks: int) -> list:
    got = Collector()
    camera.listen(got)
    frames = [world.tick() for _ in range(ticks)]
    items = got.wait_for(ticks, timeout=30.0)
    camera.stop()
    assert [i.frame for i in items] == frames
    return items


def test_dvs_gives_events_only_while_the_scene_moves(client):
    world = client.get_world()
    with synchronous(world):
        ego, _other, camera = _scene(world, "sensor.camera.dvs")
        still = _frames(world, camera, 4)
        for arr in still:
            assert isinstance(arr, carla.DVSEventArray)
            assert (arr.width, arr.height, round(arr.fov)) == (W, H, 90)
            assert len(arr) == 0 and len(arr.raw_data) == 0  # nothing moves: no event
        yaw = math.radians(ego.get_transform().rotation.yaw)
        ego.set_target_velocity(carla.Vector3D(10.0 * math.cos(yaw), 10.0 * math.sin(yaw), 0.0))
        moving = _frames(world, camera, 6)
        counts = [len(a) for a in moving]
        assert sum(counts[1:]) > 100, counts
        arr = moving[-1]
        events = np.frombuffer(arr.raw_data, DVS_EVENT)  # manual_control.py's decoding: packed 13 bytes
        assert len(arr.raw_data) == 13 * len(arr) and len(events) == len(arr)
        assert events["x"].max() < W and events["y"].max() < H
        start_ns, end_ns = round(moving[-2].timestamp * 1e9), round(arr.timestamp * 1e9)
        assert start_ns <= events["t"].min() and events["t"].max() <= end_ns  # since the previous capture
        assert np.all(np.diff(events["t"]) >= 0)  # in time order
        assert events["pol"].any() and not events["pol"].all()  # edges brighten and darken
        first = arr[0]
        assert (first.x, first.y, first.t, bool(first.pol)) == tuple(events[0].tolist())
        assert [e.x for e in arr] == events["x"].tolist()  # the client's own event objects


def test_optical_flow_is_zero_for_a_still_scene_and_follows_a_car_driving_away(client):
    world = client.get_world()
    with synchronous(world):
        ego, other, camera = _scene(world, "sensor.camera.optical_flow")
        got = Collector()
        camera.listen(got)
        frames = [world.tick() for _ in range(3)]
        yaw = math.radians(other.get_transform().rotation.yaw)
        other.set_target_velocity(carla.Vector3D(10.0 * math.cos(yaw), 10.0 * math.sin(yaw), 0.0))
        frames.append(world.tick())
        before = other.get_location()
        frames.append(world.tick())
        after = other.get_location()
        images = got.wait_for(len(frames), timeout=30.0)
        camera.stop()
        assert [i.frame for i in images] == frames
        for image in images[:3]:
            assert isinstance(image, carla.OpticalFlowImage)
            assert (image.width, image.height) == (W, H)
            flow = np.frombuffer(image.raw_data, np.float32)
            assert flow.shape == (W * H * 2,) and not flow.any()  # nothing moves
        flow = np.frombuffer(images[-1].raw_data, np.float32).reshape(H, W, 2)
        d_prev = ego.get_location().distance(before) - A2_LENGTH / 2 - CAM_X
        d_now = ego.get_location().distance(after) - A2_LENGTH / 2 - CAM_X
        assert d_now - d_prev > 0.2
        # a point of the A2's rear face below the axis: its image row moves up (towards the horizon)
        # as the car recedes, by focal * slope * (1 - d_now / d_prev) pixels
        row = 70
        slope = (row + 0.5 - H / 2) / FOCAL
        expected_px = FOCAL * slope * (1.0 - d_now / d_prev)
        assert expected_px < 0.0
        assert math.isclose(flow[row, W // 2, 1] * H, expected_px, rel_tol=0.1), (
            flow[row, W // 2],
            expected_px,
        )
        assert abs(flow[row, W // 2, 0]) < 1e-3  # straight ahead: no sideways motion
        assert not flow[2].any() and not flow[H - 1, :10].any()  # sky and road stand still
        coded = images[-1].get_color_coded_flow()
        assert (coded.width, coded.height) == (W, H)


def test_optical_flow_of_the_ground_while_the_camera_drives(client):
    world = client.get_world()
    with synchronous(world):
        ego, _other, camera = _scene(world, "sensor.camera.optical_flow")
        yaw = math.radians(ego.get_transform().rotation.yaw)
        ego.set_target_velocity(carla.Vector3D(10.0 * math.cos(yaw), 10.0 * math.sin(yaw), 0.0))
        images = _frames(world, camera, 3)
        flow = np.frombuffer(images[-1].raw_data, np.float32).reshape(H, W, 2)
        # the road below the horizon streams down and outwards; the sky (at 1000 m) nearly stands
        assert flow[H - 5, W // 2, 1] > 0.0 and flow[H - 5, 5, 0] < 0.0 < flow[H - 5, W - 5, 0]
        assert np.abs(flow[H - 5]).max() > 10 * np.abs(flow[2]).max()


def test_normals_and_cosmos_visualization_cameras(client):
    world = client.get_world()
    with synchronous(world):
        _ego, other, camera = _scene(world, "sensor.camera.normals")
        image = _frames(world, camera, 2)[-1]
        assert isinstance(image, carla.Image)
        bgra = np.frombuffer(image.raw_data, np.uint8).reshape(H, W, 4).astype(int)
        rgb = bgra[..., 2::-1]
        assert np.abs(rgb[H - 1, 5] - [128, 128, 255]).max() <= 1  # the road faces up
        ahead = other.get_transform().get_forward_vector()  # the A2's rear face points back at the camera
        expected = [round((1.0 - v) * 127.5) for v in (ahead.x, ahead.y, ahead.z)]
        assert np.abs(rgb[H // 2 + 5, W // 2] - expected).max() <= 1
        assert not rgb[2, W // 2].any()  # the sky has no surface
        camera.destroy()
        bp = world.get_blueprint_library().find("sensor.camera.cosmos_visualization")
        bp.set_attribute("image_size_x", str(W))
        bp.set_attribute("image_size_y", str(H))
        cosmos = world.spawn_actor(bp, carla.Transform(carla.Location(x=CAM_X, z=CAM_Z)), attach_to=_ego)
        world.tick()
        image = _frames(world, cosmos, 2)[-1]
        rgb = np.frombuffer(image.raw_data, np.uint8).reshape(H, W, 4)[..., 2::-1]
        assert tuple(rgb[2, W // 2]) == (70, 130, 180)  # CityScapes sky
        assert tuple(rgb[H // 2 + 5, W // 2]) == (0, 0, 142)  # CityScapes car
