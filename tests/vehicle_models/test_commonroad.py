"""The kinematic and single-track models against CommonRoad's published KS and ST models.

CommonRoad's vehicle 2 (a BMW 320i) is the built-in set ``sedan_bmw320i``. CommonRoad takes
the steering angle rate and the acceleration as inputs; dil takes the cockpit's steering-wheel
angle and pedals. The script below drives CommonRoad, and dil's car gets the same road-wheel
angle through its steering ratio and follows CommonRoad's speed with a pedal controller, as a
test driver would. Tolerances are stated per quantity.
"""

import math

import numpy as np
import pytest

pytest.importorskip("vehiclemodels", reason="CommonRoad vehicle models are a dev dependency")
from vehiclemodels.init_ks import init_ks
from vehiclemodels.init_st import init_st
from vehiclemodels.parameters_vehicle2 import parameters_vehicle2
from vehiclemodels.vehicle_dynamics_ks import vehicle_dynamics_ks
from vehiclemodels.vehicle_dynamics_st import vehicle_dynamics_st

from vehicle_models import Vehicle, kinematic_single_track, single_track
from vehicle_models.drivetrain import full_load_torque, overall_ratio
from vehicle_models.packing import P_IDLE, P_MAX_SPEED

from .helpers import params_with

DT = 1e-3
DURATION = 12.0
V0 = 15.0


def _script(t: float) -> tuple[float, float]:
    """CommonRoad inputs: steering angle rate [rad/s] and acceleration [m/s^2]."""
    steer_rate = 0.0
    if 1.0 <= t < 1.25:
        steer_rate = 0.08  # to 0.02 rad
    elif 3.5 <= t < 4.0:
        steer_rate = -0.08  # to -0.02 rad
    elif 6.0 <= t < 6.25:
        steer_rate = 0.08  # back to straight
    accel = 0.0
    if 2.0 <= t < 5.0:
        accel = 1.0
    elif 7.0 <= t < 9.0:
        accel = -2.0
    return steer_rate, accel


def _rk4(f, x, u, p):
    k1 = f(x, u, p)
    k2 = f([a + 0.5 * DT * b for a, b in zip(x, k1, strict=True)], u, p)
    k3 = f([a + 0.5 * DT * b for a, b in zip(x, k2, strict=True)], u, p)
    k4 = f([a + DT * b for a, b in zip(x, k3, strict=True)], u, p)
    return [a + DT / 6 * (b + 2 * c + 2 * d + e) for a, b, c, d, e in zip(x, k1, k2, k3, k4, strict=True)]


def _commonroad(model: str) -> np.ndarray:
    p = parameters_vehicle2()
    if model == "ks":
        f, x = vehicle_dynamics_ks, init_ks([0.0, 0.0, 0.0, V0, 0.0])
    else:
        f, x = vehicle_dynamics_st, init_st([0.0, 0.0, 0.0, V0, 0.0, 0.0, 0.0])
    out = []
    for k in range(round(DURATION / DT)):
        x = _rk4(f, x, list(_script(k * DT)), p)
        out.append(list(x))
    return np.array(out)


def _dil(model: str, reference: np.ndarray) -> np.ndarray:
    """dil's car driven to CommonRoad's steering angle and speed; states per step."""
    params = params_with(
        "sedan_bmw320i",
        steering={"time_constant": 0.002},
        chassis={"drag_area": 0.0, "rolling_resistance": 0.0},
    )
    car = Vehicle(model, params, speed=V0, gear=1)
    ratio = params.steering.ratio
    speed_index = car.model.index("v" if model == "kinematic" else "vx")
    m_eff = params.chassis.mass + 4 * params.tyres.wheel_inertia / params.tyres.radius**2
    integral = 0.0
    states = []
    for k in range(reference.shape[0]):
        delta_ref = reference[k, 2]
        v_ref = reference[k, 3]
        error = v_ref - car.x[speed_index]
        integral += error * DT
        # Test driver: the force for the reference acceleration plus PI on speed, turned into
        # pedal positions through the engine's full-load torque in the engaged gear.
        force = m_eff * (_script(k * DT)[1] + 2.0 * error + 1.0 * integral)
        gear = max(1.0, car["gear"])
        ratio_total = overall_ratio(car.p, gear) * params.powertrain.efficiency
        w_shaft = car.x[speed_index] / params.tyres.radius * overall_ratio(car.p, gear)
        shaft = force * params.tyres.radius / ratio_total
        drag = params.powertrain.drag_torque * max(w_shaft, car.p[P_IDLE]) / car.p[P_MAX_SPEED]
        full = full_load_torque(car.p, max(w_shaft, car.p[P_IDLE]))
        throttle = min(1.0, max(0.0, (shaft + drag) / (full + drag)))
        brake = min(1.0, max(0.0, -force * params.tyres.radius / params.brakes.max_torque))
        car.set_inputs(delta_ref * ratio, throttle, brake, 1)
        car.step()
        states.append(car.x.copy())
    return np.array(states)


def test_kinematic_model_follows_commonroad_ks():
    ref = _commonroad("ks")  # x, y, delta, v, yaw at the rear axle
    dil = _dil("kinematic", ref)
    ks = kinematic_single_track
    assert np.abs(dil[:, ks.V] - ref[:, 3]).max() < 0.25  # speed [m/s]; the brake builds up over 0.15 s
    assert np.abs(dil[:, ks.YAW] - ref[:, 4]).max() < 1e-3  # heading [rad]
    pos_error = np.hypot(dil[:, ks.X] - ref[:, 0], dil[:, ks.Y] - ref[:, 1])
    assert pos_error.max() < 0.3  # [m] over 12 s and 188 m


def test_single_track_follows_commonroad_st():
    ref = _commonroad("st")  # x, y, delta, v, yaw, yaw rate, slip angle at the centre of gravity
    dil = _dil("single_track", ref)
    st = single_track
    speed = np.hypot(dil[:, st.VX], dil[:, st.VY])
    beta = np.arctan2(dil[:, st.VY], dil[:, st.VX])
    assert np.abs(speed - ref[:, 3]).max() < 0.25  # [m/s]
    peak_r = np.abs(ref[:, 5]).max()
    assert peak_r > 0.05  # the script really turns
    assert np.abs(dil[:, st.YAW_RATE] - ref[:, 5]).max() < 0.03 * peak_r  # within 3 % of the peak
    assert np.abs(dil[:, st.YAW] - ref[:, 4]).max() < 4e-3  # heading [rad]
    assert np.abs(beta - ref[:, 6]).max() < 1e-3  # sideslip [rad]
    pos_error = np.hypot(dil[:, st.X] - ref[:, 0], dil[:, st.Y] - ref[:, 1])
    assert pos_error.max() < 0.4  # [m] over 12 s and 188 m
    assert math.isclose(dil[-1, st.DELTA], ref[-1, 2], abs_tol=1e-4)
