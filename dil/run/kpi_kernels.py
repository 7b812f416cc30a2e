"""Numba kernels of the KPI observer's per-tick work (:func:`kpi_tick`, one call per tick): the live
actors taken from the world's table, the ego's speed, deceleration and jerk, the gaps from the ego to
every other actor and the least time to collision and headway to those in its path.

Actors are rows of ``(x, y, yaw, speed, length, width)`` [m, m, rad, m/s, m, m] of their box centres,
row 0 the ego. The arithmetic is that of :mod:`dil.scenario.separation` (freespace gaps between the
bounding boxes), in the same order, and that of the observer's Python before it (``min`` and ``max``
as Python's: the first of equals kept), so the KPIs are the same to the bit. One step stays in
Python: the free-space distance is Python's ``math.hypot`` (libm's differs in the last bit now and
then), computed only for the actors that may set a new least distance.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dil.world.actors import A_ALIVE, A_LENGTH, A_SPEED, A_WIDTH, A_X, A_Y, A_YAW

K_X, K_Y, K_YAW, K_SPEED, K_LENGTH, K_WIDTH = range(6)
"""Columns of an actor row."""
K_SIZE = 6


@njit(cache=True)
def _extent_along(b: np.ndarray, direction: float) -> float:
    """Length [m] of actor row ``b``'s box projected on the heading ``direction`` [rad]."""
    c, s = abs(math.cos(b[K_YAW] - direction)), abs(math.sin(b[K_YAW] - direction))
    return b[K_LENGTH] * c + b[K_WIDTH] * s


@njit(cache=True)
def ego_gaps(actors: np.ndarray, n: int, path_half_width: float, gaps: np.ndarray, least: np.ndarray) -> None:
    """For actors ``1..n-1``: ``gaps[i]`` = freespace longitudinal and lateral gap from the ego [m]
    (along and across its heading); ``least`` = (time to collision [s], headway [s]) lowered to those of
    the actors in the ego's path (within ``path_half_width`` [m] of its centre line, or overlapping it
    sideways)."""
    a = actors[0]
    ax, ay, yaw = a[K_X], a[K_Y], a[K_YAW]
    cy, sy = math.cos(yaw), math.sin(yaw)
    for i in range(1, n):
        b = actors[i]
        dx, dy = b[K_X] - ax, b[K_Y] - ay
        lon = dx * cy + dy * sy
        lon = math.copysign(max(0.0, abs(lon) - (0.5 * a[K_LENGTH] + 0.5 * _extent_along(b, yaw))), lon)
        lat_centre = -dx * sy + dy * cy
        lat = math.copysign(
            max(0.0, abs(lat_centre) - (0.5 * a[K_WIDTH] + 0.5 * _extent_along(b, yaw + math.pi / 2))),
            lat_centre,
        )
        gaps[i, 0] = lon
        gaps[i, 1] = lat
        if abs(lat_centre) < path_half_width or abs(lat) <= 1e-9:
            ttc = math.inf
            if lon >= 0.0:
                closing = a[K_SPEED] - b[K_SPEED] * math.cos(b[K_YAW] - yaw)
                if closing > 1e-6:
                    ttc = lon / closing
            if ttc < least[0]:
                least[0] = ttc
            headway = math.inf
            if not (lon < 0.0 or a[K_SPEED] < 1e-6):
                headway = lon / a[K_SPEED]
            if headway < least[1]:
                least[1] = headway


FARTHER_MARGIN = 1e-9
"""Relative margin on squared distances: ``lon * lon + lat * lat > least * least * (1 + margin)``
(each product and sum rounded once, a few units in the last place at most) means the exact distance
exceeds ``least`` by far more than any rounding of ``math.hypot(lon, lat)``: its hypot cannot be
the new least distance, and is not taken."""
SURE_LO = 1e-100
SURE_HI = 1e100
"""The least distances [m] between which that test is made (no square overflows or loses digits)."""


@njit(cache=True)
def farther_bound(least: float) -> float:
    """The squared distance beyond which a point is surely farther than ``least`` [m] (see
    :data:`FARTHER_MARGIN`; inf outside ``SURE_LO .. SURE_HI``)."""
    return least * least * (1.0 + FARTHER_MARGIN) if SURE_LO < least < SURE_HI else math.inf


@njit(cache=True)
def may_be_nearer(lon: float, lat: float, least: float, bound: float) -> bool:
    """False only when ``math.hypot(lon, lat)`` is surely not below ``least`` [m]: a gap not below it,
    or a squared distance beyond ``bound`` (:func:`farther_bound` of ``least``)."""
    return lon < least and lat < least and not lon * lon + lat * lat > bound


# the work array of kpi_tick (one row per actor): the actor row, its gaps, a near actor's gaps
W_ROW = 0
"""Columns ``W_ROW .. W_ROW + K_SIZE - 1``: the actor row (``K_*``)."""
W_GAPS = K_SIZE
"""Columns ``W_GAPS``, ``W_GAPS + 1``: the freespace gap along and across the ego's heading [m]."""
W_NEAR = K_SIZE + 2
"""Columns ``W_NEAR``, ``W_NEAR + 1``: the absolute gaps of an actor that may be the nearest yet [m]."""
W_ID = K_SIZE + 4
"""The actor's id."""
W_SIZE = K_SIZE + 5

# the running values of kpi_tick (NaN: none yet)
KS_N = 0
"""Actors held in the work array."""
KS_STARTED = 1
KS_INITIAL_SPEED = 2
KS_MIN_SPEED = 3
KS_FINAL_SPEED = 4
KS_MAX_DECEL = 5
KS_MAX_JERK = 6
KS_MIN_TTC = 7
KS_MIN_HEADWAY = 8
"""Follows ``KS_MIN_TTC`` (the two are :func:`ego_gaps`' ``least``)."""
KS_MIN_DISTANCE = 9
KS_SPEED_REDUCTION = 10
KS_DURATION = 11
KS_LAST_SPEED = 12
KS_LAST_AX = 13
KS_COLLISION = 14
"""1.0 once the ego has collided (the observer sets it): the speed reduction is then fixed."""
KS_RATE_HZ = 15
KS_HALF_WIDTH = 16
"""The path's half width [m]."""
KS_SIZE = 17

_COLUMNS = np.array([A_X, A_Y, A_YAW, A_SPEED, A_LENGTH, A_WIDTH], dtype=np.int64)
"""The actor table's columns of an actor row, in ``K_*`` order."""


def new_running(rate_hz: float, path_half_width: float) -> np.ndarray:
    """The running values of an observer at ``rate_hz`` [Hz] before its first tick."""
    acc = np.zeros(KS_SIZE)
    acc[[KS_MIN_SPEED, KS_MIN_TTC, KS_MIN_HEADWAY, KS_MIN_DISTANCE]] = math.inf
    acc[[KS_LAST_SPEED, KS_LAST_AX]] = math.nan
    acc[KS_RATE_HZ] = rate_hz
    acc[KS_HALF_WIDTH] = path_half_width
    return acc


@njit(cache=True)
def kpi_tick(table: np.ndarray, fresh: bool, work: np.ndarray, acc: np.ndarray, speed: float, ax: float,
             t_sim_ns: int) -> int:  # fmt: skip
    """One observer tick at ``t_sim_ns`` [ns]. ``fresh``: ``table`` (the world's actor table, columns
    of :mod:`dil.world.actors`) is new: its live actors become the rows of ``work`` (``W_*``; at least
    one row per table row). ``speed`` [m/s] and ``ax`` [m/s^2]: the vehicle's newest, NaN for none
    (then the ego row's speed, and the change of speed per tick). Updates ``acc`` (``KS_*``). Returns
    how many actors may be nearer than the least distance so far (those surely farther left out, see
    :data:`FARTHER_MARGIN`), their absolute gaps in the first rows of ``W_NEAR`` (the caller takes
    their distances), or -1 when the first live actor is not the ego (nothing measured)."""
    if fresh:
        m = 0
        for i in range(table.shape[0]):
            if table[i, A_ALIVE] > 0.5:
                for j in range(K_SIZE):
                    work[m, W_ROW + j] = table[i, _COLUMNS[j]]
                work[m, W_ID] = i
                m += 1
        acc[KS_N] = m
    n = int(acc[KS_N])
    if n == 0 or work[0, W_ID] != 0.0:
        return -1
    if math.isnan(speed):  # the vehicle's own state is newer than the world's copy of it
        speed = work[0, W_ROW + K_SPEED]
    work[0, W_ROW + K_SPEED] = speed
    if acc[KS_STARTED] == 0.0:
        acc[KS_INITIAL_SPEED] = speed
        acc[KS_STARTED] = 1.0
    rate_hz = acc[KS_RATE_HZ]
    if math.isnan(ax):
        last = acc[KS_LAST_SPEED]
        ax = 0.0 if math.isnan(last) else (speed - last) / (1.0 / rate_hz)
    acc[KS_LAST_SPEED] = speed
    acc[KS_DURATION] = t_sim_ns * 1e-9
    if speed < acc[KS_MIN_SPEED]:
        acc[KS_MIN_SPEED] = speed
    acc[KS_FINAL_SPEED] = speed
    if -ax > acc[KS_MAX_DECEL]:
        acc[KS_MAX_DECEL] = -ax
    last_ax = acc[KS_LAST_AX]
    if not math.isnan(last_ax):
        jerk = abs(ax - last_ax) * rate_hz
        if jerk > acc[KS_MAX_JERK]:
            acc[KS_MAX_JERK] = jerk
    acc[KS_LAST_AX] = ax
    near = 0
    if n > 1:
        rows, gaps = work[:, W_ROW : W_ROW + K_SIZE], work[:, W_GAPS : W_GAPS + 2]
        ego_gaps(rows, n, acc[KS_HALF_WIDTH], gaps, acc[KS_MIN_TTC : KS_MIN_HEADWAY + 1])
        least = acc[KS_MIN_DISTANCE]
        bound = farther_bound(least)
        for i in range(1, n):
            lon, lat = abs(gaps[i, 0]), abs(gaps[i, 1])
            if may_be_nearer(lon, lat, least, bound):
                work[near, W_NEAR] = lon
                work[near, W_NEAR + 1] = lat
                near += 1
    if acc[KS_COLLISION] == 0.0:
        acc[KS_SPEED_REDUCTION] = acc[KS_INITIAL_SPEED] - acc[KS_MIN_SPEED]
    return near
