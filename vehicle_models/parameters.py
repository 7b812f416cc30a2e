"""Vehicle parameter sets: frozen dataclasses loaded strictly from YAML.

Every field is SI (m, kg, s, rad, N, N m) unless its name says otherwise (``_rpm``).
Frames follow ISO 8855: vehicle x forward, y left, z up.
A YAML file must give every field; an unknown or missing key, a wrong type or a
non-physical value raises :class:`ParameterError` naming the file, the key path and the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Literal

import dacite

from dil.config.ranges import Bound, check, closed, positive
from dil.config.yaml_safe import ConfigError, load_yaml, short

SETS_DIR = Path(__file__).parent / "sets"


class ParameterError(ValueError):
    """A vehicle parameter file or value is invalid; the message names file, key and value."""


@dataclass(frozen=True)
class Chassis:
    mass: float
    """Total vehicle mass [kg]."""
    yaw_inertia: float
    """Moment of inertia about the vertical axis through the centre of gravity [kg m^2]."""
    roll_inertia: float
    """Sprung-mass moment of inertia about the longitudinal axis [kg m^2]."""
    pitch_inertia: float
    """Sprung-mass moment of inertia about the lateral axis [kg m^2]."""
    cg_to_front_axle: float
    """Horizontal distance from the centre of gravity to the front axle, a [m]."""
    cg_to_rear_axle: float
    """Horizontal distance from the centre of gravity to the rear axle, b [m]."""
    cg_height: float
    """Height of the centre of gravity above ground [m]."""
    track_front: float
    """Front track width [m]."""
    track_rear: float
    """Rear track width [m]."""
    length: float
    """Overall body length [m]."""
    width: float
    """Overall body width [m]."""
    drag_area: float
    """Aerodynamic drag coefficient times frontal area, cd*A [m^2]."""
    rolling_resistance: float
    """Rolling-resistance coefficient (force per wheel load) [-]."""


@dataclass(frozen=True)
class Suspension:
    spring_rate_front: float
    """Vertical spring rate per front wheel [N/m]."""
    spring_rate_rear: float
    """Vertical spring rate per rear wheel [N/m]."""
    damping_front: float
    """Vertical damping rate per front wheel [N s/m]."""
    damping_rear: float
    """Vertical damping rate per rear wheel [N s/m]."""
    anti_roll_front: float
    """Front anti-roll bar stiffness [N m/rad]."""
    anti_roll_rear: float
    """Rear anti-roll bar stiffness [N m/rad]."""
    load_transfer_time_constant: float
    """Lag of the longitudinal load transfer in the single-track model [s] (stands in for pitch)."""


@dataclass(frozen=True)
class Tyre:
    """Magic Formula tyre, pure-slip coefficients; combined slip by normalised slip."""

    slip_stiffness: float
    """Longitudinal slip stiffness per unit wheel load, B*C*D/Fz [1/(unit slip)]."""
    shape_x: float
    """Longitudinal shape factor C_x [-]."""
    peak_friction_x: float
    """Longitudinal peak friction coefficient mu_x [-]."""
    curvature_x: float
    """Longitudinal curvature factor E_x [-]."""
    cornering_stiffness: float
    """Cornering stiffness per unit wheel load, B*C*D/Fz [1/rad]."""
    shape_y: float
    """Lateral shape factor C_y [-]."""
    peak_friction_y: float
    """Lateral peak friction coefficient mu_y [-]."""
    curvature_y: float
    """Lateral curvature factor E_y [-]."""
    pneumatic_trail: float
    """Pneumatic trail at zero slip angle [m]; falls linearly to zero at the peak slip angle."""


@dataclass(frozen=True)
class Tyres:
    radius: float
    """Effective rolling radius [m]."""
    wheel_inertia: float
    """Spin inertia of one wheel with its tyre and brake disc [kg m^2]."""
    front: Tyre
    rear: Tyre


@dataclass(frozen=True)
class TorqueCurve:
    speed_rpm: tuple[float, ...]
    """Shaft speeds of the full-load curve [rpm], strictly increasing."""
    torque: tuple[float, ...]
    """Full-load torque at each speed [N m]."""


@dataclass(frozen=True)
class Powertrain:
    kind: Literal["engine", "motor"]
    """Combustion engine (idle, drag torque, clutch) or electric motor (regeneration)."""
    full_load: TorqueCurve
    idle_rpm: float
    """Engine idle speed; for a motor the speed below which regeneration fades out [rpm]."""
    max_rpm: float
    """Rev limit: no drive torque above it [rpm]."""
    drag_torque: float
    """Engine drag (or motor regeneration) torque at max_rpm with the pedal released [N m], >= 0."""
    driven_axles: Literal["front", "rear", "all"]
    front_torque_share: float
    """Share of drive torque to the front axle when all axles are driven [-]."""
    efficiency: float
    """Driveline efficiency from shaft to wheels [-]."""


@dataclass(frozen=True)
class Transmission:
    kind: Literal["manual", "automatic", "single"]
    """Manual: the gear input picks the gear. Automatic: shifts by speed. Single: one ratio."""
    gear_ratios: tuple[float, ...]
    """Forward gear ratios, first gear first [-]."""
    reverse_ratio: float
    """Reverse gear ratio, positive [-]."""
    final_drive: float
    """Final drive (differential) ratio [-]."""
    upshift_rpm: float
    """Automatic: shaft speed at which to shift up [rpm]."""
    downshift_rpm: float
    """Automatic: shaft speed at which to shift down [rpm]."""


@dataclass(frozen=True)
class Brakes:
    max_torque: float
    """Total brake torque over all wheels at full pedal [N m]."""
    front_share: float
    """Share of brake torque on the front axle [-]."""
    anti_lock: bool
    """Limit wheel slip under braking (ABS) to the tyre's peak slip."""
    response_time: float
    """Time constant of the brake torque following the pedal (hydraulic build-up) [s]."""


@dataclass(frozen=True)
class Steering:
    ratio: float
    """Steering-wheel angle per road-wheel angle [-]."""
    max_road_wheel_angle: float
    """Road-wheel angle at full lock [rad]."""
    max_rate: float
    """Fastest road-wheel angle rate the steering system delivers [rad/s]."""
    time_constant: float
    """First-order lag of the road-wheel angle behind the steering wheel [s]."""
    mechanical_trail: float
    """Caster trail adding to the pneumatic trail for the aligning torque [m]."""


@dataclass(frozen=True)
class VehicleParameters:
    name: str
    description: str
    source: str
    """Where the numbers come from."""
    chassis: Chassis
    suspension: Suspension
    tyres: Tyres
    powertrain: Powertrain
    transmission: Transmission
    brakes: Brakes
    steering: Steering

    @property
    def wheelbase(self) -> float:
        """Distance between the axles, L = a + b [m]."""
        return self.chassis.cg_to_front_axle + self.chassis.cg_to_rear_axle


MAX_CURVE_POINTS = 16
MAX_GEARS = 10


def _check(cond: bool, where: str, key: str, value: object, why: str) -> None:
    if not cond:
        raise ParameterError(f"{where}: {key} = {value!r}: {why}")


def _walk_numbers(obj: object, prefix: str):
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if is_dataclass(value):
            yield from _walk_numbers(value, key + ".")
        elif isinstance(value, tuple):
            for i, v in enumerate(value):
                yield f"{key}[{i}]", v
        elif isinstance(value, float):
            yield key, value


def validate(params: VehicleParameters, where: str = "<parameters>") -> None:
    """Check physical plausibility; raise ParameterError naming the key and value."""
    for key, value in _walk_numbers(params, ""):
        _check(math.isfinite(value), where, key, value, "must be a finite number")
    c, s, t = params.chassis, params.suspension, params.tyres
    positive = {
        "chassis.mass": c.mass,
        "chassis.yaw_inertia": c.yaw_inertia,
        "chassis.roll_inertia": c.roll_inertia,
        "chassis.pitch_inertia": c.pitch_inertia,
        "chassis.cg_to_front_axle": c.cg_to_front_axle,
        "chassis.cg_to_rear_axle": c.cg_to_rear_axle,
        "chassis.cg_height": c.cg_height,
        "chassis.track_front": c.track_front,
        "chassis.track_rear": c.track_rear,
        "suspension.spring_rate_front": s.spring_rate_front,
        "suspension.spring_rate_rear": s.spring_rate_rear,
        "suspension.load_transfer_time_constant": s.load_transfer_time_constant,
        "tyres.radius": t.radius,
        "tyres.wheel_inertia": t.wheel_inertia,
        "powertrain.idle_rpm": params.powertrain.idle_rpm,
        "transmission.final_drive": params.transmission.final_drive,
        "transmission.reverse_ratio": params.transmission.reverse_ratio,
        "brakes.max_torque": params.brakes.max_torque,
        "brakes.response_time": params.brakes.response_time,
        "steering.ratio": params.steering.ratio,
        "steering.max_road_wheel_angle": params.steering.max_road_wheel_angle,
        "steering.max_rate": params.steering.max_rate,
        "steering.time_constant": params.steering.time_constant,
    }
    for key, value in positive.items():
        _check(value > 0.0, where, key, value, "must be > 0")
    for axle in ("front", "rear"):
        tyre: Tyre = getattr(t, axle)
        for name in (
            "slip_stiffness",
            "shape_x",
            "peak_friction_x",
            "cornering_stiffness",
            "shape_y",
            "peak_friction_y",
        ):
            v = getattr(tyre, name)
            _check(v > 0.0, where, f"tyres.{axle}.{name}", v, "must be > 0")
        for name in ("shape_x", "shape_y"):
            v = getattr(tyre, name)
            _check(v < 2.0, where, f"tyres.{axle}.{name}", v, "Magic Formula shape factor must be < 2")
        for name in ("curvature_x", "curvature_y"):
            v = getattr(tyre, name)
            _check(v < 1.0, where, f"tyres.{axle}.{name}", v, "Magic Formula curvature must be < 1")
    for key, value in (
        ("powertrain.front_torque_share", params.powertrain.front_torque_share),
        ("powertrain.efficiency", params.powertrain.efficiency),
        ("brakes.front_share", params.brakes.front_share),
    ):
        _check(0.0 <= value <= 1.0, where, key, value, "must be within [0, 1]")
    for key, value in (
        ("chassis.drag_area", c.drag_area),
        ("chassis.rolling_resistance", c.rolling_resistance),
        ("powertrain.drag_torque", params.powertrain.drag_torque),
        ("suspension.damping_front", s.damping_front),
        ("suspension.damping_rear", s.damping_rear),
        ("suspension.anti_roll_front", s.anti_roll_front),
        ("suspension.anti_roll_rear", s.anti_roll_rear),
        ("steering.mechanical_trail", params.steering.mechanical_trail),
    ):
        _check(value >= 0.0, where, key, value, "must be >= 0")
    curve = params.powertrain.full_load
    _check(
        2 <= len(curve.speed_rpm) <= MAX_CURVE_POINTS,
        where,
        "powertrain.full_load.speed_rpm",
        curve.speed_rpm,
        f"needs 2 to {MAX_CURVE_POINTS} points",
    )
    _check(
        len(curve.torque) == len(curve.speed_rpm),
        where,
        "powertrain.full_load.torque",
        curve.torque,
        "needs as many points as speed_rpm",
    )
    _check(
        all(b > a for a, b in zip(curve.speed_rpm, curve.speed_rpm[1:], strict=False)),
        where,
        "powertrain.full_load.speed_rpm",
        curve.speed_rpm,
        "must be strictly increasing",
    )
    _check(
        params.powertrain.max_rpm > params.powertrain.idle_rpm,
        where,
        "powertrain.max_rpm",
        params.powertrain.max_rpm,
        "must exceed idle_rpm",
    )
    tr = params.transmission
    _check(
        1 <= len(tr.gear_ratios) <= MAX_GEARS,
        where,
        "transmission.gear_ratios",
        tr.gear_ratios,
        f"needs 1 to {MAX_GEARS} gears",
    )
    _check(
        all(g > 0.0 for g in tr.gear_ratios),
        where,
        "transmission.gear_ratios",
        tr.gear_ratios,
        "ratios must be > 0",
    )
    if tr.kind == "single":
        _check(
            len(tr.gear_ratios) == 1,
            where,
            "transmission.gear_ratios",
            tr.gear_ratios,
            "a single-ratio transmission has exactly one ratio",
        )
    if tr.kind == "automatic":
        _check(
            tr.upshift_rpm > tr.downshift_rpm,
            where,
            "transmission.upshift_rpm",
            tr.upshift_rpm,
            "must exceed downshift_rpm",
        )


_DACITE = dacite.Config(strict=True, cast=[tuple])

_RPM = closed(0.0, 50_000.0, "rpm")
RANGES: dict[str, Bound] = {
    "chassis.mass": closed(10.0, 100_000.0, "kg"),
    "chassis.yaw_inertia": positive(1e7, "kg m^2"),
    "chassis.roll_inertia": positive(1e7, "kg m^2"),
    "chassis.pitch_inertia": positive(1e7, "kg m^2"),
    "chassis.cg_to_front_axle": positive(20.0, "m"),
    "chassis.cg_to_rear_axle": positive(20.0, "m"),
    "chassis.cg_height": positive(5.0, "m"),
    "chassis.track_front": positive(5.0, "m"),
    "chassis.track_rear": positive(5.0, "m"),
    "chassis.length": positive(30.0, "m"),
    "chassis.width": positive(5.0, "m"),
    "chassis.drag_area": closed(0.0, 20.0, "m^2"),
    "chassis.rolling_resistance": closed(0.0, 0.5),
    "suspension.spring_rate_front": positive(1e8, "N/m"),
    "suspension.spring_rate_rear": positive(1e8, "N/m"),
    "suspension.damping_front": closed(0.0, 1e7, "N s/m"),
    "suspension.damping_rear": closed(0.0, 1e7, "N s/m"),
    "suspension.anti_roll_front": closed(0.0, 1e8, "N m/rad"),
    "suspension.anti_roll_rear": closed(0.0, 1e8, "N m/rad"),
    "suspension.load_transfer_time_constant": positive(10.0, "s"),
    "tyres.radius": positive(2.0, "m"),
    "tyres.wheel_inertia": positive(1000.0, "kg m^2"),
    "tyres.*.slip_stiffness": positive(1000.0),
    "tyres.*.shape_x": Bound(0.0, 2.0, lo_open=True, hi_open=True),
    "tyres.*.peak_friction_x": positive(5.0),
    "tyres.*.curvature_x": Bound(-10.0, 1.0, hi_open=True),
    "tyres.*.cornering_stiffness": positive(1000.0, "1/rad"),
    "tyres.*.shape_y": Bound(0.0, 2.0, lo_open=True, hi_open=True),
    "tyres.*.peak_friction_y": positive(5.0),
    "tyres.*.curvature_y": Bound(-10.0, 1.0, hi_open=True),
    "tyres.*.pneumatic_trail": closed(0.0, 1.0, "m"),
    "powertrain.full_load.speed_rpm.*": _RPM,
    "powertrain.full_load.torque.*": closed(0.0, 100_000.0, "N m"),
    "powertrain.idle_rpm": positive(50_000.0, "rpm"),
    "powertrain.max_rpm": positive(50_000.0, "rpm"),
    "powertrain.drag_torque": closed(0.0, 100_000.0, "N m"),
    "powertrain.front_torque_share": closed(0.0, 1.0),
    "powertrain.efficiency": closed(0.0, 1.0),
    "transmission.gear_ratios.*": positive(100.0),
    "transmission.reverse_ratio": positive(100.0),
    "transmission.final_drive": positive(100.0),
    "transmission.upshift_rpm": _RPM,
    "transmission.downshift_rpm": _RPM,
    "brakes.max_torque": positive(1e6, "N m"),
    "brakes.front_share": closed(0.0, 1.0),
    "brakes.response_time": positive(10.0, "s"),
    "steering.ratio": positive(100.0),
    "steering.max_road_wheel_angle": positive(1.5, "rad"),
    "steering.max_rate": positive(100.0, "rad/s"),
    "steering.time_constant": positive(10.0, "s"),
    "steering.mechanical_trail": closed(0.0, 1.0, "m"),
}
"""Valid range of every number of a parameter set (``*``: front or rear, or a list item);
documented in docs/vehicle_models.md."""


def from_dict(data: object, where: str = "<dict>") -> VehicleParameters:
    """Build and validate parameters from a plain mapping (as read from YAML)."""
    if not isinstance(data, dict):
        raise ParameterError(f"{where}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        params = dacite.from_dict(VehicleParameters, _ints_to_floats(data, "", where), config=_DACITE)
    except dacite.UnexpectedDataError as e:
        raise ParameterError(f"{where}: unknown key(s) {sorted(short(k) for k in e.keys)}") from None
    except dacite.MissingValueError as e:
        raise ParameterError(f"{where}: missing key {e.field_path!r}") from None
    except dacite.WrongTypeError as e:
        expected = getattr(e.field_type, "__name__", e.field_type)
        raise ParameterError(f"{where}: {e.field_path} = {short(e.value)}: expected {expected}") from None
    except ParameterError:
        raise
    except (TypeError, ValueError, OverflowError) as e:
        raise ParameterError(f"{where}: {short(str(e))}") from None
    validate(params, where)  # physical consistency first, then the documented ranges
    try:
        check(params, RANGES, where)
    except ConfigError as e:
        raise ParameterError(str(e)) from None
    return params


def _ints_to_floats(value: object, key: str = "", where: str = "<dict>") -> object:
    """YAML reads ``1500`` as int; parameters are floats. Booleans stay booleans."""
    if isinstance(value, dict):
        return {k: _ints_to_floats(v, f"{key}.{k}" if key else str(k), where) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints_to_floats(v, f"{key}[{i}]", where) for i, v in enumerate(value)]
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise ParameterError(f"{where}: {key} = {short(value)}: beyond the range of a float") from None
    return value


def load(name_or_path: str | Path) -> VehicleParameters:
    """Load a parameter set by name (a file in ``vehicle_models/sets``) or by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SETS_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(available())
        raise ParameterError(f"{name_or_path}: no such parameter file (built-in sets: {known})")
    try:
        data = load_yaml(path, "parameter set")
    except ConfigError as e:
        raise ParameterError(str(e)) from None
    return from_dict(data, str(path))


def available() -> list[str]:
    """Names of the built-in parameter sets."""
    return sorted(p.stem for p in SETS_DIR.glob("*.yaml"))
