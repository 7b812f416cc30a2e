"""What CARLA's own client code needs beyond the basics: every actor's bounding box (CARLA's agents
measure gaps with it), the first frame of a sensor, actors read right after their spawn in
asynchronous mode."""

from __future__ import annotations

import math

import pytest

from .conftest import Collector, carla, synchronous

TRIALS = 20
WAIT_S = 10.0


def _gap_ahead(ego: carla.Vehicle, others: list[carla.Actor], reach: float) -> float | None:
    """Agents-style obstacle check: the free distance to the nearest vehicle ahead within ``reach``
    [m], from the centres less both half lengths (as CARLA's agents measure it), None when clear."""
    t = ego.get_transform()
    fwd = t.get_forward_vector()
    best = None
    for other in others:
        if other.id == ego.id:  # the ego is in its own vehicle list
            continue
        d = other.get_location() - t.location
        along = d.x * fwd.x + d.y * fwd.y
        across = abs(-d.x * fwd.y + d.y * fwd.x)
        gap = along - ego.bounding_box.extent.x - other.bounding_box.extent.x
        if along > 0.0 and across < ego.bounding_box.extent.y + other.bounding_box.extent.y and gap < reach:
            best = gap if best is None else min(best, gap)
    return best


def test_every_actor_kind_has_its_bounding_box(client):
    world = client.get_world()
    library = world.get_blueprint_library()
    points = world.get_map().get_spawn_points()
    with synchronous(world):
        start = points[0]
        ego = world.spawn_actor(library.find("vehicle.tesla.model3"), start)
        ahead = carla.Transform(start.location + 20.0 * start.get_forward_vector(), start.rotation)
        lead = world.spawn_actor(library.find("vehicle.mercedes.sprinter"), ahead)
        cone = world.spawn_actor(library.find("static.prop.trafficcone01"), points[5])
        here = carla.Transform()
        camera = world.spawn_actor(library.find("sensor.camera.rgb"), here, attach_to=ego)
        collision = world.spawn_actor(library.find("sensor.other.collision"), here, attach_to=ego)
        world.tick()
        boxes = {a.type_id: a.bounding_box for a in (ego, lead, cone, camera, collision)}
        boxes["spectator"] = world.get_spectator().bounding_box
        for kind, box in boxes.items():
            assert isinstance(box, carla.BoundingBox), kind
            assert all(math.isfinite(v) and v >= 0.0 for v in (box.extent.x, box.extent.y, box.extent.z))
        car = boxes["vehicle.tesla.model3"]
        assert car.extent.x == pytest.approx(2.395, abs=1e-3)
        assert car.location.z == pytest.approx(car.extent.z)  # the origin is on the ground
        assert boxes["vehicle.mercedes.sprinter"].extent.x > car.extent.x
        assert boxes["static.prop.trafficcone01"].extent.z > 0.0
        gap = _gap_ahead(ego, list(world.get_actors().filter("vehicle.*")), 45.0)
        expected = 20.0 - ego.bounding_box.extent.x - lead.bounding_box.extent.x
        assert gap == pytest.approx(expected, abs=1e-3)
        for a in (collision, camera, cone, lead, ego):
            a.destroy()


def test_the_first_frame_of_every_sensor_is_delivered(client):
    """listen() then tick() at once, no waiting for the stream to join: the first frame arrives."""
    world = client.get_world()
    library = world.get_blueprint_library()
    bp = library.find("sensor.camera.rgb")
    bp.set_attribute("image_size_x", "64")
    bp.set_attribute("image_size_y", "48")
    with synchronous(world):
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), world.get_map().get_spawn_points()[1])
        for trial in range(TRIALS):
            camera = world.spawn_actor(bp, carla.Transform(carla.Location(z=2.0)), attach_to=car)
            images = Collector()
            camera.listen(images)
            frame = world.tick()
            got = images.wait_for(1, WAIT_S)
            assert got, f"trial {trial}: the first frame never came"
            assert got[0].frame == frame
            camera.stop()
            camera.destroy()
        car.destroy()


def test_asynchronous_mode_an_actor_is_readable_and_destroyable_right_after_its_spawn(client):
    world = client.get_world()
    assert not world.get_settings().synchronous_mode
    library = world.get_blueprint_library()
    points = world.get_map().get_spawn_points()
    for trial in range(TRIALS):
        spawn = points[trial % len(points)]
        car = world.spawn_actor(library.find("vehicle.lincoln.mkz_2020"), spawn)
        assert car.get_transform().location.distance(spawn.location) < 0.5, f"trial {trial}"
        control = car.get_control()
        assert (control.throttle, control.steer, control.brake, control.gear) == (0.0, 0.0, 0.0, 0)
        assert car.get_speed_limit() == pytest.approx(30.0)
        assert car.is_alive
        assert car.destroy(), f"trial {trial}: destroy refused"
    batch = [carla.command.SpawnActor(library.find("vehicle.audi.a2"), points[k]) for k in (3, 7)]
    ids = [r.actor_id for r in client.apply_batch_sync(batch)]
    assert all(ids)
    for actor_id, k in zip(ids, (3, 7), strict=True):
        car = world.get_actor(actor_id)
        assert car.get_transform().location.distance(points[k].location) < 0.5
        assert car.destroy()
    world.wait_for_tick(WAIT_S)  # the list of actors is the last world state's
    assert not world.get_actors().filter("vehicle.*")
