"""Rig files: YAML loaded strictly into the geometry and cueing dataclasses (unknown keys are
errors naming the file and key). ``hil_rigs/rigs/NAME.yaml`` or a path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dacite
import yaml

from .cueing import CueingParameters
from .stewart import Geometry

RIGS = Path(__file__).resolve().parent / "rigs"


class RigConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Cockpit:
    head: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """The driver's head from the vehicle's reference point, vehicle frame (x forward, y left,
    z up) [m]: the specific force is cued as felt there."""


@dataclass(frozen=True)
class RigConfig:
    name: str
    geometry: Geometry
    cueing: CueingParameters
    cockpit: Cockpit = Cockpit()


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
        return dacite.from_dict(RigConfig, doc, config=dacite.Config(strict=True, cast=[tuple]))
    except (dacite.DaciteError, TypeError) as e:
        raise RigConfigError(f"{path}: {e}") from None


def cueing_node(bus, drops, clock, rig: str | Path):
    """The runtime's cueing node for the rig file ``rig`` (a name in ``hil_rigs/rigs`` or a path)."""
    from .cueing import MotionCueing
    from .cueing_node import CueingNode
    from .stewart import Platform

    config = load_rig(rig)
    cueing = MotionCueing(config.cueing, head=config.cockpit.head)
    return CueingNode(bus, drops, clock, Platform(config.geometry), cueing)
