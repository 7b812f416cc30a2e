"""Rig files: YAML loaded strictly into the geometry and cueing dataclasses (unknown keys are
errors naming the file and key; every number has a valid range, :data:`RANGES`, documented in
docs/rig.md). ``hil_rigs/rigs/NAME.yaml`` or a path."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dil.config.ranges import Bound, check, closed, count, positive
from dil.config.typed import from_dict
from dil.config.yaml_safe import ConfigError, load_yaml

from .cueing import CueingParameters
from .mpc_cueing import MpcParameters
from .stewart import Geometry

RIGS = Path(__file__).resolve().parent / "rigs"


class RigConfigError(ValueError):
    """A rig file that cannot be used; the message names the file, key, value and valid range."""


@dataclass(frozen=True)
class Cockpit:
    head: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """The driver's head from the vehicle's reference point, vehicle frame (x forward, y left,
    z up) [m]: the specific force is cued as felt there."""


CUEING_ALGORITHMS = ("classical", "mpc")


@dataclass(frozen=True)
class RigConfig:
    name: str
    geometry: Geometry
    cueing: CueingParameters
    cockpit: Cockpit = Cockpit()
    cueing_algorithm: str = "classical"
    """classical (washout filters with tilt coordination) or mpc (model-predictive surge/pitch and
    sway/roll, ``mpc``; the other channels classical)."""
    mpc: MpcParameters = field(default_factory=MpcParameters)


RANGES: dict[str, Bound] = {
    "cockpit.head.*": closed(-5.0, 5.0, "m"),
    "geometry.base_radius": positive(10.0, "m"),
    "geometry.platform_radius": positive(10.0, "m"),
    "geometry.base_half_angle": closed(0.0, 1.0, "rad"),
    "geometry.platform_half_angle": closed(0.0, 1.0, "rad"),
    "geometry.neutral_height": positive(10.0, "m"),
    "geometry.min_length": positive(20.0, "m"),
    "geometry.max_length": positive(20.0, "m"),
    "geometry.max_speed": positive(10.0, "m/s"),
    "geometry.max_accel": positive(100.0, "m/s^2"),
    "cueing.scale.*": closed(0.0, 2.0),
    "cueing.force_limit": positive(20.0, "m/s^2"),
    "cueing.*.omega": positive(100.0, "rad/s"),
    "cueing.*.zeta": positive(10.0),
    "cueing.*.omega_b": closed(0.0, 100.0, "rad/s"),
    "cueing.tilt_rate_limit": positive(1.0, "rad/s"),
    "cueing.tilt_max": closed(0.0, 0.5, "rad"),
    "mpc.horizon": count(1, 200),
    "mpc.step_s": closed(0.001, 1.0, "s"),
    "mpc.iterations": count(1, 1000),
    "mpc.w_force": closed(0.0, 1e6),
    "mpc.w_position": closed(0.0, 1e6),
    "mpc.w_velocity": closed(0.0, 1e6),
    "mpc.w_accel": closed(0.0, 1e6),
    "mpc.w_tilt_rate": closed(0.0, 1e6),
    "mpc.max_accel": positive(100.0, "m/s^2"),
}
"""Valid range of every number of a rig file (key paths; ``*`` is any axis or list item)."""


def load_rig(name_or_path: str | Path) -> RigConfig:
    """A rig by name (``hil_rigs/rigs/NAME.yaml``) or path, checked: keys, types and ranges."""
    path = Path(name_or_path)
    if not path.suffix:
        path = RIGS / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in RIGS.glob("*.yaml"))
        raise RigConfigError(f"{path}: no such rig file; known rigs: {known}")
    try:
        config = from_dict(RigConfig, load_yaml(path, "rig file"), str(path))
        check(config, RANGES, str(path))
    except ConfigError as e:
        raise RigConfigError(str(e)) from None
    if config.cueing_algorithm not in CUEING_ALGORITHMS:
        known = ", ".join(CUEING_ALGORITHMS)
        raise RigConfigError(f"{path}: cueing_algorithm {config.cueing_algorithm!r}: must be one of {known}")
    g = config.geometry
    if g.min_length >= g.max_length:
        raise RigConfigError(
            f"{path}: geometry.min_length = {g.min_length:g} must be below max_length = {g.max_length:g}"
        )
    return config


def cueing_node(bus, drops, clock, rig: str | Path):
    """The runtime's cueing node for the rig file ``rig`` (a name in ``hil_rigs/rigs`` or a path)."""
    from .cueing import MotionCueing
    from .cueing_node import CueingNode
    from .mpc_cueing import MpcCueing
    from .stewart import Platform

    config = load_rig(rig)
    if config.cueing_algorithm == "mpc":
        cueing = MpcCueing(config.cueing, config.mpc, head=config.cockpit.head)
    else:
        cueing = MotionCueing(config.cueing, head=config.cockpit.head)
    return CueingNode(bus, drops, clock, Platform(config.geometry), cueing)
