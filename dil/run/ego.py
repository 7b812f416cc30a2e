"""The ego vehicle between a scenario and a vehicle model.

Scenarios place the ego by its reference point (``centre_x`` behind the bounding-box centre), the
world knows its bounding-box centre, and the vehicle models integrate their own reference point
(the centre of gravity, or the rear axle for the kinematic model). These functions convert.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import vehicle_models
from vehicle_models.outputs import A_AX, A_SPEED


def box_offset(vehicle: vehicle_models.Vehicle) -> float:
    """Box centre ahead of the model's reference point (CG, or rear axle for the kinematic model) [m]."""
    a, b = vehicle.params.chassis.cg_to_front_axle, vehicle.params.chassis.cg_to_rear_axle
    return 0.5 * (a + b) if vehicle.model.name == "kinematic" else 0.5 * (a - b)


def ego_functions(
    vehicle: vehicle_models.Vehicle, centre_x: float
) -> tuple[
    Callable[[float, float, float, float], None], Callable[[], tuple[float, float, float, float, float]]
]:
    """``place(x, y, yaw, speed)``: put the vehicle where the scenario puts its reference point;
    ``state()``: the box centre's x, y, the yaw, speed and longitudinal acceleration."""
    offset = box_offset(vehicle)
    model = vehicle.model
    ix, iy, iyaw = model.index("x"), model.index("y"), model.index("yaw")

    def place(x: float, y: float, yaw: float, speed: float) -> None:
        # scenario reference point -> box centre -> the model's reference point
        c, s = math.cos(yaw), math.sin(yaw)
        cx, cy = x + centre_x * c, y + centre_x * s
        vehicle.x[:] = model.initial_state(vehicle.p, speed, 1.0)
        vehicle.x[ix], vehicle.x[iy], vehicle.x[iyaw] = cx - offset * c, cy - offset * s, yaw

    i_speed, i_ax = model.n_states + A_SPEED, model.n_states + A_AX  # in evaluate()'s array

    def state() -> tuple[float, float, float, float, float]:
        out = vehicle.evaluate()  # the derivative, then the outputs
        x = vehicle.x
        yaw = x.item(iyaw)  # Python floats: the scenario's arithmetic on them is plain float work
        return (
            x.item(ix) + offset * math.cos(yaw),
            x.item(iy) + offset * math.sin(yaw),
            yaw,
            out.item(i_speed),
            out.item(i_ax),
        )

    return place, state
