"""Who is in control of a car driven from the driver's seat, as a loop node: time with nobody in
control is measured and announced on ``stack/events``.

Nobody is in control when the vehicle has had no valid driver input for longer than its input
timeout: the fallback brake holds the car then, and a run that "passes" that way proves nothing
about the driver. At the start the driver has the same timeout to send a first input. The node
publishes control ``none`` when such a stretch begins and ``driver`` when input comes back.
"""

from __future__ import annotations

import logging

from dil.bus.codec import Encoder
from dil.bus.graph import NodeSpec, Port
from dil.bus.messages import STACK_EVENTS
from dil.bus.transport import Bus
from dil.realtime.clock import Clock

from .node import VehicleNode

log = logging.getLogger("dil.drive")


class ControlWatch:
    """Watches ``vehicle``'s driver input at ``rate_hz``; ``no_driver_s`` is the time so far with
    nobody in control [s]."""

    def __init__(
        self, bus: Bus, clock: Clock, vehicle: VehicleNode, *, rate_hz: float = 100.0, name: str = "control"
    ) -> None:
        self.rate_hz = rate_hz
        self.clock = clock
        self.vehicle = vehicle
        self.spec = NodeSpec(name, outputs=(Port("events", STACK_EVENTS.topic),))
        self.schemas = {STACK_EVENTS.topic: STACK_EVENTS}
        self._pub = bus.publisher(STACK_EVENTS.topic)
        self._enc = Encoder(STACK_EVENTS, name)
        self._since_ns: int | None = None
        self._total_ns = 0
        self._last_ns = 0

    @property
    def no_driver_s(self) -> float:
        open_ns = self._last_ns - self._since_ns if self._since_ns is not None else 0
        return (self._total_ns + open_ns) * 1e-9

    @property
    def nobody(self) -> bool:
        return self._since_ns is not None

    def start(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        self._last_ns = t_sim_ns
        lost = self.vehicle.input_lost(t_sim_ns)
        if lost and self._since_ns is None:
            self._since_ns = t_sim_ns
            why = (
                f"no valid driver input for {self.vehicle.input_timeout_ms:.0f} ms: "
                "the fallback brake holds the car"
            )
            log.warning("nobody in control: %s", why)
            self._event(t_sim_ns, "fallback", "none", why)
        elif not lost and self._since_ns is not None:
            gap = (t_sim_ns - self._since_ns) * 1e-9
            self._total_ns += t_sim_ns - self._since_ns
            self._since_ns = None
            log.warning("the driver is back in control after %.2f s", gap)
            self._event(
                t_sim_ns, "takeover", "driver", f"driver input back after {gap:.2f} s with nobody in control"
            )

    def stop(self, t_sim_ns: int) -> None:
        self._last_ns = max(self._last_ns, t_sim_ns)

    def _event(self, t_sim_ns: int, kind: str, control: str, detail: str) -> None:
        self._pub.send(
            self._enc.encode(
                t_sim_ns,
                self.clock.wall_ns(t_sim_ns),
                {
                    "kind": kind,
                    "control": control,
                    "node": "",
                    "frame_id": -1,
                    "latency_ms": 0.0,
                    "detail": detail,
                },
            )
        )
