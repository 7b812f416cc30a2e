"""Force feedback for the steering wheel: the torque a wheel with a force-feedback motor should
apply, from the vehicle model's aligning torque, damping, friction and soft end stops.

``torque = gain * aligning - damping * rate - friction * tanh(rate / rate_eps) + end stop``, where
the end stop is a spring and damper beyond ``lock`` (half the wheel's lock-to-lock range), and
the sum is saturated at the device's ``max_torque``. Published on ``driver/feedback`` at 1 kHz by
:class:`ForceFeedbackNode`; a device driver that can apply torque subscribes to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from dil.bus.fixed import FixedEncoder
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import DRIVER_FEEDBACK, VEHICLE_STATE
from dil.bus.transport import Bus
from dil.realtime.clock import Clock


@dataclass(frozen=True)
class FeedbackParameters:
    gain: float = 1.0
    """Share of the model's aligning torque passed to the wheel."""
    damping: float = 0.08
    """Viscous damping [N m s/rad]: steadies the wheel at speed and at rest."""
    friction: float = 0.15
    """Coulomb friction of the column [N m]."""
    end_stop_stiffness: float = 40.0
    """Spring beyond the lock [N m/rad]."""
    end_stop_damping: float = 1.0
    """Damper beyond the lock [N m s/rad]."""
    max_torque: float = 8.0
    """The device's peak torque [N m]; ``level`` in the message is torque / max_torque."""


# parameter layout of the kernel
P_GAIN, P_DAMP, P_FRIC, P_STOP_K, P_STOP_C, P_MAX, P_LOCK = range(7)
P_SIZE = 7
RATE_EPS = 0.05
"""Rate [rad/s] over which the friction torque rises to its full value (no chatter at rest)."""


@njit(cache=True)
def wheel_torque(aligning: float, angle: float, rate: float, p: np.ndarray, out: np.ndarray) -> None:
    """``out`` = (total, aligning, damping and friction, end stop) [N m], positive turns left."""
    al = p[P_GAIN] * aligning
    damp = -p[P_DAMP] * rate - p[P_FRIC] * math.tanh(rate / RATE_EPS)
    stop = 0.0
    over = abs(angle) - p[P_LOCK]
    if over > 0.0:
        stop = -math.copysign(p[P_STOP_K] * over, angle) - p[P_STOP_C] * rate
    total = al + damp + stop
    out[0] = min(max(total, -p[P_MAX]), p[P_MAX])
    out[1] = al
    out[2] = damp
    out[3] = stop


class ForceFeedback:
    """The parameters as a kernel array, with the steering-wheel rate from successive angles."""

    def __init__(self, params: FeedbackParameters, lock: float, rate_tau: float = 0.01) -> None:
        self.params = params
        p = np.zeros(P_SIZE)
        p[P_GAIN], p[P_DAMP], p[P_FRIC] = params.gain, params.damping, params.friction
        p[P_STOP_K], p[P_STOP_C], p[P_MAX], p[P_LOCK] = (
            params.end_stop_stiffness,
            params.end_stop_damping,
            params.max_torque,
            lock,
        )
        self.p = p
        self.rate_tau = rate_tau
        self.out = np.zeros(4)
        self._last_angle = math.nan
        self.rate = 0.0

    def step(self, aligning: float, angle: float, dt: float) -> np.ndarray:
        if not math.isnan(self._last_angle):
            raw = (angle - self._last_angle) / dt
            self.rate += dt / (self.rate_tau + dt) * (raw - self.rate)
        self._last_angle = angle
        wheel_torque(aligning, angle, self.rate, self.p, self.out)
        return self.out


class ForceFeedbackNode:
    """``vehicle/state`` in, ``driver/feedback`` out at 1 kHz (one reused frame)."""

    rate_hz = 1000.0

    def __init__(
        self, bus: Bus, drops: Drops, clock: Clock, ffb: ForceFeedback, *, name: str = "force feedback"
    ) -> None:
        self.clock = clock
        self.ffb = ffb
        self._state = Inbox(bus.subscriber(VEHICLE_STATE.topic, conflate=True), drops)
        self._pub = bus.publisher(DRIVER_FEEDBACK.topic)
        self._enc = FixedEncoder(DRIVER_FEEDBACK, name)
        f = self._enc.float_names
        self._slots = np.array([f.index(n) for n in ("torque", "aligning", "damping", "end_stop", "level")])
        self.spec = NodeSpec(
            name,
            inputs=(Port("state", VEHICLE_STATE.topic),),
            outputs=(Port("feedback", DRIVER_FEEDBACK.topic, self.rate_hz),),
        )
        self.have_state = False
        self._last_state_ns = 0

    def start(self, t_sim_ns: int) -> None:
        wheel_torque(0.0, 0.0, 0.0, self.ffb.p, self.ffb.out)

    def stop(self, t_sim_ns: int) -> None:
        self._send(t_sim_ns, 0.0, 0.0, 0.0, 0.0)  # release the wheel

    def tick(self, t_sim_ns: int) -> None:
        st = self._state.latest()
        if st is not None:
            # the wheel's rate over the time between the states (some ticks bring none, some two)
            dt = (st["t_sim_ns"] - self._last_state_ns) * 1e-9 if self.have_state else 1.0 / self.rate_hz
            if dt > 0.0:
                self.ffb.step(st["steering_torque"], st["steering_wheel_angle"], dt)
            self._last_state_ns = st["t_sim_ns"]
            self.have_state = True
        if self.have_state:  # a steady 1 kHz stream: the last torque again when no new state came
            out = self.ffb.out
            self._send(t_sim_ns, out[0], out[1], out[2], out[3])

    def _send(self, t_sim_ns: int, total: float, aligning: float, damping: float, stop: float) -> None:
        fl, s = self._enc.floats, self._slots
        fl[s[0]], fl[s[1]], fl[s[2]], fl[s[3]] = total, aligning, damping, stop
        fl[s[4]] = total / self.ffb.params.max_torque
        self._pub.send(self._enc.encode(t_sim_ns, self.clock.wall_ns(t_sim_ns)))


def force_feedback_node(bus: Bus, drops: Drops, clock: Clock, wheel: str) -> ForceFeedbackNode:
    """The node for the wheel mapping ``wheel`` (a name in ``hil_rigs/wheels`` or a path): its
    force-feedback parameters, and half its lock-to-lock range as the end-stop angle."""
    from .wheel import load_mapping

    mapping = load_mapping(wheel)
    return ForceFeedbackNode(
        bus, drops, clock, ForceFeedback(mapping.force_feedback, 0.5 * mapping.steering_range)
    )
