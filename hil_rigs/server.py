"""The rig server: a state machine between the runtime's ``rig/command`` and the platform driver,
with a watchdog, envelope checks and slow ramps. A rig never moves on bad data: it parks.

States: off, parked, engaging (ramp from the parked lengths to neutral), engaged (following the
commanded pose), parking (ramp down), fault. ``engage`` from parked starts engaging; ``run``
poses are followed only when engaged; ``park`` or ``estop`` from any moving state parks; a
silent command stream (the watchdog), or repeated bad commands, parks too and says why.

Faults latch. A watchdog trip, a streak of bad commands, an e-stop (from the runtime or the
console) and the console's ``park`` hold the rig parked (:attr:`RigServer.held`, ``rearm_required``
in ``rig/feedback``): the runtime's ``engage`` is ignored until an operator re-arms the rig with
the console's ``engage``. Nothing else clears the hold, so a rig never rises again by itself after
a fault. A server that has just started holds nothing (unless started unarmed), and the runtime's
own ``park`` at the end of a run is not a fault: the next run's ``engage`` works as the first did.

The operator's console reaches the server directly on ``console/command``, not only through the
runtime, so an e-stop works with no runtime at all. Commands dated more than :data:`MAX_LEAD_S`
ahead of the server's wall clock, rig commands older than ``stale_ms`` and console commands older
than :data:`CONSOLE_MAX_AGE_S` are rejected and counted; ``estop`` and ``park`` are honoured
however they are dated (stopping is always safe).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from dil.bus.codec import Encoder
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import CONSOLE_COMMAND, RIG_COMMAND, RIG_FEEDBACK
from dil.bus.schema import Drop, MessageError
from dil.bus.transport import Bus
from dil.realtime.clock import Clock

from .stewart import Platform

log = logging.getLogger("dil.rig")

OFF, PARKED, ENGAGING, ENGAGED, PARKING, FAULT = "off", "parked", "engaging", "engaged", "parking", "fault"

MAX_LEAD_S = 1.0
"""How far [s] a command's header ``t_wall_ns`` may be ahead of the server's wall clock (clock
offset between machines plus jitter); a command dated further ahead is rejected and counted."""
CONSOLE_MAX_AGE_S = 5.0
"""A console command older than this [s] when read is rejected (it was meant for another moment)."""
STOPPING = ("estop", "park")
"""Commands honoured however they are dated."""


def feedback_fields(
    state: str,
    pose: Sequence[float] = (0.0,) * 6,
    lengths: Sequence[float] = (1.2,) * 6,
    watchdog_trips: int = 0,
    fault: str = "",
    rearm_required: bool = False,
    link_failures: int = 0,
    link_error: str = "",
) -> dict:
    """The fields of a ``rig/feedback`` message (the defaults: a rig at neutral, as stand-in rigs
    in benchmarks and tests report)."""
    return {
        "state": state,
        "surge": float(pose[0]),
        "sway": float(pose[1]),
        "heave": float(pose[2]),
        "roll": float(pose[3]),
        "pitch": float(pose[4]),
        "yaw": float(pose[5]),
        "actuator_lengths": [float(v) for v in lengths],
        "watchdog_trips": watchdog_trips,
        "fault": fault,
        "rearm_required": rearm_required,
        "link_failures": link_failures,
        "link_error": link_error,
    }


class SimPlatform:
    """A simulated six-actuator platform: each actuator a second-order response to its commanded
    length, within the speed and acceleration limits."""

    def __init__(self, platform: Platform, omega: float = 40.0, zeta: float = 0.9) -> None:
        g = platform.geometry
        self.platform = platform
        self.parked = np.full(6, g.min_length + 0.01)
        self.lengths = self.parked.copy()
        self.speeds = np.zeros(6)
        self.omega, self.zeta = omega, zeta

    def step(self, target: np.ndarray, dt: float) -> None:
        g = self.platform.geometry
        acc = self.omega**2 * (target - self.lengths) - 2 * self.zeta * self.omega * self.speeds
        np.clip(acc, -g.max_accel, g.max_accel, out=acc)
        self.speeds += acc * dt
        np.clip(self.speeds, -g.max_speed, g.max_speed, out=self.speeds)
        self.lengths += self.speeds * dt

    def hold_parked(self) -> None:
        self.lengths[:] = self.parked
        self.speeds[:] = 0.0


class RigServer:
    """The server as a loop node (1 kHz). ``watchdog_ms``: silence that parks an active rig."""

    rate_hz = 1000.0

    def __init__(
        self,
        bus: Bus,
        drops: Drops,
        clock: Clock,
        platform: Platform | None = None,
        *,
        watchdog_ms: float = 50.0,
        ramp_s: float = 2.0,
        max_bad: int = 10,
        stale_ms: float = 200.0,
        feedback_hz: float = 100.0,
        driver: object | None = None,
        name: str = "rig-server",
        console: bool = True,
        armed: bool = True,
    ) -> None:
        self.platform = platform or Platform()
        self.driver = driver if driver is not None else SimPlatform(self.platform)
        """The platform: simulated by default, or e.g. :class:`hil_rigs.udp.UdpPlatform`."""
        self.clock = clock
        self.drops = drops
        self.state = OFF
        self.reason = ""
        self.watchdog_trips = 0
        self.rejected = 0
        """Rig commands rejected (bad, stale or dated ahead)."""
        self.console_rejected = 0
        """Console commands rejected (stale or dated ahead)."""
        self._inbox = Inbox(bus.subscriber(RIG_COMMAND.topic, conflate=True), drops)
        self._console = Inbox(bus.subscriber(CONSOLE_COMMAND.topic), drops) if console else None
        self.held = "" if armed else "waiting to be armed from the console"
        """Why the rig is held parked until an operator re-arms it (the runtime's ``engage`` is
        ignored meanwhile): the fault or the operator's action; empty when armed."""
        self._pub = bus.publisher(RIG_FEEDBACK.topic)
        self._links = getattr(bus, "links", None)  # a network bus's failed handshakes (dil.bus.links)
        self._enc = Encoder(RIG_FEEDBACK, name)
        self.spec = NodeSpec(
            name,
            inputs=(Port("command", RIG_COMMAND.topic),)
            + ((Port("console", CONSOLE_COMMAND.topic),) if console else ()),
            outputs=(Port("feedback", RIG_FEEDBACK.topic, feedback_hz),),
        )
        self._watchdog_ns = int(watchdog_ms * 1e6)
        self._stale_ns = int(stale_ms * 1e6)
        self._lead_ns = int(MAX_LEAD_S * 1e9)
        self._console_stale_ns = int(CONSOLE_MAX_AGE_S * 1e9)
        self._ramp_s = ramp_s
        self._max_bad = max_bad
        self._bad_in_row = 0
        self._last_valid_ns = 0
        self._ramp_from = np.zeros(6)
        self._ramp_to = np.zeros(6)
        self._ramp_t = 0.0
        self._target = np.zeros(6)
        self._pose = np.zeros(6)
        self._feedback_every = round(self.rate_hz / feedback_hz)
        self._tick = 0
        self._fk_guess = np.zeros(6)

    # --- loop node ------------------------------------------------------------------------------

    def start(self, t_sim_ns: int) -> None:
        self.driver.hold_parked()
        self._go(PARKED, "started")

    def stop(self, t_sim_ns: int) -> None:
        self.driver.hold_parked()  # the process is ending: the simulated rig is lowered
        self._go(PARKED, "server stopped")
        self._feedback(t_sim_ns)

    def tick(self, t_sim_ns: int) -> None:
        dt = 1.0 / self.rate_hz
        if self._console is not None and self._tick % 10 == 0:  # 100 Hz is enough for an operator
            while (c := self._console.next()) is not None:
                if self._console_fresh(c, t_sim_ns):
                    self._operator(c)
        msg = self._valid_command(t_sim_ns)
        if msg is not None:
            self._last_valid_ns = t_sim_ns
            self._command(msg)
        elif self.state in (ENGAGING, ENGAGED) and t_sim_ns - self._last_valid_ns > self._watchdog_ns:
            self.watchdog_trips += 1
            self._fault(f"watchdog: no valid command for {self._watchdog_ns / 1e6:.0f} ms")
        self._advance(dt)
        if self._tick % self._feedback_every == 0:
            self._feedback(t_sim_ns)
        self._tick += 1

    # --- commands ---------------------------------------------------------------------------------

    def _valid_command(self, t_sim_ns: int) -> dict | None:
        msg = self._inbox.latest()
        if msg is None:
            return None
        if msg["mode"] in STOPPING:  # however it is dated: stopping is always safe
            self._bad_in_row = 0
            return msg
        age = self.clock.wall_ns(t_sim_ns) - msg["t_wall_ns"]
        if age > self._stale_ns:
            return self._reject(MessageError(Drop.OUT_OF_RANGE, f"rig/command is {age / 1e6:.0f} ms old"))
        if age < -self._lead_ns:
            return self._reject(
                MessageError(
                    Drop.OUT_OF_RANGE,
                    f"rig/command is dated {-age / 1e9:.3f} s ahead of this clock (at most {MAX_LEAD_S} s)",
                )
            )
        if msg["mode"] == "run":
            pose = np.array([msg[k] for k in ("surge", "sway", "heave", "roll", "pitch", "yaw")])
            lengths = self.platform.inverse(pose)
            g = self.platform.geometry
            if lengths.min() < g.min_length - 1e-9 or lengths.max() > g.max_length + 1e-9:
                return self._reject(MessageError(Drop.OUT_OF_RANGE, "rig/command pose is outside the stroke"))
        self._bad_in_row = 0
        return msg

    def _reject(self, error: MessageError) -> None:
        self.rejected += 1
        self._bad_in_row += 1
        self.drops.count(RIG_COMMAND.topic, error)
        if self._bad_in_row >= self._max_bad and self.state in (ENGAGING, ENGAGED):
            self._fault(f"{self._bad_in_row} bad commands in a row ({error})")
        return None

    def _command(self, msg: dict) -> None:
        mode = msg["mode"]
        if mode == "estop":
            self._fault(f"emergency stop from {msg['source'] or 'the runtime'}")
            return
        if mode == "park":
            if self.state in (ENGAGING, ENGAGED):
                self._park("park commanded")
            return
        if mode == "engage" and self.state == PARKED and not self.held:
            self._ramp(self.driver.lengths, self.platform.neutral, ENGAGING, "engage commanded")
            return
        if mode == "run" and self.state == ENGAGED:
            self._target[:] = self.platform.inverse(
                np.array([msg[k] for k in ("surge", "sway", "heave", "roll", "pitch", "yaw")])
            )

    def _console_fresh(self, c: dict, t_sim_ns: int) -> bool:
        """False (the command counted as rejected) for a console command other than ``estop`` or
        ``park`` that is older than :data:`CONSOLE_MAX_AGE_S` or dated beyond :data:`MAX_LEAD_S`."""
        if c["command"] in STOPPING:
            return True
        age = self.clock.wall_ns(t_sim_ns) - c["t_wall_ns"]
        if age > self._console_stale_ns:
            why = f"console/command {c['command']} is {age / 1e9:.1f} s old"
        elif age < -self._lead_ns:
            why = f"console/command {c['command']} is dated {-age / 1e9:.3f} s ahead of this clock"
        else:
            return True
        self.console_rejected += 1
        self.drops.count(CONSOLE_COMMAND.topic, MessageError(Drop.OUT_OF_RANGE, why))
        return False

    def _operator(self, c: dict) -> None:
        """An action at the operator's console."""
        who = c["operator"] or "the console"
        if c["command"] == "estop":
            self._fault(f"emergency stop by {who}")
        elif c["command"] == "park":
            self._fault(f"parked by {who}")
        elif c["command"] == "engage" and self.held:
            log.warning("rig re-armed by %s (was held: %s)", who, self.held)
            self.held = ""

    def _fault(self, why: str) -> None:
        """Hold the rig parked until an operator re-arms it; park it if it moves (a rig already
        parking goes on down its ramp: restarting it would only slow it)."""
        if why != self.held:
            log.warning("rig held parked until an operator re-arms it: %s", why)
        self.held = why
        if self.state in (ENGAGING, ENGAGED):
            self._park(why)
        elif self.state == PARKING:
            self.reason = why

    def _park(self, why: str) -> None:
        log.warning("rig parking: %s", why)
        self._ramp(self.driver.lengths, self.driver.parked, PARKING, why)

    def _ramp(self, start: np.ndarray, end: np.ndarray, state: str, why: str) -> None:
        self._ramp_from[:] = start
        self._ramp_to[:] = end
        self._ramp_t = 0.0
        self._go(state, why)

    def _go(self, state: str, why: str) -> None:
        self.state = state
        self.reason = why

    def _advance(self, dt: float) -> None:
        if self.state in (ENGAGING, PARKING):
            self._ramp_t += dt
            u = min(self._ramp_t / self._ramp_s, 1.0)
            s = 0.5 - 0.5 * math.cos(math.pi * u)
            self._target[:] = self._ramp_from + s * (self._ramp_to - self._ramp_from)
            if u >= 1.0 and np.abs(self.driver.lengths - self._ramp_to).max() < 1e-3:
                if self.state == ENGAGING:
                    self._go(ENGAGED, "engaged")
                    self._target[:] = self.platform.neutral
                else:
                    self._go(PARKED, self.reason)
        elif self.state in (PARKED, OFF):
            self._target[:] = self.driver.parked
        self.driver.step(self._target, dt)

    def _feedback(self, t_sim_ns: int) -> None:
        try:
            self._pose[:] = self.platform.forward(self.driver.lengths, self._fk_guess)
            self._fk_guess[:] = self._pose
        except ValueError:
            self._pose[:] = 0.0
        p = self._pose
        self._pub.send(
            self._enc.encode(
                t_sim_ns,
                self.clock.wall_ns(t_sim_ns),
                feedback_fields(
                    self.state if self.state != OFF else PARKED,
                    p,
                    self.driver.lengths,
                    self.watchdog_trips,
                    self.held or (self.reason if self.state in (PARKING, FAULT) else ""),
                    bool(self.held),
                    link_failures=self._links.handshake_failures if self._links else 0,
                    link_error=self._links.last_failure if self._links else "",
                ),
            )
        )
