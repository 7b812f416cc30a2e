"""Numba kernels of the scenario engine's per-step work.

:func:`step_in_lane` is the common step of a storyboard entity that follows its lane: the lateral
position of its lane, the road's curvature there, the step along s that keeps its world speed, and its
new world pose, in one kernel call instead of five calls through :class:`~dil.road.network.RoadNetwork`.
It does the same arithmetic as those calls (:meth:`RoadNetwork.lane_to_road`,
:func:`dil.scenario.motion.ds_for_distance`, :meth:`RoadNetwork.road_to_world`), so the results are
the same to the bit; whatever is not the common case (a lane that ends, a step past the road's end, a
road of several lane sections) is left to the Python path, which the kernel reports by returning
no pose.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

import numpy as np
from numba import njit

from dil.road.geometry import reference_pose
from dil.road.lanes import lane_centre_t, road_to_world
from dil.road.lookup import MAX_CANDIDATES, R_SIZE, locate
from dil.road.network import RoadNetwork
from dil.road.packed import grid, tables
from dil.road.tables import Tables

CURVATURE_HALF_SPAN = 0.05
"""Half the stretch of reference line the curvature is measured over [m] (as ``motion.curvature``)."""


@njit(cache=True)
def _step_in_lane(
    T: Tables,
    road: int,
    lane: int,
    s: float,
    offset: float,
    along: float,
    forward: bool,
    work: np.ndarray,
    out: np.ndarray,
) -> bool:
    """Move a point of ``lane`` at ``s`` [m] and lane ``offset`` [m] by ``along`` [m] in the world
    along the lane (increasing s when ``forward``): ``out`` = new s [m], x, y, z [m], heading of the
    reference line [rad]. False (``out`` untouched) when this is not the common case."""
    return not math.isnan(_step_from(T, road, lane, s, math.nan, offset, along, forward, work, out))


@njit(cache=True, inline="always")
def _step_from(
    T: Tables,
    road: int,
    lane: int,
    s: float,
    centre: float,
    offset: float,
    along: float,
    forward: bool,
    work: np.ndarray,
    out: np.ndarray,
) -> float:
    """:func:`_step_in_lane` from a point whose lane's centre t at ``s`` is known (``centre`` [m], the
    value :func:`~dil.road.lanes.lane_centre_t` gives; NaN: not known, it is worked out). The lane's
    centre t at the new s [m]; NaN (``out`` untouched) when this is not the common case."""
    length = T.road_length[road]
    if not -1e-9 <= s <= length + 1e-9:
        return math.nan
    if T.road_sections[road, 1] - T.road_sections[road, 0] != 1:
        return math.nan  # the lane may change its id at a section boundary
    t0 = lane_centre_t(T, road, lane, s, work) if math.isnan(centre) else centre
    if math.isnan(t0):
        return math.nan
    t_lat = t0 + offset
    a, b = max(s - CURVATURE_HALF_SPAN, 0.0), min(s + CURVATURE_HALF_SPAN, length)
    k = 0.0
    if not b - a < 1e-6:
        # the reference line's heading (road_to_world's, without the height and cross-section it adds)
        g0, g1 = T.road_geom[road, 0], T.road_geom[road, 1]
        ha = reference_pose(T.geom, T.spiral_pts, g0, g1, a)[2]
        hb = reference_pose(T.geom, T.spiral_pts, g0, g1, b)[2]
        d = (hb - ha + math.pi) % (2.0 * math.pi) - math.pi
        k = d / (b - a)
    scale = 1.0 - k * t_lat
    if scale < 0.05:
        scale = 0.05
    ds = along / scale
    s1 = s + (ds if forward else -ds)
    if s1 > length or s1 < 0.0:
        return math.nan
    t1 = lane_centre_t(T, road, lane, s1, work)
    if math.isnan(t1):
        return math.nan
    x, y, z, h = road_to_world(T, road, s1, t1 + offset)
    out[0] = s1
    out[1] = x
    out[2] = y
    out[3] = z
    out[4] = h
    return t1


@njit(cache=True)
def _step_in_lane_flat(
    fbuf: np.ndarray,
    ibuf: np.ndarray,
    where: np.ndarray,
    road: int,
    lane: int,
    s: float,
    offset: float,
    along: float,
    forward: bool,
    work: np.ndarray,
    out: np.ndarray,
) -> bool:
    """:func:`_step_in_lane` with the network's arrays packed into three (:mod:`dil.road.packed`): the
    dispatcher checks each array argument on every call, and the tables are borrowed views of the
    three (a few loads per call)."""
    T = tables(fbuf, ibuf, where)
    return _step_in_lane(T, road, lane, s, offset, along, forward, work, out)


S_ROAD, S_LANE, S_S, S_OFFSET, S_ALONG, S_FORWARD = range(6)
"""Columns of a lane-step request row (road row of the tables, lane id, s [m], lane offset [m], step along
the lane [m], 1.0 forward / 0.0 against s)."""
P_OK, P_S, P_X, P_Y, P_Z, P_H = range(6)
"""Columns of a lane-step result row: 1.0 when the kernel took it (else the Python path must), new s [m],
x, y, z [m], heading of the reference line [rad]."""


@njit(cache=True)
def _steps(T, requests: np.ndarray, n: int, work: np.ndarray, results: np.ndarray) -> None:
    """:func:`_step_in_lane` for the first ``n`` request rows (see ``S_*``) of road tables ``T`` into
    the result rows (see ``P_*``)."""
    for i in range(n):
        q = requests[i]
        out = results[i]
        ok = _step_in_lane(
            T,
            int(q[S_ROAD]),
            int(q[S_LANE]),
            q[S_S],
            q[S_OFFSET],
            q[S_ALONG],
            q[S_FORWARD] != 0.0,
            work,
            out[1:],
        )
        out[P_OK] = 1.0 if ok else 0.0


@njit(cache=True)
def _step_many_flat(
    fbuf: np.ndarray,
    ibuf: np.ndarray,
    where: np.ndarray,
    requests: np.ndarray,
    n: int,
    work: np.ndarray,
    results: np.ndarray,
) -> None:
    """:func:`_step_in_lane` for the first ``n`` request rows (see ``S_*``) into the result rows (see
    ``P_*``): one call moves every entity of a step."""
    _steps(tables(fbuf, ibuf, where), requests, n, work, results)


@njit(cache=True)
def _engine_step_flat(
    fbuf: np.ndarray,
    ibuf: np.ndarray,
    where: np.ndarray,
    requests: np.ndarray,
    n: int,
    work: np.ndarray,
    results: np.ndarray,
    x: float,
    y: float,
    cand: np.ndarray,
    best: np.ndarray,
    found: np.ndarray,
) -> bool:
    """:func:`_step_many_flat` and then the lane lookup of world point ``(x, y)`` [m] (the ego the
    vehicle moved) into ``found`` (``dil.road.lookup.R_*``), in one call: the engine's step makes one
    call with the network's arrays instead of two. False when no road is near the point."""
    T = tables(fbuf, ibuf, where)
    _steps(T, requests, n, work, results)
    return locate(T, grid(fbuf, ibuf, where), x, y, work, cand, best, found)


@njit(cache=True)
def _locate_flat(
    fbuf: np.ndarray,
    ibuf: np.ndarray,
    where: np.ndarray,
    x: float,
    y: float,
    work: np.ndarray,
    cand: np.ndarray,
    best: np.ndarray,
    found: np.ndarray,
) -> bool:
    """The lane lookup of world point ``(x, y)`` [m] into ``found`` (``dil.road.lookup.R_*``), as
    :func:`_engine_step_flat` makes it with no request rows. False when no road is near the point."""
    return locate(tables(fbuf, ibuf, where), grid(fbuf, ibuf, where), x, y, work, cand, best, found)


class LaneStepper:
    """:func:`step_in_lane` for one road network, with its work arrays (made once)."""

    def __init__(self, net: RoadNetwork) -> None:
        self.net = net
        T = net.tables
        n = int(T.sections[:, 3].max()) + 1 if len(T.sections) else 0
        self._work = np.zeros(max(64, n))
        self._out = np.zeros(5)
        self._packed = net.packed
        """The network's arrays in three, made once per network (see :mod:`dil.road.packed`)."""
        self.rows: dict[str, int] = {}
        """Road id -> row of the network's tables (filled as roads are met; see :meth:`road_row`)."""
        self._requests = np.zeros((8, 6))
        self._results = np.zeros((8, 6))
        self._codecs: dict[int, tuple[Callable[..., None], Callable[..., tuple[float, ...]]]] = {}
        """Row count -> packing of that many request rows and unpacking of as many result rows
        (``struct``: about twice as quick as filling the array from a list and reading it back with
        ``tolist``)."""
        self._cand = np.zeros((MAX_CANDIDATES, 3))
        self._best = np.zeros(R_SIZE)
        self.found = np.zeros(R_SIZE)
        """The last :meth:`step_flat_and_locate`'s lane lookup (``dil.road.lookup.R_*``)."""

    def road_row(self, road: str) -> int:
        """Row of ``road`` in the network's tables."""
        i = self.rows.get(road)
        if i is None:
            i = self.rows[road] = self.net.road_index(road)
        return i

    def step_many(self, requests: list[tuple[float, float, float, float, float, float]]) -> list[list[float]]:
        """Result rows (see ``P_*``) of the lane-step request rows (see ``S_*``; road as
        :meth:`road_row`), in one kernel call."""
        return _rows(self.step_flat([v for q in requests for v in q], len(requests)))

    def step_many_and_locate(
        self, requests: list[tuple[float, float, float, float, float, float]], x: float, y: float
    ) -> tuple[list[list[float]], bool]:
        """:meth:`step_many`, and the lookup of world ``(x, y)`` [m] into :attr:`found` (as the
        network's :meth:`~dil.road.network.RoadNetwork.locate_into` fills its ``result``), in one
        kernel call: the result rows and whether a road is near the point."""
        flat, found = self.step_flat_and_locate([v for q in requests for v in q], len(requests), x, y)
        return _rows(flat), found

    def _codec(self, n: int) -> tuple[Callable[..., None], Callable[..., tuple[float, ...]]]:
        """The packing and unpacking of ``n`` rows (made once per count; the arrays grow to hold them)."""
        if self._requests.shape[0] < n:
            self._requests = np.zeros((2 * n, 6))
            self._results = np.zeros((2 * n, 6))
        rows = struct.Struct(f"{6 * n}d")
        codec = self._codecs[n] = (rows.pack_into, rows.unpack_from)
        return codec

    def step_flat(self, flat: list[float], n: int) -> tuple[float, ...]:
        """:meth:`step_many` of ``n`` request rows given one after the other in ``flat``; the result
        rows one after the other (``P_*`` columns, 6 values a row)."""
        pack, unpack = self._codecs.get(n) or self._codec(n)
        pack(self._requests, 0, *flat)
        _step_many_flat(*self._packed, self._requests, n, self._work, self._results)
        return unpack(self._results)

    def step_flat_and_locate(
        self, flat: list[float], n: int, x: float, y: float
    ) -> tuple[tuple[float, ...], bool]:
        """:meth:`step_many_and_locate` of ``n`` request rows given one after the other in ``flat``;
        the result rows as :meth:`step_flat` gives them."""
        pack, unpack = self._codecs.get(n) or self._codec(n)
        pack(self._requests, 0, *flat)
        found = _engine_step_flat(
            *self._packed,
            self._requests,
            n,
            self._work,
            self._results,
            float(x),
            float(y),
            self._cand,
            self._best,
            self.found,
        )
        return unpack(self._results), found

    def locate(self, x: float, y: float) -> bool:
        """The lane lookup of world ``(x, y)`` [m] into :attr:`found`, as :meth:`step_flat_and_locate`
        makes it; whether a road is near the point."""
        return _locate_flat(*self._packed, x, y, self._work, self._cand, self._best, self.found)

    def step_row(
        self, row: int, lane: int, s: float, offset: float, along: float, forward: bool
    ) -> list[float] | None:
        """:meth:`step` of a road given by its row of the tables (:meth:`road_row`): new ``[s, x, y, z,
        reference heading]``, or None where the Python path must take the step."""
        o = self._out
        if not _step_in_lane_flat(*self._packed, row, lane, s, offset, along, forward, self._work, o):
            return None
        return o.tolist()

    def step(
        self, road: str, lane: int, s: float, offset: float, along: float, forward: bool
    ) -> tuple[float, float, float, float, float] | None:
        """New ``(s, x, y, z, reference heading)`` [m, rad] of a step of ``along`` [m] in ``lane``,
        or None where the Python path must take it."""
        i = self.rows.get(road)
        if i is None:
            i = self.rows[road] = self.net.road_index(road)
        o = self._out
        if not _step_in_lane_flat(
            *self._packed, i, int(lane), float(s), float(offset), float(along), bool(forward), self._work, o
        ):
            return None
        s1, x, y, z, h = o.tolist()
        return s1, x, y, z, h


def _rows(flat: tuple[float, ...]) -> list[list[float]]:
    """Result rows given one after the other, as a list of rows."""
    return [list(flat[i : i + 6]) for i in range(0, len(flat), 6)]


def lane_stepper(net: RoadNetwork) -> LaneStepper:
    """The network's own stepper (made on first use)."""
    stepper = net.__dict__.get("_lane_stepper")
    if stepper is None:
        stepper = net.__dict__["_lane_stepper"] = LaneStepper(net)
    return stepper


def step_in_lane(
    net: RoadNetwork, road: str, lane: int, s: float, offset: float, along: float, forward: bool
) -> tuple[float, float, float, float, float] | None:
    """:meth:`LaneStepper.step` with the network's own stepper."""
    return lane_stepper(net).step(road, lane, s, offset, along, forward)
