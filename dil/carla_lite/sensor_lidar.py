"""CARLA's ray-cast lidars: a spinning head of ``channels`` lasers between ``upper_fov`` and
``lower_fov`` [deg], ``points_per_second`` shared by the lasers, ``rotation_frequency`` [Hz] turns per
second, hits within ``range`` [m]. Each capture sweeps the angle the head turned since the last one.

Points are in the sensor's frame as CARLA gives them: x forward, y right, z up [m]. The ray-cast
lidar's intensity is ``exp(-atmosphere_attenuation_rate * distance)``; points are dropped at random
(``dropoff_general_rate``, and below ``dropoff_intensity_limit`` more the weaker they are) as CARLA does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .sensor_layouts import LIDAR_POINT, SEMANTIC_LIDAR_POINT, Tag, lidar_body
from .sensor_raycast import HIT_GROUND, HIT_NONE, cast_rays


@dataclass
class LidarSpec:
    channels: int = 32
    range_m: float = 10.0
    points_per_second: float = 56000.0
    rotation_frequency: float = 10.0
    upper_fov: float = 10.0
    lower_fov: float = -30.0
    horizontal_fov: float = 360.0
    attenuation: float = 0.004
    dropoff_general: float = 0.45
    dropoff_limit: float = 0.8
    dropoff_zero: float = 0.4
    noise_stddev: float = 0.0
    semantic: bool = False
    seed: int = 0
    angle_deg: float = 0.0
    """Where the head points now (carried from capture to capture)."""
    rng: np.random.Generator = field(default_factory=np.random.default_rng)

    @staticmethod
    def from_values(values: dict[str, str], semantic: bool, num) -> LidarSpec:
        """From blueprint attribute values; ``num(name, default)`` reads one number."""
        spec = LidarSpec(
            channels=int(num("channels", 32)),
            range_m=num("range", 10.0),
            points_per_second=num("points_per_second", 56000.0),
            rotation_frequency=num("rotation_frequency", 10.0),
            upper_fov=num("upper_fov", 10.0),
            lower_fov=num("lower_fov", -30.0),
            horizontal_fov=num("horizontal_fov", 360.0),
            attenuation=num("atmosphere_attenuation_rate", 0.004),
            dropoff_general=num("dropoff_general_rate", 0.45),
            dropoff_limit=num("dropoff_intensity_limit", 0.8),
            dropoff_zero=num("dropoff_zero_intensity", 0.4),
            noise_stddev=num("noise_stddev", 0.0),
            semantic=semantic,
            seed=int(num("noise_seed", 0)),
        )
        if spec.channels < 1 or spec.range_m <= 0.0 or spec.points_per_second < 0.0:
            raise ValueError(
                f"lidar channels {spec.channels}, range {spec.range_m}, points_per_second "
                f"{spec.points_per_second}: out of range"
            )
        if not 0.0 < spec.horizontal_fov <= 360.0 or spec.rotation_frequency < 0.0:
            raise ValueError(
                f"lidar horizontal_fov {spec.horizontal_fov}, rotation_frequency "
                f"{spec.rotation_frequency}: out of range"
            )
        spec.rng = np.random.default_rng(spec.seed)
        return spec


def lidar_capture(
    spec: LidarSpec,
    dt: float,
    origin: np.ndarray,
    axes: np.ndarray,
    boxes: np.ndarray,
    box_ids: np.ndarray,
    box_tags: np.ndarray,
    ground_z: float,
    ground_tag,
    surface=None,
) -> bytes:
    """One capture's body. ``axes`` rows: the sensor's forward, left and up in the world (OpenDRIVE
    frame); ``boxes`` the bodies (``sensor_raycast.B_*``) with their actor ids and semantic tags;
    ``ground_tag(xy)`` the tags of ground hits (semantic lidar); ``surface`` (a
    ``sensor_surface.SurfaceGround``) moves ground hits from the plane at ``ground_z`` onto the road."""
    per_channel = round(spec.points_per_second * dt / spec.channels)
    span = min(360.0 * spec.rotation_frequency * dt, spec.horizontal_fov)
    start = spec.angle_deg
    spec.angle_deg = math.fmod(start + span, spec.horizontal_fov)
    counts = np.zeros(spec.channels, np.uint32)
    dtype = SEMANTIC_LIDAR_POINT if spec.semantic else LIDAR_POINT
    if per_channel <= 0:
        return lidar_body(math.radians(spec.angle_deg), counts, np.zeros(0, dtype))
    if spec.channels == 1:
        vertical = np.array([spec.upper_fov])
    else:
        vertical = np.linspace(spec.upper_fov, spec.lower_fov, spec.channels)
    horizontal = start + span * np.arange(per_channel) / per_channel
    hz = np.radians(np.tile(horizontal, spec.channels))
    vt = np.radians(np.repeat(vertical, per_channel))
    channel = np.repeat(np.arange(spec.channels), per_channel)
    local = np.stack([np.cos(vt) * np.cos(hz), np.cos(vt) * np.sin(hz), np.sin(vt)], axis=1)
    world = local[:, 0:1] * axes[0] - local[:, 1:2] * axes[1] + local[:, 2:3] * axes[2]
    dist = np.empty(len(world))
    hit = np.empty(len(world), np.int64)
    cast_rays(origin, world, boxes, len(boxes), ground_z, spec.range_m, 0.0, dist, hit)
    if surface is not None:
        surface.refine(origin, world, boxes, spec.range_m, dist, hit)
    keep = hit != HIT_NONE
    if not spec.semantic:
        intensity = np.exp(-spec.attenuation * dist)
        r = spec.rng.random(len(dist))
        keep &= spec.rng.random(len(dist)) >= spec.dropoff_general
        if spec.dropoff_limit > 0.0:
            alpha = (1.0 - spec.dropoff_zero) / spec.dropoff_limit
            keep &= (intensity > spec.dropoff_limit) | (r < alpha * intensity + spec.dropoff_zero)
        if spec.noise_stddev > 0.0:
            dist = dist + spec.rng.normal(0.0, spec.noise_stddev, len(dist))
    idx = np.nonzero(keep)[0]
    counts[:] = np.bincount(channel[idx], minlength=spec.channels)
    out = np.zeros(len(idx), dtype)
    p = local[idx] * dist[idx, None]
    out["x"], out["y"], out["z"] = p[:, 0], p[:, 1], p[:, 2]
    if not spec.semantic:
        out["intensity"] = intensity[idx]
        return lidar_body(math.radians(spec.angle_deg), counts, out)
    h = hit[idx]
    on_box = h >= 0
    rows = np.where(on_box, h, 0)
    out["object_idx"] = np.where(on_box, box_ids[rows] if len(box_ids) else 0, 0)
    tags = np.where(on_box, box_tags[rows] if len(box_tags) else 0, int(Tag.TERRAIN))
    ground = np.nonzero(h == HIT_GROUND)[0]
    if len(ground):
        pts = origin + world[idx[ground]] * dist[idx[ground], None]
        tags[ground] = ground_tag(pts[:, :2])
    out["object_tag"] = tags
    out["cos_inc_angle"] = _cos_incidence(world[idx], origin + world[idx] * dist[idx, None], h, boxes)
    return lidar_body(math.radians(spec.angle_deg), counts, out)


def _cos_incidence(dirs: np.ndarray, points: np.ndarray, hit: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Cosine between each ray and the surface normal it hit (the ground's is up; a box's the normal
    of the face nearest the hit point)."""
    normal = np.zeros_like(dirs)
    normal[:, 2] = 1.0
    for k in np.nonzero(hit >= 0)[0]:
        b = boxes[hit[k]]
        c, s = math.cos(b[3]), math.sin(b[3])
        dx, dy = points[k, 0] - b[0], points[k, 1] - b[1]
        along, across, up = c * dx + s * dy, -s * dx + c * dy, points[k, 2] - b[2]
        gaps = (
            0.5 * b[4] - abs(along),
            0.5 * b[5] - abs(across),
            abs(b[6] - up),
        )
        face = int(np.argmin(gaps))
        if face == 0:
            normal[k] = (math.copysign(1.0, along) * c, math.copysign(1.0, along) * s, 0.0)
        elif face == 1:
            normal[k] = (-math.copysign(1.0, across) * s, math.copysign(1.0, across) * c, 0.0)
    unit = dirs / np.linalg.norm(dirs, axis=1, keepdims=True)
    return np.abs(np.einsum("ij,ij->i", unit, normal))
