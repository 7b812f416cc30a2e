"""A platform driver for the "position motion mode" UDP format of Motion4Sim controllers (also
sent by FlyPT Mover), documented at docs.motion4sim.com ("Position Motion Mode"):

    <252><252>  sway surge heave [mm]  yaw roll pitch [deg]  belt  filler  <10><13>

36 bytes: two start bytes, eight 4-byte values (six 32-bit floats, a uint32 for an optional belt
actuator, a filler), two stop bytes. The byte order of the values is not stated there; this
driver writes little-endian (the controllers' and PCs' native order) and takes ``byte_order`` for a
controller that wants otherwise. The platform's own controller does its kinematics; this driver
sends the pose of the lengths the server commands (forward kinematics) and, having no feedback in
this format, reports the commanded lengths as the actual ones.
"""

from __future__ import annotations

import math
import socket
import struct

import numpy as np

from .stewart import Platform

START = b"\xfc\xfc"
STOP = b"\x0a\x0d"
PACKET_SIZE = 36


def encode_pose(pose: np.ndarray, byte_order: str = "<") -> bytes:
    """The 36-byte packet for ``pose`` (surge, sway, heave [m], roll, pitch, yaw [rad])."""
    surge, sway, heave, roll, pitch, yaw = (float(v) for v in pose)
    body = struct.pack(
        f"{byte_order}6fII",
        sway * 1000.0,
        surge * 1000.0,
        heave * 1000.0,
        math.degrees(yaw),
        math.degrees(roll),
        math.degrees(pitch),
        0,
        0,
    )
    return START + body + STOP


def decode_pose(packet: bytes, byte_order: str = "<") -> np.ndarray:
    """The pose a packet carries (for tests and tools)."""
    if len(packet) != PACKET_SIZE or packet[:2] != START or packet[-2:] != STOP:
        raise ValueError(f"not a position-mode packet ({len(packet)} bytes)")
    sway, surge, heave, yaw, roll, pitch, _, _ = struct.unpack(f"{byte_order}6fII", packet[2:-2])
    return np.array(
        [
            surge / 1000.0,
            sway / 1000.0,
            heave / 1000.0,
            math.radians(roll),
            math.radians(pitch),
            math.radians(yaw),
        ]
    )


class UdpPlatform:
    """Sends every step's pose to ``host:port``; same interface as the simulated platform."""

    def __init__(self, platform: Platform, host: str, port: int, byte_order: str = "<") -> None:
        self.platform = platform
        g = platform.geometry
        self.parked = np.full(6, g.min_length + 0.01)
        self.lengths = self.parked.copy()
        self.speeds = np.zeros(6)
        # resolved once here: a bad host is an error at start, not in the 1 kHz loop (socket.gaierror)
        self._address = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)[0][4]
        self._order = byte_order
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._guess = np.zeros(6)
        self.sent = 0

    def step(self, target: np.ndarray, dt: float) -> None:
        g = self.platform.geometry
        step = np.clip(
            target - self.lengths, -g.max_speed * dt, g.max_speed * dt
        )  # never faster than allowed
        self.lengths += step
        pose = self.platform.forward(self.lengths, self._guess)
        self._guess[:] = pose
        self._sock.sendto(encode_pose(pose, self._order), self._address)
        self.sent += 1

    def hold_parked(self) -> None:
        self.lengths[:] = self.parked
        self.speeds[:] = 0.0

    def close(self) -> None:
        self._sock.close()
