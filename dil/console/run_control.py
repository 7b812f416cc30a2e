"""The runtime's side of the console: a run obeys ``pause``, ``resume``, ``stop`` and ``estop``
(:class:`RunControl`, a loop node), and ``dil drive --console`` waits for ``start`` between runs
(:class:`RunHost`).

``engage`` and ``park`` are the rig server's business (it reads ``console/command`` itself) and
``handover`` the AI stack's; this side ignores them.

Freshness: a command older than :data:`MAX_AGE_S` or dated more than :data:`MAX_AHEAD_S` ahead of
this machine's wall clock is not obeyed, and the second is counted as a dropped message; the
e-stop is obeyed however it is dated (stopping is always safe).

A ``start`` is not obeyed while the rig cannot move with the run (no fresh ``rig/feedback``, or a
rig parked for an operator's re-arm, in fault, engaging or parking) unless the operator chose to
run without motion: the console refuses such a start first; this is the second line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from dil.bus.codec import Encoder
from dil.bus.graph import NodeSpec, Port
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import CONSOLE_COMMAND, RIG_FEEDBACK, RUN_STATUS
from dil.bus.schema import Drop, MessageError
from dil.bus.transport import Bus

from .bridge import FRESH_S, rig_reason
from .commands import rig_not_ready, wants_no_motion

log = logging.getLogger("dil.console")

MAX_AGE_S = 5.0
"""A command older than this [s] when read is ignored (it was meant for another moment)."""
MAX_AHEAD_S = 1.0
"""A command dated further ahead of this machine's wall clock than this [s] is rejected and counted
(a wrong clock or a forged date); ``estop`` and ``park`` are obeyed all the same."""

EVENT_TOPICS = ("scenario/events", "world/events", "stack/events")
"""Event topics the runtime publishes during runs."""

CONSOLE_SPEC = NodeSpec("console (another process)", outputs=(Port("command", CONSOLE_COMMAND.topic),))


def fresh(c: dict[str, Any], drops: Drops | None = None) -> bool:
    """Whether command ``c`` is dated now enough to obey (see :data:`MAX_AGE_S`, :data:`MAX_AHEAD_S`);
    one dated ahead is counted in ``drops``."""
    age = (time.time_ns() - c["t_wall_ns"]) * 1e-9
    if age > MAX_AGE_S:
        log.warning("ignored a console %s sent %.1f s ago by %s", c["command"], age, c["operator"])
        return False
    if -age > MAX_AHEAD_S:
        error = MessageError(
            Drop.OUT_OF_RANGE,
            f"console/command {c['command']} by {c['operator']!r}: t_wall_ns is {-age:.1f} s ahead of this "
            f"clock (at most {MAX_AHEAD_S:g} s)",
        )
        if drops is not None:
            drops.count(CONSOLE_COMMAND.topic, error)
        else:
            log.warning("rejected %s", error)
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
        self._drops: Drops | None = getattr(loop, "drops", None)
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
            elif not fresh(c, self._drops):
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
    a runtime is there, and waits for a ``start``.

    ``rig``: this runtime cues a rig, so a start with motion needs it ready (its ``rig/feedback``
    is watched); after :meth:`wait_for_start`, :attr:`no_motion` says whether the operator chose to
    run without motion (the run must then leave the rig alone)."""

    def __init__(self, bus: Bus, inbox: Inbox, source: str = "drive", *, rig: bool = True) -> None:
        self.inbox = inbox
        self.drops = Drops()
        # bound once, before the first run: a console connected now hears a run's first events
        for topic in EVENT_TOPICS:
            bus.publisher(topic)
        self._pub = bus.publisher(RUN_STATUS.topic)
        self._enc = Encoder(RUN_STATUS, source)
        self._rig = Inbox(bus.subscriber(RIG_FEEDBACK.topic, conflate=True), self.drops) if rig else None
        self._feedback: tuple[dict[str, Any], float] | None = None
        self._last = 0.0
        self._said = "waiting for a start from the console"
        self.stop_requested = False
        self.no_motion = False
        self.refused = 0
        """Starts not obeyed because the rig was not ready."""

    def idle_status(self) -> None:
        now = time.monotonic()
        if now - self._last < 0.5:
            return
        self._last = now
        self._status("stopped")

    def _status(self, state: str, **run: str) -> None:
        """One ``run/status`` of this host (``run``: the scenario being started, see bridge.RUN_KEYS)."""
        self._pub.send(
            self._enc.encode(
                0,
                time.time_ns(),
                {
                    **run,
                    "state": state,
                    "clock": "wall",
                    "tick": 0,
                    "rate_hz": 0.0,
                    "lateness_p50_us": 0.0,
                    "lateness_p99_us": 0.0,
                    "lateness_p999_us": 0.0,
                    "lateness_max_us": 0.0,
                    "late_ticks": 0,
                    "missed_ticks": 0,
                    "dropped_messages": self.drops.total,
                    "scheduling": self._said,
                },
            )
        )

    def rig_refusal(self) -> str:
        """Why a start with motion may not be obeyed now ('' when it may)."""
        if self._rig is None:
            return ""
        now = time.monotonic()
        if (m := self._rig.latest()) is not None:
            self._feedback = (m, now)
        if self._feedback is None:
            return rig_not_ready(None)
        msg, at = self._feedback
        if now - at > FRESH_S[RIG_FEEDBACK.topic]:
            return rig_not_ready(None, age_s=now - at)
        rearm = msg.get("rearm_required")
        return rig_not_ready(msg["state"], rig_reason(msg), None if rearm is None else bool(rearm))

    def wait_for_start(self) -> str | None:
        """The argument of the next fresh ``start`` that may be obeyed, or None when asked to stop."""
        while not self.stop_requested:
            self.idle_status()
            c = self.inbox.next(100)
            self.rig_refusal()  # keeps the newest feedback and its time
            if c is None or c["command"] != "start" or not fresh(c, self.drops):
                continue
            no_motion = wants_no_motion(c["argument"])
            why = "" if no_motion else self.rig_refusal()
            if why:
                self.refused += 1
                self._said = f"start by {c['operator']} refused: {why}"
                log.warning("%s; re-arm it or start without motion", self._said)
                self._last = 0.0  # say it now
                continue
            self.no_motion = no_motion
            # the seconds a run takes to build are "starting" to the console, not "stopped"
            self._said = f"starting {c['argument']}"
            self._status("starting", scenario=c["argument"].split(" ", 1)[0])
            self._said = "waiting for a start from the console"
            log.warning(
                "run started by %s: %s%s", c["operator"], c["argument"], " (no motion)" if no_motion else ""
            )
            return c["argument"]
        return None
