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

from typing import TYPE_CHECKING

from .control import (
    S_MIN_TTC,
    S_STAGE,
    S_WARNING,
    STAGE_FULL,
    STAGE_NONE,
    STAGE_PARTIAL,
    braking_update,
    new_braking_state,
    pack_parameters,
)

if TYPE_CHECKING:
    from .builtin import StackParameters

PARTIAL, FULL = "partial", "full"
_STAGES = {STAGE_NONE: "", STAGE_PARTIAL: PARTIAL, STAGE_FULL: FULL}


class EmergencyBraking:
    """The warning and braking stage of one ego, updated at ``rate_hz`` from its speed and the nearest
    object in its path, with the stack's parameters of the moment (a scenario's controller may replace
    them during the run). Its state lives in the array :attr:`state` that the stack's compiled tick
    (:func:`dil.stack.control.control_step`) updates; :meth:`update` is the same step on its own."""

    def __init__(self, rate_hz: float) -> None:
        self.dt = 1.0 / rate_hz
        """Time between updates [s]."""
        self.state = new_braking_state()
        """The ``S_*`` state of :mod:`dil.stack.control`."""

    @property
    def warning(self) -> bool:
        """Forward collision warning active."""
        return bool(self.state[S_WARNING])

    @property
    def stage(self) -> str:
        """Braking stage: '', 'partial' or 'full'."""
        return _STAGES[float(self.state[S_STAGE])]

    @property
    def min_ttc(self) -> float:
        """Least time to collision seen [s]."""
        return float(self.state[S_MIN_TTC])

    def update(self, p: StackParameters, v: float, lead: tuple[float, float] | None) -> float:
        """One update with parameters ``p`` from the ego's speed ``v`` [m/s] and the gap [m] to and
        speed along the ego's heading [m/s] of the nearest object in its path (None: none). Returns the
        most acceleration the braking allows [m/s^2], ``math.inf`` when it does not brake."""
        gap, v_lead = lead if lead is not None else (0.0, 0.0)
        cap = braking_update(self.state, pack_parameters(p, dt=self.dt), v, lead is not None, gap, v_lead)
        return float(cap)
