"""SpeedProfileAction in ``follow`` mode: a jerk-limited speed plan.

The entries first make a polyline of speed over time (each entry reached in its time at constant
acceleration, an acceleration beyond maxAcceleration / maxDeceleration stretching the entry's time).
The plan then follows the polyline's lines and leaves one for the next with a constant jerk
(maxAccelerationRate when the acceleration grows, maxDecelerationRate when it falls), so the
acceleration never jumps: the entries' speeds are met along the lines, not at their corners. The
acceleration the entity has at the start is where the first blend begins; the last line is the last
entry's speed held.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

_EPS = 1e-9


@dataclass(frozen=True)
class Piece:
    """A piece of the plan from time ``t`` [s]: speed ``v`` [m/s], acceleration ``a`` [m/s^2] and
    jerk ``j`` [m/s^3] at its start."""

    t: float
    v: float
    a: float
    j: float

    def speed(self, t: float) -> float:
        """Speed [m/s] at time ``t`` [s] on this piece."""
        tau = t - self.t
        return self.v + self.a * tau + 0.5 * self.j * tau * tau


def _polyline(
    v_now: float, targets: list[tuple[float, float | None]], accel: float, decel: float
) -> list[tuple[float, float]]:
    """Vertices (time from the start [s], speed [m/s]) of the constant-acceleration polyline.

    ``targets`` holds (speed [m/s], time [s] or None); a first entry with time 0 is the current speed.
    """
    verts = [(0.0, v_now)]
    for i, (v, d) in enumerate(targets):
        if i == 0 and d is not None and d <= _EPS:
            continue
        t0, v0 = verts[-1]
        dv = v - v0
        k = dv / d if d is not None and d > _EPS else math.inf * (1.0 if dv >= 0.0 else -1.0)
        if d is None or not -decel <= k <= accel:
            if abs(dv) < _EPS:
                continue
            k = min(k, accel) if dv > 0.0 else max(k, -decel)
            d = dv / k
        if d <= _EPS:
            verts[-1] = (t0, v)
            continue
        verts.append((t0 + d, v))
    return verts


def _single(
    v0: float, a0: float, t_end: float, v1: float, rates: tuple[float, float], limits: tuple[float, float]
) -> list[Piece] | None:
    """One target: a jerk up to an acceleration, held, and a jerk back to 0 reaching ``v1`` [m/s] at
    ``t_end`` [s] if the constraints allow it (later if not). None where no such plan exists."""
    up_rate, down_rate = rates
    accel, decel = limits
    dv = v1 - v0
    rising = dv >= 0.0
    j0 = up_rate if dv / t_end > a0 else -down_rate
    j1 = -down_rate if rising else up_rate
    if abs(j0 - j1) < _EPS:
        return None
    # the peak acceleration a1 solves  c2 a1^2 + c1 a1 + c0 = 0  with a held part of length >= 0
    c2 = 0.5 / j1 - 0.5 / j0
    c1 = t_end + a0 / j0
    c0 = -(a0 * a0) / (2.0 * j0) - dv
    roots = []
    disc = c1 * c1 - 4.0 * c2 * c0
    if abs(c2) > _EPS and disc >= 0.0:
        roots = [(-c1 + s * math.sqrt(disc)) / (2.0 * c2) for s in (1.0, -1.0)]
    a1 = None
    for r in roots:
        tau0, tau2 = (r - a0) / j0, -r / j1
        if tau0 >= -_EPS and tau2 >= -_EPS and t_end - tau0 - tau2 >= -_EPS:
            a1 = r
            break
    if a1 is None:
        # no time for a held part: the two jerks meet (the target is reached later)
        sq = (dv + a0 * a0 / (2.0 * j0)) / c2
        if sq < 0.0:
            return None
        a1 = math.copysign(math.sqrt(sq), dv)
    a1 = min(max(a1, -decel), accel)
    tau0, tau2 = (a1 - a0) / j0, -a1 / j1
    dv0 = a0 * tau0 + 0.5 * j0 * tau0 * tau0
    dv2 = 0.5 * a1 * tau2
    tau1 = (dv - dv0 - dv2) / a1 if abs(a1) > _EPS else 0.0
    if tau0 < -_EPS or tau1 < -_EPS:
        return None
    pieces = [Piece(0.0, v0, a0, j0), Piece(tau0, v0 + dv0, a1, 0.0)]
    pieces.append(Piece(tau0 + tau1, v0 + dv0 + a1 * tau1, a1, j1))
    pieces.append(Piece(tau0 + tau1 + tau2, v1, 0.0, 0.0))
    return pieces


def follow_plan(
    v_now: float,
    a_now: float,
    targets: list[tuple[float, float | None]],
    limits: tuple[float, float],
    rates: tuple[float, float],
) -> list[Piece] | None:
    """Pieces of the jerk-limited plan, times from the action's start [s].

    ``v_now`` [m/s] and ``a_now`` [m/s^2] are the entity's at the start; ``limits`` (maxAcceleration,
    maxDeceleration) [m/s^2]; ``rates`` (maxAccelerationRate, maxDecelerationRate) [m/s^3]. None where
    the constraints allow no such plan (the caller then keeps to the polyline).
    """
    accel, decel = limits
    up_rate, down_rate = rates
    if not (up_rate > 0.0 and down_rate > 0.0 and math.isfinite(up_rate) and math.isfinite(down_rate)):
        return None
    verts = _polyline(v_now, targets, accel, decel)
    if len(verts) == 1:
        return [Piece(0.0, v_now, 0.0, 0.0)]
    if len(verts) == 2:
        return _single(v_now, a_now, verts[1][0], verts[1][1], rates, limits)
    # lines v = k t + m: one per polyline segment, then the last speed held
    lines = []
    for (t0, v0), (t1, v1) in itertools.pairwise(verts):
        k = (v1 - v0) / (t1 - t0)
        lines.append((k, v0 - k * t0))
    lines.append((0.0, verts[-1][1]))
    k0 = lines[0][0]
    j = up_rate if k0 > a_now else -down_rate
    tau = (k0 - a_now) / j
    pieces = [Piece(0.0, v_now, a_now, j)] if tau > _EPS else []
    t_on = max(tau, 0.0)
    v_on = v_now + a_now * t_on + 0.5 * j * t_on * t_on
    ka, ma = k0, v_on - k0 * t_on  # the first line runs through where the first blend ends
    pieces.append(Piece(t_on, v_on, ka, 0.0))
    for kb, mb in lines[1:]:
        if abs(kb - ka) < _EPS:
            continue
        j = up_rate if kb > ka else -down_rate
        tau = (kb - ka) / j
        t1 = (mb - ma + 0.5 * j * tau * tau) / (ka - kb)
        if t1 < t_on - _EPS:
            return None
        v1 = ka * t1 + ma
        pieces.append(Piece(t1, v1, ka, j))
        t_on = t1 + tau
        pieces.append(Piece(t_on, kb * t_on + mb, kb, 0.0))
        ka, ma = kb, mb
    return pieces
