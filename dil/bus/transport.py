"""The bus interface every transport implements, and the in-process transport for batch runs.

Node code holds a :class:`Bus` and asks it for publishers, subscribers, requesters and repliers;
it never knows whether frames cross a thread, a process or a network. Frames are bytes-like
``topic NUL payload`` (see :mod:`dil.bus.codec`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from .handoff import Handoff, Make
from .schema import Schema

Frame = bytes | bytearray | memoryview


class Publisher(Protocol):
    topic: str

    def send(self, frame: Frame) -> None:
        """Send one frame; never blocks (a slow subscriber loses frames, it does not stall us)."""


class Subscriber(Protocol):
    topic: str

    def recv(self, timeout_ms: int = 0) -> bytes | None:
        """The next frame, waiting up to ``timeout_ms`` (0: do not wait); None if there is none."""

    def joined(self) -> bool:
        """Whether frames published from now on reach this subscriber (its connection is made)."""


class Requester(Protocol):
    def send(self, frame: Frame) -> None:
        """Send a request."""

    def recv(self, timeout_ms: int = 0) -> bytes | None:
        """The next reply to any request sent, or None."""


class Replier(Protocol):
    def recv(self, timeout_ms: int = 0) -> tuple[bytes, bytes] | None:
        """The next request as ``(peer, frame)``, or None."""

    def send(self, peer: bytes, frame: Frame) -> None:
        """Reply to ``peer``."""


class Bus(Protocol):
    """Makes the endpoints of one node or process."""

    def publisher(self, topic: str) -> Publisher: ...

    def subscriber(self, topic: str, *, conflate: bool = False) -> Subscriber: ...

    def requester(self, service: str, address: str | None = None) -> Requester:
        """A client of ``service``; ``address`` picks one of several servers (transports with
        addresses)."""
        ...

    def replier(self, service: str, address: str | None = None) -> Replier: ...

    def tap(self, observer: Callable[[bytes], None]) -> None:
        """Have ``observer`` see every frame published through this bus (recorders)."""

    def close(self, linger_s: float = 0.0) -> None:
        """Close every endpoint; frames already published may take ``linger_s`` [s] more to reach
        the subscribers connected now (0: what is still queued is dropped)."""
        ...


class _Queue(deque):
    """A subscriber's queue; ``typed``: its reader takes :class:`~dil.bus.handoff.Handoff` values."""

    typed = False


class _LocalPublisher:
    def __init__(self, topic: str, queues: list[_Queue], taps: list[Callable[[bytes], None]]) -> None:
        self.topic = topic
        self._queues = queues
        self._taps = taps

    @property
    def wanted(self) -> bool:
        """Whether anything receives what is published now (a subscriber or a tap): a publisher may
        skip making a message that nobody would see."""
        return bool(self._queues or self._taps)

    def send(self, frame: Frame) -> None:
        if not self._queues and not self._taps:
            return
        data = bytes(frame)  # the caller may reuse its buffer
        for q in self._queues:
            q.append(data)
        for tap in self._taps:
            tap(data)

    def hand(
        self,
        msg: Any,
        pack: Callable[[Any], bytes],
        checked: Schema | None = None,
        make: Make | None = None,
        view: Callable[[Any], Any] | None = None,
    ) -> None:
        """Publish a message as a value: typed readers get it as is (while nothing records, as the
        tuple of these arguments: no object made per message); the frame is packed, once and
        now, only for readers of frames and taps (``pack`` may reuse its buffer). ``checked``: the
        schema the publisher has checked the message against (readers of that schema do not again).
        ``make``: ``msg`` is the message's values, ``make`` makes the message when a reader first
        looks at it and ``pack`` packs the values (:meth:`dil.bus.fixed.FixedEncoder.values`);
        ``view`` gives readers of values what they take (:meth:`dil.bus.inbox.Inbox.latest_value`)."""
        queues, taps = self._queues, self._taps
        if not taps:  # nothing records: typed readers get the arguments as they are (one tuple)
            if len(queues) == 1 and queues[0].typed:  # one typed reader (the common case): no loop
                queues[0].append((msg, pack, checked, make, view))
                return
            if not queues:
                return
            given = None
            data = None
            for q in queues:
                if q.typed:
                    if given is None:
                        given = (msg, pack, checked, make, view)
                    q.append(given)
                else:
                    if data is None:
                        data = bytes(pack(msg))
                    q.append(data)
            return
        data = None
        item = None
        for q in queues:
            if q.typed:
                if item is None:
                    item = Handoff(msg, pack, checked, make, view)
                q.append(item)
            else:
                if data is None:
                    data = bytes(pack(msg))
                q.append(data)
        if taps:
            if data is None:
                data = bytes(pack(msg))
            for tap in taps:
                tap(data)
        if item is not None and data is not None:
            item._frame = data


class _LocalSubscriber:
    def __init__(self, topic: str, queue: _Queue) -> None:
        self.topic = topic
        self._queue = queue

    def recv(self, timeout_ms: int = 0) -> bytes | None:
        q = self._queue
        if not q:
            return None
        item = q.popleft()
        if type(item) is bytes:
            return item
        return bytes(item[1](item[0])) if type(item) is tuple else item.frame()

    def joined(self) -> bool:
        """Always: a local subscriber gets everything published after its creation."""
        return True

    def values(self) -> Callable[[int], bytes | Handoff | None]:
        """From now on, receive messages published as values as they are (a
        :class:`~dil.bus.handoff.Handoff`; frames sent as bytes stay bytes): the receive function."""
        q = self.queue()

        def recv_value(timeout_ms: int = 0) -> bytes | Handoff | None:
            if not q:
                return None
            item = q.popleft()
            return Handoff(*item) if type(item) is tuple else item

        return recv_value

    def queue(self) -> deque:
        """As :meth:`values`, but the queue itself: the reader takes the oldest item with
        ``popleft`` (a conflating subscriber's queue holds at most one), no call in between. Its
        items: frames (bytes), :class:`~dil.bus.handoff.Handoff` values (while a tap records), or
        (while nothing records) :meth:`_LocalPublisher.hand`'s arguments as one tuple ``(msg, pack,
        checked, make, view)``, which ``Handoff(*item)`` turns into the value."""
        q = self._queue
        q.typed = True
        return q


class _LocalRequester:
    def __init__(self, requests: deque, replies: deque, peer: bytes) -> None:
        self._requests = requests
        self._replies = replies
        self._peer = peer

    def send(self, frame: Frame) -> None:
        self._requests.append((self._peer, bytes(frame)))

    def recv(self, timeout_ms: int = 0) -> bytes | None:
        return self._replies.popleft() if self._replies else None


class _LocalReplier:
    def __init__(self, requests: deque, replies: dict[bytes, deque]) -> None:
        self._requests = requests
        self._replies = replies

    def recv(self, timeout_ms: int = 0) -> tuple[bytes, bytes] | None:
        return self._requests.popleft() if self._requests else None

    def send(self, peer: bytes, frame: Frame) -> None:
        q = self._replies.get(peer)
        if q is not None:  # like ROUTER: a reply to a vanished peer is dropped
            q.append(bytes(frame))


class LocalBus:
    """Frames delivered in the same thread, in publication order: deterministic, for batch runs.

    Unbounded queues, except that a conflating subscriber keeps only the newest frame. ``tap``
    adds an observer (a recorder) that sees every frame of every topic as it is published.
    """

    def __init__(self) -> None:
        self._queues: dict[str, list[_Queue]] = {}
        self._taps: dict[str, list[Callable[[bytes], None]]] = {}
        self._all_taps: list[Callable[[bytes], None]] = []
        self._services: dict[str, tuple[deque, dict[bytes, deque]]] = {}

    def publisher(self, topic: str) -> _LocalPublisher:
        return _LocalPublisher(topic, self._queues.setdefault(topic, []), self._taps_for(topic))

    def subscriber(self, topic: str, *, conflate: bool = False) -> _LocalSubscriber:
        q = _Queue(maxlen=1) if conflate else _Queue()
        self._queues.setdefault(topic, []).append(q)
        return _LocalSubscriber(topic, q)

    def tap(self, observer: Callable[[bytes], None]) -> None:
        """Call ``observer(frame)`` for every frame published from now on."""
        self._all_taps.append(observer)
        for taps in self._taps.values():
            taps.append(observer)

    def _taps_for(self, topic: str) -> list[Callable[[bytes], None]]:
        if topic not in self._taps:
            self._taps[topic] = list(self._all_taps)
        return self._taps[topic]

    def requester(self, service: str, address: str | None = None) -> _LocalRequester:
        requests, replies = self._services.setdefault(address or service, (deque(), {}))
        peer = f"local-{len(replies)}".encode()
        q: deque = deque()
        replies[peer] = q
        return _LocalRequester(requests, q, peer)

    def replier(self, service: str, address: str | None = None) -> _LocalReplier:
        requests, replies = self._services.setdefault(address or service, (deque(), {}))
        return _LocalReplier(requests, replies)

    def close(self, linger_s: float = 0.0) -> None:
        """In one process nothing is in flight: ``linger_s`` has nothing to wait for."""
        self._queues.clear()
        self._services.clear()
