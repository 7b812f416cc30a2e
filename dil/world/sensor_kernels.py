"""The ground-truth sensors' geometry as numba kernels: what lies within range of the ego, moved into
the ego's frame (x ahead, y left of its box centre [m]), written into preallocated arrays; the
sensors make their message records from them (:mod:`dil.world.sensors`)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .actors import A_ALIVE, A_HEIGHT, A_KIND, A_LENGTH, A_SPEED, A_WIDTH, A_X, A_Y, A_YAW, A_Z, EGO

O_ID = 0
O_KIND = 1
O_X = 2
O_Y = 3
O_DYAW = 4
"""Heading minus the ego's [rad], not wrapped."""
O_SPEED = 5
O_LENGTH = 6
O_WIDTH = 7
O_HEIGHT = 8
O_SIZE = 9


@njit(cache=True)
def objects_in_range(actors: np.ndarray, n: int, range_m: float, out: np.ndarray) -> int:
    """Rows ``O_*`` into ``out`` for each live actor of rows ``1 .. n-1`` within ``range_m`` [m] of the
    ego (row 0), in row order; returns how many."""
    ex, ey, eyaw = actors[EGO, A_X], actors[EGO, A_Y], actors[EGO, A_YAW]
    c, s = math.cos(eyaw), math.sin(eyaw)
    m = 0
    for i in range(1, n):
        a = actors[i]
        dx, dy = a[A_X] - ex, a[A_Y] - ey
        if not (a[A_ALIVE] > 0.5 and math.hypot(dx, dy) <= range_m):
            continue
        r = out[m]
        r[O_ID] = i
        r[O_KIND] = a[A_KIND]
        r[O_X] = dx * c + dy * s
        r[O_Y] = -dx * s + dy * c
        r[O_DYAW] = a[A_YAW] - eyaw
        r[O_SPEED] = a[A_SPEED]
        r[O_LENGTH] = a[A_LENGTH]
        r[O_WIDTH] = a[A_WIDTH]
        r[O_HEIGHT] = a[A_HEIGHT]
        m += 1
    return m


@njit(cache=True)
def wrap_angles(rows: np.ndarray, col: int) -> None:
    """Column ``col`` of ``rows`` [rad] wrapped into [-pi, pi] in place, to the bit as
    ``math.remainder(a, 2 * math.pi)`` (the IEEE remainder, exact: made of ``fmod``, which is exact)."""
    two_pi = 2.0 * math.pi
    for i in range(rows.shape[0]):
        a = rows[i, col]
        r = np.fmod(a, two_pi)  # exact, |r| < 2 pi, the sign of a
        half = abs(r)
        if half > math.pi or (half == math.pi and abs(np.fmod(a, 2.0 * two_pi)) >= two_pi):
            r -= math.copysign(two_pi, r)  # exact (Sterbenz); a tie goes to the even multiple
        rows[i, col] = r


@njit(cache=True)
def measure_objects(actors: np.ndarray, n: int, range_m: float, rows: np.ndarray) -> int:
    """:func:`objects_in_range` into ``rows``, checked as :func:`rows_valid` (sizes not negative), then
    their headings wrapped as :func:`wrap_angles` does, in one call: how many rows, or ``-1 - m``
    when their numbers do not pass the schema's checks."""
    m = objects_in_range(actors, n, range_m, rows)
    valid = rows_valid(rows, m, O_LENGTH, O_HEIGHT + 1)
    wrap_angles(rows[:m], O_DYAW)
    return m if valid else -1 - m


@njit(cache=True)
def lane_points_in_range(
    boxes: np.ndarray,
    chunk_strip: np.ndarray,
    chunk_span: np.ndarray,
    xy: np.ndarray,
    ex: float,
    ey: float,
    yaw: float,
    range_m: float,
    reach: float,
    points: np.ndarray,
    runs: np.ndarray,
) -> int:
    """The lane points ``xy`` (n, 2) [m, world] within ``range_m`` of ``(ex, ey)``, in the frame of a
    body there heading ``yaw`` [rad], into ``points``, strip by strip: ``runs`` gets a row ``(strip,
    first, end)`` per strip with points in range (rows of ``points``); returns how many runs.

    The points come in runs (``chunk_span`` rows ``[first, end)`` of ``xy``, of strip
    ``chunk_strip``, in strip order) whose bounding ``boxes`` (x min, y min, x max, y max) are checked
    first: only runs within ``reach`` [m] are looked at point by point."""
    c, s = math.cos(yaw), math.sin(yaw)
    # squared bounds a hair inside and outside range_m: only points between them need the hypot
    # (exact as hypot, which is within an ulp; a NaN fails both and goes to the hypot)
    inside = (range_m * (1.0 - 1e-9)) ** 2
    outside = (range_m * (1.0 + 1e-9)) ** 2
    # a run is skipped by its squared gap (no hypot): one near ``reach`` holds no point within
    # range_m either way, so the points and runs found are the same
    reach2 = reach * reach
    m = 0
    p = 0
    current = -1
    for j in range(boxes.shape[0]):
        gap_x = max(max(boxes[j, 0] - ex, ex - boxes[j, 2]), 0.0)
        gap_y = max(max(boxes[j, 1] - ey, ey - boxes[j, 3]), 0.0)
        if not gap_x * gap_x + gap_y * gap_y <= reach2:
            continue
        k = chunk_strip[j]
        if k != current:
            if m > 0 and runs[m - 1, 2] == runs[m - 1, 1]:
                m -= 1  # the previous strip had no point in range
            runs[m, 0] = k
            runs[m, 1] = p
            m += 1
            current = k
        for i in range(chunk_span[j, 0], chunk_span[j, 1]):
            dx, dy = xy[i, 0] - ex, xy[i, 1] - ey
            d2 = dx * dx + dy * dy
            if d2 > outside:
                continue  # surely beyond range_m (hypot would say so too)
            if d2 <= inside or math.hypot(dx, dy) <= range_m:
                points[p, 0] = dx * c + dy * s
                points[p, 1] = -dx * s + dy * c
                p += 1
        runs[m - 1, 2] = p
    if m > 0 and runs[m - 1, 2] == runs[m - 1, 1]:
        m -= 1
    return m


@njit(cache=True)
def lanes_in_range(
    boxes: np.ndarray,
    chunk_strip: np.ndarray,
    chunk_span: np.ndarray,
    xy: np.ndarray,
    ex: float,
    ey: float,
    yaw: float,
    range_m: float,
    reach: float,
    points: np.ndarray,
    runs: np.ndarray,
) -> int:
    """:func:`lane_points_in_range` and :func:`rows_valid` of its points in one call: how many runs, or
    ``-1 - m`` when a point is not finite."""
    m = lane_points_in_range(boxes, chunk_strip, chunk_span, xy, ex, ey, yaw, range_m, reach, points, runs)
    end = runs[m - 1, 2] if m > 0 else 0
    return m if rows_valid(points, end, 0, 0) else -1 - m


@njit(cache=True)
def measure_lanes(
    boxes: np.ndarray,
    chunk_strip: np.ndarray,
    chunk_span: np.ndarray,
    xy: np.ndarray,
    actors: np.ndarray,
    range_m: float,
    points: np.ndarray,
    runs: np.ndarray,
    work: np.ndarray,
) -> tuple[int, int, bool, bool]:
    """The lane sensor's measurement in one call: :func:`lanes_in_range` around the ego (row
    ``EGO`` of the actor table ``actors``) within ``range_m`` [m] (runs surely out of range skipped
    with a metre's margin), each run's end row into ``work[:s]`` (``s`` = ``runs``' rows) and the
    runs' strips kept in ``work[s:]`` (their count, then them; a count of -1: none yet). Returns the
    runs' count, the points' count, whether the points are valid and whether the strips in range
    differ from those of the last measurement."""
    m = lanes_in_range(
        boxes, chunk_strip, chunk_span, xy, actors[EGO, A_X], actors[EGO, A_Y], actors[EGO, A_YAW],
        range_m, range_m + 1.0, points, runs,
    )  # fmt: skip
    valid = m >= 0
    if not valid:
        m = -1 - m
    end = runs[m - 1, 2] if m > 0 else 0
    s = runs.shape[0]
    changed = work[s] != m
    for i in range(m):
        work[i] = runs[i, 2]
        if not changed and work[s + 1 + i] != runs[i, 0]:
            changed = True
    if changed:
        work[s] = m
        for i in range(m):
            work[s + 1 + i] = runs[i, 0]
    return m, end, valid, changed


@njit(cache=True)
def rows_valid(rows: np.ndarray, m: int, nonneg_from: int, nonneg_to: int) -> bool:
    """True when ``rows[:m]`` are all finite and columns ``[nonneg_from, nonneg_to)`` not negative
    (sizes): the numbers of a message made from them pass its schema's checks."""
    for i in range(m):
        for j in range(rows.shape[1]):
            v = rows[i, j]
            if not math.isfinite(v) or (nonneg_from <= j < nonneg_to and v < 0.0):
                return False
    return True


@njit(cache=True)
def actor_rows_valid(state: np.ndarray, n: int) -> bool:
    """True when the ``world/actors`` numbers of the live rows of ``state[:n]`` are valid: pose and
    speed finite, sizes finite and not negative."""
    for i in range(n):
        if not state[i, A_ALIVE] > 0.5:
            continue
        for j in (A_X, A_Y, A_Z, A_YAW, A_SPEED):
            if not math.isfinite(state[i, j]):
                return False
        for j in (A_LENGTH, A_WIDTH, A_HEIGHT):
            if not (math.isfinite(state[i, j]) and state[i, j] >= 0.0):
                return False
    return True
