"""Ground following: actors stand on the road surface under them (height, pitch, roll).

The height comes from the road's elevation and superelevation at the actor's point, pitch and roll
from the surface's slopes along and across the actor's heading. Off every road the nearest road
(within a road width) gives them; farther away the actor keeps its height and attitude. The world
grounds its actors in its per-step pass (:mod:`dil.world.step_kernel`), on the lookup it shares with
the ego's road check.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dil.road.geometry import poly_value
from dil.road.lookup import R_HEADING, R_ROAD, R_S, R_T
from dil.road.tables import Tables

from .actors import A_ALIVE, A_PITCH, A_ROLL, A_YAW, A_Z


@njit(cache=True)
def surface_pose(T: Tables, road: int, s: float, t: float, ref_heading: float, yaw: float) -> tuple:
    """``(z [m], pitch [rad, nose up], roll [rad, left side up])`` of a body heading ``yaw`` [rad] at
    road coordinate ``(s, t)`` of ``road``, whose reference line heads ``ref_heading`` [rad]."""
    # z as road_to_world makes it (the same arithmetic), without the reference line's x, y
    z0, grade = poly_value(T.elev, T.road_elev[road, 0], T.road_elev[road, 1], s, 0.0)
    bank = poly_value(T.superelev, T.road_super[road, 0], T.road_super[road, 1], s, 0.0)[0]
    z = z0 + t * math.sin(bank)
    cross = math.tan(bank)  # rise per metre towards +t (left of the reference line)
    d = yaw - ref_heading
    along = grade * math.cos(d) + cross * math.sin(d)
    left = -grade * math.sin(d) + cross * math.cos(d)
    return z, math.atan(along), math.atan(left)


@njit(cache=True)
def surface_z(T: Tables, road: int, s: float, t: float) -> float:
    """Height of the road surface at road coordinate ``(s, t)`` of ``road`` [m]: ``road_to_world``'s z,
    the same arithmetic, without the reference line's x and y."""
    z = poly_value(T.elev, T.road_elev[road, 0], T.road_elev[road, 1], s, 0.0)[0]
    roll = poly_value(T.superelev, T.road_super[road, 0], T.road_super[road, 1], s, 0.0)[0]
    return z + t * math.sin(roll)


@njit(cache=True)
def ground_actors(T: Tables, state: np.ndarray, first_z: int, located: np.ndarray, found: np.ndarray) -> None:
    """Pitch and roll of every live row found on a road; its z too from row ``first_z`` on."""
    for i in range(found.size):
        if found[i] == 0 or state[i, A_ALIVE] < 0.5:
            continue
        loc = located[i]
        z, pitch, roll = surface_pose(
            T, int(loc[R_ROAD]), loc[R_S], loc[R_T], loc[R_HEADING], state[i, A_YAW]
        )
        if i >= first_z:
            state[i, A_Z] = z
        state[i, A_PITCH] = pitch
        state[i, A_ROLL] = roll
