"""The DVS camera's noise attributes: thresholds drawn about their means (``sigma_*_threshold``) and
the refractory period (``refractory_period_ns``), decoded by the real client."""

from __future__ import annotations

import math

import numpy as np

from .conftest import Collector, carla, synchronous

DVS_EVENT = np.dtype([("x", "<u2"), ("y", "<u2"), ("t", "<i8"), ("pol", "?")])
REFRACTORY_NS = 120_000_000


def _camera(world: carla.World, ego: carla.Actor, **attributes: str) -> carla.Actor:
    bp = world.get_blueprint_library().find("sensor.camera.dvs")
    for key, value in {"image_size_x": "160", "image_size_y": "120", **attributes}.items():
        bp.set_attribute(key, value)
    return world.spawn_actor(bp, carla.Transform(carla.Location(x=2.5, z=1.0)), attach_to=ego)


def test_threshold_noise_and_refractory_period(client):
    world = client.get_world()
    library = world.get_blueprint_library()
    with synchronous(world):
        spawn = world.get_map().get_spawn_points()[2]
        ego = world.spawn_actor(library.find("vehicle.tesla.model3"), spawn)
        ahead = carla.Transform(spawn.transform(carla.Location(x=10.0)), spawn.rotation)
        world.spawn_actor(library.find("vehicle.audi.a2"), ahead)
        plain = _camera(world, ego)
        noisy = _camera(
            world,
            ego,
            sigma_positive_threshold="0.15",
            sigma_negative_threshold="0.15",
            refractory_period_ns=str(REFRACTORY_NS),
        )
        world.tick()
        got_plain, got_noisy = Collector(), Collector()
        plain.listen(got_plain)
        noisy.listen(got_noisy)
        yaw = math.radians(spawn.rotation.yaw)
        ego.set_target_velocity(carla.Vector3D(10.0 * math.cos(yaw), 10.0 * math.sin(yaw), 0.0))
        ticks = 8
        for _ in range(ticks):
            world.tick()
        plain_events = [np.frombuffer(a.raw_data, DVS_EVENT) for a in got_plain.wait_for(ticks, 30.0)]
        noisy_events = [np.frombuffer(a.raw_data, DVS_EVENT) for a in got_noisy.wait_for(ticks, 30.0)]
        plain.stop()
        noisy.stop()
    plain_all = np.concatenate(plain_events)
    noisy_all = np.concatenate(noisy_events)
    assert len(plain_all) > 100 and len(noisy_all) > 0
    assert len(noisy_all) < len(plain_all)  # the refractory period drops events
    pixel = noisy_all["y"].astype(np.int64) * 160 + noisy_all["x"]
    order = np.lexsort((noisy_all["t"], pixel))
    same = np.diff(pixel[order]) == 0
    gaps = np.diff(noisy_all["t"][order])[same]
    assert gaps.size == 0 or gaps.min() >= REFRACTORY_NS
    plain_pixel = plain_all["y"].astype(np.int64) * 160 + plain_all["x"]
    assert set(pixel.tolist()) != set(plain_pixel.tolist())  # drawn thresholds fire elsewhere too
