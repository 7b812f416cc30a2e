"""Receiving checked messages: bad frames are dropped, counted per topic and reason, logged sparingly."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .codec import decode
from .handoff import Handoff
from .limits import limits
from .messages import SCHEMAS
from .schema import Drop, MessageError, Schema
from .transport import Subscriber

log = logging.getLogger("dil.bus")


class Drops:
    """Counts of dropped frames by ``(topic, reason)``; logs the first of each kind, then at most one
    summary per kind every ``log_interval_s``."""

    def __init__(self, log_interval_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.counts: dict[tuple[str, Drop], int] = {}
        self.total = 0
        self._interval = log_interval_s
        self._clock = clock
        self._last_log: dict[tuple[str, Drop], tuple[float, int]] = {}

    def count(self, topic: str, error: MessageError) -> None:
        key = (topic, error.reason)
        n = self.counts.get(key, 0) + 1
        self.counts[key] = n
        self.total += 1
        now = self._clock()
        last = self._last_log.get(key)
        if last is None:
            log.warning(
                "dropped a message on %s: %s (further drops of this kind are summarised)", topic, error
            )
            self._last_log[key] = (now, n)
        elif now - last[0] >= self._interval:
            log.warning(
                "dropped %d more messages on %s (%s) in %.0f s; latest: %s",
                n - last[1],
                topic,
                error.reason.value,
                now - last[0],
                error,
            )
            self._last_log[key] = (now, n)

    def of(self, topic: str, reason: Drop | None = None) -> int:
        """Drops on ``topic`` (for one reason, or all)."""
        return sum(n for (t, r), n in self.counts.items() if t == topic and (reason is None or r is reason))


class Inbox:
    """A subscriber whose frames are decoded and checked; only valid messages come out.

    On a :class:`~dil.bus.transport.LocalBus` the inbox reads its subscriber's queue itself, and a
    value handed over in this process that a reader has already checked against the schema (or its
    publisher vouched for) is taken without a call: one read is a few attribute look-ups."""

    def __init__(self, subscriber: Subscriber, drops: Drops, schemas: dict[str, Schema] = SCHEMAS) -> None:
        self.topic = subscriber.topic
        self.schema = schemas[self.topic]
        self._sub = subscriber
        queue = getattr(subscriber, "queue", None)  # in-process: messages handed over as values
        self._q: deque | None = queue() if queue is not None else None
        self._recv = self._q_recv if self._q is not None else subscriber.recv
        self._drops = drops
        self._schemas = {self.topic: self.schema}
        self._limits = limits(self.schema)
        self.received = 0
        """Valid messages received."""

    def next(self, timeout_ms: int = 0) -> dict[str, Any] | None:
        """The next valid message, waiting up to ``timeout_ms`` for the first frame; None if none."""
        q = self._q
        if q is not None and not q:  # in-process and nothing waiting: no call
            return None
        frame = self._recv(timeout_ms)
        while frame is not None:
            item = self._check(frame)
            if item is not None:
                return item.msg if type(item) is Handoff else item
            frame = self._recv(0)
        return None

    def latest(self) -> dict[str, Any] | None:
        """The newest valid message among those waiting (all are read), or None; does not wait."""
        q = self._q
        if q is not None and len(q) == 1:  # in-process, one item (conflating): no call to take it
            item = q.popleft()
            if type(item) is tuple and item[2] is self.schema:  # hand()'s arguments, vouched for
                self.received += 1
                make = item[3]
                return make(item[0]) if make is not None else item[0]
            if type(item) is Handoff and item._checked is self.schema and item._error is None:
                self.received += 1
                return item.msg
            first = self._check(item)
            newer = self._newest()  # any that came meanwhile (a publisher in another thread)
            newest = newer if newer is not None else first
        else:
            newest = self._newest()
        return newest.msg if type(newest) is Handoff else newest

    def latest_value(self) -> Any | None:
        """As :meth:`latest`, but a message handed over in this process as a typed value
        (:meth:`dil.bus.handoff.Outlet.publish_value`) comes as that value, its fields never made;
        any other comes as the message (the reader turns it into the value's type)."""
        q = self._q
        if q is not None:
            if not q:
                return None
            if len(q) == 1:  # a conflating subscriber's one item: taken here, checked once for all
                item = q.popleft()
                if type(item) is tuple and item[2] is self.schema:  # hand()'s arguments, vouched for
                    self.received += 1
                    payload, _, _, make, view = item
                    if view is not None:
                        return view(payload)
                    return make(payload) if make is not None else payload
                if type(item) is Handoff and item._checked is self.schema and item._error is None:
                    self.received += 1
                    view = item._view  # Handoff.value without the property's call
                    return view(item._payload) if view is not None else item.value
                item = self._check(item)
                return item.value if type(item) is Handoff else item
        newest = self._newest()
        return newest.value if type(newest) is Handoff else newest

    def _q_recv(self, timeout_ms: int = 0) -> bytes | Handoff | tuple | None:
        q = self._q
        return q.popleft() if q else None  # type: ignore[union-attr]

    def _newest(self) -> Handoff | dict[str, Any] | None:
        """The newest valid item waiting: a message, or a value handed over in this process."""
        q = self._q
        if q is not None and not q:  # in-process and nothing waiting: no call
            return None
        newest = None
        recv = self._recv
        frame = recv(0)
        while frame is not None:
            item = self._check(frame)
            if item is not None:
                newest = item
            frame = recv(0)
        return newest

    def _check(self, frame: bytes | Handoff | tuple) -> Handoff | dict[str, Any] | None:
        """The valid message of a frame, or a valid value handed over as it is; None: dropped."""
        if type(frame) is tuple:  # hand()'s arguments
            frame = Handoff(*frame)
        if type(frame) is Handoff:  # a value from this process: checked once for all its readers
            error = frame.check(self.schema)
            if error is not None:
                self._drops.count(self.topic, error)
                return None
            self.received += 1
            return frame
        try:
            _schema, msg = decode(frame, self._schemas, self._limits)
        except MessageError as e:
            self._drops.count(self.topic, e)
            return None
        self.received += 1
        return msg
