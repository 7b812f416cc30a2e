"""A simple controller: actors that follow their lane at a target speed.

Each controlled actor holds a lane position (road, lane, s, offset) and a travel direction along
s. A numba kernel moves all of them at once (speed towards the target within an acceleration
limit); an actor reaching the end of its lane continues into the next lane of its route, or the
first successor, or stops at the end of the network.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dil.road.lanes import lane_centre_t, road_to_world
from dil.road.network import RoadNetwork
from dil.road.tables import Tables

from .actors import A_SPEED, A_X, A_Y, A_YAW, A_Z

F_ROAD = 0
F_LANE = 1
F_S = 2
F_OFFSET = 3
F_DIRECTION = 4
"""+1 along increasing s, -1 against."""
F_TARGET = 5
"""Target speed [m/s]."""
F_ACCEL = 6
"""Acceleration and deceleration limit [m/s^2]."""
F_ACTIVE = 7
F_ACTOR = 8
"""Row in the actor table."""
F_SIZE = 9


@njit(cache=True)
def advance(
    f: np.ndarray, n: int, speeds: np.ndarray, dt: float, lengths: np.ndarray, over: np.ndarray
) -> int:
    """Move the active rows of ``f`` by one step; ``over`` gets the rows that ran past their road's
    end (their s is left beyond it for the caller). Returns how many."""
    k = 0
    for i in range(n):
        if f[i, F_ACTIVE] < 0.5:
            continue
        v = speeds[i]
        dv = f[i, F_TARGET] - v
        lim = f[i, F_ACCEL] * dt
        v += min(max(dv, -lim), lim)
        v = max(v, 0.0)
        speeds[i] = v
        f[i, F_S] += f[i, F_DIRECTION] * v * dt
        length = lengths[int(f[i, F_ROAD])]
        if f[i, F_S] > length or f[i, F_S] < 0.0:
            over[k] = i
            k += 1
    return k


@njit(cache=True)
def place(T: Tables, f: np.ndarray, n: int, speeds: np.ndarray, work: np.ndarray, state: np.ndarray) -> None:
    """Write pose and speed of the active followers into their actor rows."""
    for i in range(n):
        if f[i, F_ACTIVE] < 0.5:
            continue
        road = int(f[i, F_ROAD])
        s = f[i, F_S]
        t = lane_centre_t(T, road, int(f[i, F_LANE]), s, work) + f[i, F_OFFSET]
        x, y, z, h = road_to_world(T, road, s, t)
        a = int(f[i, F_ACTOR])
        state[a, A_X] = x
        state[a, A_Y] = y
        state[a, A_Z] = z
        state[a, A_YAW] = h if f[i, F_DIRECTION] > 0 else h + math.pi
        state[a, A_SPEED] = speeds[i]


@njit(cache=True)
def gather_speeds(f: np.ndarray, n: int, state: np.ndarray, speeds: np.ndarray) -> None:
    for i in range(n):
        speeds[i] = state[int(f[i, F_ACTOR]), A_SPEED]


class LaneFollowers:
    """The lane-following actors of a world."""

    def __init__(self, net: RoadNetwork, capacity: int = 256) -> None:
        self.net = net
        self.rows = np.zeros((capacity, F_SIZE))
        self.routes: list[list[tuple[str, int]]] = []
        self.n = 0
        self._speeds = np.zeros(capacity)
        self._over = np.zeros(capacity, dtype=np.int64)
        self._work = np.zeros(64)

    def add(
        self,
        actor: int,
        road: str,
        lane: int,
        s: float,
        offset: float,
        target_speed: float,
        accel: float = 3.0,
        route: list[tuple[str, int]] | None = None,
    ) -> int:
        """Control ``actor`` from lane position ``(road, lane, s, offset)``; returns its row."""
        if self.n == self.rows.shape[0]:
            raise ValueError(f"more than {self.rows.shape[0]} lane-following actors")
        r = self.net.road_index(road)
        heading = self.net.lane_to_world(road, lane, s, offset)[3]
        ref = self.net.road_to_world(road, s)[3]
        direction = 1.0 if math.cos(heading - ref) > 0 else -1.0
        self.rows[self.n] = (r, lane, s, offset, direction, target_speed, accel, 1.0, actor)
        self.routes.append(list(route or []))
        self.n += 1
        return self.n - 1

    def row_of(self, actor: int) -> int:
        for i in range(self.n):
            if int(self.rows[i, F_ACTOR]) == actor:
                return i
        raise KeyError(f"actor {actor} is not lane-following")

    def release(self, actor: int) -> None:
        """Stop controlling ``actor`` (the scenario moves it from now on)."""
        self.rows[self.row_of(actor), F_ACTIVE] = 0.0

    def step(self, state: np.ndarray, dt: float) -> None:
        """Advance every active follower and write its pose and speed into the actor ``state``."""
        n = self.n
        if n == 0:
            return
        f = self.rows
        gather_speeds(f, n, state, self._speeds)
        k = advance(f, n, self._speeds, dt, self.net.tables.road_length, self._over)
        for j in range(k):
            self._next_lane(int(self._over[j]))
        place(self.net.tables, f, n, self._speeds, self._work, state)

    def _next_lane(self, i: int) -> None:
        f = self.rows[i]
        road = self.net.roads[int(f[F_ROAD])]
        length = road.length
        excess = f[F_S] - length if f[F_S] > length else -f[F_S]
        s_here = min(max(f[F_S], 0.0), length)
        route = self.routes[i]
        options = self.net.graph.next_lanes(road.id, int(f[F_LANE]), s_here)
        nxt = None
        while route and route[0] == (road.id, int(f[F_LANE])):
            route.pop(0)
        if route and route[0] in options:
            nxt = route.pop(0)
        elif options:
            nxt = options[0]
        if nxt is None:  # end of the network: stop there
            f[F_S] = s_here
            f[F_TARGET] = 0.0
            self._speeds[i] = 0.0
            return
        r2 = self.net.road_index(nxt[0])
        other = self.net.roads[r2]
        # enter at the end that the traffic of that lane comes from
        heading_fwd = self.net.driving_heading(other.id, nxt[1], 0.0) == 0.0
        f[F_ROAD] = r2
        f[F_LANE] = nxt[1]
        if heading_fwd:
            f[F_DIRECTION] = 1.0
            f[F_S] = min(excess, other.length)
        else:
            f[F_DIRECTION] = -1.0
            f[F_S] = max(other.length - excess, 0.0)
