import numpy as np
import pytest

from vehicle_models import MODELS, InputError, Vehicle, available

from .helpers import inputs, run


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steering_wheel_angle": float("nan")}, r"steering_wheel_angle = nan"),
        ({"steering_wheel_angle": float("inf")}, r"steering_wheel_angle = inf"),
        ({"throttle": 1.5}, r"throttle = 1\.5: must be within \[0, 1\]"),
        ({"brake": -0.1}, r"brake = -0\.1"),
        ({"brake": float("nan")}, r"brake = nan"),
        ({"gear": 2.5}, r"gear = 2\.5"),
        ({"gear": 2}, r"gear = 2\.0"),  # an automatic only has -1, 0 and 1 (drive)
        ({"road_friction": 0.0}, r"road_friction = 0\.0"),
    ],
)
@pytest.mark.parametrize("model", list(MODELS))
def test_bad_inputs_raise_naming_the_input_and_leave_the_state(model, kwargs, message):
    v = Vehicle(model, "sedan_bmw320i", speed=10.0, gear=1)
    before = v.x.copy()
    values = {"steering_wheel_angle": 0.0, "throttle": 0.2, "brake": 0.0, "gear": 1, **kwargs}
    v.set_inputs(**values)
    with pytest.raises(InputError, match=message):
        v.step()
    assert np.array_equal(v.x, before)


def test_manual_gearbox_accepts_its_gears_and_no_more():
    v = Vehicle("single_track", "van_manual", speed=10.0, gear=2)
    v.set_inputs(0.0, 0.3, 0.0, 4)
    v.step()
    assert v["gear"] == 4.0
    v.set_inputs(0.0, 0.3, 0.0, 5)
    with pytest.raises(InputError, match=r"gear = 5\.0"):
        v.step()


def _random_inputs(rng: np.random.Generator, n: int, top_gear: int) -> np.ndarray:
    """Valid but harsh cockpit inputs: wild steering, pedal stabs, gear changes, low friction."""
    hold = 250  # each value is held for 0.25 s
    k = n // hold
    rep = lambda a: np.repeat(a, hold)  # noqa: E731
    return inputs(
        n,
        steer=rep(rng.uniform(-9.0, 9.0, k)),
        throttle=rep(rng.choice([0.0, 0.3, 1.0], k)),
        brake=rep(rng.choice([0.0, 0.0, 0.5, 1.0], k)),
        gear=rep(rng.integers(-1, top_gear + 1, k).astype(float)),
        friction=rep(rng.uniform(0.1, 1.3, k)),
    )


@pytest.mark.parametrize("params", ["compact_ev", "sedan_bmw320i", "van_manual"])
@pytest.mark.parametrize("model", list(MODELS))
def test_valid_inputs_never_give_non_finite_states(model, params):
    assert params in available()
    v = Vehicle(model, params, speed=15.0, gear=1)
    tr = v.params.transmission
    top = len(tr.gear_ratios) if tr.kind == "manual" else 1
    states = run(v, _random_inputs(np.random.default_rng(7), 30_000, top))
    assert np.isfinite(states).all()
    assert np.abs(states[:, v.model.index("yaw") + 1 :]).max() < 1e4  # nothing blew up
