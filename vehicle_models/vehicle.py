"""One vehicle for the real-time loop: model, packed parameters, state and preallocated arrays.

``step()`` writes nothing but the state and allocates no arrays, so it can run every 1 ms.
"""

from __future__ import annotations

import numpy as np

from . import parameters as parameter_sets
from .inputs import N_INPUTS, U_BRAKE, U_FRICTION, U_GEAR, U_STEERING_WHEEL, U_THROTTLE, input_error
from .models import METHODS, VehicleModel, get_model
from .outputs import N_OUTPUTS, OUTPUT_NAMES
from .packing import pack
from .parameters import VehicleParameters

PHYSICS_STEP = 1e-3
"""The physics step [s]."""


class Vehicle:
    """A vehicle model with its parameters and state, stepped in place."""

    def __init__(
        self,
        model: VehicleModel | str = "single_track",
        params: VehicleParameters | str = "sedan_bmw320i",
        *,
        dt: float = PHYSICS_STEP,
        method: str = "semi_implicit_euler",
        speed: float = 0.0,
        gear: int = 0,
    ) -> None:
        self.model = get_model(model) if isinstance(model, str) else model
        self.params = parameter_sets.load(params) if isinstance(params, str) else params
        if method not in METHODS:
            raise ValueError(f"unknown integration method {method!r} (known: {', '.join(METHODS)})")
        if not dt > 0.0:
            raise ValueError(f"dt = {dt!r}: must be > 0 [s]")
        self.dt = dt
        self.method = method
        self.p = pack(self.params)
        self.x = self.model.initial_state(self.p, speed, float(gear))
        self.u = np.zeros(N_INPUTS)
        self.u[U_GEAR] = gear
        self.u[U_FRICTION] = 1.0
        self._w = self.model.work()
        self._out = np.zeros(self.model.n_states + N_OUTPUTS)
        self._step = self.model.step
        self._method = METHODS[method]

    def set_inputs(
        self,
        steering_wheel_angle: float,
        throttle: float,
        brake: float,
        gear: int,
        road_friction: float = 1.0,
    ) -> None:
        """Cockpit inputs for the next steps: angle [rad], pedals [0..1], gear selector."""
        u = self.u
        u[U_STEERING_WHEEL] = steering_wheel_angle
        u[U_THROTTLE] = throttle
        u[U_BRAKE] = brake
        u[U_GEAR] = gear
        u[U_FRICTION] = road_friction

    def step(self) -> None:
        """Advance one step; an invalid input raises InputError naming it, and the state stays."""
        code = self._step(self.x, self.u, self.p, self.dt, self._w, self._method)
        if code:
            raise input_error(code, self.u, f"vehicle {self.params.name}")

    def advance(self, n_steps: int) -> None:
        """``n_steps`` steps with the current inputs in one compiled call (same arithmetic as
        ``n_steps`` calls of :meth:`step`)."""
        code = self.model.simulate(self.x, self.u, self.p, self.dt, n_steps, self._w, self._method)
        if code:
            raise input_error(code, self.u, f"vehicle {self.params.name}")

    def evaluate(self) -> np.ndarray:
        """The state derivative followed by the outputs at the current state and inputs (what
        ``model.rhs`` writes). The returned array is reused by the next call."""
        self.model.rhs(self.x, self.u, self.p, self._out)
        return self._out

    def outputs(self) -> np.ndarray:
        """Accelerations, speed, shaft speed and torque, steering torque at the current state
        (layout ``vehicle_models.outputs.A_*``). The returned array is reused by the next call."""
        return self.evaluate()[self.model.n_states :]

    def output(self, name: str) -> float:
        """One named output (see ``OUTPUT_NAMES``)."""
        return float(self.outputs()[OUTPUT_NAMES.index(name)])

    def __getitem__(self, name: str) -> float:
        """A named state, e.g. ``vehicle["yaw_rate"]``."""
        return float(self.x[self.model.index(name)])

    def warm_up(self) -> None:
        """Compile (or load from the cache) this vehicle's kernels without changing its state."""
        x = self.x.copy()
        u = np.zeros(N_INPUTS)
        u[U_FRICTION] = 1.0
        self._step(x, u, self.p, self.dt, self._w, self._method)
        self.model.simulate(x, u, self.p, self.dt, 1, self._w, self._method)
        self.model.rhs(x, u, self.p, self._out)
