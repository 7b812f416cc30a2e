"""Physical sanity of every model: rest, coasting energy, braking distance, step steer, reverse."""

import numpy as np
import pytest

from vehicle_models import MODELS, Vehicle, single_track, two_track

from .helpers import inputs, params_with, run

SETS = ["compact_ev", "sedan_bmw320i", "van_manual"]


@pytest.mark.parametrize("params", SETS)
@pytest.mark.parametrize("model", list(MODELS))
def test_car_at_rest_stays_exactly_at_rest(model, params):
    car = Vehicle(model, params, gear=1)
    states = run(car, np.vstack([inputs(5000, gear=1.0), inputs(5000, brake=1.0, gear=1.0)]))
    moving = [i for i, name in enumerate(car.model.state_names) if name not in ("brake", "gear")]
    assert not states[:, moving].any()  # every position, angle and speed exactly zero throughout
    assert states[-1, car.model.index("brake")] > 0.99  # the brake was applied


def _energy(car: Vehicle, s: np.ndarray) -> np.ndarray:
    """Kinetic energy of body and wheels [J] for single-track states."""
    c, iw = car.params.chassis, car.params.tyres.wheel_inertia
    st = single_track
    body = 0.5 * c.mass * (s[:, st.VX] ** 2 + s[:, st.VY] ** 2) + 0.5 * c.yaw_inertia * s[:, st.YAW_RATE] ** 2
    return body + iw * (s[:, st.OMEGA_F] ** 2 + s[:, st.OMEGA_R] ** 2)


@pytest.mark.parametrize("method", ["rk4", "semi_implicit_euler"])
def test_coasting_energy_only_decreases(method):
    car = Vehicle("single_track", "sedan_bmw320i", speed=25.0, gear=0, method=method)
    n = 10_000
    steer = 1.5 * np.sin(np.arange(n) * 2 * np.pi * 0.5e-3)  # weaving at 0.5 Hz
    states = run(car, inputs(n, steer=steer))
    e = _energy(car, states)[::50]  # every 50 ms
    assert np.all(np.diff(e) < 0.0)
    assert e[-1] < e[0]


@pytest.mark.parametrize("params", SETS)
@pytest.mark.parametrize("model", list(MODELS))
def test_full_braking_from_100_kmh_stops_in_35_to_45_m(model, params):
    v0 = 100 / 3.6
    car = Vehicle(model, params, speed=v0, gear=0)
    states = run(car, inputs(6000, brake=1.0))
    speed_index = car.model.index("v" if model == "kinematic" else "vx")
    stopped = np.nonzero(np.abs(states[:, speed_index]) < 0.05)[0]
    assert stopped.size, "the car did not stop within 6 s"
    distance = states[stopped[0], car.model.index("x")]
    assert 35.0 <= distance <= 45.0
    assert abs(states[-1, car.model.index("y")]) < 0.05  # straight
    assert abs(states[-1, speed_index]) < 0.05  # and stays stopped: no creep, no reversing


@pytest.mark.parametrize("model", ["single_track", "two_track"])
def test_step_steer_settles(model):
    # No drag and neutral gear, so the speed stays nearly constant; step the wheel by 30 deg.
    params = params_with("sedan_bmw320i", chassis={"drag_area": 0.0, "rolling_resistance": 0.0})
    car = Vehicle(model, params, speed=20.0, gear=0)
    states = run(car, inputs(6000, steer=np.deg2rad(30.0)))
    r = states[:, car.model.index("yaw_rate")]
    assert r[-1] > 0.1
    assert r.max() > r[-1]  # it overshot, then settled on a circle: cornering drag slows the
    # car a little, and this neutral-steering car's path curvature does not depend on speed.
    curvature = r / states[:, car.model.index("vx")]
    tail = curvature[-2000:]
    assert tail.max() - tail.min() < 2e-3 * curvature[-1]


@pytest.mark.parametrize("params", SETS)
@pytest.mark.parametrize("model", list(MODELS))
def test_reverse_drives_backwards_and_steers_the_right_way(model, params):
    car = Vehicle(model, params, gear=-1)
    states = run(car, inputs(4000, steer=3.0, throttle=0.3, gear=-1.0))
    speed_index = car.model.index("v" if model == "kinematic" else "vx")
    assert states[-1, speed_index] < -1.0
    assert states[-1, car.model.index("x")] < -1.0
    # Backing up with the wheels turned left swings the nose right: heading decreases.
    assert states[-1, car.model.index("yaw")] < -0.05


def test_automatic_gearbox_shifts_up_under_full_throttle():
    car = Vehicle("single_track", "sedan_bmw320i", gear=1)
    states = run(car, inputs(15_000, throttle=1.0, gear=1.0))
    gears = states[:, single_track.GEAR]
    assert np.all(np.diff(gears) >= 0)
    assert gears[-1] >= 3
    assert 25.0 < states[-1, single_track.VX] < 40.0  # 0-100 km/h in about 10 s


def test_two_track_rolls_out_of_the_turn_and_pitches_under_braking():
    car = Vehicle("two_track", "sedan_bmw320i", speed=20.0, gear=1)
    tt = two_track
    turn = run(car, inputs(4000, steer=np.deg2rad(40.0), throttle=0.2, gear=1.0))
    assert turn[-1, tt.YAW_RATE] > 0.1  # a left turn
    assert turn[-1, tt.ROLL] > 0.005  # body leans to the right: left side up
    ay = 20.0 * turn[-1, tt.YAW_RATE]
    gradient = np.rad2deg(turn[-1, tt.ROLL]) / (ay / 9.81)
    assert 2.0 < gradient < 8.0  # deg per g, a passenger car's range
    car = Vehicle("two_track", "sedan_bmw320i", speed=20.0, gear=0)
    brake = run(car, inputs(500, brake=0.6))
    assert brake[-1, tt.PITCH] > 0.003  # nose dives


def test_single_and_two_track_agree_in_a_steady_turn():
    u = inputs(6000, steer=np.deg2rad(25.0), throttle=0.18, gear=1.0)
    r = {}
    for model in ("single_track", "two_track"):
        car = Vehicle(model, "sedan_bmw320i", speed=20.0, gear=1)
        r[model] = run(car, u)[-1, car.model.index("yaw_rate")]
    assert r["two_track"] == pytest.approx(r["single_track"], rel=0.1)


def test_low_friction_limits_lateral_acceleration():
    ay = {}
    for friction in (1.0, 0.3):
        car = Vehicle("single_track", "sedan_bmw320i", speed=20.0, gear=1)
        s = run(car, inputs(4000, steer=np.deg2rad(90.0), throttle=0.2, gear=1.0, friction=friction))
        assert s.shape[0] == 4000
        car.set_inputs(np.deg2rad(90.0), 0.2, 0.0, 1, road_friction=friction)
        ay[friction] = abs(car.output("ay"))
    assert ay[0.3] < 0.35 * 9.81 < ay[1.0]
