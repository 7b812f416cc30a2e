"""Stewart (6-6 hexapod) platform kinematics: inverse (pose to six actuator lengths), forward
(lengths to pose, Newton's method) and limiting a commanded pose into the workspace.

Pose ``(surge, sway, heave, roll, pitch, yaw)`` of the platform frame relative to its neutral
pose [m, rad]; rotation ``R = Rz(yaw) Ry(pitch) Rx(roll)``. Joint positions are in the base frame
(base joints) and the platform frame (platform joints), z up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass(frozen=True)
class Geometry:
    base_radius: float = 1.2
    """Radius of the circle through the base joints [m]."""
    platform_radius: float = 0.8
    base_half_angle: float = 0.2
    """Half the angle between the two joints of a base pair [rad]."""
    platform_half_angle: float = 0.35
    neutral_height: float = 1.0
    """Height of the platform frame above the base joints at neutral [m]."""
    min_length: float = 0.95
    max_length: float = 1.45
    """Actuator length limits (stroke 0.5 m) [m]."""
    max_speed: float = 0.6
    """Actuator speed limit [m/s]."""
    max_accel: float = 6.0
    """Actuator acceleration limit [m/s^2]."""

    def joints(self) -> tuple[np.ndarray, np.ndarray]:
        """(6, 3) base and platform joint positions: three pairs 120 degrees apart; each leg runs from
        a base joint near its pair's centre line to a platform joint spread towards the next pair."""
        base = np.zeros((6, 3))
        plat = np.zeros((6, 3))
        for k in range(3):
            c = math.radians(120 * k)
            for j, sign in enumerate((-1, 1)):
                i = 2 * k + j
                ab = c + sign * self.base_half_angle
                ap = c + sign * (math.radians(60) - self.platform_half_angle)
                base[i] = (self.base_radius * math.cos(ab), self.base_radius * math.sin(ab), 0.0)
                plat[i] = (self.platform_radius * math.cos(ap), self.platform_radius * math.sin(ap), 0.0)
        return base, plat


@njit(cache=True)
def rotation(roll: float, pitch: float, yaw: float, r: np.ndarray) -> None:
    cr, sr = math.cos(roll), math.sin(roll)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    r[0, 0], r[0, 1], r[0, 2] = cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr
    r[1, 0], r[1, 1], r[1, 2] = sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr
    r[2, 0], r[2, 1], r[2, 2] = -sp, cp * sr, cp * cr


@njit(cache=True)
def inverse(
    pose: np.ndarray, base: np.ndarray, plat: np.ndarray, height: float, r: np.ndarray, lengths: np.ndarray
) -> None:
    """Actuator lengths for ``pose`` into ``lengths``; ``r`` is a 3x3 work array."""
    rotation(pose[3], pose[4], pose[5], r)
    for i in range(6):
        dx = pose[0] + r[0, 0] * plat[i, 0] + r[0, 1] * plat[i, 1] + r[0, 2] * plat[i, 2] - base[i, 0]
        dy = pose[1] + r[1, 0] * plat[i, 0] + r[1, 1] * plat[i, 1] + r[1, 2] * plat[i, 2] - base[i, 1]
        dz = (
            height + pose[2] + r[2, 0] * plat[i, 0] + r[2, 1] * plat[i, 1] + r[2, 2] * plat[i, 2] - base[i, 2]
        )
        lengths[i] = math.sqrt(dx * dx + dy * dy + dz * dz)


@njit(cache=True)
def forward(
    lengths: np.ndarray,
    guess: np.ndarray,
    base: np.ndarray,
    plat: np.ndarray,
    height: float,
    r: np.ndarray,
    pose: np.ndarray,
    tol: float = 1e-12,
    max_iter: int = 50,
) -> int:
    """The pose whose lengths are ``lengths``, by Newton's method from ``guess`` (numerical
    Jacobian); returns the iterations used, or -1 without convergence."""
    pose[:] = guess
    f = np.empty(6)
    fp = np.empty(6)
    jac = np.empty((6, 6))
    trial = np.empty(6)
    for it in range(max_iter):
        inverse(pose, base, plat, height, r, f)
        err = 0.0
        for i in range(6):
            f[i] -= lengths[i]
            err = max(err, abs(f[i]))
        if err < tol:
            return it
        for k in range(6):
            trial[:] = pose
            trial[k] += 1e-7
            inverse(trial, base, plat, height, r, fp)
            for i in range(6):
                jac[i, k] = (fp[i] - lengths[i] - f[i]) / 1e-7
        pose -= np.linalg.solve(jac, f)
    return -1


@njit(cache=True)
def limit(
    pose: np.ndarray,
    base: np.ndarray,
    plat: np.ndarray,
    height: float,
    lo: float,
    hi: float,
    r: np.ndarray,
    lengths: np.ndarray,
    scratch: np.ndarray,
) -> float:
    """Scale ``pose`` towards neutral until every length is within [lo, hi]; returns the scale
    kept (1.0 when the pose was inside)."""
    inverse(pose, base, plat, height, r, lengths)
    inside = True
    for i in range(6):
        if lengths[i] < lo or lengths[i] > hi:
            inside = False
    if inside:
        return 1.0
    a, b = 0.0, 1.0
    scratch[:] = pose
    for _ in range(40):
        m = 0.5 * (a + b)
        for k in range(6):
            pose[k] = scratch[k] * m
        inverse(pose, base, plat, height, r, lengths)
        ok = True
        for i in range(6):
            if lengths[i] < lo or lengths[i] > hi:
                ok = False
        if ok:
            a = m
        else:
            b = m
    for k in range(6):
        pose[k] = scratch[k] * a
    inverse(pose, base, plat, height, r, lengths)
    return a


@njit(cache=True)
def rate_limit(
    wanted: np.ndarray,
    lengths: np.ndarray,
    speeds: np.ndarray,
    lo: float,
    hi: float,
    max_speed: float,
    max_accel: float,
    dt: float,
) -> bool:
    """Move ``lengths`` (with ``speeds``) one step of ``dt`` towards ``wanted`` without exceeding
    the actuators' speed and acceleration, and without leaving the stroke [lo, hi]; in place. Each
    actuator brakes in time to stop at its target and before its end of stroke. Returns True when
    any actuator had to be limited."""
    limited = False
    a = max_accel * dt
    for i in range(6):
        v = (wanted[i] - lengths[i]) / dt
        if abs(v) <= max_speed and abs(v - speeds[i]) <= a + 1e-12:
            lengths[i] = wanted[i]
            speeds[i] = v
            continue
        limited = True
        e = wanted[i] - lengths[i]
        target = min(max_speed, math.sqrt(2.0 * max_accel * abs(e)), abs(e) / dt)
        target = target if e >= 0.0 else -target
        s = min(max(target - speeds[i], -a), a) + speeds[i]
        # never faster than can stop before either end of the stroke
        s = min(s, math.sqrt(2.0 * max_accel * max(hi - lengths[i], 0.0)), max_speed)
        s = max(s, -math.sqrt(2.0 * max_accel * max(lengths[i] - lo, 0.0)), -max_speed)
        speeds[i] = s
        lengths[i] = min(max(lengths[i] + s * dt, lo), hi)
    return limited


class Platform:
    """A hexapod's geometry with preallocated work arrays."""

    def __init__(self, geometry: Geometry | None = None) -> None:
        self.geometry = geometry or Geometry()
        self.base, self.plat = self.geometry.joints()
        self._r = np.zeros((3, 3))
        self._scratch = np.zeros(6)
        self.lengths = np.zeros(6)
        self.neutral = np.zeros(6)
        inverse(np.zeros(6), self.base, self.plat, self.geometry.neutral_height, self._r, self.neutral)
        g = self.geometry
        if not all(g.min_length < v < g.max_length for v in self.neutral):
            raise ValueError(
                f"rig geometry: neutral lengths {np.round(self.neutral, 3).tolist()} are outside "
                f"the stroke [{g.min_length}, {g.max_length}] m"
            )

    def inverse(self, pose: np.ndarray) -> np.ndarray:
        inverse(pose, self.base, self.plat, self.geometry.neutral_height, self._r, self.lengths)
        return self.lengths

    def forward(self, lengths: np.ndarray, guess: np.ndarray | None = None) -> np.ndarray:
        pose = np.zeros(6)
        it = forward(
            lengths,
            np.zeros(6) if guess is None else guess,
            self.base,
            self.plat,
            self.geometry.neutral_height,
            self._r,
            pose,
        )
        if it < 0:
            raise ValueError("forward kinematics did not converge")
        return pose

    def limit(self, pose: np.ndarray) -> float:
        """Bring ``pose`` inside the stroke in place; the scale kept (1.0: untouched)."""
        g = self.geometry
        return limit(
            pose,
            self.base,
            self.plat,
            g.neutral_height,
            g.min_length,
            g.max_length,
            self._r,
            self.lengths,
            self._scratch,
        )
