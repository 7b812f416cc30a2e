"""Re-arming a held rig without the web console (``dil rig arm``): the operator's ``engage`` on
``console/command``, sent until the rig server's ``rig/feedback`` no longer asks for a re-arm."""

from __future__ import annotations

import time
from dataclasses import dataclass

from dil.bus.codec import Encoder
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import CONSOLE_COMMAND, RIG_FEEDBACK
from dil.bus.transport import Bus


@dataclass(frozen=True)
class ArmResult:
    armed: bool
    """True when the rig's feedback no longer asks for a re-arm."""
    was_held: str
    """Why the rig was held parked ('' when it was not)."""
    state: str
    """The rig's state at the end ('' when no rig server answered)."""


def arm(bus: Bus, operator: str, timeout_s: float = 5.0, every_s: float = 0.1) -> ArmResult:
    """Send the operator's ``engage`` every ``every_s`` [s] (a subscriber that has just connected
    misses the first) until ``rig/feedback`` says ``rearm_required`` false, at most ``timeout_s`` [s].
    Sends nothing when the rig is not held."""
    feedback = Inbox(bus.subscriber(RIG_FEEDBACK.topic, conflate=True), Drops())
    pub = bus.publisher(CONSOLE_COMMAND.topic)
    enc = Encoder(CONSOLE_COMMAND, "dil rig arm")
    end = time.monotonic() + timeout_s
    first = feedback.next(timeout_ms=int(timeout_s * 1000))
    if first is None:
        return ArmResult(False, "", "")
    if not first["rearm_required"]:
        return ArmResult(True, "", first["state"])
    last = first
    while time.monotonic() < end:
        pub.send(enc.encode(0, time.time_ns(), {"command": "engage", "argument": "", "operator": operator}))
        m = feedback.next(timeout_ms=int(every_s * 1000))
        if m is not None:
            last = m
            if not m["rearm_required"]:
                return ArmResult(True, first["fault"], m["state"])
    return ArmResult(False, first["fault"], last["state"])
