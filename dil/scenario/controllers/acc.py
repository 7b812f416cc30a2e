"""Adaptive cruise control on any entity: holds the set speed and follows a slower lead in its
path at a time gap, with the intelligent driver model of dil's built-in stack.

Properties (the reference player's catalog names, then dil's): ``setSpeed`` / ``set_speed`` [m/s],
``timeGap`` / ``time_gap`` [s], ``minGap`` / ``min_gap`` [m], ``maxAcc`` / ``max_accel`` and
``comfortDec`` / ``comfort_decel`` [m/s^2], ``mode`` (``additive``: the set speed is the speed at
activation; ``override``: ``setSpeed`` when given). A SpeedAction on the entity sets a new set speed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dil.stack.builtin import idm_acceleration

from .base import Controller

if TYPE_CHECKING:
    from ..entities import Entity


def prop_float(props: dict[str, str], names: tuple[str, ...], default: float, lo: float = 0.0) -> float:
    """The first of ``names`` present in ``props`` as a number >= ``lo``, else ``default``."""
    for n in names:
        if n in props:
            raw = props[n]
            try:
                v = float(raw)
            except ValueError:
                raise ValueError(f"controller property {n}={raw!r}: not a number") from None
            if not math.isfinite(v) or v < lo:
                raise ValueError(f"controller property {n}={raw!r}: must be a finite number >= {lo:g}")
            return v
    return default


def prop_bool(props: dict[str, str], name: str, default: bool) -> bool:
    raw = props.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false", "1", "0"):
        raise ValueError(f"controller property {name}={raw!r}: not true or false")
    return raw.lower() in ("true", "1")


class AccController(Controller):
    name = "ACC"

    def __init__(self, properties: dict[str, str], source: str = "") -> None:
        super().__init__(properties, source)
        p = properties
        self.mode = p.get("mode", "additive")
        if self.mode not in ("additive", "override"):
            raise ValueError(f"controller property mode={self.mode!r}: not additive or override")
        self.property_speed = (
            prop_float(p, ("setSpeed", "set_speed"), -1.0) if ("setSpeed" in p or "set_speed" in p) else None
        )
        self.time_gap = prop_float(p, ("timeGap", "time_gap"), 1.5)
        """Time gap to the lead [s]."""
        self.min_gap = prop_float(p, ("minGap", "min_gap", "desiredDistance"), 3.0)
        """Standstill distance to the lead [m]."""
        self.max_accel = prop_float(p, ("maxAcc", "max_accel"), 2.0)
        self.comfort_decel = abs(prop_float(p, ("comfortDec", "comfort_decel"), 2.5, lo=-math.inf)) or 2.5

    def on_activate(self, entity: Entity) -> None:
        if self.mode == "override" and self.property_speed is not None:
            self.set_speed = self.property_speed
        else:
            self.set_speed = entity.speed

    def gap_time(self, v: float) -> float:
        """The time gap [s] it keeps at speed v [m/s]."""
        return self.time_gap

    def acceleration(self, entity: Entity, v: float, dt: float) -> float:
        v0 = self.set_speed if self.set_speed is not None else v
        if v0 <= 0.05 and self.lead is None:
            return -v / dt if v > 0.0 else 0.0  # asked to stand: stop within its limits
        a_max = min(self.max_accel, entity.max_accel)
        lead = self.lead
        gap, v_lead = (lead.gap, lead.speed) if lead is not None else (math.inf, 0.0)
        tg, b = self.gap_time(v), self.comfort_decel
        if v <= v0:
            return idm_acceleration(v, v0, gap, v_lead, tg, self.min_gap, a_max, b)
        # above a lowered set speed: come down at the comfortable rate, or harder for the lead
        follow = idm_acceleration(v, v, gap, v_lead, tg, self.min_gap, a_max, b)
        return min(follow, max(-self.comfort_decel, (v0 - v) / dt))
