"""The vehicle node's tick in one compiled call: the physics steps, the state's derivative and
outputs, the ``vehicle/state`` values gathered and checked against the schema's bounds.

Two kernels per vehicle model: without and with a driver's new inputs. Each loops over its model's
compiled ``step`` as the model's ``simulate`` does and calls its ``rhs``; the helpers between them
(:func:`_tick`, :func:`_tick_with_inputs`, :func:`take_inputs`) are inlined in numba's IR, so a tick
kernel compiles as one function around the model's (each compiled function that calls the model is
optimised and compiled to machine code again with the model's code linked in). The arrays are the
node's, allocated once. The arithmetic is that of ``Vehicle.advance`` then
``Vehicle.evaluate`` then :func:`~dil.vehicle.state_message.gather`: the same states and messages.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit

from dil.bus.fixed import values_valid
from dil.road.views import view2
from vehicle_models import batch, kinematic_single_track, single_track, two_track
from vehicle_models.inputs import N_INPUTS, U_BRAKE, U_GEAR, U_STEERING_WHEEL, U_THROTTLE, check_inputs
from vehicle_models.integrators import WORK_ROWS
from vehicle_models.outputs import N_OUTPUTS

from .state_message import gather, gather_ints

VALUES_INVALID = -1
"""Returned when the steps went well but a gathered value is outside its field's bounds."""


@njit(error_model="numpy", inline="always")
def _tick(
    step: Callable,
    rhs: Callable,
    x: np.ndarray,
    u: np.ndarray,
    p: np.ndarray,
    h: float,
    n_steps: int,
    method: int,
    fwork: np.ndarray,
    iwork: np.ndarray,
    floats: np.ndarray,
    ints: np.ndarray,
) -> int:
    k = x.size + N_OUTPUTS
    nf, ni = floats.size, ints.size
    # the 2-D parts as borrowed views (no reshape, no reference count per call; the layout is
    # pack_buffers')
    w = view2(fwork, 0, WORK_ROWS, k)
    o = WORK_ROWS * k
    out = fwork[o : o + k]
    scale = fwork[o + k : o + k + nf]
    f_bounds = view2(fwork, o + k + nf, 2, nf)
    table = view2(iwork, 0, nf, 2)
    int_table = view2(iwork, 2 * nf, ni, 2)
    i_bounds = view2(iwork, 2 * nf + 2 * ni, 2, ni)
    code = batch.simulate(step, x, u, p, h, n_steps, w, method)  # the model's simulate
    if code != 0:
        return code
    rhs(x, u, p, out)
    gather(x, out, u, table, scale, floats)
    gather_ints(x, out, u, int_table, ints)
    if values_valid(floats, f_bounds[0], f_bounds[1], ints, i_bounds[0], i_bounds[1]):
        return 0
    return VALUES_INVALID


def pack_buffers(
    n_states: int,
    scale: np.ndarray,
    f_bounds: np.ndarray,
    table: np.ndarray,
    int_table: np.ndarray,
    i_bounds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The tick's float and integer buffers (a call pays for each array argument, so they travel as
    two): ``fwork`` holds the integrator's work rows, the derivative and outputs, ``scale``,
    ``f_bounds`` and the candidate inputs; ``iwork`` holds ``table``, ``int_table``, ``i_bounds`` and
    the inputs' check code (see :func:`_tick` and :func:`_tick_with_inputs`; the sizes follow from
    the state's and the message values' lengths)."""
    k = n_states + N_OUTPUTS
    fwork = np.concatenate(
        [np.zeros(WORK_ROWS * k + k), scale.ravel(), f_bounds.ravel(), np.zeros(N_INPUTS)]
    ).astype(np.float64)
    iwork = np.concatenate([table.ravel(), int_table.ravel(), i_bounds.ravel(), np.zeros(1, dtype=np.int64)])
    return fwork, iwork


@njit(cache=True, error_model="numpy")
def tick_kinematic(x, u, p, h, n_steps, method, fwork, iwork, floats, ints):
    """``n_steps`` steps of ``h`` [s] with inputs ``u``, then the message values: 0, the step's
    input error code (state unchanged from the failing step on), or :data:`VALUES_INVALID`."""
    return _tick(
        kinematic_single_track.step,
        kinematic_single_track.rhs,
        x, u, p, h, n_steps, method, fwork, iwork, floats, ints,
    )  # fmt: skip


@njit(cache=True, error_model="numpy")
def tick_single_track(x, u, p, h, n_steps, method, fwork, iwork, floats, ints):
    """As :func:`tick_kinematic` for the dynamic single track."""
    return _tick(single_track.step, single_track.rhs, x, u, p, h, n_steps, method, fwork, iwork, floats, ints)


@njit(cache=True, error_model="numpy")
def tick_two_track(x, u, p, h, n_steps, method, fwork, iwork, floats, ints):
    """As :func:`tick_kinematic` for the two track."""
    return _tick(two_track.step, two_track.rhs, x, u, p, h, n_steps, method, fwork, iwork, floats, ints)


@njit(error_model="numpy", inline="always")
def _tick_with_inputs(
    step: Callable,
    rhs: Callable,
    x: np.ndarray,
    u: np.ndarray,
    p: np.ndarray,
    h: float,
    n_steps: int,
    method: int,
    fwork: np.ndarray,
    iwork: np.ndarray,
    floats: np.ndarray,
    ints: np.ndarray,
    steering_wheel: float,
    throttle: float,
    brake: float,
    gear: float,
) -> int:
    """:func:`take_inputs` of a driver's inputs, then :func:`_tick`: the candidate inputs are the last
    ``N_INPUTS`` entries of ``fwork`` and the check's code the last entry of ``iwork`` (0: ``u`` took
    them; else ``u`` is unchanged and the step runs on it)."""
    candidate = fwork[fwork.size - N_INPUTS :]
    iwork[iwork.size - 1] = take_inputs(u, candidate, p, steering_wheel, throttle, brake, gear)
    return _tick(step, rhs, x, u, p, h, n_steps, method, fwork, iwork, floats, ints)


@njit(cache=True, error_model="numpy", inline="always")
def take_inputs(
    u: np.ndarray,
    candidate: np.ndarray,
    p: np.ndarray,
    steering_wheel: float,
    throttle: float,
    brake: float,
    gear: float,
) -> int:
    """A driver's inputs (steering-wheel angle [rad], pedals [0..1], gear) over ``u``'s into
    ``candidate``, checked as :func:`~vehicle_models.inputs.check_inputs`: 0 and ``u`` takes them, or
    the check's code and ``u`` is unchanged (``candidate`` holds the rejected inputs)."""
    for i in range(u.size):  # copies element by element: no shape check (and its message) to compile
        candidate[i] = u[i]
    candidate[U_STEERING_WHEEL] = steering_wheel
    candidate[U_THROTTLE] = throttle
    candidate[U_BRAKE] = brake
    candidate[U_GEAR] = gear
    code = check_inputs(candidate, p)
    if code == 0:
        for i in range(u.size):
            u[i] = candidate[i]
    return code


@njit(cache=True, error_model="numpy")
def tick_kinematic_inputs(
    x, u, p, h, n_steps, method, fwork, iwork, floats, ints, steer, throttle, brake, gear
):
    """:func:`tick_kinematic` after taking a driver's inputs (see :func:`_tick_with_inputs`)."""
    return _tick_with_inputs(
        kinematic_single_track.step,
        kinematic_single_track.rhs,
        x, u, p, h, n_steps, method, fwork, iwork, floats, ints, steer, throttle, brake, gear,
    )  # fmt: skip


@njit(cache=True, error_model="numpy")
def tick_single_track_inputs(
    x, u, p, h, n_steps, method, fwork, iwork, floats, ints, steer, throttle, brake, gear
):
    """:func:`tick_single_track` after taking a driver's inputs (see :func:`_tick_with_inputs`)."""
    return _tick_with_inputs(
        single_track.step,
        single_track.rhs,
        x, u, p, h, n_steps, method, fwork, iwork, floats, ints, steer, throttle, brake, gear,
    )  # fmt: skip


@njit(cache=True, error_model="numpy")
def tick_two_track_inputs(
    x, u, p, h, n_steps, method, fwork, iwork, floats, ints, steer, throttle, brake, gear
):
    """:func:`tick_two_track` after taking a driver's inputs (see :func:`_tick_with_inputs`)."""
    return _tick_with_inputs(
        two_track.step,
        two_track.rhs,
        x, u, p, h, n_steps, method, fwork, iwork, floats, ints, steer, throttle, brake, gear,
    )  # fmt: skip


TICKS_WITH_INPUTS: dict[str, Callable[..., int]] = {
    "kinematic": tick_kinematic_inputs,
    "single_track": tick_single_track_inputs,
    "two_track": tick_two_track_inputs,
}
"""The tick kernel of each vehicle model that first takes a driver's inputs, by model name."""


TICKS: dict[str, Callable[..., int]] = {
    "kinematic": tick_kinematic,
    "single_track": tick_single_track,
    "two_track": tick_two_track,
}
"""The tick kernel of each vehicle model, by model name."""


def tick_for(model_name: str, simulate: Callable, with_inputs: bool = False) -> Callable[..., int] | None:
    """The tick kernel (``with_inputs``: the one that first takes a driver's inputs) of a registered
    model whose ``simulate`` is the registry's; None for any other (a model made elsewhere: the node
    then calls its kernels one by one)."""
    kernel = (TICKS_WITH_INPUTS if with_inputs else TICKS).get(model_name)
    registered = {"kinematic": kinematic_single_track, "single_track": single_track, "two_track": two_track}
    if kernel is None or registered[model_name].simulate is not simulate:
        return None
    return kernel
