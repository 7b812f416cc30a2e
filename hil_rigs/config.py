"""Rig files: YAML loaded strictly into the geometry and cueing dataclasses (unknown keys are
errors naming the file and key). ``hil_rigs/rigs/NAME.yaml`` or a path."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dacite
import yaml

from .cueing import CueingParameters
from .mpc_cueing import MpcParameters
from .stewart import Geometry

RIGS = Path(__file__).resolve().parent / "rigs"


class RigConfigError(ValueError):
    pass


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


def load_rig(name_or_path: str | Path) -> RigConfig:
    path = Path(name_or_path)
    if not path.suffix:
        path = RIGS / f"{name_or_path}.yaml"
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as e:
        known = ", ".join(p.stem for p in RIGS.glob("*.yaml"))
        raise RigConfigError(f"{path}: cannot read ({e.strerror}); known rigs: {known}") from None
    try:
        config = dacite.from_dict(RigConfig, doc, config=dacite.Config(strict=True, cast=[tuple]))
    except (dacite.DaciteError, TypeError) as e:
        raise RigConfigError(f"{path}: {e}") from None
    if config.cueing_algorithm not in CUEING_ALGORITHMS:
        known = ", ".join(CUEING_ALGORITHMS)
        raise RigConfigError(f"{path}: cueing_algorithm {config.cueing_algorithm!r}: must be one of {known}")
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
