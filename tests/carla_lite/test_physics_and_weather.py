"""Vehicle physics control and weather through the real client: round trips, and the fields that act."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import Collector, carla, synchronous

STEP_S = 0.05


def _spawn(world: carla.World, index: int, blueprint: str = "vehicle.tesla.model3") -> carla.Vehicle:
    library = world.get_blueprint_library()
    return world.spawn_actor(library.find(blueprint), world.get_map().get_spawn_points()[index])


def test_physics_control_round_trip_and_mass_and_torque_act(server, client):
    world = client.get_world()
    with synchronous(world, STEP_S):
        plain, heavy = _spawn(world, 0), _spawn(world, 30)
        world.tick()
        default = plain.get_physics_control()
        assert default.mass > 0.0 and len(default.wheels) == 4 and default.forward_gears
        assert default.wheels[0].max_steer_angle == pytest.approx(70.0)

        pc = heavy.get_physics_control()
        pc.mass = 2.0 * default.mass
        pc.drag_coefficient = 0.25
        pc.moi = 1.5
        pc.center_of_mass = carla.Location(0.1, 0.0, -0.3)
        pc.torque_curve = [carla.Vector2D(0.0, 300.0), carla.Vector2D(6000.0, 300.0)]
        wheels = pc.wheels
        for w in wheels:
            w.tire_friction = 3.0
            w.max_brake_torque = 700.0
        wheels[0].max_steer_angle = wheels[1].max_steer_angle = 35.0
        pc.wheels = wheels
        pc.forward_gears = [carla.GearPhysicsControl(ratio=2.5, down_ratio=0.2, up_ratio=0.6)]
        heavy.apply_physics_control(pc)
        world.tick()

        back = heavy.get_physics_control()  # every field as set
        assert back.mass == pytest.approx(pc.mass)
        assert back.drag_coefficient == pytest.approx(0.25)
        assert back.moi == pytest.approx(1.5)
        assert back.center_of_mass.z == pytest.approx(-0.3)
        assert [(p.x, p.y) for p in back.torque_curve] == [(0.0, 300.0), (6000.0, 300.0)]
        assert [w.tire_friction for w in back.wheels] == pytest.approx([3.0] * 4)
        assert back.wheels[0].max_steer_angle == pytest.approx(35.0)
        assert back.forward_gears[0].ratio == pytest.approx(2.5)
        assert plain.get_physics_control().mass == pytest.approx(default.mass)  # per vehicle

        # the mapped fields act. Drive: torque x first gear / mass, 300 x 2.5 / 2 m against 500 x 3 / m;
        # brakes: summed brake torque / mass, 4 x 700 / 2 m against 4 x 1500 / m (rolling: 0.15 m/s²)
        for car in (plain, heavy):
            car.apply_control(carla.VehicleControl(throttle=1.0))
        for _ in range(40):
            world.tick()
        v_plain, v_heavy = plain.get_velocity().length(), heavy.get_velocity().length()
        drive = 4.0 * (300.0 * 2.5) / (500.0 * 3.0) / 2.0
        assert v_heavy / v_plain == pytest.approx((drive - 0.15) / (4.0 - 0.15), rel=0.1)
        for car in (plain, heavy):
            car.apply_control(carla.VehicleControl(brake=1.0))
        for _ in range(4):
            world.tick()
        slowed = (v_plain - plain.get_velocity().length(), v_heavy - heavy.get_velocity().length())
        brake = 9.0 * (4 * 700.0) / (4 * 1500.0) / 2.0
        assert slowed[1] / slowed[0] == pytest.approx((brake + 0.15) / (9.0 + 0.15), rel=0.1)
        for car in (plain, heavy):
            car.destroy()


def test_physics_control_is_refused_for_a_prop_and_bad_fields_name_themselves(server, client):
    world = client.get_world()
    with synchronous(world, STEP_S):
        cone = _spawn(world, 5, "static.prop.trafficcone01")
        car = _spawn(world, 10)
        world.tick()
        pc = car.get_physics_control()
        batch = client.apply_batch_sync([carla.command.ApplyVehiclePhysicsControl(cone.id, pc)], True)
        assert "not a vehicle" in batch[0].error
        pc.mass = 0.0
        car.apply_physics_control(pc)  # sent without waiting: the server refuses it and logs why
        world.tick()
        assert car.get_physics_control().mass > 0.0
        batch = client.apply_batch_sync([carla.command.ApplyVehiclePhysicsControl(car, pc)], True)
        assert "mass" in batch[0].error
        car.destroy()
        cone.destroy()


def test_weather_round_trip(server, client):
    world = client.get_world()
    first = world.get_weather()
    assert first.sun_altitude_angle == pytest.approx(carla.WeatherParameters.ClearNoon.sun_altitude_angle)
    wanted = carla.WeatherParameters(
        cloudiness=80.0,
        precipitation=30.0,
        precipitation_deposits=20.0,
        wind_intensity=40.0,
        sun_azimuth_angle=120.0,
        sun_altitude_angle=-10.0,
        fog_density=15.0,
        fog_distance=50.0,
        fog_falloff=0.5,
        wetness=60.0,
        scattering_intensity=1.0,
        mie_scattering_scale=0.03,
        rayleigh_scattering_scale=0.0331,
        dust_storm=5.0,
    )
    world.set_weather(wanted)
    with synchronous(world, STEP_S):
        world.tick()
        assert world.get_weather() == wanted
        world.set_weather(carla.WeatherParameters.HardRainSunset)
        world.tick()
        assert world.get_weather() == carla.WeatherParameters.HardRainSunset


def test_camera_images_darken_when_the_sun_sets(server, client):
    world = client.get_world()
    library = world.get_blueprint_library()
    with synchronous(world, STEP_S):
        car = _spawn(world, 3)
        bp = library.find("sensor.camera.rgb")
        bp.set_attribute("image_size_x", "160")
        bp.set_attribute("image_size_y", "90")
        camera = world.spawn_actor(bp, carla.Transform(carla.Location(x=-6.0, z=2.5)), attach_to=car)
        images = Collector()
        joined = server.readers()
        camera.listen(images)
        server.wait_for_readers(joined + 1)

        def brightness() -> float:
            count = len(images.items)
            world.tick()
            image = images.wait_for(count + 1)[-1]
            return float(np.frombuffer(image.raw_data, np.uint8).reshape(90, 160, 4)[..., :3].mean())

        noon = brightness()
        night = carla.WeatherParameters.ClearNight
        world.set_weather(night)
        world.tick()
        dark = brightness()
        assert world.get_weather().sun_altitude_angle == pytest.approx(night.sun_altitude_angle)
        assert dark == pytest.approx(0.2 * noon, rel=0.05)
        world.set_weather(carla.WeatherParameters.ClearNoon)
        world.tick()
        assert brightness() == pytest.approx(noon, rel=0.01)
        camera.stop()
        camera.destroy()
        car.destroy()
