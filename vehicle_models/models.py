"""The registry of vehicle models: name to kernels, state layout and initial state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from . import kinematic_single_track, single_track, single_track_batch, two_track
from .integrators import WORK_ROWS
from .outputs import N_OUTPUTS


@dataclass(frozen=True)
class VehicleModel:
    """One vehicle model: its kernels and named state layout."""

    name: str
    description: str
    step: Callable
    """Compiled ``step(x, u, p, h, w, method) -> code``."""
    rhs: Callable
    """Compiled ``f(x, u, p, out)``: derivative then outputs."""
    simulate: Callable
    """Compiled ``simulate(x, u, p, h, n_steps, w, method) -> code``: constant input."""
    simulate_inputs: Callable
    """Compiled ``simulate_inputs(x, u_seq, p, h, states, w, method) -> row * 16 + code``."""
    step_batch: Callable
    """Compiled ``step_batch(xs, us, ps, h, n_steps, ws, method, codes)``, parallel over rows."""
    state_names: tuple[str, ...]
    initial_state: Callable[..., np.ndarray]
    """``initial_state(p, speed=0.0, gear=0.0)`` at the origin along world x."""

    @property
    def n_states(self) -> int:
        return len(self.state_names)

    def index(self, name: str) -> int:
        """Position of the named state in ``x``."""
        try:
            return self.state_names.index(name)
        except ValueError:
            raise KeyError(f"model {self.name} has no state {name!r} (states: {self.state_names})") from None

    def work(self) -> np.ndarray:
        """A work array for one vehicle's step."""
        return np.zeros((WORK_ROWS, self.n_states + N_OUTPUTS))


def _model(name: str, module: ModuleType, description: str, batch: ModuleType | None = None) -> VehicleModel:
    """The model of a kernel module; ``batch`` is a module with its own ``step_batch`` for it."""
    return VehicleModel(
        name=name,
        description=description,
        step=module.step,
        rhs=module.rhs,
        simulate=module.simulate,
        simulate_inputs=module.simulate_inputs,
        step_batch=(batch or module).step_batch,
        state_names=module.STATE_NAMES,
        initial_state=module.initial_state,
    )


MODELS: dict[str, VehicleModel] = {
    m.name: m
    for m in (
        _model("kinematic", kinematic_single_track, "kinematic single track, rear-axle reference"),
        _model(
            "single_track",
            single_track,
            "dynamic single track, combined-slip tyres, load transfer",
            single_track_batch,
        ),
        _model("two_track", two_track, "two track, four wheel spins, heave/roll/pitch suspension"),
    )
}

METHODS = {"rk4": 0, "semi_implicit_euler": 1}


def get_model(name: str) -> VehicleModel:
    """The model called ``name``; a KeyError lists the known names."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown vehicle model {name!r} (known: {', '.join(MODELS)})") from None
