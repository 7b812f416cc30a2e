"""World queries CARLA answers from its scene: ``world.cast_ray``, ``project_point`` (and the client's
``ground_projection``), ``get_level_bbs`` and ``get_environment_objects``.

carla-lite's scene is its bodies (boxes) over the road surface, so a ray meets the boxes it enters
and the ground where it goes below the surface (the road's elevation under it; off every road the
nearest road's, else 0 m). A hit is CARLA's ``LabelledPoint``: ``[[x, y, z], label]`` in CARLA's
frame [m], the label a ``carla.CityObjectLabel`` (the body's semantic class; road or terrain for
the ground). The map has no buildings or other static meshes: the level's objects are none.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .sensor_raycast import ray_box

if TYPE_CHECKING:
    from .sensors import Sensors

GROUND_ITERATIONS = 4
"""Fixed-point steps that move a ray's ground hit onto the sloping road surface."""


def _ground_t(sensors: Sensors, o: np.ndarray, d: np.ndarray) -> float | None:
    """Where on ``o + t d`` (0 < t <= 1) the ray goes below the road surface; None if it stays above."""
    network = sensors.network
    if network is None:
        return None
    z0 = network.surface_z(float(o[0]), float(o[1]), 0.0)
    if o[2] < z0:
        return None
    t = None
    surface = z0
    for _ in range(GROUND_ITERATIONS):
        if d[2] >= -1e-12:
            break
        t = (surface - o[2]) / d[2]
        p = o + t * d
        surface = network.surface_z(float(p[0]), float(p[1]), surface)
    if t is None or not 0.0 < t <= 1.0:
        return None
    return t


def cast_ray(sensors: Sensors, start: list, end: list) -> list:
    """Every surface the segment from ``start`` to ``end`` (CARLA frame [m]) enters, nearest first; the
    ground ends it."""
    o = np.array([float(start[0]), -float(start[1]), float(start[2])])
    d = np.array([float(end[0]), -float(end[1]), float(end[2])]) - o
    if not float(np.dot(d, d)) > 0.0:
        return []
    hits: list[tuple[float, int]] = []
    boxes, _ids, tags = sensors.bodies()
    for j in range(len(boxes)):
        t = ray_box(o[0], o[1], o[2], d[0], d[1], d[2], boxes[j], 0.0)
        if 0.0 < t <= 1.0:
            hits.append((t, int(tags[j])))
    ground = _ground_t(sensors, o, d)
    if ground is not None:
        p = o + ground * d
        tag = int(sensors.ground_tags(np.array([[p[0], p[1]]]))[0])
        hits = [h for h in hits if h[0] < ground] + [(ground, tag)]
    hits.sort()
    return [_labelled(o + t * d, tag) for t, tag in hits]


def project_point(sensors: Sensors, location: list, direction: list, search_distance: float) -> list:
    """The first surface from ``location`` along ``direction`` within ``search_distance`` [m]:
    ``[found, LabelledPoint]``."""
    norm = math.sqrt(sum(float(c) ** 2 for c in direction))
    if not norm > 0.0 or not float(search_distance) > 0.0:
        return [False, _labelled(np.zeros(3), 0, mirrored=False)]
    reach = float(search_distance) / norm
    end = [float(location[i]) + float(direction[i]) * reach for i in range(3)]
    hits = cast_ray(sensors, location, end)
    if not hits:
        return [False, _labelled(np.zeros(3), 0, mirrored=False)]
    return [True, hits[0]]


def _labelled(p: np.ndarray, tag: int, mirrored: bool = True) -> list:
    y = -float(p[1]) if mirrored else float(p[1])
    return [[float(p[0]), y, float(p[2])], int(tag)]
