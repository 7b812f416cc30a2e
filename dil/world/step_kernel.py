"""The world's per-step checks as one numba call: every actor located on the road network once (the
lookup shared by the ground and the ego's road check), stood on the surface, boxed and tested for
overlaps, and the ego's box corners placed in their lanes.

Python sees only the results (:data:`W_*` flags, the overlapping pairs, the ego's five lookup rows)
and makes events from them where something began; a step allocates nothing.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dil.road.lookup import (
    HINT_FLAT,
    HINT_ISOLATED,
    MAX_CANDIDATES,
    R_HEADING,
    R_INSIDE,
    R_LANE,
    R_ROAD,
    R_S,
    R_SIZE,
    R_T,
    R_TYPE,
    Grid,
    locate_near,
    road_hints,
)
from dil.road.network import RoadNetwork
from dil.road.packed import grid, tables
from dil.road.tables import Tables
from dil.road.views import view2

from .actors import A_ALIVE, A_SPEED, A_X, A_Y, A_YAW, A_Z, EGO, fill_boxes
from .collision import overlapping_pairs
from .ground import ground_actors, surface_z
from .plain_roads import HINT_PLAIN, KEPT_BORDERS, plain_locate, with_plain
from .sensor_kernels import actor_rows_valid, measure_objects

W_PAIRS = 0
"""How many pairs of boxes overlap (rows of ``pairs``)."""
W_CENTRE_ON = 1
"""1 when the ego's box centre lies in a drivable lane (not the centre lane)."""
W_INVADING = 2
"""The first of the ego's four box corners (1 to 4) inside another lane of its road, 0 if none."""
W_SIZE = 3

CORNERS = ((1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0))
"""Signs (along, across) of the ego's box corners, in the order they are checked."""

I_ROWS = W_SIZE + 5
"""Where ``iwork`` (:func:`step_checks`) holds how many actor rows its buffers have room for."""
I_PAIRS = W_SIZE + 6
"""Where ``iwork`` holds how many overlapping pairs ``pairs`` has room for."""
I_FIXED = W_SIZE + 7
"""Where ``iwork``'s per-actor part begins (after the flags, the ego's five found flags and the sizes)."""


@njit(cache=True)
def step_checks(
    fnet: np.ndarray,
    inet: np.ndarray,
    net_at: np.ndarray,
    state: np.ndarray,
    boxes: np.ndarray,
    fwork: np.ndarray,
    iwork: np.ndarray,
    n: int,
    ground_from: int,
    check_ego: bool,
    ground_ego: bool,
    ego_heave: float,
) -> None:
    """One world step's checks of actor rows ``state[:n]``: the network as its packed buffers
    (``RoadNetwork.packed``, see :mod:`dil.road.packed`), the step's buffers packed in ``fwork`` and
    ``iwork`` (see :func:`_step_checks` and :class:`StepChecks`; a call pays for each array argument,
    so the buffers travel as two). The network's and the buffers' 2-D parts are borrowed views
    (:mod:`dil.road.views`: no reshape and no reference count per call; the layout is
    :class:`StepChecks`')."""
    m, max_pairs = iwork[I_ROWS], iwork[I_PAIRS]
    located = view2(fwork, 0, m, R_SIZE)
    o = m * R_SIZE
    located_at = view2(fwork, o, m, 2)
    o += 2 * m
    where = view2(fwork, o, 5, R_SIZE)
    o += 5 * R_SIZE
    ego_box = fwork[o : o + 5]
    o += 5
    cand = view2(fwork, o, MAX_CANDIDATES, 3)
    o += 3 * MAX_CANDIDATES
    best = fwork[o : o + R_SIZE]
    rest = fwork[o + R_SIZE :]  # the closed form's kept borders, then the lookup's borders
    nb = (rest.size - KEPT_BORDERS) // 2
    kept = rest[: KEPT_BORDERS + nb]
    borders = rest[KEPT_BORDERS + nb :]
    flags = iwork[:W_SIZE]
    where_found = iwork[W_SIZE : W_SIZE + 5]
    found = iwork[I_FIXED : I_FIXED + m]
    pairs = view2(iwork, I_FIXED + m, max_pairs, 2)
    hints = iwork[I_FIXED + m + 2 * max_pairs :]  # the rest: each road's hint class
    _step_checks(
        tables(fnet, inet, net_at),
        grid(fnet, inet, net_at),
        state,
        n,
        ground_from,
        check_ego,
        ground_ego,
        ego_heave,
        boxes,
        pairs,
        located,
        found,
        located_at,
        where,
        where_found,
        ego_box,
        borders,
        kept,
        cand,
        best,
        flags,
        hints,
    )


@njit(cache=True)
def world_tick(
    fnet: np.ndarray,
    inet: np.ndarray,
    net_at: np.ndarray,
    state: np.ndarray,
    boxes: np.ndarray,
    fwork: np.ndarray,
    iwork: np.ndarray,
    objects: np.ndarray,
    n: int,
    has_net: bool,
    pose: bool,
    x: float,
    y: float,
    z: float,
    yaw: float,
    speed: float,
    ego_offset: float,
    ground_ego: bool,
    range_m: float,
) -> tuple[int, bool, bool, int, bool, int]:
    """A world node's step in one call: with ``pose``, the ego (row 0) placed where ``vehicle/state``
    says (reference point ``x``, ``y`` [m], heading ``yaw`` [rad], ``speed`` [m/s]; its box centre
    ``ego_offset`` [m] ahead), then :func:`step_checks` of rows ``state[:n]`` (grounding rows 1 on
    when ``has_net``; ``ground_ego``: the ego's z the surface plus ``z`` as its heave [m], else its
    z is ``z``), the rows' check (``actor_rows_valid``) and, for ``range_m`` >= 0, the object
    sensor's rows (:func:`~dil.world.sensor_kernels.measure_objects`) into ``objects``. Returns the
    overlapping pairs' count, whether the ego's road checks were made, whether the rows' numbers
    are valid, the object rows' count (``measure_objects``' result; 0 with no measurement) and the
    flags :data:`W_CENTRE_ON` (as a bool) and :data:`W_INVADING`. The same arithmetic as
    ``EmbeddedWorld.set_pose``, ``step`` and the sensor called one by one."""
    if pose:
        state[EGO, A_X] = x + ego_offset * math.cos(yaw)
        state[EGO, A_Y] = y + ego_offset * math.sin(yaw)
        if not ground_ego:  # grounded: its z is set below, from the surface (or the last one)
            state[EGO, A_Z] = z
        state[EGO, A_YAW] = yaw
        state[EGO, A_SPEED] = speed
    check_ego = has_net and n > 0 and state[EGO, A_ALIVE] > 0.5
    step_checks(
        fnet,
        inet,
        net_at,
        state,
        boxes,
        fwork,
        iwork,
        n,
        EGO + 1 if has_net else -1,
        check_ego,
        ground_ego,
        z if ground_ego else 0.0,
    )
    m = measure_objects(state, n, range_m, objects) if range_m >= 0.0 else 0
    valid = actor_rows_valid(state, n)
    return iwork[W_PAIRS], check_ego, valid, m, iwork[W_CENTRE_ON] == 1, iwork[W_INVADING]


@njit(cache=True)
def _step_checks(
    T: Tables,
    G: Grid,
    state: np.ndarray,
    n: int,
    ground_from: int,
    check_ego: bool,
    ground_ego: bool,
    ego_heave: float,
    boxes: np.ndarray,
    pairs: np.ndarray,
    located: np.ndarray,
    found: np.ndarray,
    located_at: np.ndarray,
    where: np.ndarray,
    where_found: np.ndarray,
    ego_box: np.ndarray,
    borders: np.ndarray,
    kept: np.ndarray,
    cand: np.ndarray,
    best: np.ndarray,
    flags: np.ndarray,
    hints: np.ndarray,
) -> None:
    """One world step's checks of actor rows ``state[:n]`` on tables ``T`` and lookup grid ``G``.

    ``ground_from`` >= 0: locate every row into ``located``/``found`` and stand it on the road
    (pitch and roll of all, z of rows ``ground_from`` and on); < 0: no grounding. ``ground_ego``
    (with grounding): the ego's z becomes the surface height under its point plus ``ego_heave`` [m]
    (where no road is near, the surface it last stood on: its z minus ``ego_heave``). ``check_ego``:
    locate the ego's box centre and corners into ``where``/``where_found`` (row 0 the centre, the
    :data:`CORNERS` after it). ``flags`` gets the :data:`W_*` results.

    A lookup depends on its point only, so it is made again only where the point moved: a row whose
    x, y equal ``located_at`` (the point of its last lookup), or an ego box equal to ``ego_box``
    (the box its corners were last looked up for), keeps its rows (NaN: never equal, never kept).
    A point that moved starts from its last lookup (:func:`~dil.road.lookup.locate_near`) where its
    road is isolated (``hints``, see :func:`~dil.road.lookup.road_hints`): an actor's row only on a
    level road (its height then does not depend on the station), the ego's centre and corners on
    any (only their lanes are used). From a hint on a plain road
    (:data:`~dil.world.plain_roads.HINT_PLAIN`) a point clear of every edge is placed without a lookup
    (:func:`~dil.world.plain_roads.plain_locate`)."""
    grounded = ground_from >= 0
    reach = G.meta[5]
    if grounded:
        for i in range(n):
            x, y = state[i, A_X], state[i, A_Y]
            if x == located_at[i, 0] and y == located_at[i, 1]:
                continue  # where it was at the last lookup: the same row (never true for a NaN)
            road, s0 = _hint(
                T, located[i], found[i], hints, HINT_FLAT, located_at[i, 0], located_at[i, 1], x, y
            )
            if (
                road >= 0
                and hints[road] == HINT_PLAIN
                and plain_locate(T, reach, road, x, y, kept, located[i])
            ):
                found[i] = 1
            else:
                found[i] = 1 if locate_near(T, G, x, y, road, s0, borders, cand, best, located[i]) else 0
            located_at[i, 0] = x
            located_at[i, 1] = y
        ground_actors(T, state, ground_from, located[:n], found[:n])
        if ground_ego and n > EGO:
            r = located[EGO]
            z = (
                surface_z(T, int(r[R_ROAD]), r[R_S], r[R_T])
                if found[EGO] == 1
                else state[EGO, A_Z] - ego_heave
            )
            state[EGO, A_Z] = z + ego_heave
    fill_boxes(state, n, boxes)
    flags[W_PAIRS] = overlapping_pairs(boxes, n, pairs)
    flags[W_CENTRE_ON] = 0
    flags[W_INVADING] = 0
    if not check_ego:
        return
    x, y, yaw, length, width = boxes[EGO, 0], boxes[EGO, 1], boxes[EGO, 2], boxes[EGO, 3], boxes[EGO, 4]
    if grounded and state[EGO, A_ALIVE] > 0.5:  # the box centre is the row's point: located already
        where[0, :] = located[EGO]
        where_found[0] = found[EGO]
    else:
        road, s0 = _hint(T, where[0], where_found[0], hints, HINT_ISOLATED, ego_box[0], ego_box[1], x, y)
        if road >= 0 and hints[road] == HINT_PLAIN and plain_locate(T, reach, road, x, y, kept, where[0]):
            where_found[0] = 1
        else:
            where_found[0] = 1 if locate_near(T, G, x, y, road, s0, borders, cand, best, where[0]) else 0
    box = boxes[EGO]
    if not (
        box[0] == ego_box[0]
        and box[1] == ego_box[1]
        and box[2] == ego_box[2]
        and box[3] == ego_box[3]
        and box[4] == ego_box[4]
    ):  # the box has moved: its corners are looked up again
        c, s = math.cos(yaw), math.sin(yaw)
        c0, sn0 = math.cos(ego_box[2]), math.sin(ego_box[2])  # the box of the last lookups (NaN: none)
        for k in range(4):
            a, b = CORNERS[k]
            px = x + a * 0.5 * length * c - b * 0.5 * width * s
            py = y + a * 0.5 * length * s + b * 0.5 * width * c
            # where this corner was at its last lookup: its hint's station is moved on from there
            qx = ego_box[0] + a * 0.5 * ego_box[3] * c0 - b * 0.5 * ego_box[4] * sn0
            qy = ego_box[1] + a * 0.5 * ego_box[3] * sn0 + b * 0.5 * ego_box[4] * c0
            road, start = _hint(T, where[k + 1], where_found[k + 1], hints, HINT_ISOLATED, qx, qy, px, py)
            row = where[k + 1]
            if road >= 0 and hints[road] == HINT_PLAIN and plain_locate(T, reach, road, px, py, kept, row):
                where_found[k + 1] = 1
            else:
                hit = locate_near(T, G, px, py, road, start, borders, cand, best, row)
                where_found[k + 1] = 1 if hit else 0
        ego_box[:] = box
    w = where
    centre_on = (
        where_found[0] == 1
        and w[0, R_INSIDE] > 0.5
        and T.drivable[int(w[0, R_TYPE])] == 1
        and w[0, R_LANE] != 0
    )
    if not centre_on:
        return
    flags[W_CENTRE_ON] = 1
    for k in range(1, 5):
        if (
            where_found[k] == 1
            and w[k, R_INSIDE] > 0.5
            and int(w[k, R_ROAD]) == int(w[0, R_ROAD])
            and int(w[k, R_LANE]) != int(w[0, R_LANE])
        ):
            flags[W_INVADING] = k
            return


@njit(cache=True, inline="always")
def _hint(
    T: Tables,
    row: np.ndarray,
    found: int,
    hints: np.ndarray,
    least: int,
    x0: float,
    y0: float,
    x: float,
    y: float,
) -> tuple[int, float]:
    """A point's last lookup ``row`` (made at ``x0``, ``y0`` [m]) as a hint for its lookup at ``x``,
    ``y``: its road, where it was found and the road's hint class is at least ``least`` (else -1),
    and the station to start from [m]: the last one moved on by the point's move along the road's
    heading there (on a straight road the answer itself; any start gives the same answer, a near
    one in fewer steps)."""
    if found != 1:
        return -1, 0.0
    road = int(row[R_ROAD])
    if hints[road] < least:
        return -1, 0.0
    h = row[R_HEADING]
    s = row[R_S] + (x - x0) * math.cos(h) + (y - y0) * math.sin(h)
    length = T.road_length[road]
    if not 0.0 <= s <= length:  # beyond an end, or no point before (NaN)
        s = row[R_S] if s != s else min(max(s, 0.0), length)
    return road, s


class StepChecks:
    """Buffers and tables for :func:`step_checks` on one network (``None``: no roads).

    The buffers live in two arrays (a call pays for each array argument): ``fwork`` holds, in order,
    the actors' lookup rows, the points they were made at, :attr:`where`, the ego box they were made
    for, the lookup's scratch, the closed form's kept borders (:func:`~dil.world.plain_roads.plain_locate`)
    and the lookup's lane borders; ``iwork`` holds :attr:`flags`,
    :attr:`where_found`, the sizes (:data:`I_ROWS`, :data:`I_PAIRS`), the actors' found flags,
    :attr:`pairs` and each road's hint class (``lookup.road_hints``, plain roads raised to
    :data:`~dil.world.plain_roads.HINT_PLAIN`). The attributes are views of
    them."""

    def __init__(self, net: RoadNetwork | None, max_pairs: int = 1024, closed_form: bool = True) -> None:
        """``closed_form``: points on a plain road placed without lookups
        (:mod:`dil.world.plain_roads`; the same lanes, flags and surface); False: always looked up."""
        self.net = net if net is not None else RoadNetwork.empty()
        self._max_pairs = max_pairs
        sections = self.net.tables.sections
        self._n_borders = max(64, int(sections[:, 3].max()) + 1 if len(sections) else 64)
        net = self.net
        hints = net.kept("road hints", lambda: road_hints(net.tables, net.grid))
        if closed_form:
            hints = net.kept("road hints, plain roads", lambda: with_plain(hints, net.tables))
        self._hints = hints
        self.capacity = -1
        """How many actor rows the buffers hold."""
        self._size(0)

    def room(self, n: int) -> None:
        """Make sure the buffers hold ``n`` actor rows (grown to twice that when they do not)."""
        if self.capacity < n:
            self._size(2 * n)

    def _size(self, rows: int) -> None:
        """Make the buffers with room for ``rows`` actors (every lookup forgotten)."""
        self.capacity = rows
        fixed = 5 * R_SIZE + 5 + 3 * MAX_CANDIDATES + R_SIZE + KEPT_BORDERS + 2 * self._n_borders
        self.fwork = np.zeros(rows * (R_SIZE + 2) + fixed)
        self.iwork = np.zeros(I_FIXED + rows + 2 * self._max_pairs + len(self._hints), dtype=np.int64)
        self.iwork[I_ROWS], self.iwork[I_PAIRS] = rows, self._max_pairs
        self.iwork[I_FIXED + rows + 2 * self._max_pairs :] = self._hints
        o = rows * R_SIZE
        self.fwork[o : o + 2 * rows] = np.nan  # no point looked up yet
        o += 2 * rows
        self.where = self.fwork[o : o + 5 * R_SIZE].reshape((5, R_SIZE))
        """The ego's box centre and corners located (``lookup.R_*`` rows)."""
        self.fwork[o + 5 * R_SIZE : o + 5 * R_SIZE + 5] = np.nan  # no ego box looked up yet
        kept = o + 5 * R_SIZE + 5 + 3 * MAX_CANDIDATES + R_SIZE
        self.fwork[kept : kept + KEPT_BORDERS] = np.nan  # no plain road's borders kept yet
        self.flags = self.iwork[:W_SIZE]
        self.where_found = self.iwork[W_SIZE : W_SIZE + 5]
        self.pairs = self.iwork[I_FIXED + rows : I_FIXED + rows + 2 * self._max_pairs].reshape(
            (self._max_pairs, 2)
        )

    def run(
        self,
        state: np.ndarray,
        boxes: np.ndarray,
        n: int,
        ground_from: int,
        check_ego: bool,
        ego_heave: float | None = None,
    ) -> int:
        """Run the checks on ``state[:n]`` (see :func:`step_checks`; ``ego_heave`` [m], not None: stand
        the ego on the surface plus it too); returns the overlapping pairs' count (rows of
        :attr:`pairs`)."""
        self.room(n)
        fnet, inet, net_at = self.net.packed
        step_checks(
            fnet,
            inet,
            net_at,
            state,
            boxes,
            self.fwork,
            self.iwork,
            n,
            ground_from,
            check_ego,
            ego_heave is not None,
            0.0 if ego_heave is None else ego_heave,
        )
        return int(self.flags[W_PAIRS])
