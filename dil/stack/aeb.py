"""Autonomous emergency braking of the built-in stack: forward collision warning, partial braking, then
full braking, each stage entered on time-to-collision (TTC) thresholds and left only with hysteresis.

A stage escalates (warning -> partial -> full) as soon as its threshold is crossed; it never steps
down while the threat lasts. Braking, once fired, holds for at least ``min_brake_time`` and then until
the threat is gone: nothing in the path any more, or the TTC back above the warning threshold plus
``ttc_hysteresis`` with little deceleration still needed to stop short. In front of a standing
object it brakes to a standstill and holds the car there for ``standstill_hold``, as production
systems do. So the pedals never alternate between braking and throttle from one tick to the next.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .builtin import StackParameters

STANDSTILL_SPEED = 0.1
"""The ego is at a standstill below this speed [m/s]."""
STANDING_OBJECT_SPEED = 0.5
"""An object slower than this along the ego's heading stands [m/s]."""
CLOSING_SPEED = 0.1
"""Closing speeds below this give no time to collision [m/s]."""
PARTIAL, FULL = "partial", "full"


class EmergencyBraking:
    """The warning and braking stage of one ego, updated at ``rate_hz`` from its speed and the nearest
    object in its path, with the stack's parameters of the moment (a scenario's controller may replace
    them during the run)."""

    def __init__(self, rate_hz: float) -> None:
        self.dt = 1.0 / rate_hz
        """Time between updates [s]."""
        self.warning = False
        """Forward collision warning active."""
        self.stage = ""
        """Braking stage: '', 'partial' or 'full'."""
        self.min_ttc = math.inf
        """Least time to collision seen [s]."""
        self._braking_s = 0.0
        self._standstill_s = 0.0
        self._warning_s = 0.0

    def update(self, p: StackParameters, v: float, lead: tuple[float, float] | None) -> float:
        """One update with parameters ``p`` from the ego's speed ``v`` [m/s] and the gap [m] to and
        speed along the ego's heading [m/s] of the nearest object in its path (None: none). Returns the
        most acceleration the braking allows [m/s^2], ``math.inf`` when it does not brake."""
        ttc, needed = math.inf, 0.0
        if lead is not None:
            gap, v_lead = lead
            dv = v - v_lead
            if dv > CLOSING_SPEED:
                ttc = gap / dv
            if dv > 0.0:
                needed = dv * dv / (2.0 * max(gap - p.stop_margin, 0.1))
            self.min_ttc = min(self.min_ttc, ttc)

        if ttc < p.ttc_full or needed > p.partial_decel:
            self._engage(FULL)
        elif ttc < p.ttc_partial and self.stage != FULL:
            self._engage(PARTIAL)
        if self.stage:
            self._braking_s += self.dt
            if v < STANDSTILL_SPEED:
                self._standstill_s += self.dt
                if self._standstill_s > p.standstill_hold:
                    self.stage = ""
            elif self._braking_s >= p.min_brake_time and self._threat_gone(p, lead, ttc, needed):
                self.stage = ""

        if self.stage or ttc < p.ttc_warning:
            if not self.warning:
                self._warning_s = 0.0
            self.warning = True
        elif self.warning and self._warning_s >= p.min_brake_time and ttc > p.ttc_warning + p.ttc_hysteresis:
            self.warning = False
        self._warning_s += self.dt

        if self.stage == FULL:
            return -p.full_decel
        if self.stage == PARTIAL:
            return -p.partial_decel
        return math.inf

    def _engage(self, stage: str) -> None:
        if not self.stage:
            self._braking_s = 0.0
            self._standstill_s = 0.0
        self.stage = stage

    @staticmethod
    def _threat_gone(p: StackParameters, lead: tuple[float, float] | None, ttc: float, needed: float) -> bool:
        if lead is None:
            return True  # nothing in the path any more
        if lead[1] < STANDING_OBJECT_SPEED:
            return False  # brake to a standstill in front of a standing object
        return ttc > p.ttc_warning + p.ttc_hysteresis and needed < p.comfort_decel
