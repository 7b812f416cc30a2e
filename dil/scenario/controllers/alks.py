"""An ALKS-like controller (UN R157): keeps its lane, follows the lead at the regulation's
speed-dependent minimum time gap, and brakes for obstacles, cut-ins and crossing pedestrians in its
lane: a reference-driver brake (after a perception and reaction time) and an emergency brake below a
time to collision.

Properties (the reference player's catalog names, then dil's): ``setSpeed`` [m/s], ``timeGap`` [s]
(default: R157's table), ``cruise`` (false: hold the set speed, brake only for risks), ``aebTTC`` [s],
``aebDeceleration`` and ``driverDeceleration`` [m/s^2], ``aebAvailable``, ``fullStop`` (brake to a
standstill rather than until safe), ``reactionTime`` / ``reaction_time`` [s, perception plus reaction].
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from .acc import AccController, prop_bool, prop_float

if TYPE_CHECKING:
    from ..entities import Entity

_R157_KMH = ((7.2, 1.0), (10, 1.1), (20, 1.2), (30, 1.3), (40, 1.4), (50, 1.5), (60, 1.6))
R157_TIME_GAP = tuple((kmh / 3.6, gap) for kmh, gap in _R157_KMH)
"""UN R157 minimum following time gap [s] by speed [m/s], interpolated; flat beyond both ends."""


def r157_time_gap(v: float) -> float:
    """The regulation's minimum time gap [s] at speed v [m/s]."""
    pts = R157_TIME_GAP
    if v <= pts[0][0]:
        return pts[0][1]
    for (v0, g0), (v1, g1) in itertools.pairwise(pts):
        if v <= v1:
            return g0 + (g1 - g0) * (v - v0) / (v1 - v0)
    return pts[-1][1]


class AlksController(AccController):
    name = "ALKS"
    keeps_lane = True

    def __init__(self, properties: dict[str, str], source: str = "") -> None:
        super().__init__(properties, source)
        p = properties
        self.fixed_gap = "timeGap" in p or "time_gap" in p
        self.cruise = prop_bool(p, "cruise", True)
        self.aeb_available = prop_bool(p, "aebAvailable", True)
        self.full_stop = prop_bool(p, "fullStop", False)
        self.aeb_ttc = prop_float(p, ("aebTTC", "aeb_ttc"), 1.4)
        """Emergency braking below this time to collision [s]."""
        self.aeb_decel = prop_float(p, ("aebDeceleration", "aeb_decel"), 8.3385)
        self.driver_decel = prop_float(p, ("driverDeceleration", "driver_decel"), 7.59294)
        self.reaction_time = prop_float(p, ("reactionTime", "reaction_time"), 0.4 + 0.75)
        """From a risk appearing to the reference driver braking [s]: perception plus reaction."""
        self._risk_for = 0.0
        self._braking = 0.0
        """Deceleration of a brake manoeuvre under way [m/s^2] (0: none)."""

    def gap_time(self, v: float) -> float:
        return self.time_gap if self.fixed_gap else r157_time_gap(v)

    def prediction_time(self, entity: Entity) -> float:
        return 3.0  # cut-ins and crossing pedestrians are seen coming

    def acceleration(self, entity: Entity, v: float, dt: float) -> float:
        if self.cruise:
            a = super().acceleration(entity, v, dt)
        else:
            v0 = self.set_speed if self.set_speed is not None else v
            a = max(-self.comfort_decel, min(self.max_accel, (v0 - v) / max(dt, 1e-3)))
        lead = self.lead
        closing = v - lead.speed if lead is not None else 0.0
        ttc = lead.gap / closing if lead is not None and closing > 0.1 else math.inf
        # a risk: stopping behind it takes more than a comfortable deceleration
        risk = False
        if lead is not None:
            # a risk: the lead brakes hard, or stopping behind it takes more than a comfortable braking
            risk = lead.in_path and lead.accel < -self.comfort_decel
            if closing > 0.0:
                risk = risk or closing * closing / (2.0 * max(lead.gap - 1.0, 0.1)) > self.comfort_decel
        self._risk_for = self._risk_for + dt if risk else 0.0
        if self._braking > 0.0:
            done = v < 0.05 if self.full_stop else (lead is None or closing <= 0.0)
            if done:
                self._braking = 0.0
        if self.aeb_available and ttc < self.aeb_ttc:
            self._braking = max(self._braking, self.aeb_decel)
        elif risk and self._risk_for >= self.reaction_time:
            self._braking = max(self._braking, self.driver_decel)
        if self._braking > 0.0:
            a = min(a, -self._braking)
        return a
