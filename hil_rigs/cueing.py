"""Classical washout motion cueing with tilt coordination (after Reid and Nahon, 1985).

Frames: the vehicle frame (x forward, y left, z up) gives specific force and angular velocity at
the driver; the platform frame (same axes, at the platform's neutral pose) receives the pose
``(surge, sway, heave, roll, pitch, yaw)`` [m, rad].

Per axis: the input is scaled and soft-limited; translational channels pass a third-order
high-pass and a double integration, combined into one filter ``s / ((s^2 + 2 zeta w s + w^2)
(s + w_b))`` from acceleration to position, which returns to neutral under a sustained input;
tilt coordination renders the low-pass part of the longitudinal and lateral specific force as
pitch and roll (the gravity vector does the sustained cue), rate-limited to stay below the
vestibular threshold; rotational channels pass a second-order high-pass and an integration,
``s / (s^2 + 2 zeta w s + w^2)`` from angular rate to angle. Discretised with the bilinear
transform at the loop's step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .filters import FilterBank, step_bank
from .head import S_SIZE, head_acceleration

G = 9.81

# parameter layout of the kernel
P_SX, P_SY, P_SZ, P_SR, P_SP, P_SW = range(6)
P_FLIM = 6
"""Soft limit of the scaled specific force [m/s^2]."""
P_TILT_RATE = 7
P_TILT_MAX = 8
P_DT = 9
P_SIZE = 10


@dataclass(frozen=True)
class AxisFilter:
    omega: float
    """Break frequency [rad/s]."""
    zeta: float = 1.0
    omega_b: float = 0.0
    """Third-order break [rad/s] (translational channels)."""


@dataclass(frozen=True)
class CueingParameters:
    scale: tuple[float, float, float, float, float, float] = (0.5, 0.5, 0.5, 0.5, 0.5, 0.5)
    """Gains on specific force x, y, z and angular rate roll, pitch, yaw."""
    force_limit: float = 4.0
    """Soft limit of the scaled longitudinal and lateral specific force [m/s^2]."""
    surge: AxisFilter = AxisFilter(2.0, 1.0, 0.4)
    sway: AxisFilter = AxisFilter(2.0, 1.0, 0.4)
    heave: AxisFilter = AxisFilter(4.0, 1.0, 0.4)
    tilt: AxisFilter = AxisFilter(5.0, 1.0)
    """Low-pass of the tilt-coordination channel."""
    tilt_rate_limit: float = 0.0524
    """3 deg/s: below the threshold at which a driver notices the platform rotating."""
    tilt_max: float = 0.2
    """Largest tilt angle [rad]."""
    roll: AxisFilter = AxisFilter(1.0, 1.0)
    pitch: AxisFilter = AxisFilter(1.0, 1.0)
    yaw: AxisFilter = AxisFilter(1.0, 1.0)


def _translational(f: AxisFilter) -> tuple[list[float], list[float]]:
    w, z, wb = f.omega, f.zeta, f.omega_b
    # (s^2 + 2 z w s + w^2)(s + wb)
    den = [1.0, 2 * z * w + wb, w * w + 2 * z * w * wb, w * w * wb]
    return [1.0, 0.0], den


def _rotational(f: AxisFilter) -> tuple[list[float], list[float]]:
    return [1.0, 0.0], [1.0, 2 * f.zeta * f.omega, f.omega**2]


def _low_pass(f: AxisFilter) -> tuple[list[float], list[float]]:
    return [f.omega**2], [1.0, 2 * f.zeta * f.omega, f.omega**2]


@njit(cache=True)
def cue(
    ad: np.ndarray,
    bd: np.ndarray,
    cd: np.ndarray,
    dd: np.ndarray,
    x: np.ndarray,
    u: np.ndarray,
    y: np.ndarray,
    tilt: np.ndarray,
    p: np.ndarray,
    inputs: np.ndarray,
    out: np.ndarray,
) -> None:
    """One step: ``inputs`` (fx, fy, fz [m/s^2], wx, wy, wz [rad/s]) to ``out`` pose."""
    lim = p[P_FLIM]
    fx = lim * np.tanh(p[P_SX] * inputs[0] / lim)
    fy = lim * np.tanh(p[P_SY] * inputs[1] / lim)
    u[0] = fx
    u[1] = fy
    u[2] = p[P_SZ] * inputs[2]
    u[3] = fx
    u[4] = fy
    u[5] = p[P_SR] * inputs[3]
    u[6] = p[P_SP] * inputs[4]
    u[7] = p[P_SW] * inputs[5]
    step_bank(ad, bd, cd, dd, x, u, y)
    s_max = np.sin(p[P_TILT_MAX])
    # forward acceleration: nose up (negative pitch) so that gravity presses the driver back;
    # leftward acceleration: right side down (positive roll) so that gravity pulls to the right
    target_pitch = -np.arcsin(min(max(y[3] / G, -s_max), s_max))
    target_roll = np.arcsin(min(max(y[4] / G, -s_max), s_max))
    step = p[P_TILT_RATE] * p[P_DT]
    tilt[0] += min(max(target_roll - tilt[0], -step), step)
    tilt[1] += min(max(target_pitch - tilt[1], -step), step)
    out[0] = y[0]
    out[1] = y[1]
    out[2] = y[2]
    out[3] = tilt[0] + y[5]
    out[4] = tilt[1] + y[6]
    out[5] = y[7]


@njit(cache=True)
def cue_at_head(ad, bd, cd, dd, x, u, y, tilt, p, inputs, out, head, head_state, acc, tau) -> None:
    """:func:`cue` of the specific force at the driver's head (offset ``head``, vehicle frame)
    rather than at the vehicle's reference point; ``inputs`` holds the reference point's."""
    head_acceleration(inputs[0:3], inputs[3:6], head, head_state, p[P_DT], tau, acc)
    inputs[0], inputs[1], inputs[2] = acc[0], acc[1], acc[2]
    cue(ad, bd, cd, dd, x, u, y, tilt, p, inputs, out)


class MotionCueing:
    """Classical washout for one platform; :meth:`step` allocates nothing. ``head``: the driver's
    head from the vehicle's reference point [m], vehicle frame (:mod:`hil_rigs.head`)."""

    def __init__(
        self,
        params: CueingParameters | None = None,
        dt: float = 1e-3,
        head: tuple[float, float, float] = (0.0, 0.0, 0.0),
    ) -> None:
        self.params = params or CueingParameters()
        c = self.params
        self.bank = FilterBank(
            [
                _translational(c.surge),
                _translational(c.sway),
                _translational(c.heave),
                _low_pass(c.tilt),
                _low_pass(c.tilt),
                _rotational(c.roll),
                _rotational(c.pitch),
                _rotational(c.yaw),
            ],
            dt,
        )
        self.p = np.zeros(P_SIZE)
        self.p[:6] = c.scale
        self.p[P_FLIM], self.p[P_TILT_RATE], self.p[P_TILT_MAX], self.p[P_DT] = (
            c.force_limit,
            c.tilt_rate_limit,
            c.tilt_max,
            dt,
        )
        self.u = np.zeros(8)
        self.y = np.zeros(8)
        self.tilt = np.zeros(2)
        self.inputs = np.zeros(6)
        self.pose = np.zeros(6)
        self.head = np.array(head, dtype=float)
        self.head_tau = 0.02
        """Low-pass of the angular acceleration [s]."""
        self._head_state = np.zeros(S_SIZE)
        self._acc = np.zeros(3)

    def step(self, fx: float, fy: float, fz: float, wx: float, wy: float, wz: float) -> np.ndarray:
        """The platform pose for this step's acceleration of the vehicle's reference point (specific
        force without gravity) and angular velocity, vehicle frame (reused array)."""
        i = self.inputs
        i[0], i[1], i[2], i[3], i[4], i[5] = fx, fy, fz, wx, wy, wz
        b = self.bank
        cue_at_head(
            b.ad,
            b.bd,
            b.cd,
            b.dd,
            b.state,
            self.u,
            self.y,
            self.tilt,
            self.p,
            i,
            self.pose,
            self.head,
            self._head_state,
            self._acc,
            self.head_tau,
        )
        return self.pose

    def reset(self) -> None:
        self.bank.reset()
        self.tilt[:] = 0.0
        self._head_state[:] = 0.0
