"""Stream bodies of the sensors beyond the RGB camera and the collision sensor, as the 0.9.16 client
decodes them (each follows the 48-byte ``layouts.sensor_header``).

- depth and semantic segmentation cameras: the RGB camera's image body (``u32 width, u32 height,
  f32 fov``, BGRA8 pixels); depth is encoded in R, G, B, semantic tags in R (the instance camera:
  the actor id in G, low byte, and B, high byte);
- lidars: ``f32 horizontal angle`` (as the bits of a u32), ``u32 channels``, ``u32`` points per channel,
  then the points: ``x, y, z, intensity`` float32 (ray-cast lidar) or ``x, y, z, cos_inc_angle`` float32,
  ``object_idx, object_tag`` u32 (semantic lidar), in the sensor's frame (x forward, y right, z up);
- IMU: msgpack ``[accelerometer [m/s^2], gyroscope [rad/s], compass [rad]]``;
- GNSS: msgpack ``[latitude, longitude [deg], altitude [m]]``;
- radar: its detections alone (``sensor_radar.RADAR_DETECTION``);
- obstacle: msgpack ``[self_actor, other_actor, distance [m]]``.
"""

from __future__ import annotations

import enum
import math
import re
import struct

import numpy as np

DEPTH_FAR_M = 1000.0
"""Depth images encode 0 to 1000 m in 24 bits."""
EARTH_RADIUS_M = 6378137.0
"""Equatorial radius CARLA's geo conversion uses."""
TM_SCALE = 0.9996
"""Scale on the central meridian of the client's transverse Mercator projection."""
DEFAULT_GEO = (42.0, 2.0, 0.0)
"""Latitude, longitude [deg] and altitude [m] of the map origin without a geoReference (CARLA's)."""

LIDAR_HEADER = struct.Struct("<fI")

LIDAR_POINT = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("intensity", "<f4")])
SEMANTIC_LIDAR_POINT = np.dtype(
    [
        ("x", "<f4"),
        ("y", "<f4"),
        ("z", "<f4"),
        ("cos_inc_angle", "<f4"),
        ("object_idx", "<u4"),
        ("object_tag", "<u4"),
    ]
)


class MoreSensorTypes(enum.IntEnum):
    """Indices in the 0.9.16 client's sensor registry of the sensors this module serves."""

    DEPTH = 1
    NORMALS = 2
    DVS = 3
    GNSS = 4
    IMU = 5
    OBSTACLE = 7
    OPTICAL_FLOW = 8
    RADAR = 9
    SEMANTIC_LIDAR = 10
    LIDAR = 11
    SEMANTIC_SEGMENTATION = 14
    INSTANCE_SEGMENTATION = 15
    COSMOS = 16


class Tag(enum.IntEnum):
    """CARLA's semantic classes (the CityScapes-based set of 0.9.14 and later)."""

    UNLABELED = 0
    ROADS = 1
    SIDEWALKS = 2
    TERRAIN = 10
    SKY = 11
    PEDESTRIAN = 12
    CAR = 14
    TRUCK = 15
    STATIC = 20
    ROAD_LINE = 24
    GROUND = 25


CITYSCAPES_RGB = {
    Tag.UNLABELED: (0, 0, 0),
    Tag.ROADS: (128, 64, 128),
    Tag.SIDEWALKS: (244, 35, 232),
    Tag.TERRAIN: (152, 251, 152),
    Tag.SKY: (70, 130, 180),
    Tag.PEDESTRIAN: (220, 20, 60),
    Tag.CAR: (0, 0, 142),
    Tag.TRUCK: (0, 0, 70),
    Tag.STATIC: (110, 190, 160),
    Tag.ROAD_LINE: (157, 234, 50),
    Tag.GROUND: (81, 0, 81),
}
"""CARLA's CityScapes colours (R, G, B) of the classes carla-lite draws."""
_CITYSCAPES_BGRA = np.zeros((256, 4), np.uint8)
_CITYSCAPES_BGRA[:, 3] = 255
for _tag, (_r, _g, _b) in CITYSCAPES_RGB.items():
    _CITYSCAPES_BGRA[int(_tag), :3] = (_b, _g, _r)


def cityscapes_bgra(tags: np.ndarray) -> np.ndarray:
    """A BGRA8 image of CityScapes colours from an image of semantic tags (uint8)."""
    return _CITYSCAPES_BGRA[tags]


def encode_depth(depth_m: np.ndarray, out: np.ndarray) -> None:
    """Write depths [m] (h, w) into a BGRA image ``out`` (h, w, 4) as CARLA does:
    ``(R + 256 G + 65536 B) / (2^24 - 1) * 1000`` m; beyond 1000 m saturates."""
    code = np.clip(np.rint(depth_m * ((1 << 24) - 1) / DEPTH_FAR_M), 0, (1 << 24) - 1).astype(np.uint32)
    out[..., 2] = code & 0xFF
    out[..., 1] = (code >> 8) & 0xFF
    out[..., 0] = (code >> 16) & 0xFF
    out[..., 3] = 255


def lidar_body(angle_rad: float, counts: np.ndarray, points: np.ndarray) -> bytes:
    """Header and points (``LIDAR_POINT`` or ``SEMANTIC_LIDAR_POINT`` rows, channel by channel)."""
    head = LIDAR_HEADER.pack(angle_rad, len(counts)) + counts.astype("<u4").tobytes()
    return head + np.ascontiguousarray(points).tobytes()


def parse_geo_reference(text: str) -> tuple[float, float, float]:
    """Latitude and longitude of the map origin from a proj string's ``+lat_0`` and ``+lon_0`` (CARLA's
    reading of the OpenDRIVE geoReference); CARLA's default where one is missing."""
    lat, lon, alt = DEFAULT_GEO
    m = re.search(r"\+lat_0=([-+0-9.eE]+)", text or "")
    if m:
        lat = float(m.group(1))
    m = re.search(r"\+lon_0=([-+0-9.eE]+)", text or "")
    if m:
        lon = float(m.group(1))
    return lat, lon, alt


def geolocation(
    origin: tuple[float, float, float], x: float, y: float, z: float
) -> tuple[float, float, float]:
    """Latitude, longitude [deg] and altitude [m] of a CARLA location as the 0.9.16 client computes it:
    a transverse Mercator projection on a sphere (``EARTH_RADIUS_M``, scale ``TM_SCALE``) about the
    origin, x east and CARLA's y north (whatever the geoReference's other parameters say)."""
    lat0, lon0, alt0 = origin
    d = y / (EARTH_RADIUS_M * TM_SCALE) + math.radians(lat0)
    e = x / (EARTH_RADIUS_M * TM_SCALE)
    lat = math.degrees(math.asin(math.sin(d) / math.cosh(e)))
    lon = lon0 + math.degrees(math.atan2(math.sinh(e), math.cos(d)))
    return lat, lon, alt0 + z
