"""Helpers shared by the vehicle model tests: run input sequences in compiled code."""

from __future__ import annotations

import dataclasses

import numpy as np

from vehicle_models import METHODS, Vehicle, load
from vehicle_models.inputs import N_INPUTS, U_BRAKE, U_FRICTION, U_GEAR, U_STEERING_WHEEL, U_THROTTLE


def inputs(n: int, steer=0.0, throttle=0.0, brake=0.0, gear=0.0, friction=1.0) -> np.ndarray:
    """An (n, N_INPUTS) input sequence; each argument a scalar or an array of n values."""
    u = np.empty((n, N_INPUTS))
    u[:, U_STEERING_WHEEL] = steer
    u[:, U_THROTTLE] = throttle
    u[:, U_BRAKE] = brake
    u[:, U_GEAR] = gear
    u[:, U_FRICTION] = friction
    return u


def run(vehicle: Vehicle, u_seq: np.ndarray) -> np.ndarray:
    """States after each step, (n, n_states); raises on an input error."""
    states = np.empty((u_seq.shape[0], vehicle.model.n_states))
    code = vehicle.model.simulate_inputs(
        vehicle.x, u_seq, vehicle.p, vehicle.dt, states, vehicle.model.work(), METHODS[vehicle.method]
    )
    assert code == 0, f"input rejected at row {code // 16}, code {code % 16}"
    return states


def params_with(params, **sections):
    """A parameter set (or built-in name) with fields replaced: ``chassis={"drag_area": 0.0}``."""
    params = load(params) if isinstance(params, str) else params
    changes = {
        section: dataclasses.replace(getattr(params, section), **values)
        for section, values in sections.items()
    }
    return dataclasses.replace(params, **changes)
