"""The single track's fused batch (semi-implicit Euler, ``vehicle_models/single_track_batch.py``) against
the reference integration: the same vehicles stepped one by one by the model's own step.

The fused loop steps blocks of vehicles together (their Magic Formulas as one SIMD loop), carries the
heading's cosine and sine by rotation, evaluates the steering angle's by series and multiplies by
reciprocals of loop constants, so it differs from the step in the last bits; over seconds of driving
the states stay within 1e-9 of the reference.
"""

import numpy as np
import pytest

from vehicle_models import METHODS, Vehicle
from vehicle_models.single_track_batch import BLOCK

EULER = METHODS["semi_implicit_euler"]
TOLERANCE = 1e-9
"""Largest difference of any state from the reference [m, rad, m/s, rad/s, ...]."""
SETS = ("compact_ev", "sedan_bmw320i", "van_manual")
MANOEUVRES = {
    # speed [m/s], gear, inputs
    "steady turn, throttle": (25.0, 1, dict(steering_wheel_angle=3.0, throttle=0.5, brake=0.0)),
    "full lock, full throttle": (25.0, 1, dict(steering_wheel_angle=12.0, throttle=1.0, brake=0.0)),
    "reversing from rest in a turn": (0.0, -1, dict(steering_wheel_angle=-2.0, throttle=0.6, brake=0.0)),
    "ice, sliding": (25.0, 1, dict(steering_wheel_angle=1.5, throttle=0.8, brake=0.0, road_friction=0.3)),
}


def _batch(cars: list[Vehicle], steps: int, calls: int = 1) -> tuple[np.ndarray, np.ndarray]:
    xs = np.array([c.x for c in cars])
    us = np.array([c.u for c in cars])
    ps = np.array([c.p for c in cars])
    ws = np.zeros((len(cars), *cars[0].model.work().shape))
    codes = np.zeros(len(cars), dtype=np.int64)
    for _ in range(calls):
        cars[0].model.step_batch(xs, us, ps, cars[0].dt, steps // calls, ws, EULER, codes)
    return xs, codes


def _cars(speed: float, gear: int, inputs: dict) -> list[Vehicle]:
    cars = [Vehicle("single_track", name, speed=speed, gear=gear) for name in SETS]
    for car in cars:
        car.set_inputs(gear=gear, **inputs)
    return cars


@pytest.mark.parametrize("manoeuvre", list(MANOEUVRES))
def test_fused_batch_stays_within_1e9_of_stepping_one_by_one(manoeuvre):
    speed, gear, inputs = MANOEUVRES[manoeuvre]
    cars = _cars(speed, gear, inputs)
    start = np.array([c.x for c in cars])
    xs, codes = _batch(cars, 6000)
    assert not codes.any()
    for i, car in enumerate(cars):
        for _ in range(6000):
            car.step()
        assert np.abs(xs[i] - car.x).max() <= TOLERANCE, f"{SETS[i]}: {xs[i] - car.x}"
        assert np.hypot(*(car.x[:2] - start[i, :2])) > 10.0  # it really drove [m]
    assert any(abs(car.x[2]) > 2.0 for car in cars)  # and turned [rad]


def test_split_calls_and_repeated_runs_agree():
    """One call of 6000 steps, six of 1000, and the same call again: the heading's cosine and sine are
    taken afresh at each call, so the split run differs in the last bits at most; a repeat is exact."""
    speed, gear, inputs = MANOEUVRES["steady turn, throttle"]
    one, _ = _batch(_cars(speed, gear, inputs), 6000)
    again, _ = _batch(_cars(speed, gear, inputs), 6000)
    split, _ = _batch(_cars(speed, gear, inputs), 6000, calls=6)
    assert np.array_equal(one, again)
    assert np.abs(split - one).max() <= TOLERANCE


def test_a_braked_car_comes_to_rest_as_stepped_one_by_one():
    """A stop to standstill under full brakes: at rest the braked wheels' stiff friction amplifies
    last-bit differences (as it does between two exact runs), so here both are checked at rest, at the
    same place within a millimetre."""
    cars = _cars(25.0, 1, dict(steering_wheel_angle=0.0, throttle=0.0, brake=1.0))
    xs, _ = _batch(cars, 8000)
    for i, car in enumerate(cars):
        for _ in range(8000):
            car.step()
        assert abs(xs[i, 3]) < 0.01 and abs(car.x[3]) < 0.01  # vx [m/s]
        assert np.abs(xs[i, :2] - car.x[:2]).max() < 1e-3  # [m]
        assert 25.0 < car.x[0] < 45.0


def test_vehicles_over_several_blocks_each_match_their_own_reference():
    """More vehicles than one block (sets, manoeuvres and gears mixed, bad inputs here and there):
    each vehicle comes out as stepped one by one, whichever block and lanes it shared."""
    n = 2 * BLOCK + 5
    cars, bad = [], {3, BLOCK + 1, 2 * BLOCK + 4}
    for i in range(n):
        speed, gear, inputs = list(MANOEUVRES.values())[i % len(MANOEUVRES)]
        car = Vehicle("single_track", SETS[i % len(SETS)], speed=speed + 0.25 * i, gear=gear)
        car.set_inputs(gear=gear, **inputs)
        cars.append(car)
    xs = np.array([c.x for c in cars])
    us = np.array([c.u for c in cars])
    for i in bad:
        us[i, 1] = -0.5  # throttle
    start = xs.copy()
    codes = np.zeros(n, dtype=np.int64)
    ws = np.zeros((n, *cars[0].model.work().shape))
    cars[0].model.step_batch(xs, us, np.array([c.p for c in cars]), cars[0].dt, 3000, ws, EULER, codes)
    assert [i for i in range(n) if codes[i]] == sorted(bad)
    assert all(codes[i] == 2 for i in bad)  # 1 + the throttle's index
    for i, car in enumerate(cars):
        if i in bad:
            assert np.array_equal(xs[i], start[i])
            continue
        for _ in range(3000):
            car.step()
        assert np.abs(xs[i] - car.x).max() <= TOLERANCE, f"vehicle {i}: {xs[i] - car.x}"


def test_fused_batch_reports_the_vehicle_with_bad_inputs():
    car = Vehicle("single_track", "sedan_bmw320i", speed=15.0, gear=1)
    car.set_inputs(0.2, 0.3, 0.0, 1)
    xs = np.array([car.x, car.x])
    us = np.array([car.u, car.u])
    us[1, 2] = 1.5  # brake
    ps = np.array([car.p, car.p])
    codes = np.zeros(2, dtype=np.int64)
    car.model.step_batch(xs, us, ps, 1e-3, 100, np.zeros((2, *car.model.work().shape)), EULER, codes)
    assert list(codes) == [0, 3]  # 1 + the brake's index
    assert np.array_equal(xs[1], car.x)  # untouched
    assert xs[0, 0] > car.x[0] + 1.0  # the good one drove on [m]
