"""The compiled step of the storyboard entities in the common state (see :mod:`dil.scenario.mover`).

:func:`move_rows` makes, for each entity row, what :meth:`Entity.move_start
<dil.scenario.entities.Entity.move_start>`, the lane-step kernel, the engine's yaw wrap and its world
placement make for an entity that follows its lane (changing lane by time or not) or a trajectory at
a speed that is constant or follows a speed transition: the speed update, the odometer, standstill and
acceleration, the sideways step, the step along the lane or the trajectory, the pose, and the
box-centre row the world takes. The arithmetic is the Python path's, operation for operation (``min``
and ``max`` as Python's: the first of equal values), so the results are the same to the bit. A row's
step and its lane step are inlined into the loop over the rows (no call per row that passes the
network's tables field by field).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dil.road.packed import tables

from .entities import LATERAL_CLOSE
from .kernels import _step_from

TWO_PI = 2.0 * math.pi

O_OK, O_S, O_X, O_Y, O_Z, O_YAW, O_ODOMETER, O_SPEED, O_ACCEL, O_STANDSTILL = range(10)
"""Columns of an entity's row that the step changes: what the step changed (:data:`MOVED`,
:data:`ROLLED`, :data:`STOOD`; 0.0: the kernel left the lane step to the Python path, and before the
first step: the pose is not known to be one a lane step made), s [m], reference point x, y, z [m],
heading [rad], odometer [m], speed [m/s], acceleration [m/s^2], standstill [s]."""
MOVED, ROLLED, STOOD, SIDEWAYS = 1.0, 2.0, 3.0, 4.0
"""What a step changed: anything; the place and odometer only (speed, acceleration and standstill are the
same to the bit, no transition ran); the standstill only; anything, in a lane change (its heading is not
the one a lane step alone gives: a step of 0 after it is made anew, not taken as it)."""
O_TR, O_ELAPSED, O_TRAVELLED = range(10, 13)
"""Its speed transition after the step: 1.0 while it runs, its elapsed time [s] and distance [m]."""
O_COMMON = 13
"""Columns the step changes in every row (the others it changes, from here to :data:`O_MOVING`, are a
lane change's, a trajectory's and what a lane step left to the Python path takes)."""
O_OFFSET, O_LAT, O_LAT_ELAPSED, O_ALONG, O_D_OFFSET, O_H_REL = range(13, 19)
"""Its lane offset [m]; its lane change after the step (1.0 while it runs) and elapsed time [s]; the
step's distance along the lane and change of offset [m] (what :meth:`Entity.move_finish
<dil.scenario.entities.Entity.move_finish>` takes where the kernel leaves the lane step); its heading
relative to the reference line [rad] (set where a lane change ends)."""
O_PATH, O_PATH_ALONG = 19, 20
"""Its trajectory after the step (1.0 while it runs; 0.0 once the step reached its end) and the distance
along it [m]."""
O_MOVING = 21
"""Columns the step changes (the first of a row)."""

M_ROAD, M_LANE, M_FORWARD, M_CENTRE_X, M_MAX_SPEED, M_MAX_ACCEL, M_MAX_DECEL, M_SLOT = range(21, 29)
"""Columns the step reads only: road row of the tables, lane id, 1.0 when it moves towards increasing s,
box centre ahead of the reference point [m], speed and acceleration limits [m/s, m/s^2], its row in the
world's pose array (-1: none)."""
M_TR, M_TR_SHAPE, M_TR_START, M_TR_END, M_TR_DURATION, M_TR_DISTANCE = range(29, 35)
"""Its speed transition: 1.0 when one runs, shape (:data:`SHAPES`), start and end speed [m/s],
duration [s], distance [m]."""
M_LAT_SHAPE, M_LAT_START, M_LAT_END, M_LAT_DURATION = range(35, 39)
"""Its lane change (a lateral transition by time, see :func:`_lateral`): shape (:data:`SHAPES`), start
and end offset [m], duration [s]."""
M_PATH, M_PATH_REVERSE, M_PATH_HEADED = range(39, 42)
"""Its trajectory (followed at its speed, see :func:`_follow`): where its arrays begin in the kernel's
work array (see :func:`path_block`), 1.0 when it is driven backwards, 1.0 when it has a heading at
each vertex."""
K_CENTRE = 42
"""The kernel's own: its lane's centre t at s [m] from its last lane step (NaN: not known, as when the
row is loaded), which the next lane step from the same s starts from."""
ROW = 43
"""Columns of a row."""
OUT = 5
"""The last ``OUT`` values of the kernel's work array hold a lane step's result (the trajectories' arrays
come before them, after the lane lookup's scratch)."""

SHAPES = ("step", "linear", "cubic", "sinusoidal")
"""Transition shapes by code (column ``M_TR_SHAPE``)."""


@njit(cache=True, inline="always")
def _max(a: float, b: float) -> float:
    """Python's ``max(a, b)``: ``a`` unless ``b`` is greater."""
    return b if b > a else a


@njit(cache=True, inline="always")
def _min(a: float, b: float) -> float:
    """Python's ``min(a, b)``: ``a`` unless ``b`` is less."""
    return b if b < a else a


@njit(cache=True, inline="always")
def _same(a: float, b: float) -> bool:
    """``a`` and ``b`` are the same float, the sign of a zero included."""
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@njit(cache=True)
def _shape_value(shape: int, u: float) -> float:
    """:func:`dil.scenario.entities.shape_value` of a shape code."""
    u = _min(_max(u, 0.0), 1.0)
    if shape == 0:
        return 1.0
    if shape == 1:
        return u
    if shape == 2:
        return u * u * (3.0 - 2.0 * u)
    return 0.5 - 0.5 * math.cos(math.pi * u)


@njit(cache=True)
def _speed(m: np.ndarray, dt: float) -> float:
    """The speed after a step of ``dt`` [s] of row ``m`` (its transition advanced in the row), as
    :meth:`Entity.move_start` sets it."""
    old = m[O_SPEED]
    speed = old
    if m[O_TR] != 0.0:
        m[O_ELAPSED] += dt
        m[O_TRAVELLED] += old * dt
        start, end = m[M_TR_START], m[M_TR_END]
        duration, distance = m[M_TR_DURATION], m[M_TR_DISTANCE]
        if distance > 0.0:
            u = m[O_TRAVELLED] / distance
        elif duration > 0.0:
            u = m[O_ELAPSED] / duration
        else:
            u = 1.0
        value = start + (end - start) * _shape_value(int(m[M_TR_SHAPE]), u)
        low = start
        if end < low:
            low = end
        if low > 0.0:
            low = 0.0
        v = _min(_max(value, low), _max(start, end))
        speed = _min(_max(v, old - m[M_MAX_DECEL] * dt), old + m[M_MAX_ACCEL] * dt)
        done = m[O_TRAVELLED] >= distance - 1e-9 if distance > 0.0 else m[O_ELAPSED] >= duration - 1e-9
        if done:
            speed = end
            m[O_TR] = 0.0
    if m[M_MAX_SPEED] < speed:
        speed = m[M_MAX_SPEED]
    return speed


@njit(cache=True)
def _lateral(m: np.ndarray, step: float, dt: float) -> tuple[float, float]:
    """The sideways part of a step of ``step`` [m] in ``dt`` [s] of row ``m`` whose lane change runs (by
    time, not on top of the speed), as :meth:`Entity.move_start
    <dil.scenario.entities.Entity.move_start>` makes it: the new offset and the change's progress in
    the row; the distance along the lane and the change of offset [m] the lane step takes."""
    before = m[O_OFFSET]
    m[O_LAT_ELAPSED] += dt
    start, end, duration = m[M_LAT_START], m[M_LAT_END], m[M_LAT_DURATION]
    shape = int(m[M_LAT_SHAPE])
    u = m[O_LAT_ELAPSED] / duration if duration > 0.0 else 1.0
    offset = start + (end - start) * _shape_value(shape, u)
    if m[O_LAT_ELAPSED] >= duration - 1e-9 or abs(offset - end) < LATERAL_CLOSE:
        offset = end
        m[O_LAT] = 0.0
    m[O_OFFSET] = offset
    d_offset = offset - before
    along = step
    if shape != 0:  # (not a step: what goes sideways is not made along the road)
        along = math.sqrt(_max(step * step - d_offset * d_offset, 0.0))
    else:
        d_offset = 0.0
    return along, d_offset


def path_block(tr: object) -> np.ndarray:
    """A trajectory's arrays as :func:`_follow` reads them from the work array: its number of vertices
    k, the distance along it at each vertex (k), each segment's length (k - 1), the vertices' x and y
    (k each) and, where it has them, their headings (k)."""
    parts = [tr.cumulative, tr.lengths, tr.points[:, 0], tr.points[:, 1]]  # type: ignore[attr-defined]
    if tr.headings is not None:  # type: ignore[attr-defined]
        parts.append(tr.headings)  # type: ignore[attr-defined]
    k = len(tr.cumulative)  # type: ignore[attr-defined]
    return np.concatenate([np.array([float(k)]), *(np.asarray(p, dtype=np.float64) for p in parts)])


@njit(cache=True)
def _follow(m: np.ndarray, step: float, work: np.ndarray) -> tuple[float, float, float]:
    """A step of ``step`` [m] along row ``m``'s trajectory, as :meth:`Entity.move_start
    <dil.scenario.entities.Entity.move_start>` and :meth:`Trajectory.pose
    <dil.scenario.entities.Trajectory.pose>` make it: the distance along it in the row (and its end
    marked where the step reaches it); the new x, y [m] and heading [rad]."""
    p = int(m[M_PATH])
    k = int(work[p])
    cum, lengths = p + 1, p + 1 + k
    px = lengths + k - 1
    py = px + k
    along = m[O_PATH_ALONG] + abs(step)
    m[O_PATH_ALONG] = along
    length = work[cum + k - 1]
    d = _min(_max(along, 0.0), length)
    j = 0  # searchsorted(cumulative, d, side="right")
    while j < k and work[cum + j] <= d:
        j += 1
    i = j - 1
    if i > k - 2:
        i = k - 2
    seg = work[lengths + i]
    u = (d - work[cum + i]) / seg if seg > 0 else 0.0
    ax, ay, bx, by = work[px + i], work[py + i], work[px + i + 1], work[py + i + 1]
    if m[M_PATH_HEADED] != 0.0:
        h0 = work[py + k + i]
        yaw = h0 + u * ((work[py + k + i + 1] - h0 + math.pi) % TWO_PI - math.pi)
    else:
        yaw = math.atan2(by - ay, bx - ax)
    if m[M_PATH_REVERSE] != 0.0:
        yaw = (yaw + math.pi + math.pi) % TWO_PI - math.pi
    if along >= length:
        m[O_PATH] = 0.0
    return ax + u * (bx - ax), ay + u * (by - ay), yaw


@njit(cache=True, inline="always")
def _move(T, m: np.ndarray, dt: float, work: np.ndarray, out: np.ndarray, poses: np.ndarray) -> None:
    """One entity's step (see :func:`move_rows`)."""
    old, old_accel, old_odometer, old_standstill = m[O_SPEED], m[O_ACCEL], m[O_ODOMETER], m[O_STANDSTILL]
    ran = m[O_TR] != 0.0
    lat = m[O_LAT] != 0.0
    speed = _speed(m, dt)
    m[O_SPEED] = speed
    m[O_ACCEL] = (speed - old) / dt if dt > 0 else 0.0
    step = speed * dt
    m[O_ODOMETER] += step
    if -1e-3 < speed < 1e-3:
        m[O_STANDSTILL] = m[O_STANDSTILL] + dt if m[O_STANDSTILL] > 0.0 else 1e-9
    else:
        m[O_STANDSTILL] = 0.0
    steady = not ran and not lat and _same(speed, old) and _same(m[O_ACCEL], old_accel)
    if m[O_PATH] != 0.0:  # on a trajectory: no lane step
        x, y, yaw = _follow(m, step, work)
        z = m[O_Z]
        m[O_OK] = SIDEWAYS
        m[O_X], m[O_Y], m[O_YAW] = x, y, yaw
    elif step == 0.0 and m[O_OK] != 0.0 and m[O_OK] != SIDEWAYS and not lat:
        # standing where its last lane step took it: that step's pose again (a step of 0 from the s
        # a step made gives the same s, and from it the same lane position, pose and heading)
        x, y, z, yaw = m[O_X], m[O_Y], m[O_Z], m[O_YAW]
        m[O_OK] = STOOD if steady and _same(m[O_ODOMETER], old_odometer) else MOVED
    else:
        along, d_offset = step, 0.0
        if lat:
            along, d_offset = _lateral(m, step, dt)
        m[O_ALONG], m[O_D_OFFSET] = along, d_offset
        road, lane, forward = int(m[M_ROAD]), int(m[M_LANE]), m[M_FORWARD] != 0.0
        centre = _step_from(T, road, lane, m[O_S], m[K_CENTRE], m[O_OFFSET], along, forward, work, out)
        m[K_CENTRE] = centre
        if math.isnan(centre):
            m[O_OK] = 0.0
            return
        m[O_OK] = SIDEWAYS if lat else ROLLED if steady and _same(m[O_STANDSTILL], old_standstill) else MOVED
        m[O_S] = out[0]
        x, y, z = out[1], out[2], out[3]
        if lat and (m[O_LAT] != 0.0 or d_offset != 0.0):
            # as Entity.move_finish: sideways motion turns the heading towards the path
            yaw = m[O_YAW]
            if step > 0.0:
                a = out[4] + math.atan2(d_offset, along if forward else -along)
                yaw = (a + math.pi) % TWO_PI - math.pi
            if m[O_LAT] == 0.0:
                m[O_H_REL] = 0.0 if forward else math.pi
        else:
            yaw = (out[4] + m[O_H_REL] + math.pi) % TWO_PI - math.pi
        m[O_X], m[O_Y], m[O_Z], m[O_YAW] = x, y, z, yaw
    slot = int(m[M_SLOT])
    if 0 <= slot < poses.shape[0]:
        c = m[M_CENTRE_X]
        p = poses[slot]
        p[0] = x + c * math.cos(yaw)
        p[1] = y + c * math.sin(yaw)
        p[2] = z
        p[3] = yaw
        p[4] = speed


@njit(cache=True)
def move_rows(
    fbuf: np.ndarray,
    ibuf: np.ndarray,
    where: np.ndarray,
    rows: np.ndarray,
    n: int,
    dt: float,
    work: np.ndarray,
    poses: np.ndarray,
) -> None:
    """Step the entities of the first ``n`` rows (columns ``O_*`` and ``M_*``; the ``O_*`` ones updated in
    place) by ``dt`` [s] on the network packed in ``fbuf``, ``ibuf``, ``where`` (:mod:`dil.road.packed`):
    speed, odometer, standstill, acceleration, the step along the lane and the pose; where the lane step
    is made, the box-centre x, y, z [m], heading [rad] and speed [m/s] go to row ``M_SLOT`` of ``poses``.
    ``work`` is scratch (a lane lookup's, and :data:`OUT` values more)."""
    T = tables(fbuf, ibuf, where)
    out = work[work.size - OUT :]
    for i in range(n):
        _move(T, rows[i], dt, work, out, poses)
