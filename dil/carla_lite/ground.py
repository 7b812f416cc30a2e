"""Ground following: a free vehicle or walker stands on the road surface under it.

The height comes from the road's elevation and superelevation at the actor's point; pitch and roll
from the surface's slopes along and across the actor's heading. Off every road the nearest road
(within a road width) gives the height; farther away the actor keeps its height and attitude.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dil.road.lookup import R_HEADING, R_ROAD, R_S, R_SIZE, R_T
from dil.road.network import RoadNetwork
from dil.road.tables import Tables
from dil.world.ground import surface_pose

from .dynamics import (
    K_ALIVE,
    K_GROUND,
    K_PARENT,
    K_PITCH,
    K_PITCH_RATE,
    K_PRE_PITCH,
    K_PRE_ROLL,
    K_ROLL,
    K_ROLL_RATE,
    K_SPEED,
    K_VZ,
    K_X,
    K_Y,
    K_YAW,
    K_Z,
)


@njit(cache=True)
def ground_rows(
    T: Tables, state: np.ndarray, rows: np.ndarray, located: np.ndarray, found: np.ndarray
) -> None:
    """Put each of ``rows`` on the surface its ``located`` row (``lookup.R_*``) names."""
    for k in range(rows.size):
        if found[k] == 0:
            continue
        r = state[rows[k]]
        loc = located[k]
        z, pitch, roll = surface_pose(T, int(loc[R_ROAD]), loc[R_S], loc[R_T], loc[R_HEADING], r[K_YAW])
        r[K_Z] = z
        r[K_PITCH] = math.degrees(pitch)
        r[K_ROLL] = math.degrees(roll)
        r[K_VZ] = r[K_SPEED] * math.sin(pitch)


@njit(cache=True)
def remember_attitude(state: np.ndarray, n: int) -> None:
    """Keep rows ``[0, n)``'s pitch and roll [deg] as they are before a step."""
    for i in range(n):
        state[i, K_PRE_PITCH] = state[i, K_PITCH]
        state[i, K_PRE_ROLL] = state[i, K_ROLL]


@njit(cache=True)
def attitude_rates(state: np.ndarray, n: int, dt: float) -> None:
    """Pitch and roll rates [rad/s] of rows ``[0, n)`` over a step of ``dt`` [s] (0 when ``dt`` is
    not positive): the ground's attitude change as the IMU's gyroscope feels it."""
    inv = 1.0 / dt if dt > 0.0 else 0.0
    for i in range(n):
        state[i, K_PITCH_RATE] = math.radians(state[i, K_PITCH] - state[i, K_PRE_PITCH]) * inv
        state[i, K_ROLL_RATE] = math.radians(state[i, K_ROLL] - state[i, K_PRE_ROLL]) * inv


class Ground:
    """Grounds the actors of one table on one network (no network: nothing moves)."""

    def __init__(self, network: RoadNetwork | None) -> None:
        self.network = network
        self._xy = np.zeros((0, 2))
        self._located = np.zeros((0, R_SIZE))
        self._found = np.zeros(0, dtype=np.int64)

    def apply(self, state: np.ndarray, n: int) -> None:
        """Ground every live, free row of ``state[:n]`` whose ``K_GROUND`` is set."""
        if self.network is None or not self.network.roads:
            return
        s = state[:n]
        rows = np.nonzero((s[:, K_ALIVE] > 0.5) & (s[:, K_GROUND] > 0.5) & (s[:, K_PARENT] < 0.0))[0]
        m = rows.size
        if m == 0:
            return
        if self._xy.shape[0] < m:
            self._xy = np.zeros((2 * m, 2))
            self._located = np.zeros((2 * m, R_SIZE))
            self._found = np.zeros(2 * m, dtype=np.int64)
        xy = self._xy[:m]
        xy[:, 0] = s[rows, K_X]
        xy[:, 1] = s[rows, K_Y]
        self.network.locate_many_into(xy, self._located[:m], self._found[:m])
        ground_rows(self.network.tables, state, rows, self._located[:m], self._found[:m])
