"""The console's side of the bus: one thread owns every socket (ZeroMQ sockets are not shared
between threads), keeps the newest message of each state topic and a numbered list of events, and
publishes the operator's actions on ``console/command``."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from dil.bus.codec import Encoder
from dil.bus.inbox import Drops, Inbox
from dil.bus.messages import CONSOLE_COMMAND, with_sensors
from dil.bus.transport import Bus

from .camera import CAMERAS, CameraFeed
from .commands import Action, Situation

log = logging.getLogger("dil.console")

STATES = (
    "vehicle/state",
    "run/status",
    "rig/feedback",
    "rig/command",
    "driver/input",
    "ai/command",
    "world/actors",
)
"""Topics whose newest message is all the page needs (subscribed with CONFLATE)."""
EVENTS = ("stack/events", "world/events", "scenario/events")
"""Topics whose every message is shown."""
FRESH_S = {"run/status": 1.0, "rig/feedback": 0.5}
"""A state older than this [s] no longer counts as the runtime's or the rig's present state."""
ACTIVE = ("starting", "running", "paused", "stopping")
"""``run/status`` states of a run in progress."""
RUN_KEYS = ("scenario", "scenario_file", "run_id")
"""What a runtime may add to ``run/status`` about its run: the scenario's name and file, the run's id
(its results folder's name)."""


class Bridge:
    """Subscribes to the topics the page shows and publishes ``console/command``.

    ``make_bus`` makes the bus in the bridge's own thread (e.g. ``bus_from_args(args)``).
    ``poll_s``: how long the thread waits for an outgoing action between reads of the subscribers;
    the newest states are read at about ``1 / poll_s``.
    """

    def __init__(self, make_bus: Callable[[], Bus], *, poll_s: float = 0.002, name: str = "console") -> None:
        self._make_bus = make_bus
        self._poll_s = poll_s
        self._name = name
        self._out: queue.Queue[tuple[Action, Future]] = queue.Queue()
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[dict[str, Any], float]] = {}
        self._events: deque[dict[str, Any]] = deque(maxlen=500)
        self._next_event = 1
        self.counters = {"deadline_misses": 0, "collisions": 0, "stack_events": 0, "sent": 0}
        self.control = ""
        """Who drives according to the newest ``stack/events`` message ('' if none yet)."""
        self.no_motion = False
        """The newest ``start`` sent asked to run without motion (shown while that run lasts)."""
        self.drops = Drops()
        self.camera = CameraFeed()
        self.run: dict[str, str] = {}
        """The newest run heard of: ``scenario``, ``scenario_file``, ``run_id`` (as far as told)."""
        self.scenario_files: set[str] = set()
        """Scenario files runtimes have said they run (the road view may read these)."""
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="console-bus", daemon=True)

    # --- life ------------------------------------------------------------------------------------

    def start(self, timeout_s: float = 5.0) -> None:
        """Start the thread; raises OSError if ``console/command`` cannot be bound (another console)."""
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise OSError("the console's bus thread did not start")
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5.0)

    def _run(self) -> None:
        try:
            bus = self._make_bus()
            pub = bus.publisher(CONSOLE_COMMAND.topic)
            states = [Inbox(bus.subscriber(t, conflate=True), self.drops) for t in STATES]
            events = [Inbox(bus.subscriber(t), self.drops) for t in EVENTS]
            sensors = with_sensors(dict.fromkeys(CAMERAS, "camera"))
            cameras = [
                Inbox(bus.subscriber(f"sensor/{c}", conflate=True), self.drops, sensors) for c in CAMERAS
            ]
        except BaseException as e:
            self._error = e
            self._ready.set()
            return
        enc = Encoder(CONSOLE_COMMAND, self._name)
        self._ready.set()
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                for box in states:
                    m = box.latest()
                    if m is not None:
                        with self._lock:
                            self._latest[box.topic] = (m, now)
                            if box.topic == "run/status":
                                self._run_status(m)
                for box, name in zip(cameras, CAMERAS, strict=True):
                    if (m := box.latest()) is not None:
                        self.camera.offer(name, m)
                for box in events:
                    while (m := box.next()) is not None:
                        self._event(box.topic, m)
                try:
                    action, done = self._out.get(timeout=self._poll_s)
                except queue.Empty:
                    continue
                try:
                    pub.send(
                        enc.encode(
                            0,
                            time.time_ns(),
                            {
                                "command": action.command,
                                "argument": action.argument,
                                "operator": action.operator,
                            },
                        )
                    )
                    self.counters["sent"] += 1
                    done.set_result(True)
                except Exception as e:  # a bus failure: the caller reports it to the operator
                    done.set_exception(e)
        finally:
            bus.close()

    # --- what the bus says ------------------------------------------------------------------------

    def _run_status(self, m: dict[str, Any]) -> None:
        """Keep what the runtime says about its run; a new run forgets the last one's control."""
        told = {k: m[k] for k in RUN_KEYS if isinstance(m.get(k), str) and m[k]}
        if not told:
            return
        new_run = told.get("run_id", self.run.get("run_id")) != self.run.get("run_id")
        if new_run or m["state"] == "starting" or told.get("scenario") != self.run.get("scenario"):
            self.run = {}
            self.control = ""
        self.run.update(told)
        if "scenario_file" in told:
            self.scenario_files.add(told["scenario_file"])

    def _event(self, topic: str, m: dict[str, Any]) -> None:
        with self._lock:
            if topic == "stack/events":
                self.counters["stack_events"] += 1
                self.control = m["control"]
                if m["kind"] == "deadline_miss":
                    self.counters["deadline_misses"] += 1
            elif topic == "world/events" and m["kind"] == "collision":
                self.counters["collisions"] += 1
            self._events.append({"id": self._next_event, "topic": topic, "msg": m})
            self._next_event += 1

    def send(self, action: Action, timeout_s: float = 2.0) -> None:
        """Publish ``action`` on ``console/command``; returns once it is on the wire."""
        done: Future = Future()
        self._out.put((action, done))
        done.result(timeout_s)
        if action.command == "start":
            with self._lock:
                self.no_motion = action.no_motion

    def situation(self) -> Situation:
        now = time.monotonic()
        with self._lock:
            run = self._latest.get("run/status")
            rig = self._latest.get("rig/feedback")
        run_age = None if run is None else now - run[1]
        rig_age = None if rig is None else now - rig[1]
        rig_fresh = rig is not None and rig_age <= FRESH_S["rig/feedback"]
        rearm = rig[0].get("rearm_required") if rig_fresh else None
        return Situation(
            run[0]["state"] if run is not None and run_age <= FRESH_S["run/status"] else None,
            rig[0]["state"] if rig_fresh else None,
            run_age,
            rig_age,
            rig_reason=rig_reason(rig[0]) if rig_fresh else "",
            rig_rearm_required=bool(rearm) if rearm is not None else None,
        )

    def snapshot(self, after_event: int, images: bool = False) -> tuple[dict[str, Any], int]:
        """The newest state of every topic with its age [ms], the events numbered above
        ``after_event``, the run heard of, and the number of the newest event; ``images``: also
        the camera images due (JPEG, see :class:`CameraFeed`)."""
        now = time.monotonic()
        with self._lock:
            topics = {
                t: {"msg": m, "age_ms": round((now - at) * 1e3, 1)} for t, (m, at) in self._latest.items()
            }
            events = [e for e in self._events if e["id"] > after_event]
            last = self._next_event - 1
            counters = dict(self.counters, dropped=self.drops.total)
            control = self.control
            run = self._latest.get("run/status")
            no_motion = self.no_motion and run is not None and run[0]["state"] in ACTIVE
            run_info = dict(self.run)
        snap = {"topics": topics, "events": events, "counters": counters, "control": control}
        snap["no_motion"] = no_motion
        snap["run"] = run_info
        snap["camera"] = self.camera.due() if images else {}
        return snap, last


def rig_reason(feedback: dict[str, Any]) -> str:
    """Why the rig is parked, parking or in fault: ``reason`` where the rig server sends one, else
    ``fault``."""
    return str(feedback.get("reason") or feedback.get("fault") or "")
