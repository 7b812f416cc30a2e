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

from dil.road.lanes import road_to_world
from dil.road.lookup import (
    MAX_CANDIDATES,
    R_INSIDE,
    R_LANE,
    R_ROAD,
    R_S,
    R_SIZE,
    R_T,
    R_TYPE,
    Grid,
    locate,
)
from dil.road.network import RoadNetwork
from dil.road.tables import Tables

from .actors import A_ALIVE, A_X, A_Y, A_Z, EGO, fill_boxes
from .collision import overlapping_pairs
from .ground import ground_actors

W_PAIRS = 0
"""How many pairs of boxes overlap (rows of ``pairs``)."""
W_CENTRE_ON = 1
"""1 when the ego's box centre lies in a drivable lane (not the centre lane)."""
W_INVADING = 2
"""The first of the ego's four box corners (1 to 4) inside another lane of its road, 0 if none."""
W_SIZE = 3

CORNERS = ((1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0))
"""Signs (along, across) of the ego's box corners, in the order they are checked."""


@njit(cache=True)
def step_checks(
    geom: np.ndarray,
    spiral_pts: np.ndarray,
    road_geom: np.ndarray,
    road_length: np.ndarray,
    sections: np.ndarray,
    road_sections: np.ndarray,
    lanes: np.ndarray,
    widths: np.ndarray,
    drivable: np.ndarray,
    elev: np.ndarray,
    road_elev: np.ndarray,
    superelev: np.ndarray,
    road_super: np.ndarray,
    offset: np.ndarray,
    road_offset: np.ndarray,
    segments: np.ndarray,
    cell_start: np.ndarray,
    cell_items: np.ndarray,
    meta: np.ndarray,
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
    cand: np.ndarray,
    best: np.ndarray,
    flags: np.ndarray,
) -> None:
    """One world step's checks of actor rows ``state[:n]`` (tables as separate arrays, as
    :func:`dil.road.lookup.locate_flat`).

    ``ground_from`` >= 0: locate every row into ``located``/``found`` and stand it on the road
    (pitch and roll of all, z of rows ``ground_from`` and on); < 0: no grounding. ``ground_ego``
    (with grounding): the ego's z becomes the surface height under its point plus ``ego_heave`` [m]
    (where no road is near, the surface it last stood on: its z minus ``ego_heave``). ``check_ego``:
    locate the ego's box centre and corners into ``where``/``where_found`` (row 0 the centre, the
    :data:`CORNERS` after it). ``flags`` gets the :data:`W_*` results.

    A lookup depends on its point only, so it is made again only where the point moved: a row whose
    x, y equal ``located_at`` (the point of its last lookup), or an ego box equal to ``ego_box``
    (the box its corners were last looked up for), keeps its rows (NaN: never equal, never kept)."""
    T = Tables(
        geom,
        spiral_pts,
        road_geom,
        road_length,
        sections,
        road_sections,
        lanes,
        widths,
        drivable,
        elev,
        road_elev,
        superelev,
        road_super,
        offset,
        road_offset,
    )
    G = Grid(segments, cell_start, cell_items, meta)
    grounded = ground_from >= 0
    if grounded:
        for i in range(n):
            x, y = state[i, A_X], state[i, A_Y]
            if x == located_at[i, 0] and y == located_at[i, 1]:
                continue  # where it was at the last lookup: the same row (never true for a NaN)
            found[i] = 1 if locate(T, G, x, y, borders, cand, best, located[i]) else 0
            located_at[i, 0] = x
            located_at[i, 1] = y
        ground_actors(T, state, ground_from, located[:n], found[:n])
        if ground_ego and n > EGO:
            r = located[EGO]
            z = (
                road_to_world(T, int(r[R_ROAD]), r[R_S], r[R_T])[2]
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
        where_found[0] = 1 if locate(T, G, x, y, borders, cand, best, where[0]) else 0
    box = boxes[EGO]
    if not (
        box[0] == ego_box[0]
        and box[1] == ego_box[1]
        and box[2] == ego_box[2]
        and box[3] == ego_box[3]
        and box[4] == ego_box[4]
    ):  # the box has moved: its corners are looked up again
        c, s = math.cos(yaw), math.sin(yaw)
        for k in range(4):
            a, b = CORNERS[k]
            px = x + a * 0.5 * length * c - b * 0.5 * width * s
            py = y + a * 0.5 * length * s + b * 0.5 * width * c
            where_found[k + 1] = 1 if locate(T, G, px, py, borders, cand, best, where[k + 1]) else 0
        ego_box[:] = box
    w = where
    centre_on = (
        where_found[0] == 1
        and w[0, R_INSIDE] > 0.5
        and drivable[int(w[0, R_TYPE])] == 1
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


class StepChecks:
    """Buffers and tables for :func:`step_checks` on one network (``None``: no roads)."""

    def __init__(self, net: RoadNetwork | None, max_pairs: int = 1024) -> None:
        self.net = net if net is not None else RoadNetwork.empty()
        self.pairs = np.zeros((max_pairs, 2), dtype=np.int64)
        self.where = np.zeros((5, R_SIZE))
        """The ego's box centre and corners located (``lookup.R_*`` rows)."""
        self.where_found = np.zeros(5, dtype=np.int64)
        self.flags = np.zeros(W_SIZE, dtype=np.int64)
        self._located = np.zeros((0, R_SIZE))
        self._found = np.zeros(0, dtype=np.int64)
        self._located_at = np.zeros((0, 2))
        self._ego_box = np.full(5, np.nan)
        """The ego box (boxes' row) its corners in :attr:`where` were looked up for."""
        sections = self.net.tables.sections
        self._borders = np.zeros(max(64, int(sections[:, 3].max()) + 1 if len(sections) else 64))
        self._cand = np.zeros((MAX_CANDIDATES, 3))
        self._best = np.zeros(R_SIZE)

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
        if self._found.size < n:
            self._located = np.zeros((2 * n, R_SIZE))
            self._found = np.zeros(2 * n, dtype=np.int64)
            self._located_at = np.full((2 * n, 2), np.nan)
        step_checks(
            *self.net.flat,
            state,
            n,
            ground_from,
            check_ego,
            ego_heave is not None,
            0.0 if ego_heave is None else ego_heave,
            boxes,
            self.pairs,
            self._located,
            self._found,
            self._located_at,
            self.where,
            self.where_found,
            self._ego_box,
            self._borders,
            self._cand,
            self._best,
            self.flags,
        )
        return int(self.flags[W_PAIRS])
