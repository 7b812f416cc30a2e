"""``client.apply_batch`` / ``apply_batch_sync`` with carla.command through the real client."""

from __future__ import annotations

import pytest

from .conftest import carla, synchronous

command = carla.command


def test_batch_spawn_then_set_move_and_destroy(client):
    world = client.get_world()
    library = world.get_blueprint_library()
    points = world.get_map().get_spawn_points()
    car_bp = library.find("vehicle.audi.a2")
    with synchronous(world):
        responses = client.apply_batch_sync(
            [
                command.SpawnActor(car_bp, points[0]).then(
                    command.SetSimulatePhysics(command.FutureActor, False)
                ),
                command.SpawnActor(car_bp, points[10]),
                command.SpawnActor(car_bp, points[0]),  # onto the first: refused
                command.SetAutopilot(1, True, 8000),  # the spectator: not a vehicle
            ],
            True,
        )
        assert [r.has_error() for r in responses] == [False, False, True, True]
        assert "collision" in responses[2].error
        assert "SetAutopilot" in responses[3].error and "not a vehicle" in responses[3].error
        held, moving = responses[0].actor_id, responses[1].actor_id
        assert {held, moving} <= {a.id for a in world.get_actors().filter("vehicle.*")}

        target = carla.Transform(points[0].location + carla.Location(x=3.0), points[0].rotation)
        responses = client.apply_batch_sync(
            [
                command.ApplyTransform(held, target),
                command.ApplyVehicleControl(held, carla.VehicleControl(throttle=1.0)),
                command.ApplyTargetVelocity(moving, carla.Vector3D(0.0, 0.0, 0.0)),
                command.ApplyVehicleControl(moving, carla.VehicleControl(throttle=1.0)),
            ],
            False,
        )
        assert not any(r.has_error() for r in responses)
        for _ in range(10):
            world.tick()
        assert world.get_actor(held).get_location().distance(target.location) < 1e-3  # physics off
        assert world.get_actor(moving).get_location().distance(points[10].location) > 0.2
        assert world.get_actor(held).get_control().throttle == pytest.approx(1.0)

        client.apply_batch([command.DestroyActor(held), command.DestroyActor(moving)])
        world.tick()
        assert not world.get_actors().filter("vehicle.*")
