"""Vehicle calls the client sends without waiting for an answer, so they are served rather than
refused: Ackermann control, light states, impulses, forces, debug drawing."""

from __future__ import annotations

import pytest

from .conftest import carla, synchronous

STEP_S = 0.05


def _speed(v: carla.Vehicle) -> float:
    return v.get_velocity().length()


def test_ackermann_control_reaches_its_speed_and_turns_right(server, client):
    world = client.get_world()
    library = world.get_blueprint_library()
    with synchronous(world, STEP_S):
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), world.get_map().get_spawn_points()[0])
        world.tick()
        yaw0 = car.get_transform().rotation.yaw
        car.apply_ackermann_control(carla.VehicleAckermannControl(steer=0.05, speed=8.0, acceleration=3.0))
        for _ in range(100):
            world.tick()
        assert _speed(car) == pytest.approx(8.0, abs=0.5)
        turned = (car.get_transform().rotation.yaw - yaw0 + 180.0) % 360.0 - 180.0
        assert turned > 5.0  # positive steer turns right: yaw grows in CARLA's frame
        settings = car.get_ackermann_controller_settings()
        assert settings.speed_kp == pytest.approx(0.15)
        car.apply_control(carla.VehicleControl(brake=1.0))  # a VehicleControl takes over
        for _ in range(40):
            world.tick()
        assert _speed(car) < 0.1
        car.destroy()


def test_light_state_is_stored_and_read_back(server, client):
    world = client.get_world()
    library = world.get_blueprint_library()
    with synchronous(world):
        car = world.spawn_actor(library.find("vehicle.audi.a2"), world.get_map().get_spawn_points()[1])
        assert car.get_light_state() == carla.VehicleLightState.NONE
        lights = carla.VehicleLightState(carla.VehicleLightState.LowBeam | carla.VehicleLightState.Brake)
        car.set_light_state(lights)
        world.tick()
        assert car.get_light_state() == lights
        fog = carla.VehicleLightState.Fog
        responses = client.apply_batch_sync([carla.command.SetVehicleLightState(car.id, fog)], True)
        assert not responses[0].has_error(), responses[0].error
        assert car.get_light_state() == fog
        car.destroy()


def test_impulse_and_force_change_the_speed(server, client):
    world = client.get_world()
    library = world.get_blueprint_library()
    with synchronous(world, STEP_S):
        car = world.spawn_actor(library.find("vehicle.tesla.model3"), world.get_map().get_spawn_points()[2])
        car.apply_control(carla.VehicleControl(hand_brake=False))
        world.tick()
        forward = car.get_transform().get_forward_vector()
        car.add_impulse(15000.0 * forward)  # 10 m/s on the nominal 1500 kg
        world.tick()
        after_impulse = _speed(car)
        assert 9.0 < after_impulse < 10.5
        car.add_force(-300000.0 * forward)  # for one 0.05 s step: 10 m/s against the motion
        world.tick()
        assert _speed(car) < after_impulse - 5.0
        car.destroy()


def test_debug_drawing_is_accepted_and_the_world_goes_on(server, client):
    world = client.get_world()
    with synchronous(world):
        a, b = carla.Location(0.0, 0.0, 1.0), carla.Location(10.0, 0.0, 1.0)
        world.debug.draw_line(a, b, life_time=1.0)
        world.debug.draw_point(a)
        world.debug.draw_arrow(a, b)
        world.debug.draw_string(a, "carla-lite")
        world.debug.draw_box(carla.BoundingBox(a, carla.Vector3D(1.0, 1.0, 1.0)), carla.Rotation())
        before = world.get_snapshot().frame
        assert world.tick() > before
    assert not any("unsupported call" in line for line in server.log), "".join(server.log)
