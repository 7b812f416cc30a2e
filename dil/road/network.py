"""A loaded road network: coordinates in all directions, nearest-lane lookup, sampling, routing.

Coordinates: road ``(road id, s, t)``; lane ``(road id, lane id, s, offset)`` with the offset
from the lane's centre line, positive to the left of the reference line; world ``(x, y, z,
heading)`` in the file's frame (metres, radians).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .lanes import lane_centre_t, road_to_world, section_at
from .lookup import (
    MAX_CANDIDATES,
    R_DISTANCE,
    R_HEADING,
    R_INSIDE,
    R_LANE,
    R_OFFSET,
    R_ROAD,
    R_S,
    R_SIZE,
    R_T,
    R_TYPE,
    Grid,
    build_grid,
    locate_flat,
    locate_many_flat,
    surface_z_flat,
)
from .model import Header, OpenDrive, Road
from .parse import MAX_COORD, RoadNetworkError, read
from .routing import LaneGraph
from .sampling import sample_reference
from .tables import LANE_TYPES, Tables, compile_tables

T = TypeVar("T")

MAX_HALF_WIDTH = 1e4
"""Farthest a lane border may lie from its reference line [m]."""


@dataclass(frozen=True)
class LanePosition:
    """Where a world point lies on the network."""

    road: str
    lane: int
    s: float
    t: float
    offset: float
    """From the lane's centre line, positive left of the reference line [m]."""
    heading: float
    """Of the reference line at s [rad]."""
    inside: bool
    """Within the road's outer borders."""
    lane_type: str
    distance: float
    """0 inside, else how far outside the nearest road [m]."""


class RoadNetwork:
    """An OpenDRIVE network ready for queries."""

    def __init__(self, odr: OpenDrive, *, sample_step: float = 1.0) -> None:
        self.odr = odr
        self.source = odr.source
        self.roads: tuple[Road, ...] = odr.roads
        self._index = {r.id: i for i, r in enumerate(odr.roads)}
        self.tables: Tables = compile_tables(odr)
        segments = sample_reference(self.tables, sample_step)
        self._check_extent(segments)
        self.max_half_width = self._max_half_width()
        if not self.max_half_width <= MAX_HALF_WIDTH:
            raise RoadNetworkError(
                f"{self.source}: the lanes reach {self.max_half_width:g} m from a reference line "
                f"(more than {MAX_HALF_WIDTH:g} m): check the <width> and <laneOffset> records"
            )
        self.grid: Grid = build_grid(self.tables, segments, self.max_half_width + 2.0)
        self._borders = np.zeros(
            max(64, int(self.tables.sections[:, 3].max()) + 1 if len(self.tables.sections) else 64)
        )
        self._cand = np.zeros((MAX_CANDIDATES, 3))
        self._best = np.zeros(R_SIZE)
        self.result = np.zeros(R_SIZE)
        """The row the fast :meth:`locate_into` fills (``lookup.R_*``)."""
        self.graph = LaneGraph(self)
        self.flat = (*self.tables, *self.grid)
        """The tables' and grid's arrays one by one, as the ``*_flat`` kernels take them (numba's
        dispatcher types plain arrays quickly, a named tuple of them slowly)."""
        self._packed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._kept: dict[Hashable, Any] = {}

    def kept(self, key: Hashable, make: Callable[[], T]) -> T:
        """What ``make`` returns, made once for this network and kept under ``key`` (tables derived from
        the network alone, such as a sensor's sampled lanes: a campaign worker that keeps the network
        makes them once for all its runs). The caller must not change what it is given."""
        try:
            return self._kept[key]
        except KeyError:
            value = self._kept[key] = make()
            return value

    @property
    def packed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:attr:`flat` packed into a float buffer, an integer buffer and their layout, made once
        (see :mod:`dil.road.packed`): kernels called every step take these three arrays."""
        if self._packed is None:
            from .packed import pack

            self._packed = pack(self.flat)
        return self._packed

    def _check_extent(self, segments: np.ndarray) -> None:
        """Every sampled reference-line point finite and within MAX_COORD (a bad geometry shows here)."""
        xy = segments[:, 3:7]
        bad = ~(np.abs(xy) <= MAX_COORD).all(axis=1)
        if bad.any():
            row = segments[int(np.argmax(bad))]
            road = self.roads[int(row[0])]
            raise RoadNetworkError(
                f"{self.source}:{road.line}: road {road.id} reaches ({row[3]:g}, {row[4]:g}) at s = "
                f"{row[1]:g}: beyond {MAX_COORD:g} m (check its <planView> geometry)"
            )

    @staticmethod
    def load(path: str | Path) -> RoadNetwork:
        """Read and compile an ``.xodr`` file."""
        return RoadNetwork(read(path))

    @staticmethod
    def empty(source: str = "(no road network)") -> RoadNetwork:
        """A network with no roads: an open plane where every lookup finds no road (a scenario that
        names no LogicFile places its entities by world coordinates)."""
        return RoadNetwork(OpenDrive(Header(1, 6), (), source=source))

    def road_index(self, road_id: str) -> int:
        try:
            return self._index[str(road_id)]
        except KeyError:
            raise KeyError(f"{self.source}: no road {road_id!r}") from None

    def _max_half_width(self) -> float:
        worst = 0.0
        for i, road in enumerate(self.roads):
            for s in np.linspace(0.0, road.length, max(2, int(road.length / 5.0) + 1)):
                sec = section_at(self.tables, i, s)
                n = int(self.tables.sections[sec, 3])
                borders = np.zeros(n)
                from .lanes import lane_borders

                lane_borders(self.tables, i, sec, s, borders)
                worst = max(worst, float(np.abs(borders).max()))
        return worst

    # --- coordinates -----------------------------------------------------------------------

    def road_to_world(self, road: str, s: float, t: float = 0.0) -> tuple[float, float, float, float]:
        """World ``(x, y, z, heading)`` of road coordinate ``(s, t)``; heading of the reference line."""
        i = self.road_index(road)
        self._check_s(i, s)
        return road_to_world(self.tables, i, float(s), float(t))

    def lane_to_road(self, road: str, lane: int, s: float, offset: float = 0.0) -> float:
        """t of lane position ``(road, lane, s, offset)``."""
        i = self.road_index(road)
        self._check_s(i, s)
        t = lane_centre_t(self.tables, i, int(lane), float(s), self._borders)
        if math.isnan(t):
            raise KeyError(f"{self.source}: road {road} has no lane {lane} at s = {s:g}")
        return t + offset

    def lane_to_world(
        self, road: str, lane: int, s: float, offset: float = 0.0
    ) -> tuple[float, float, float, float]:
        """World pose of a lane position; the heading is the lane's direction of travel."""
        x, y, z, h = self.road_to_world(road, s, self.lane_to_road(road, lane, s, offset))
        return x, y, z, self.driving_heading(road, lane, h)

    def driving_heading(self, road: str, lane: int, reference_heading: float) -> float:
        """The direction of travel in ``lane``: along s for right lanes in right-hand traffic."""
        rule = self.roads[self.road_index(road)].rule
        against = (lane > 0) if rule == "RHT" else (lane < 0)
        return _wrap(reference_heading + math.pi) if against else reference_heading

    def speed_limit(self, road: str, lane: int, s: float) -> float | None:
        """The maximum speed [m/s] at ``(road, lane, s)``: the lane's speed record, else the road's
        type record in force at s; None when the file sets none (inf for 'no limit')."""
        r = self.roads[self.road_index(road)]
        k = max((i for i, sec in enumerate(r.lane_sections) if sec.s <= s), default=0)
        for ln in r.lane_sections[k].lanes:
            if ln.id == lane and ln.speed is not None:
                return ln.speed
        limits = [v for s0, v in r.speed if s0 <= s]
        return limits[-1] if limits else None

    def locate_into(self, x: float, y: float) -> bool:
        """Fast lookup: fill :attr:`result` (``lookup.R_*``); False when no road is near."""
        return locate_flat(*self.flat, x, y, self._borders, self._cand, self._best, self.result)

    def locate_many_into(self, xy: np.ndarray, out: np.ndarray, found: np.ndarray) -> None:
        """:meth:`locate_into` for each row of ``xy`` (n, 2) in one call: ``out[i]`` the
        ``lookup.R_*`` row, ``found[i]`` 0 where no road is near."""
        locate_many_flat(*self.flat, xy, self._borders, self._cand, self._best, out, found)

    def surface_z(self, x: float, y: float, default: float = 0.0) -> float:
        """Height of the road surface under world ``(x, y)`` [m]; ``default`` where no road is near."""
        return surface_z_flat(
            *self.flat,
            float(x),
            float(y),
            float(default),
            self._borders,
            self._cand,
            self._best,
            self.result,
        )

    def locate(self, x: float, y: float) -> LanePosition | None:
        """The lane at world ``(x, y)``, or the nearest within a road width; None if none."""
        if not self.locate_into(float(x), float(y)):
            return None
        r = self.result
        return LanePosition(
            road=self.roads[int(r[R_ROAD])].id,
            lane=int(r[R_LANE]),
            s=float(r[R_S]),
            t=float(r[R_T]),
            offset=float(r[R_OFFSET]),
            heading=float(r[R_HEADING]),
            inside=bool(r[R_INSIDE] > 0.5),
            lane_type=LANE_TYPES[int(r[R_TYPE])],
            distance=float(r[R_DISTANCE]),
        )

    def _check_s(self, i: int, s: float) -> None:
        length = self.roads[i].length
        if not -1e-9 <= s <= length + 1e-9:
            raise ValueError(
                f"{self.source}: s = {s!r} is outside road {self.roads[i].id} (length {length:g} m)"
            )

    def bounds(self) -> tuple[float, float, float, float]:
        """``(x_min, y_min, x_max, y_max)`` of the reference lines, widened by the widest road."""
        seg = self.grid.segments
        m = self.max_half_width
        if len(seg) == 0:
            return (-50.0, -50.0, 50.0, 50.0)
        return (
            float(seg[:, 3].min()) - m,
            float(seg[:, 4].min()) - m,
            float(seg[:, 3].max()) + m,
            float(seg[:, 4].max()) + m,
        )


def load(path: str | Path) -> RoadNetwork:
    """Read and compile an ``.xodr`` file."""
    return RoadNetwork.load(path)


def _wrap(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi


__all__ = ["LanePosition", "RoadNetwork", "RoadNetworkError", "load"]
