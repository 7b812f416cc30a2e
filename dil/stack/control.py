"""The built-in stack's control laws as numba kernels: the lead in the ego's path from the object list,
adaptive cruise (intelligent driver model), the emergency braking's stages, pure pursuit and the pedal
map, all in one compiled call per stack tick (:func:`control_step`).

They compute what the Python code they replace computed, operation for operation (Python's ``max``
and ``min`` kept by :func:`_max` and :func:`_min`, ``x ** k`` as ``math.pow``), so the stack's commands
are the same to the bit. Objects come as the rows of :class:`dil.bus.values.ObjectSet`; parameters
as an array packed once from :class:`dil.stack.builtin.StackParameters` (:func:`pack_parameters`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from dil.bus.values import OBJ_LENGTH, OBJ_SPEED, OBJ_WIDTH, OBJ_X, OBJ_Y, OBJ_YAW

from .kernels import nearest_distance

# parameters (pack_parameters): StackParameters' fields, then the vehicle's geometry
P_TIME_GAP = 0
P_MIN_GAP = 1
P_MAX_ACCEL = 2
P_COMFORT_DECEL = 3
P_TTC_WARNING = 4
P_TTC_PARTIAL = 5
P_TTC_FULL = 6
P_PARTIAL_DECEL = 7
P_FULL_DECEL = 8
P_LOOKAHEAD_TIME = 9
P_MIN_LOOKAHEAD = 10
P_CORRIDOR = 11
P_STOP_MARGIN = 12
P_STANDSTILL_HOLD = 13
P_TTC_HYSTERESIS = 14
P_MIN_BRAKE_TIME = 15
P_ACC = 16
"""1.0: adaptive cruise on."""
P_WHEELBASE = 17
"""[m]"""
P_RATIO = 18
"""Steering ratio: wheel angle per road-wheel angle."""
P_MAX_WHEEL = 19
"""Largest steering-wheel angle [rad]."""
P_EGO_LENGTH = 20
"""[m]"""
P_DT = 21
"""Time between stack ticks [s]."""
P_TWO = 22
"""2.0, the exponent of the IDM's gap term, read at run time: a literal 2.0 lets LLVM turn
``pow(x, 2.0)`` into ``x * x``, not always the bits of Python's ``x ** 2`` (libm's ``pow``)."""
P_SIZE = 23

# the emergency braking's state (EmergencyBraking.state)
S_WARNING = 0
"""1.0: forward collision warning on."""
S_STAGE = 1
"""Braking stage: STAGE_NONE, STAGE_PARTIAL or STAGE_FULL."""
S_MIN_TTC = 2
"""Least time to collision seen [s]."""
S_BRAKING_S = 3
S_STANDSTILL_S = 4
S_WARNING_S = 5
S_SIZE = 6
STAGE_NONE, STAGE_PARTIAL, STAGE_FULL = 0.0, 1.0, 2.0

# control_step's outputs (in this order: the stack reads them with one tolist)
C_STEER = 0
"""Steering-wheel angle [rad]."""
C_THROTTLE = 1
C_BRAKE = 2
C_SIZE = 3

STANDSTILL_SPEED = 0.1
"""The ego is at a standstill below this speed [m/s]."""
STANDING_OBJECT_SPEED = 0.5
"""An object slower than this along the ego's heading stands [m/s]."""
CLOSING_SPEED = 0.1
"""Closing speeds below this give no time to collision [m/s]."""


def pack_parameters(p: Any, wheelbase: float = 0.0, ratio: float = 1.0, max_wheel: float = 0.0,
                    ego_length: float = 0.0, dt: float = 0.02) -> np.ndarray:  # fmt: skip
    """The ``P_*`` array of stack parameters ``p`` (a :class:`~dil.stack.builtin.StackParameters`),
    the vehicle's ``wheelbase`` [m], steering ``ratio``, ``max_wheel`` angle [rad] and ``ego_length``
    [m], and the time ``dt`` [s] between ticks."""
    out = np.empty(P_SIZE)
    out[:P_WHEELBASE] = (
        p.time_gap, p.min_gap, p.max_accel, p.comfort_decel, p.ttc_warning, p.ttc_partial, p.ttc_full,
        p.partial_decel, p.full_decel, p.lookahead_time, p.min_lookahead, p.corridor_half_width,
        p.stop_margin, p.standstill_hold, p.ttc_hysteresis, p.min_brake_time, 1.0 if p.acc else 0.0,
    )  # fmt: skip
    out[P_WHEELBASE:] = (wheelbase, ratio, max_wheel, ego_length, dt, 2.0)
    return out


def new_braking_state() -> np.ndarray:
    """The ``S_*`` state of an emergency braking that has seen nothing yet."""
    s = np.zeros(S_SIZE)
    s[S_MIN_TTC] = math.inf
    return s


@njit(cache=True)
def _max(a: float, b: float) -> float:
    """Python's ``max(a, b)``: the first of equals (so the sign of a zero is Python's)."""
    return b if b > a else a


@njit(cache=True)
def _min(a: float, b: float) -> float:
    """Python's ``min(a, b)``: the first of equals."""
    return b if b < a else a


@njit(cache=True)
def lead_in_path(objs: np.ndarray, v: float, corridor_half_width: float,
                 ego_length: float) -> tuple[bool, float, float]:  # fmt: skip
    """The nearest object of rows ``objs`` in the ego's path now, or crossing into it by the time the
    ego gets there at its speed ``v`` [m/s] (objects predicted at constant velocity): (found, its gap
    [m, not negative], its speed along the ego's heading [m/s]); (False, 0, 0) for none."""
    found = False
    best_gap = best_speed = 0.0
    corridor = corridor_half_width - 0.5
    for i in range(objs.shape[0]):
        x, y, yaw = objs[i, OBJ_X], objs[i, OBJ_Y], objs[i, OBJ_YAW]
        if x <= 0.0:
            continue
        length, width, speed = objs[i, OBJ_LENGTH], objs[i, OBJ_WIDTH], objs[i, OBJ_SPEED]
        c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
        half = 0.5 * (width * c + length * s)
        if abs(y) - half > corridor:
            arrive = x / _max(v, 0.5)
            vy = speed * math.sin(yaw)
            y_then = y + vy * arrive
            crossing = (y > 0) != (y_then > 0) or abs(y_then) - half <= corridor
            if not crossing or abs(y) - half - abs(vy) * arrive > corridor:
                continue
        gap = x - 0.5 * ego_length - 0.5 * (length * c + width * s)
        if not found or gap < best_gap:
            best_gap = _max(gap, 0.0)
            best_speed = speed * math.cos(yaw)
            found = True
    return found, best_gap, best_speed


@njit(cache=True)
def idm(v: float, v0: float, gap: float, v_lead: float, time_gap: float, min_gap: float,
        max_accel: float, comfort_decel: float, two: float) -> float:  # fmt: skip
    """:func:`dil.stack.builtin.idm_acceleration` for a finite ``gap`` [m]: the acceleration
    [m/s^2] at ``v`` [m/s] towards ``v0`` [m/s] behind a lead at ``v_lead`` [m/s]; ``two`` is 2.0
    (see ``P_TWO``)."""
    v0 = _max(v0, 0.1)
    dv = v - v_lead
    s_star = min_gap + _max(0.0, v * time_gap + v * dv / (2.0 * math.sqrt(max_accel * comfort_decel)))
    return max_accel * (1.0 - math.pow(v / v0, 4.0) - math.pow(s_star / _max(gap, 0.1), two))


@njit(cache=True)
def _engage(state: np.ndarray, stage: float) -> None:
    if state[S_STAGE] == STAGE_NONE:
        state[S_BRAKING_S] = 0.0
        state[S_STANDSTILL_S] = 0.0
    state[S_STAGE] = stage


@njit(cache=True)
def _threat_gone(p: np.ndarray, has_lead: bool, v_lead: float, ttc: float, needed: float) -> bool:
    if not has_lead:
        return True  # nothing in the path any more
    if v_lead < STANDING_OBJECT_SPEED:
        return False  # brake to a standstill in front of a standing object
    return ttc > p[P_TTC_WARNING] + p[P_TTC_HYSTERESIS] and needed < p[P_COMFORT_DECEL]


@njit(cache=True)
def braking_update(state: np.ndarray, p: np.ndarray, v: float, has_lead: bool, gap: float,
                   v_lead: float) -> float:  # fmt: skip
    """One update of the emergency braking ``state`` (``S_*``) with parameters ``p`` (``P_*``) from
    the ego's speed ``v`` [m/s] and, if ``has_lead``, the gap [m] to and speed along the ego's heading
    [m/s] of the nearest object in its path (see :mod:`dil.stack.aeb`). Returns the most acceleration
    the braking allows [m/s^2], inf when it does not brake."""
    dt = p[P_DT]
    ttc, needed = math.inf, 0.0
    if has_lead:
        dv = v - v_lead
        if dv > CLOSING_SPEED:
            ttc = gap / dv
        if dv > 0.0:
            needed = dv * dv / (2.0 * _max(gap - p[P_STOP_MARGIN], 0.1))
        state[S_MIN_TTC] = _min(state[S_MIN_TTC], ttc)

    if ttc < p[P_TTC_FULL] or needed > p[P_PARTIAL_DECEL]:
        _engage(state, STAGE_FULL)
    elif ttc < p[P_TTC_PARTIAL] and state[S_STAGE] != STAGE_FULL:
        _engage(state, STAGE_PARTIAL)
    if state[S_STAGE] != STAGE_NONE:
        state[S_BRAKING_S] += dt
        if v < STANDSTILL_SPEED:
            state[S_STANDSTILL_S] += dt
            if state[S_STANDSTILL_S] > p[P_STANDSTILL_HOLD]:
                state[S_STAGE] = STAGE_NONE
        elif state[S_BRAKING_S] >= p[P_MIN_BRAKE_TIME] and _threat_gone(p, has_lead, v_lead, ttc, needed):
            state[S_STAGE] = STAGE_NONE

    if state[S_STAGE] != STAGE_NONE or ttc < p[P_TTC_WARNING]:
        if state[S_WARNING] == 0.0:
            state[S_WARNING_S] = 0.0
        state[S_WARNING] = 1.0
    elif (
        state[S_WARNING] != 0.0
        and state[S_WARNING_S] >= p[P_MIN_BRAKE_TIME]
        and ttc > p[P_TTC_WARNING] + p[P_TTC_HYSTERESIS]
    ):
        state[S_WARNING] = 0.0
    state[S_WARNING_S] += dt

    if state[S_STAGE] == STAGE_FULL:
        return -p[P_FULL_DECEL]
    if state[S_STAGE] == STAGE_PARTIAL:
        return -p[P_PARTIAL_DECEL]
    return math.inf


@njit(cache=True)
def longitudinal(objs: np.ndarray, p: np.ndarray, state: np.ndarray, v: float, cruise: float) -> float:
    """The acceleration [m/s^2] the stack asks for at speed ``v`` [m/s] and cruise speed ``cruise``
    [m/s]: adaptive cruise behind the lead in ``objs`` (or holding the cruise speed when ``P_ACC`` is
    0), capped by the emergency braking (its ``state`` updated)."""
    v0 = _max(cruise, 0.1)
    a = p[P_MAX_ACCEL] * (1.0 - math.pow(v / v0, 4.0))
    has_lead, gap, v_lead = lead_in_path(objs, v, p[P_CORRIDOR], p[P_EGO_LENGTH])
    if p[P_ACC] == 0.0:
        a = _max(-p[P_COMFORT_DECEL], _min(p[P_MAX_ACCEL], 1.5 * (cruise - v)))
    elif has_lead:
        a = idm(v, v0, gap, v_lead, p[P_TIME_GAP], p[P_MIN_GAP], p[P_MAX_ACCEL], p[P_COMFORT_DECEL], p[P_TWO])
    a = _min(a, braking_update(state, p, v, has_lead, gap, v_lead))
    return _max(a, -p[P_FULL_DECEL])


@njit(cache=True)
def pure_pursuit(ahead: np.ndarray, dist: np.ndarray, n: int, p: np.ndarray, v: float) -> float:
    """The steering-wheel angle [rad] aiming at the point of the path ``ahead[:n]`` (ego frame [m],
    distances ``dist[:n]`` [m]) nearest the look-ahead distance at speed ``v`` [m/s]; 0 without one."""
    if n == 0:
        return 0.0
    ld = _max(p[P_MIN_LOOKAHEAD], p[P_LOOKAHEAD_TIME] * v)
    k = nearest_distance(dist[:n], ld)
    x, y = ahead[k, 0], ahead[k, 1]
    alpha = math.atan2(y, x)
    delta = math.atan2(2.0 * p[P_WHEELBASE] * math.sin(alpha), _max(math.hypot(x, y), 1.0))
    return _max(-p[P_MAX_WHEEL], _min(p[P_MAX_WHEEL], delta * p[P_RATIO]))


@njit(cache=True)
def control_step(objs: np.ndarray, p: np.ndarray, state: np.ndarray, ahead: np.ndarray, dist: np.ndarray,
                 n_ahead: int, v: float, cruise: float, out: np.ndarray) -> None:  # fmt: skip
    """One stack tick: the command into ``out`` (``C_*``: steering-wheel angle [rad], throttle and
    brake 0..1) from the objects ``objs``, the path ``ahead[:n_ahead]`` (see :func:`pure_pursuit`), the
    ego's speed ``v`` and the cruise speed ``cruise`` [m/s]; the braking ``state`` is updated."""
    accel = longitudinal(objs, p, state, v, cruise)
    out[C_STEER] = pure_pursuit(ahead, dist, n_ahead, p, v)
    if accel >= 0.0:
        throttle, brake = _min(1.0, 0.08 + 0.22 * accel + 0.004 * v), 0.0
    else:
        throttle, brake = 0.0, _min(1.0, -accel / 9.0)
    if v < 0.5 and cruise < 0.1:
        throttle, brake = 0.0, _max(brake, 0.3)  # hold at standstill
    out[C_THROTTLE] = throttle
    out[C_BRAKE] = brake
