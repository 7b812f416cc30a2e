"""Vehicle physics control: ``vehicle.get_physics_control()`` / ``apply_physics_control()``.

The 0.9.16 client's ``rpc::VehiclePhysicsControl`` (msgpack, field order below). Fields with a
counterpart in carla-lite's vehicle model act (relative to the model's defaults, which a new vehicle's
physics control describes):

- ``mass`` [kg]: impulses, forces and collision impulses (``dynamics.K_MASS``);
- drive acceleration (``K_MAX_ACCEL``) scales with the peak of ``torque_curve`` [N m] times the first
  forward gear's ratio times ``final_ratio`` over the mean wheel radius [cm] and the mass;
- brake deceleration (``K_MAX_BRAKE``) scales with the wheels' summed ``max_brake_torque`` [N m] over
  the mean radius and the mass;
- full-lock wheel angle (``K_MAX_STEER``) is the largest ``max_steer_angle`` of the wheels [deg];
- drag (``K_DRAG``) scales with ``drag_coefficient``.

Every other field (engine damping, gear switching, steering curve, centre of mass, tyre stiffness,
wheel positions, ...) is stored and returned as set.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from .blueprints import ActorClass
from .dynamics import (
    DRAG,
    K_DRAG,
    K_MASS,
    K_MAX_ACCEL,
    K_MAX_BRAKE,
    K_MAX_STEER,
    MAX_ACCEL,
    MAX_BRAKE,
    MAX_STEER,
)
from .world import NOMINAL_MASS, LiteWorld

PHYSICS_FIELDS = (
    "torque_curve",
    "max_rpm",
    "moi",
    "damping_rate_full_throttle",
    "damping_rate_zero_throttle_clutch_engaged",
    "damping_rate_zero_throttle_clutch_disengaged",
    "use_gear_autobox",
    "gear_switch_time",
    "clutch_strength",
    "final_ratio",
    "forward_gears",
    "mass",
    "drag_coefficient",
    "center_of_mass",
    "steering_curve",
    "wheels",
    "use_sweep_wheel_collision",
)
"""``rpc::VehiclePhysicsControl`` as the 0.9.16 client packs it (probed)."""
WHEEL_FIELDS = (
    "tire_friction",
    "damping_rate",
    "max_steer_angle",
    "radius",
    "max_brake_torque",
    "max_handbrake_torque",
    "lat_stiff_max_load",
    "lat_stiff_value",
    "long_stiff_value",
    "position",
)
"""``rpc::WheelPhysicsControl``: friction, damping, steer angle [deg], radius [cm], torques [N m],
stiffnesses, position [cm]."""
GEAR_FIELDS = ("ratio", "down_ratio", "up_ratio")

F_TORQUE, F_FINAL, F_GEARS, F_MASS, F_DRAG, F_WHEELS = 0, 9, 10, 11, 12, 15
W_STEER, W_RADIUS, W_BRAKE = 2, 3, 4

DEFAULT_TORQUE = 500.0
"""Peak engine torque of a new vehicle's physics control [N m]."""
DEFAULT_GEAR = 3.0
DEFAULT_FINAL = 4.0
DEFAULT_RADIUS_CM = 35.0
DEFAULT_BRAKE_TORQUE = 1500.0
"""Per wheel [N m] (rear wheels also 1500: the model brakes all four)."""
DEFAULT_DRAG_COEFFICIENT = 0.3


def default_control(length: float, width: float, max_steer_deg: float) -> list[Any]:
    """The physics control that describes carla-lite's vehicle model for a body ``length`` x ``width`` [m]."""
    half_base, half_track = 30.0 * length, 50.0 * width  # cm: the wheelbase is 0.6 of the length

    def wheel(x: float, y: float, steer: float) -> list[Any]:
        torques = [DEFAULT_BRAKE_TORQUE, 3000.0]
        return [3.5, 0.25, steer, DEFAULT_RADIUS_CM, *torques, 3.0, 20.0, 3000.0, [x, y, 0.0]]

    return [
        [[0.0, 400.0], [1890.0, DEFAULT_TORQUE], [5730.0, 400.0]],
        5730.0,
        1.0,
        0.15,
        2.0,
        0.35,
        True,
        0.5,
        10.0,
        DEFAULT_FINAL,
        [[DEFAULT_GEAR, 0.15, 0.65], [2.0, 0.3, 0.65], [1.4, 0.4, 0.65], [1.0, 0.45, 0.65], [0.8, 0.5, 0.65]],
        NOMINAL_MASS,
        DEFAULT_DRAG_COEFFICIENT,
        [0.0, 0.0, 0.0],
        [[0.0, 1.0], [20.0, 0.9], [60.0, 0.8], [120.0, 0.7]],
        [
            wheel(half_base, -half_track, max_steer_deg),
            wheel(half_base, half_track, max_steer_deg),
            wheel(-half_base, -half_track, 0.0),
            wheel(-half_base, half_track, 0.0),
        ],
        False,
    ]


def _drive_force(control: list) -> float:
    """Peak tractive force per unit of (model) radius: torque x first gear x final ratio / radius [N]."""
    torque = max(float(p[1]) for p in control[F_TORQUE])
    gear = float(control[F_GEARS][0][0]) if control[F_GEARS] else DEFAULT_GEAR
    return torque * gear * float(control[F_FINAL]) / _radius(control)


def _radius(control: list) -> float:
    wheels = control[F_WHEELS]
    return sum(float(w[W_RADIUS]) for w in wheels) / len(wheels) if wheels else DEFAULT_RADIUS_CM


def _brake_force(control: list) -> float:
    wheels = control[F_WHEELS]
    torque = sum(float(w[W_BRAKE]) for w in wheels) if wheels else 4.0 * DEFAULT_BRAKE_TORQUE
    return torque / _radius(control)


def _check(control: Any) -> list:
    if not isinstance(control, list | tuple) or len(control) != len(PHYSICS_FIELDS):
        raise ValueError(f"physics control: {len(PHYSICS_FIELDS)} fields expected, got {control!r:.200}")
    for k in (F_FINAL, F_MASS, F_DRAG):
        v = control[k]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"physics control: {PHYSICS_FIELDS[k]} = {v!r} is not a finite number")
    if not float(control[F_MASS]) > 0.0:
        raise ValueError(f"physics control: mass = {control[F_MASS]!r} must be positive")
    if not control[F_TORQUE]:
        raise ValueError("physics control: torque_curve is empty")
    for name, k in (("torque_curve", F_TORQUE), ("forward_gears", F_GEARS), ("wheels", F_WHEELS)):
        if not isinstance(control[k], list | tuple):
            raise ValueError(f"physics control: {name} = {control[k]!r:.100} is not a list")
    for i, w in enumerate(control[F_WHEELS]):
        if not isinstance(w, list | tuple) or len(w) != len(WHEEL_FIELDS):
            raise ValueError(f"physics control: wheels[{i}] = {w!r:.100} is not a wheel")
        if not float(w[W_RADIUS]) > 0.0:
            raise ValueError(f"physics control: wheels[{i}].radius = {w[W_RADIUS]!r} must be positive")
    return list(control)


class PhysicsControls:
    """Each vehicle's physics control; applying one sets the model parameters it maps to."""

    def __init__(self, world: LiteWorld) -> None:
        self.world = world
        self.controls: dict[int, list] = {}

    def _default(self, actor_id: int) -> list:
        info = self.world.info(actor_id)
        if info.blueprint.actor_class != ActorClass.VEHICLE:
            raise ValueError(f"actor {actor_id} ({info.blueprint.id}) is not a vehicle")
        length, width, _ = info.blueprint.size
        return default_control(length, width, math.degrees(MAX_STEER))

    def get(self, actor_id: int) -> list:
        actor_id = int(actor_id)
        if actor_id in self.controls:
            self.world.info(actor_id)
            return copy.deepcopy(self.controls[actor_id])
        return self._default(actor_id)

    def apply(self, actor_id: int, control: list) -> None:
        actor_id = int(actor_id)
        default = self._default(actor_id)
        control = _check(control)
        r = self.world.state[actor_id - 1]
        mass = float(control[F_MASS])
        r[K_MASS] = mass
        r[K_MAX_ACCEL] = MAX_ACCEL * (_drive_force(control) / mass) / (_drive_force(default) / NOMINAL_MASS)
        r[K_MAX_BRAKE] = MAX_BRAKE * (_brake_force(control) / mass) / (_brake_force(default) / NOMINAL_MASS)
        steer = [abs(float(w[W_STEER])) for w in control[F_WHEELS]]
        if steer and max(steer) > 0.0:
            r[K_MAX_STEER] = math.radians(min(max(steer), 89.0))
        r[K_DRAG] = DRAG * float(control[F_DRAG]) / DEFAULT_DRAG_COEFFICIENT
        self.controls[actor_id] = copy.deepcopy(control)

    def forget(self, actor_id: int) -> None:
        self.controls.pop(actor_id, None)
