"""The runtime's side of the console: a run obeys ``pause``, ``resume``, ``stop`` and ``estop``
(:class:`RunControl`, a loop node), and ``dil drive --console`` waits for ``start`` between runs
(:class:`RunHost`).

``engage`` and ``park`` are the rig server's business (it reads ``console/command`` itself) and
``handover`` the AI stack's; this side ignores them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from dil.bus.codec import Encoder
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Inbox
from dil.bus.messages import CONSOLE_COMMAND, RUN_STATUS
from dil.bus.transport import Bus

log = logging.getLogger("dil.console")

MAX_AGE_S = 5.0
"""A command older than this [s] when read is ignored (it was meant for another moment)."""

EVENT_TOPICS = ("scenario/events", "world/events", "stack/events")
"""Event topics the runtime publishes during runs."""

CONSOLE_SPEC = NodeSpec("console (another process)", outputs=(Port("command", CONSOLE_COMMAND.topic),))


def fresh(c: dict[str, Any]) -> bool:
    age = (time.time_ns() - c["t_wall_ns"]) * 1e-9
    if age > MAX_AGE_S:
        log.warning("ignored a console %s sent %.1f s ago by %s", c["command"], age, c["operator"])
        return False
    return True


class RunControl:
    """A loop node that reads ``console/command`` at 50 Hz, paused or not, and pauses, resumes or
    stops ``loop``. ``on_stop(why)`` is told why a run was stopped before the loop ends (the
    scenario's end reason)."""

    rate_hz = 50.0
    runs_while_paused = True

    def __init__(self, inbox: Inbox, loop: Any, on_stop: Callable[[str], None] = lambda why: None) -> None:
        self._inbox = inbox
        self._loop = loop
        self._on_stop = on_stop
        self.spec = NodeSpec("console control", inputs=(Port("command", CONSOLE_COMMAND.topic),))
        self.stopped_by = ""

    def start(self, t_sim_ns: int) -> None:
        pass  # commands sent while the run was starting (an e-stop) are for it; stale ones are ignored

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        while (c := self._inbox.next()) is not None:
            if c["command"] == "estop":  # however old: stopping is always safe
                self._stop(f"emergency stop by {c['operator'] or 'the console'}")
            elif not fresh(c):
                continue
            elif c["command"] == "stop":
                self._stop(f"stopped by {c['operator'] or 'the console'}")
            elif c["command"] == "pause" and not self._loop.paused:
                log.warning("run paused by %s at %.3f s", c["operator"], t_sim_ns * 1e-9)
                self._loop.pause()
            elif c["command"] == "resume" and self._loop.paused:
                log.warning("run resumed by %s at %.3f s", c["operator"], t_sim_ns * 1e-9)
                self._loop.resume()

    def _stop(self, why: str) -> None:
        if self.stopped_by:
            return
        log.warning("run ends: %s", why)
        self.stopped_by = why
        self._on_stop(why)
        self._loop.stop_requested = True
        self._loop.resume()


def install(loop: Any, inbox: Inbox, on_stop: Callable[[str], None] = lambda why: None) -> RunControl:
    """Add a :class:`RunControl` to ``loop`` before it runs, with the console as an external
    producer of ``console/command`` unless one is declared already."""
    node = RunControl(inbox, loop, on_stop)
    loop.nodes.append(node)
    if not any(p.topic == CONSOLE_COMMAND.topic for spec in loop.external for p in spec.outputs):
        loop.external.append(CONSOLE_SPEC)
    return node


class RunHost:
    """Between runs: publishes ``run/status`` (state ``stopped``) at 2 Hz so that the console knows
    a runtime is there, and waits for a ``start``. ``run(argument)`` runs one scenario."""

    def __init__(self, bus: Bus, inbox: Inbox, source: str = "drive") -> None:
        self.inbox = inbox
        # bound once, before the first run: a console connected now hears a run's first events
        for topic in EVENT_TOPICS:
            bus.publisher(topic)
        self._pub = bus.publisher(RUN_STATUS.topic)
        self._enc = Encoder(RUN_STATUS, source)
        self._last = 0.0
        self.stop_requested = False

    def idle_status(self) -> None:
        now = time.monotonic()
        if now - self._last < 0.5:
            return
        self._last = now
        self._pub.send(
            self._enc.encode(
                0,
                time.time_ns(),
                {
                    "state": "stopped",
                    "clock": "wall",
                    "tick": 0,
                    "rate_hz": 0.0,
                    "lateness_p50_us": 0.0,
                    "lateness_p99_us": 0.0,
                    "lateness_p999_us": 0.0,
                    "lateness_max_us": 0.0,
                    "late_ticks": 0,
                    "missed_ticks": 0,
                    "dropped_messages": 0,
                    "scheduling": "waiting for a start from the console",
                },
            )
        )

    def wait_for_start(self) -> str | None:
        """The argument of the next fresh ``start``, or None when asked to stop."""
        while not self.stop_requested:
            self.idle_status()
            c = self.inbox.next(100)
            if c is not None and c["command"] == "start" and fresh(c):
                log.warning("run started by %s: %s", c["operator"], c["argument"])
                return c["argument"]
        return None
