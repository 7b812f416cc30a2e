"""OSI ground truth of a live run: a bus observer that turns every ``world/actors`` frame (the world
rate, 50 Hz by default) into a ``GroundTruth`` and hands it to its sinks.

It keeps a reference to the newest ``vehicle/state`` frame (the ego's velocity, acceleration,
rates, wheels and lights) and does nothing else per frame, so the 1 kHz path pays a prefix
comparison. In batch runs it encodes in the caller's thread; ``threaded`` (real time) queues the
world frames to its own thread, which decodes, builds and writes them, and a full queue drops and
counts them rather than stall the loop.
"""

from __future__ import annotations

import logging
import queue
import threading

import msgpack

from dil.bus.messages import VEHICLE_STATE, WORLD_ACTORS

from .groundtruth import GroundTruthBuilder
from .sinks import Sink

log = logging.getLogger("dil.osi")

_ACTORS = WORLD_ACTORS.topic.encode() + b"\0"
_STATE = VEHICLE_STATE.topic.encode() + b"\0"


class OsiTap:
    """Call with every bus frame (``bus.tap(tap)``); :meth:`close` at the end of the run."""

    def __init__(
        self, builder: GroundTruthBuilder, sinks: list[Sink], *, threaded: bool = False, queue_size: int = 500
    ) -> None:
        self.builder = builder
        self.sinks = sinks
        self.count = 0
        self.dropped = 0
        self._state: bytes | None = None
        self._queue: queue.Queue | None = queue.Queue(queue_size) if threaded else None
        self._thread: threading.Thread | None = None
        self.error: Exception | None = None
        if threaded:
            self._thread = threading.Thread(target=self._drain, name="dil-osi", daemon=True)
            self._thread.start()

    def __call__(self, frame: bytes) -> None:
        if frame.startswith(_STATE):
            self._state = frame
        elif frame.startswith(_ACTORS):
            if self._queue is None:
                self._encode(frame, self._state)
                return
            try:
                self._queue.put_nowait((frame, self._state))
            except queue.Full:
                self.dropped += 1
                if self.dropped == 1:
                    log.warning("OSI queue full: dropping ground-truth frames; the count is reported")

    def _encode(self, frame: bytes, state: bytes | None) -> None:
        msg = msgpack.unpackb(frame[len(_ACTORS) :])
        st = msgpack.unpackb(state[len(_STATE) :]) if state is not None else None
        gt = self.builder.build(msg["t_sim_ns"], msg["actors"], st)
        for sink in self.sinks:
            sink.write(gt)
        self.count += 1

    def _drain(self) -> None:
        assert self._queue is not None
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._encode(*item)
            except Exception as e:  # an observer never stops the run; the error is reported at close
                if self.error is None:
                    self.error = e
                    log.error("OSI ground truth: %s", e)

    def close(self) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = None
        for sink in self.sinks:
            sink.close()
        if self.dropped:
            log.warning("OSI: %d ground-truth frames dropped (queue full)", self.dropped)
