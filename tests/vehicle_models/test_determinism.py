"""Batch runs are bit-for-bit repeatable, and batch stepping equals stepping one by one."""

import numpy as np
import pytest

from vehicle_models import METHODS, MODELS, Vehicle

from .helpers import inputs, run


def _sequence(n: int) -> np.ndarray:
    t = np.arange(n) * 1e-3
    return inputs(
        n,
        steer=2.0 * np.sin(1.3 * t),
        throttle=np.where(t < 3, 0.6, 0.0),
        brake=np.where(t > 5, 0.4, 0.0),
        gear=1.0,
    )


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("model", list(MODELS))
def test_same_inputs_give_bit_identical_states(model, method):
    u = _sequence(8000)
    a = run(Vehicle(model, "sedan_bmw320i", speed=10.0, gear=1, method=method), u)
    b = run(Vehicle(model, "sedan_bmw320i", speed=10.0, gear=1, method=method), u)
    assert np.array_equal(a, b)
    assert np.abs(a[-1] - a[0]).max() > 1.0  # the car really moved


EXACT_BATCHES = [(m, k) for m in MODELS for k in METHODS if (m, k) != ("single_track", "semi_implicit_euler")]
"""Batches that step one by one; the single track's fused semi-implicit Euler batch is held to the
one-by-one steps within 1e-9 in test_batch.py."""


@pytest.mark.parametrize(("model", "method"), EXACT_BATCHES)
def test_parallel_batch_equals_one_by_one(model, method):
    cars = [
        Vehicle(model, name, speed=15.0, gear=1, method=method)
        for name in ("compact_ev", "sedan_bmw320i") * 2
    ]
    for i, car in enumerate(cars):
        car.set_inputs(0.3 * (i - 1.5), 0.4, 0.0, 1)
    xs = np.array([c.x for c in cars])
    us = np.array([c.u for c in cars])
    ps = np.array([c.p for c in cars])
    ws = np.zeros((len(cars), *cars[0].model.work().shape))
    codes = np.zeros(len(cars), dtype=np.int64)
    cars[0].model.step_batch(xs, us, ps, 1e-3, 3000, ws, METHODS[method], codes)
    assert not codes.any()
    for i, car in enumerate(cars):
        for _ in range(3000):
            car.step()
        assert np.array_equal(xs[i], car.x)


def test_batch_reports_the_vehicle_with_bad_inputs():
    car = Vehicle("single_track", "sedan_bmw320i", speed=15.0, gear=1)
    xs = np.array([car.x, car.x])
    us = np.array([car.u, car.u])
    us[1, 1] = np.nan  # throttle
    ps = np.array([car.p, car.p])
    ws = np.zeros((2, *car.model.work().shape))
    codes = np.zeros(2, dtype=np.int64)
    car.model.step_batch(xs, us, ps, 1e-3, 100, ws, 0, codes)
    assert codes[0] == 0
    assert codes[1] == 2  # 1 + the throttle's index
    assert np.array_equal(xs[1], car.x)  # untouched


def test_advancing_n_steps_in_one_call_equals_n_single_steps():
    from vehicle_models import Vehicle

    a = Vehicle("two_track", "sedan_bmw320i", speed=15.0, gear=1)
    b = Vehicle("two_track", "sedan_bmw320i", speed=15.0, gear=1)
    for v in (a, b):
        v.set_inputs(steering_wheel_angle=0.8, throttle=0.3, brake=0.0, gear=1)
    for _ in range(50):
        a.advance(10)
        for _ in range(10):
            b.step()
    assert (a.x == b.x).all()
