"""Model-predictive motion cueing: the second algorithm, for the longitudinal and lateral channels.

Classical washout filters the vehicle's specific force and cannot look at the platform's limits;
an MPC chooses the platform's acceleration and tilt rate so that the specific force the driver
feels tracks the vehicle's over a horizon, within the actuators' acceleration and the vestibular
tilt-rate threshold, while a quadratic pull keeps the platform near neutral (after Dagdelen et
al., "Model-based predictive motion cueing strategy for vehicle driving simulators", Control
Engineering Practice 17, 2009, in its simplest form: no vestibular filter, a held reference).

Per channel (surge with pitch, sway with roll), state ``x = (p, v, tau)``: platform position [m],
velocity [m/s] and tilt [rad] (``tau = -pitch`` for surge: nose up; ``tau = roll`` for sway),
input ``u = (a, w)``: platform acceleration [m/s^2] and tilt rate [rad/s]. The felt specific force
is ``a + g tau`` (small angles). Over ``N`` steps of ``Ts`` the cost is

    sum_k  w_f (a_k + g tau_k - r)^2 + w_a a_k^2 + w_w w_k^2 + w_p p_{k+1}^2 + w_v v_{k+1}^2

with ``r`` the scaled, soft-limited specific force at the driver's head, held over the horizon,
subject to ``|a| <= a_max`` and ``|w| <= tilt_rate_limit``. Condensed to a box-constrained QP in
the ``2N`` inputs whose Hessian is built once; each solve is accelerated projected gradient
(FISTA) warm-started from the previous solution shifted by one step, in a numba kernel. The two
channels are solved on alternate halves of the ``Ts`` period (so one tick carries one solve);
between solves the first input is applied and the state integrated exactly at the loop's step.
Heave and the rotational channels (roll, pitch and yaw rates) stay classical washout (their
high-pass filters); the MPC's tilt adds to their roll and pitch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .cueing import CueingParameters, G, MotionCueing
from .head import S_SIZE, head_acceleration


@dataclass(frozen=True)
class MpcParameters:
    horizon: int = 40
    """Steps ``N``."""
    step_s: float = 0.03
    """``Ts`` [s]: also how often each channel is solved."""
    iterations: int = 30
    """FISTA iterations per solve."""
    w_force: float = 1.0
    """On the felt specific force's error [(m/s^2)^-2]."""
    w_position: float = 6.0
    """Pull towards neutral [m^-2]."""
    w_velocity: float = 2.0
    """[(m/s)^-2]"""
    w_accel: float = 0.02
    """[(m/s^2)^-2]"""
    w_tilt_rate: float = 1.0
    """[(rad/s)^-2]"""
    max_accel: float = 4.0
    """Platform acceleration bound [m/s^2]."""


# state per channel: p, v, tau, then the applied inputs a, w
X_P, X_V, X_TAU, X_A, X_W = range(5)


@njit(cache=True)
def fista_box(
    H: np.ndarray,
    g: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    u: np.ndarray,
    y: np.ndarray,
    u_old: np.ndarray,
    grad: np.ndarray,
    inv_l: float,
    iterations: int,
) -> None:
    """min 1/2 u'Hu + g'u over lo <= u <= hi by accelerated projected gradient, from ``u`` (in
    place); ``y``, ``u_old``, ``grad`` are work arrays."""
    n = u.shape[0]
    t = 1.0
    for i in range(n):
        y[i] = u[i]
    for _ in range(iterations):
        for i in range(n):
            s = g[i]
            for j in range(n):
                s += H[i, j] * y[j]
            grad[i] = s
        for i in range(n):
            u_old[i] = u[i]
            v = y[i] - inv_l * grad[i]
            u[i] = min(max(v, lo[i]), hi[i])
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        beta = (t - 1.0) / t_next
        for i in range(n):
            y[i] = u[i] + beta * (u[i] - u_old[i])
        t = t_next


@njit(cache=True)
def solve_channel(
    H: np.ndarray,
    gx: np.ndarray,
    gr: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    x: np.ndarray,
    r: float,
    u: np.ndarray,
    work: np.ndarray,
    inv_l: float,
    iterations: int,
) -> None:
    """One receding-horizon solve for the channel state ``x`` and reference ``r``: shifts the
    previous solution ``u`` by one step, solves, and sets the inputs to apply in ``x``."""
    n = u.shape[0]
    for i in range(n - 2):
        u[i] = u[i + 2]
    g = work[0]
    for i in range(n):
        g[i] = gx[i, 0] * x[X_P] + gx[i, 1] * x[X_V] + gx[i, 2] * x[X_TAU] + gr[i] * r
    fista_box(H, g, lo, hi, u, work[1], work[2], work[3], inv_l, iterations)
    x[X_A] = u[0]
    x[X_W] = u[1]


@njit(cache=True)
def advance(x: np.ndarray, dt: float, tilt_max: float) -> None:
    """Integrate the channel state over ``dt`` with its applied inputs (exact for constants)."""
    a = x[X_A]
    x[X_P] += x[X_V] * dt + 0.5 * a * dt * dt
    x[X_V] += a * dt
    x[X_TAU] = min(max(x[X_TAU] + x[X_W] * dt, -tilt_max), tilt_max)


def condensed(p: MpcParameters) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The QP's Hessian ``H``, the gradient's maps from the state ``gx`` and the reference ``gr``,
    and ``1 / L`` (``L`` the largest eigenvalue of ``H``)."""
    n, ts = p.horizon, p.step_s
    a_mat = np.array([[1.0, ts, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    b_mat = np.array([[0.5 * ts * ts, 0.0], [ts, 0.0], [0.0, ts]])
    # x_k = A^k x0 + sum_{j<k} A^(k-1-j) B u_j, k = 0..n
    phi = np.zeros((n + 1, 3, 3))
    gam = np.zeros((n + 1, 3, 2 * n))
    phi[0] = np.eye(3)
    for k in range(1, n + 1):
        phi[k] = a_mat @ phi[k - 1]
        gam[k] = a_mat @ gam[k - 1]
        gam[k][:, 2 * (k - 1) : 2 * k] += b_mat
    # felt force f_k = a_k + g tau_k (k = 0..n-1); position and velocity at k = 1..n
    mf = np.zeros((n, 2 * n))
    ff = np.zeros((n, 3))
    for k in range(n):
        mf[k] = G * gam[k][2]
        mf[k, 2 * k] += 1.0
        ff[k] = G * phi[k][2]
    mp, fp = gam[1:, 0, :], phi[1:, 0, :]
    mv, fv = gam[1:, 1, :], phi[1:, 1, :]
    r_diag = np.tile([p.w_accel, p.w_tilt_rate], n)
    h = 2.0 * (p.w_force * mf.T @ mf + p.w_position * mp.T @ mp + p.w_velocity * mv.T @ mv + np.diag(r_diag))
    gx = 2.0 * (p.w_force * mf.T @ ff + p.w_position * mp.T @ fp + p.w_velocity * mv.T @ fv)
    gr = -2.0 * p.w_force * mf.T @ np.ones(n)
    inv_l = 1.0 / float(np.linalg.eigvalsh(h).max())
    return np.ascontiguousarray(h), np.ascontiguousarray(gx), np.ascontiguousarray(gr), inv_l


class MpcCueing:
    """MPC for surge/pitch and sway/roll, classical washout for heave, roll, pitch and yaw rates;
    the same ``step``/``reset`` as :class:`~hil_rigs.cueing.MotionCueing` (the cueing node takes
    either). :meth:`step` allocates nothing."""

    def __init__(
        self,
        params: CueingParameters | None = None,
        mpc: MpcParameters | None = None,
        dt: float = 1e-3,
        head: tuple[float, float, float] = (0.0, 0.0, 0.0),
    ) -> None:
        self.params = params or CueingParameters()
        self.mpc = mpc or MpcParameters()
        c, m = self.params, self.mpc
        steps = m.step_s / dt
        if abs(steps - round(steps)) > 1e-9 or round(steps) < 2:
            raise ValueError(f"mpc step_s {m.step_s:g} s must be a whole number (>= 2) of the {dt:g} s step")
        self.dt = dt
        self.every = round(steps)
        # the rotational and heave channels: classical washout with no longitudinal or lateral input
        self.classical = MotionCueing(
            CueingParameters(
                scale=(0.0, 0.0, *c.scale[2:]),
                force_limit=c.force_limit,
                surge=c.surge,
                sway=c.sway,
                heave=c.heave,
                tilt=c.tilt,
                tilt_rate_limit=c.tilt_rate_limit,
                tilt_max=c.tilt_max,
                roll=c.roll,
                pitch=c.pitch,
                yaw=c.yaw,
            ),
            dt,
        )
        self.H, self.gx, self.gr, self.inv_l = condensed(m)
        n = 2 * m.horizon
        self.lo = np.tile([-m.max_accel, -c.tilt_rate_limit], m.horizon)
        self.hi = -self.lo
        self.x = np.zeros((2, 5))
        """Per channel (0 surge/pitch, 1 sway/roll): p, v, tau, applied a, w."""
        self.u = np.zeros((2, n))
        self.work = np.zeros((4, n))
        self.head = np.array(head, dtype=float)
        self._head_state = np.zeros(S_SIZE)
        self._acc = np.zeros(3)
        self._a = np.zeros(3)
        self._w = np.zeros(3)
        self.reference = np.zeros(2)
        """The scaled, soft-limited specific force at the head: surge, sway [m/s^2]."""
        self.pose = np.zeros(6)
        self._tick = 0

    def step(self, fx: float, fy: float, fz: float, wx: float, wy: float, wz: float) -> np.ndarray:
        """The platform pose for this step (see :meth:`MotionCueing.step`; reused array)."""
        c, m = self.params, self.mpc
        a, w = self._a, self._w
        a[0], a[1], a[2] = fx, fy, fz
        w[0], w[1], w[2] = wx, wy, wz
        head_acceleration(a, w, self.head, self._head_state, self.dt, 0.02, self._acc)
        lim = c.force_limit
        r = self.reference
        r[0] = lim * math.tanh(c.scale[0] * self._acc[0] / lim)
        r[1] = lim * math.tanh(c.scale[1] * self._acc[1] / lim)
        phase = self._tick % self.every
        for ch in range(2):  # the channels' solves fall on different ticks
            if phase == (ch * self.every) // 2:
                solve_channel(
                    self.H,
                    self.gx,
                    self.gr,
                    self.lo,
                    self.hi,
                    self.x[ch],
                    r[ch],
                    self.u[ch],
                    self.work,
                    self.inv_l,
                    m.iterations,
                )
            advance(self.x[ch], self.dt, c.tilt_max)
        self._tick += 1
        rot = self.classical.step(0.0, 0.0, self._acc[2], wx, wy, wz)
        pose = self.pose
        pose[0] = self.x[0, X_P]
        pose[1] = self.x[1, X_P]
        pose[2] = rot[2]
        pose[3] = rot[3] + self.x[1, X_TAU]  # roll: right side down for a leftward force
        pose[4] = rot[4] - self.x[0, X_TAU]  # pitch: nose up for a forward force
        pose[5] = rot[5]
        return pose

    def felt(self) -> tuple[float, float]:
        """The specific force the platform gives the driver now: surge, sway [m/s^2]."""
        x = self.x
        return x[0, X_A] + G * x[0, X_TAU], x[1, X_A] + G * x[1, X_TAU]

    def reset(self) -> None:
        self.classical.reset()
        self.x[:] = 0.0
        self.u[:] = 0.0
        self._head_state[:] = 0.0
        self._tick = 0
