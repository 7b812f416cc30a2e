"""The IMU and GNSS sensors' bodies from carla-lite's actor table (``dynamics.K_*``, OpenDRIVE frame).

IMU, as CARLA gives it: the accelerometer [m/s^2] holds the acceleration plus gravity's reaction
(about +9.81 on z at rest), the gyroscope [rad/s] the turn rates, both in the sensor's frame (x
forward, y right, z up), with CARLA's signs: x is minus the roll rate (CARLA's roll, right side down
positive), y minus the pitch rate (nose up positive), z the yaw rate (a right turn is positive); roll
and pitch rates are the carrier's attitude change over the last step. The compass [rad] is the heading from
north (CARLA's -y) clockwise, in [0, 2 pi). GNSS: the sensor's location as latitude and longitude
[deg] and altitude [m] from the map's geo reference, with the blueprint's biases added.
"""

from __future__ import annotations

import math

import msgpack
import numpy as np

from .dynamics import K_AX, K_AY, K_AZ, K_PITCH, K_PITCH_RATE, K_ROLL_RATE, K_YAW, K_YAW_RATE
from .sensor_layouts import geolocation

GRAVITY = 9.81
"""[m/s^2]"""


def imu_body(sensor: np.ndarray, carrier: np.ndarray) -> bytes:
    """msgpack ``[accelerometer, gyroscope, compass]`` of a sensor row riding on a carrier row (the
    sensor's own row when it rides on nothing)."""
    yaw, pitch = float(sensor[K_YAW]), math.radians(float(sensor[K_PITCH]))
    fwd = (math.cos(yaw) * math.cos(pitch), math.sin(yaw) * math.cos(pitch), math.sin(pitch))
    left = (-math.sin(yaw), math.cos(yaw), 0.0)
    up = (-math.sin(pitch) * math.cos(yaw), -math.sin(pitch) * math.sin(yaw), math.cos(pitch))
    a = (float(carrier[K_AX]), float(carrier[K_AY]), float(carrier[K_AZ]) + GRAVITY)
    accel = [_dot(a, fwd), -_dot(a, left), _dot(a, up)]
    # K_ROLL has OpenDRIVE's sign (CARLA's roll is its negative): -d(CARLA roll)/dt = +d(K_ROLL)/dt
    gyro = [float(carrier[K_ROLL_RATE]), -float(carrier[K_PITCH_RATE]), -float(carrier[K_YAW_RATE])]
    compass = math.fmod(-yaw + 0.5 * math.pi, 2.0 * math.pi)
    if compass < 0.0:
        compass += 2.0 * math.pi
    return msgpack.packb([accel, gyro, compass], use_bin_type=True)


def gnss_body(
    origin: tuple[float, float, float], transform: tuple[float, ...], values: dict[str, str]
) -> bytes:
    """msgpack ``[latitude, longitude, altitude]`` of a CARLA transform ``(x, y, z, ...)``."""
    lat, lon, alt = geolocation(origin, transform[0], transform[1], transform[2])
    lat += _num(values.get("noise_lat_bias"))
    lon += _num(values.get("noise_lon_bias"))
    alt += _num(values.get("noise_alt_bias"))
    return msgpack.packb([lat, lon, alt], use_bin_type=True)


def _dot(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _num(text: str | None) -> float:
    try:
        return float(text) if text else 0.0
    except ValueError:
        return 0.0
