"""How a KPI reads in a table or on an axis: its display unit and rounding.

KPIs are computed in SI units (speeds in m/s); people read speeds in km/h, so every table and plot
of dil shows speeds in km/h and says so. Times [s] and distances [m] have two decimals,
accelerations two, jerks one, speeds one (km/h).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """A display unit: ``scale`` times the SI value, ``decimals`` after the point."""

    symbol: str
    scale: float = 1.0
    decimals: int = 2


SECONDS = Unit("s")
METRES = Unit("m")
KMH = Unit("km/h", 3.6, 1)
ACCELERATION = Unit("m/s²")
JERK = Unit("m/s³", 1.0, 1)
COUNT = Unit("", 1.0, 0)

UNITS: dict[str, Unit] = {
    "collision_speed": KMH,
    "collision_time": SECONDS,
    "min_ttc": SECONDS,
    "min_headway": SECONDS,
    "min_distance": METRES,
    "max_decel": ACCELERATION,
    "max_jerk": JERK,
    "lane_invasions": COUNT,
    "off_road": COUNT,
    "initial_speed": KMH,
    "min_speed": KMH,
    "final_speed": KMH,
    "speed_reduction": KMH,
    "duration": SECONDS,
    "no_driver_s": SECONDS,
}
"""The display unit of each numeric KPI (the rest are flags and names)."""

NEVER = "none"
"""How an infinite minimum (no actor ever in the ego's path) reads."""


def display(name: str, value: float) -> float:
    """``value`` (SI) of KPI ``name`` in its display unit."""
    unit = UNITS.get(name)
    return value * unit.scale if unit is not None else value


def label(name: str) -> str:
    """``name [unit]`` for headers and axes (the name alone without a unit)."""
    unit = UNITS.get(name)
    return f"{name} [{unit.symbol}]" if unit is not None and unit.symbol else name


def text(name: str, value: object) -> str:
    """``value`` of KPI ``name`` rounded, with its unit: ``2.87 s``, ``40.0 km/h``, ``none``
    (an infinite or missing minimum), ``yes``/``no`` for flags."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or (isinstance(value, float) and math.isinf(value)):
        return NEVER
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    unit = UNITS.get(name)
    if not isinstance(value, int | float) or unit is None:
        return str(value)
    shown = f"{value * unit.scale:.{unit.decimals}f}"
    if shown.startswith("-") and float(shown) == 0.0:
        shown = shown[1:]
    return f"{shown} {unit.symbol}".rstrip()
