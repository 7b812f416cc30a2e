"""The dynamic single-track model against the closed-form linear single-track model.

Small steering keeps the tyres in their linear range, where the Magic Formula's slope is the
cornering stiffness per load times the static axle load.
"""

import numpy as np
import pytest

from vehicle_models import Vehicle, single_track
from vehicle_models.packing import GRAVITY

from .helpers import inputs, params_with, run

SPEEDS = [10.0, 22.2, 30.0]
SETS = {"neutral": "sedan_bmw320i", "understeering": "compact_ev"}


def _linear(params, v):
    """Closed-form quantities of the linear single-track model at speed v."""
    c, t = params.chassis, params.tyres
    m, iz, a, b = c.mass, c.yaw_inertia, c.cg_to_front_axle, c.cg_to_rear_axle
    length = a + b
    cf = t.front.cornering_stiffness * m * GRAVITY * b / length  # axle cornering stiffness [N/rad]
    cr = t.rear.cornering_stiffness * m * GRAVITY * a / length
    k = m * (b / cf - a / cr) / length  # understeer gradient [rad/(m/s^2)]
    a_mat = np.array(
        [
            [-(cf + cr) / (m * v), -(a * cf - b * cr) / (m * v) - v],
            [-(a * cf - b * cr) / (iz * v), -(a * a * cf + b * b * cr) / (iz * v)],
        ]
    )
    wn = np.sqrt(np.linalg.det(a_mat))
    zeta = -np.trace(a_mat) / (2.0 * wn)
    return {
        "K": k,
        "yaw_gain": v / (length + k * v * v),
        "beta_gain": (b - m * a * v * v / (length * cr)) / (length + k * v * v),
        "wn": wn,
        "zeta": zeta,
    }


def _straight(params):
    """A car driving straight at v with no drag (so no drive torque is needed)."""
    return params_with(params, chassis={"drag_area": 0.0, "rolling_resistance": 0.0})


@pytest.mark.parametrize("speed", SPEEDS)
@pytest.mark.parametrize("kind", list(SETS))
def test_steady_state_gains_and_understeer_gradient(kind, speed):
    params = _straight(SETS[kind])
    theory = _linear(params, speed)
    car = Vehicle("single_track", params, speed=speed, gear=0, method="rk4")
    # Road-wheel angle for about 0.5 m/s^2 of lateral acceleration: deep in the linear range.
    delta = 0.5 / (speed * theory["yaw_gain"])
    states = run(car, inputs(8000, steer=delta * params.steering.ratio))
    last = states[-1]
    v = np.hypot(last[single_track.VX], last[single_track.VY])
    measured_delta = last[single_track.DELTA]
    yaw_gain = last[single_track.YAW_RATE] / measured_delta
    beta_gain = np.arctan2(last[single_track.VY], last[single_track.VX]) / measured_delta
    expected = _linear(params, v)
    assert yaw_gain == pytest.approx(expected["yaw_gain"], rel=0.01)
    assert beta_gain == pytest.approx(expected["beta_gain"], rel=0.02, abs=2e-3)
    wheelbase = params.wheelbase
    k_measured = (v * measured_delta / last[single_track.YAW_RATE] - wheelbase) / v**2
    assert k_measured == pytest.approx(expected["K"], abs=2e-4)
    if kind == "neutral":
        assert abs(expected["K"]) < 1e-12
    else:
        assert expected["K"] > 1e-3


@pytest.mark.parametrize("speed", SPEEDS)
@pytest.mark.parametrize("kind", list(SETS))
def test_natural_frequency_and_damping(kind, speed):
    """The model's own linearisation in (vy, yaw rate) has the closed form's eigenvalues."""
    params = _straight(SETS[kind])
    theory = _linear(params, speed)
    car = Vehicle("single_track", params, speed=speed, gear=0)
    x0 = car.x.copy()
    out = np.zeros(car.model.work().shape[1])
    jac = np.zeros((2, 2))
    cols = (single_track.VY, single_track.YAW_RATE)
    for j, col in enumerate(cols):
        eps = 1e-6
        xp, xm = x0.copy(), x0.copy()
        xp[col] += eps
        xm[col] -= eps
        single_track.rhs(xp, car.u, car.p, out)
        fp = out[list(cols)].copy()
        single_track.rhs(xm, car.u, car.p, out)
        fm = out[list(cols)].copy()
        jac[:, j] = (fp - fm) / (2 * eps)
    wn = np.sqrt(np.linalg.det(jac))
    zeta = -np.trace(jac) / (2 * wn)
    assert wn == pytest.approx(theory["wn"], rel=1e-4)
    assert zeta == pytest.approx(theory["zeta"], rel=1e-4)


def test_step_steer_response_follows_the_linear_model():
    """Yaw rate and lateral velocity after a steering step match the linear model's response."""
    speed = 30.0
    params = _straight("compact_ev")
    params = params_with(params, steering={"time_constant": 0.001, "max_rate": 100.0})
    c, t = params.chassis, params.tyres
    m, iz, a, b = c.mass, c.yaw_inertia, c.cg_to_front_axle, c.cg_to_rear_axle
    cf = t.front.cornering_stiffness * m * GRAVITY * b / (a + b)
    cr = t.rear.cornering_stiffness * m * GRAVITY * a / (a + b)
    a_mat = np.array(
        [
            [-(cf + cr) / (m * speed), -(a * cf - b * cr) / (m * speed) - speed],
            [-(a * cf - b * cr) / (iz * speed), -(a * a * cf + b * b * cr) / (iz * speed)],
        ]
    )
    b_vec = np.array([cf / m, a * cf / iz])
    delta = 0.3 / (speed * _linear(params, speed)["yaw_gain"])
    car = Vehicle("single_track", params, speed=speed, gear=0, method="rk4")
    states = run(car, inputs(2000, steer=delta * params.steering.ratio))
    lam, vec = np.linalg.eig(a_mat)
    times = np.arange(1, 2001) * 1e-3
    # x(t) = V diag((exp(lam t) - 1) / lam) V^-1 B delta
    coef = np.linalg.solve(vec, b_vec * delta)
    lin = np.real(vec @ (coef[:, None] * (np.exp(lam[:, None] * times) - 1) / lam[:, None]))
    r_sim = states[:, single_track.YAW_RATE]
    vy_sim = states[:, single_track.VY]
    scale_r = np.abs(lin[1]).max()
    scale_vy = np.abs(lin[0]).max()
    assert np.abs(r_sim - lin[1]).max() < 0.02 * scale_r
    assert np.abs(vy_sim - lin[0]).max() < 0.03 * scale_vy
    assert np.iscomplexobj(lam) and np.abs(lam.imag).max() > 0  # an oscillatory mode is tested
