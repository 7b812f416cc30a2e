"""Byte layouts and msgpack shapes of CARLA 0.9.16's wire protocol, as the official client decodes them.

The client does not validate packed layouts: a wrong size or enum value gives garbage, not an error.
``tests/carla_lite/test_contract.py`` checks these against the installed client.

Frames: CARLA's world frame is left-handed (x forward, y right, z up; yaw clockwise seen from above,
degrees). dil's world frame is the OpenDRIVE one (y left, heading counter-clockwise, radians). The
conversion is a mirror of y: ``y_carla = -y_odr``, ``yaw_carla = -heading_odr``, ``roll_carla = -roll``.
"""

from __future__ import annotations

import enum
import ipaddress
import math
import struct
from typing import Any

import numpy as np

# --- sizes ------------------------------------------------------------------------------------

TOKEN_SIZE = 24
"""A stream token: u32 stream id, u16 port, u8 protocol, u8 address type, 16-byte address."""
SENSOR_HEADER_SIZE = 48
"""Every stream payload starts with it: u64 sensor type, u64 frame, f64 timestamp, 6 x f32 transform."""
EPISODE_HEADER_SIZE = 36
"""World-state body header: u64 episode, f64 platform time, f32 delta, 3 x i32 map origin, i32 state."""
ACTOR_RECORD_SIZE = 119
"""One actor in the world state: id, state, transform, velocities, acceleration, 54-byte union."""
ACTOR_UNION_SIZE = 54
IMAGE_HEADER_SIZE = 12
"""RGB camera body header: u32 width, u32 height, f32 horizontal fov [deg]."""
STREAM_ID_SIZE = 4
"""What a streaming client writes after connecting: the stream id, little-endian u32."""
FRAME_SIZE_SIZE = 4
"""Each stream message is preceded by its size, little-endian u32."""

TOKEN = struct.Struct("<IHBB16s")
SENSOR_HEADER = struct.Struct("<QQd6f")
EPISODE_HEADER = struct.Struct("<Qdf3ii")
IMAGE_HEADER = struct.Struct("<IIf")
STREAM_ID = struct.Struct("<I")
FRAME_SIZE = struct.Struct("<I")

VEHICLE_UNION = np.dtype(
    [
        ("throttle", "<f4"),
        ("steer", "<f4"),
        ("brake", "<f4"),
        ("hand_brake", "u1"),
        ("reverse", "u1"),
        ("manual_gear_shift", "u1"),
        ("gear", "<i4"),
        ("speed_limit", "<f4"),
        ("traffic_light_state", "u1"),
        ("has_traffic_light", "u1"),
        ("traffic_light_id", "<u4"),
        ("pad", "u1", ACTOR_UNION_SIZE - 29),
    ]
)
"""The union of a vehicle record: its last applied control, then the speed limit [km/h] and light."""

ACTOR_RECORD = np.dtype(
    [
        ("id", "<u4"),
        ("state", "u1"),
        ("transform", "<f4", 6),
        ("velocity", "<f4", 3),
        ("angular_velocity", "<f4", 3),
        ("acceleration", "<f4", 3),
        ("union", VEHICLE_UNION),
    ]
)
"""Transform as (x, y, z [m], pitch, yaw, roll [deg]); velocity [m/s]; angular velocity [deg/s];
acceleration [m/s^2]; all in CARLA's frame."""


class SensorType(enum.IntEnum):
    """Index of a sensor in the 0.9.16 client's sensor registry (the header's first field)."""

    COLLISION = 0
    CAMERA_RGB = 13
    WORLD_OBSERVER = 17
    """The episode (world) state."""


class AttributeType(enum.IntEnum):
    """Blueprint attribute types as the 0.9.16 client decodes them (0 and 6 are rejected)."""

    BOOL = 1
    INT = 2
    FLOAT = 3
    STRING = 4
    RGB_COLOR = 5


class ActorState(enum.IntEnum):
    INVALID = 0
    ACTIVE = 1
    DORMANT = 2


class TrafficLightState(enum.IntEnum):
    RED = 0
    YELLOW = 1
    GREEN = 2
    OFF = 3
    UNKNOWN = 4


class Protocol(enum.IntEnum):
    NOT_SET = 0
    TCP = 1
    UDP = 2


class AddressType(enum.IntEnum):
    NOT_SET = 0
    IPV4 = 1
    IPV6 = 2


class CommandType(enum.IntEnum):
    """Index of a command in the 0.9.16 client's ``rpc::Command`` variant (``apply_batch``), as probed."""

    SPAWN_ACTOR = 0
    DESTROY_ACTOR = 1
    APPLY_VEHICLE_CONTROL = 2
    APPLY_VEHICLE_ACKERMANN_CONTROL = 3
    APPLY_WALKER_CONTROL = 4
    APPLY_VEHICLE_PHYSICS_CONTROL = 5
    APPLY_TRANSFORM = 6
    APPLY_WALKER_STATE = 7
    APPLY_TARGET_VELOCITY = 8
    APPLY_TARGET_ANGULAR_VELOCITY = 9
    APPLY_IMPULSE = 10
    APPLY_FORCE = 11
    APPLY_ANGULAR_IMPULSE = 12
    APPLY_TORQUE = 13
    SET_SIMULATE_PHYSICS = 14
    SET_ENABLE_GRAVITY = 15
    SET_AUTOPILOT = 16
    SHOW_DEBUG_TELEMETRY = 17
    SET_VEHICLE_LIGHT_STATE = 18


WORLD_STATE_STREAM = 1
"""``get_sensor_token(1)`` asks for the world-state stream (CARLA's episode stream)."""

# --- tokens and stream payloads ---------------------------------------------------------------


def pack_token(stream_id: int, port: int, address: str = "0.0.0.0") -> bytes:
    """A TCP stream token. An unspecified address (0.0.0.0) makes the client use its server host."""
    raw = ipaddress.IPv4Address(address).packed.ljust(16, b"\0")
    return TOKEN.pack(stream_id, port, Protocol.TCP, AddressType.IPV4, raw)


def unpack_token(data: bytes) -> tuple[int, int, str]:
    """``(stream_id, port, address)`` of a token."""
    stream_id, port, _proto, _atype, raw = TOKEN.unpack(data)
    return stream_id, port, str(ipaddress.IPv4Address(raw[:4]))


def sensor_header(
    sensor: SensorType, frame: int, timestamp: float, transform: tuple[float, ...] = (0.0,) * 6
) -> bytes:
    """The 48-byte header: timestamp is the simulation time [s]; transform CARLA (m, deg)."""
    return SENSOR_HEADER.pack(int(sensor), frame, timestamp, *transform)


def episode_header(episode_id: int, platform_time: float, delta: float) -> bytes:
    return EPISODE_HEADER.pack(episode_id, platform_time, delta, 0, 0, 0, 0)


def image_body(bgra: np.ndarray, fov_deg: float) -> bytes:
    h, w = bgra.shape[:2]
    return IMAGE_HEADER.pack(w, h, fov_deg) + np.ascontiguousarray(bgra).tobytes()


# --- msgpack shapes ---------------------------------------------------------------------------
# Structs are msgpack arrays in field order (MSGPACK_DEFINE_ARRAY).


def vec3(x: float, y: float, z: float) -> list[float]:
    """Location, Vector3D, Rotation (pitch, yaw, roll) or an extent."""
    return [float(x), float(y), float(z)]


def transform(t: tuple[float, ...]) -> list[list[float]]:
    """CARLA transform ``(x, y, z, pitch, yaw, roll)`` as ``[location, rotation]``."""
    return [vec3(t[0], t[1], t[2]), vec3(t[3], t[4], t[5])]


def parse_transform(obj: Any) -> tuple[float, float, float, float, float, float]:
    (x, y, z), (pitch, yaw, roll) = obj
    return (float(x), float(y), float(z), float(pitch), float(yaw), float(roll))


def bounding_box(centre: tuple[float, float, float], extent: tuple[float, float, float]) -> list:
    """``[location, extent, rotation]``: centre relative to the actor, half sizes [m]."""
    return [vec3(*centre), vec3(*extent), vec3(0.0, 0.0, 0.0)]


def optional(value: Any) -> list:
    return [False] if value is None else [True, value]


def parse_optional(obj: Any) -> Any:
    return obj[1] if obj and obj[0] else None


def ok(value: Any) -> list:
    """``Response<T>`` holding a value."""
    return [[1, value]]


def ok_void() -> list:
    """``Response<void>`` without error."""
    return [[False]]


def error(message: str) -> list:
    """``Response<T>`` holding an error: the client raises RuntimeError(message)."""
    return [[0, [message]]]


def error_void(message: str) -> list:
    """``Response<void>`` holding an error."""
    return [[True, [message]]]


# --- frames -----------------------------------------------------------------------------------


def to_carla(x: float, y: float, z: float, heading: float) -> tuple[float, float, float, float]:
    """OpenDRIVE pose (m, rad) to CARLA location and yaw (m, deg)."""
    return x, -y, z, -math.degrees(heading)


def from_carla(x: float, y: float, z: float, yaw_deg: float) -> tuple[float, float, float, float]:
    """CARLA location and yaw (m, deg) to an OpenDRIVE pose (m, rad)."""
    return x, -y, z, -math.radians(yaw_deg)
