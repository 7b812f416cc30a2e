"""CARLA's radar: ``points_per_second`` rays at random directions within ``horizontal_fov`` and
``vertical_fov`` [deg] of the sensor's axis, hits within ``range`` [m]. Each hit is a detection of
four float32: the velocity towards the sensor (negative when closing) [m/s], azimuth and altitude
[rad] (CARLA's frame: azimuth positive to the right) and depth [m]; the body is the detections alone.
"""

from __future__ import annotations

import math

import numpy as np

from .dynamics import K_VX, K_VY, K_VZ
from .sensor_raycast import cast_rays

RADAR_DETECTION = np.dtype([("velocity", "<f4"), ("azimuth", "<f4"), ("altitude", "<f4"), ("depth", "<f4")])


def radar_capture(
    values: dict[str, str],
    dt: float,
    rng: np.random.Generator,
    origin: np.ndarray,
    axes: np.ndarray,
    boxes: np.ndarray,
    box_rows: np.ndarray,
    state: np.ndarray,
    sensor_velocity: np.ndarray,
    ground_z: float,
) -> bytes:
    """One capture's detections; ``box_rows`` the actor-table rows of the boxes (their velocities)."""
    hfov = math.radians(_num(values, "horizontal_fov", 30.0))
    vfov = math.radians(_num(values, "vertical_fov", 30.0))
    reach = _num(values, "range", 100.0)
    n = round(_num(values, "points_per_second", 1500.0) * dt)
    if n <= 0 or reach <= 0.0:
        return b""
    azimuth = rng.uniform(-0.5 * hfov, 0.5 * hfov, n)
    altitude = rng.uniform(-0.5 * vfov, 0.5 * vfov, n)
    local = np.stack(
        [np.cos(altitude) * np.cos(azimuth), np.cos(altitude) * np.sin(azimuth), np.sin(altitude)], axis=1
    )
    world = local[:, 0:1] * axes[0] - local[:, 1:2] * axes[1] + local[:, 2:3] * axes[2]
    dist = np.empty(n)
    hit = np.empty(n, np.int64)
    cast_rays(origin, world, boxes, len(boxes), ground_z, reach, 0.0, dist, hit)
    keep = np.nonzero(hit != -2)[0]
    out = np.zeros(len(keep), RADAR_DETECTION)
    out["azimuth"], out["altitude"], out["depth"] = azimuth[keep], altitude[keep], dist[keep]
    rel = np.tile(-sensor_velocity, (len(keep), 1))
    on_box = hit[keep] >= 0
    if on_box.any():
        rows = box_rows[hit[keep][on_box]]
        rel[on_box] += state[rows][:, [K_VX, K_VY, K_VZ]]
    out["velocity"] = np.einsum("ij,ij->i", rel, world[keep])
    return out.tobytes()


def _num(values: dict[str, str], key: str, default: float) -> float:
    try:
        return float(values.get(key) or default)
    except ValueError:
        return default
