"""The IMU's gyroscope on a sloped road: roll and pitch rates from the carrier's attitude change, with
CARLA's axes and signs (x: minus the roll rate, y: minus the pitch rate, z: the yaw rate; rad/s)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from .conftest import ROADS, Collector, LiteServer, carla, start_server, stop_server, synchronous
from .test_ground_and_walkers import _on_rural_slope

DT = 0.05
TICKS = 60
TOL = 5e-4
"""[rad/s]: the wire's float32 angles differenced over one step."""


@pytest.fixture
def rural() -> Iterator[LiteServer]:
    s = start_server("--map", str(ROADS / "rural.xodr"))
    yield s
    stop_server(s)


def _rate(after: float, before: float) -> float:
    """Finite difference of an angle [deg] over one step [rad/s]."""
    return math.radians((after - before + 180.0) % 360.0 - 180.0) / DT


def test_gyroscope_roll_and_pitch_rates_match_the_transform_while_turning_on_a_slope(rural):
    world = rural.client().get_world()
    with synchronous(world, delta=DT):
        start, _ = _on_rural_slope(world)
        library = world.get_blueprint_library()
        car = world.spawn_actor(library.find("vehicle.audi.a2"), start)
        imu = world.spawn_actor(library.find("sensor.other.imu"), carla.Transform(), attach_to=car)
        got = Collector()
        imu.listen(got)
        world.tick()
        # a tight circle on the 1.5 % grade: the slope turns under the car, so pitch and roll change
        car.apply_control(carla.VehicleControl(throttle=0.35, steer=0.6))
        poses: dict[int, carla.Rotation] = {}
        for _ in range(TICKS):
            frame = world.tick()
            poses[frame] = car.get_transform().rotation
        data = {m.frame: m for m in got.wait_for(TICKS + 1, timeout=20.0)}
        imu.stop()
        pairs = []
        for frame, rot in poses.items():
            if frame - 1 in poses and frame in data:
                before = poses[frame - 1]
                fd = (
                    _rate(rot.roll, before.roll),
                    _rate(rot.pitch, before.pitch),
                    _rate(rot.yaw, before.yaw),
                )
                pairs.append((fd, data[frame].gyroscope))
        assert len(pairs) > TICKS - 5
        for (roll, pitch, yaw), gyro in pairs:
            assert gyro.x == pytest.approx(-roll, abs=TOL)
            assert gyro.y == pytest.approx(-pitch, abs=TOL)
            assert gyro.z == pytest.approx(yaw, abs=TOL + 0.05 * abs(yaw))
        # the rates are really there: a grade of 1.5 % turned through at about 1 rad/s
        assert max(abs(g.x) for _, g in pairs) > 0.005
        assert max(abs(g.y) for _, g in pairs) > 0.005
        assert max(abs(fd[2]) for fd, _ in pairs) > 0.3  # it did turn (right: CARLA's yaw grows)
        for a in (imu, car):
            a.destroy()
