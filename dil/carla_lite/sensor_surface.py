"""Ray hits on the road surface where the ground is not flat: the depth camera and the lidars first
cast against a horizontal plane at the surface under the sensor, then move each ground hit onto the
OpenDRIVE surface (elevation and superelevation) by fixed-point steps on the surface height under
the hit (numba; OpenDRIVE frame, m). Networks whose surface is one plane skip the steps."""

from __future__ import annotations

import numpy as np
from numba import njit

from dil.road.lanes import road_to_world
from dil.road.lookup import R_ROAD, R_S, R_SIZE, R_T, locate
from dil.road.network import RoadNetwork

from .sensor_raycast import HIT_GROUND, HIT_NONE, ray_box

SURFACE_STEPS = 2
"""Fixed-point steps per ray (the error shrinks by the grade each step: 1.5 % leaves 0.02 % of it)."""


@njit(cache=True)
def ground_on_surface(T, G, origin, dirs, boxes, n_boxes, max_t, dist, hit, borders, cand, best, out):
    """Move every ``HIT_GROUND`` ray's hit onto the road surface; a body between the plane's hit and
    the surface's takes the hit; past ``max_t`` the ray hits nothing. Off every road the plane stays."""
    ox, oy, oz = origin[0], origin[1], origin[2]
    for i in range(dirs.shape[0]):
        if hit[i] != HIT_GROUND:
            continue
        dx, dy, dz = dirs[i, 0], dirs[i, 1], dirs[i, 2]
        if dz > -1e-12:
            continue
        t = dist[i]
        for _ in range(SURFACE_STEPS):
            if not locate(T, G, ox + t * dx, oy + t * dy, borders, cand, best, out):
                break
            z = road_to_world(T, int(out[R_ROAD]), out[R_S], out[R_T])[2]
            t = (z - oz) / dz
        if t <= 0.0 or t > max_t:
            dist[i] = max_t
            hit[i] = HIT_NONE
            continue
        what = HIT_GROUND
        if t > dist[i]:  # the ground lies lower there: a body may stand in between
            for j in range(n_boxes):
                tb = ray_box(ox, oy, oz, dx, dy, dz, boxes[j], 0.0)
                if 0.0 < tb < t:
                    t = tb
                    what = j
        dist[i] = t
        hit[i] = what


class SurfaceGround:
    """The road surface of one network for ray casts; ``None`` work where it is one plane."""

    def __init__(self, network: RoadNetwork) -> None:
        self.network = network
        T = network.tables
        heights = np.unique(T.elev[:, 1]) if len(T.elev) else np.zeros(1)
        self.flat = bool(
            len(heights) <= 1 and not np.any(T.elev[:, 2:] != 0.0) and not np.any(T.superelev[:, 1:] != 0.0)
        )
        """One plane: the elevation records (``s, a, b, c, d``) all of one height, no superelevation."""
        self._scratch = (
            np.empty_like(network._borders),
            np.empty_like(network._cand),
            np.empty_like(network._best),
            np.zeros(R_SIZE),
        )

    def refine(
        self,
        origin: np.ndarray,
        dirs: np.ndarray,
        boxes: np.ndarray,
        max_t: float,
        dist: np.ndarray,
        hit: np.ndarray,
    ) -> None:
        if self.flat:
            return
        borders, cand, best, out = self._scratch
        ground_on_surface(
            self.network.tables,
            self.network.grid,
            origin,
            dirs,
            boxes,
            len(boxes),
            max_t,
            dist,
            hit,
            borders,
            cand,
            best,
            out,
        )
