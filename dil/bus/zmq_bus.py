"""The ZeroMQ transport: PUB/SUB streams, ROUTER/DEALER request-reply, over tcp, ipc or inproc.

Each topic and each service has one address (:class:`Endpoints`). The producer binds it, the
consumers connect to it, so a rig vendor or an AI-stack team needs only the address table. A
conflating subscriber (ZMQ_CONFLATE) keeps only the newest frame, for state streams where a stale
value is worse than a lost one.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import zmq

from .curve import Curve
from .limits import socket_limit
from .links import Link, LinkStats
from .messages import SCHEMAS
from .transport import Frame

log = logging.getLogger("dil.bus")

SERVICES = ("inference", "control")
SENSORS = ("sensor/objects", "sensor/lanes", "sensor/front", "sensor/mirror")
"""The sensor topics a run publishes for driving stacks: addresses after the services."""
"""Request-reply services: AI inference nodes and run control."""


@dataclass(frozen=True)
class Endpoints:
    """The address of every topic and service, e.g. ``tcp://127.0.0.1:5600`` or ``ipc:///run/dil/x``."""

    addresses: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        try:
            return self.addresses[name]
        except KeyError:
            raise KeyError(f"no address for {name!r} (known: {', '.join(sorted(self.addresses))})") from None

    @staticmethod
    def default(
        scheme: str = "tcp",
        *,
        host: str = "127.0.0.1",
        port: int = 5600,
        directory: str | Path = "/tmp/dil",
        name: str = "dil",
        extra: tuple[str, ...] = SENSORS,
    ) -> Endpoints:
        """One address per topic and service: consecutive tcp ports from ``port``, ipc sockets in
        ``directory``, or inproc names (``name`` keeps two buses in one process apart). ``extra``:
        further topics (sensors), after the services."""
        names = [*SCHEMAS, *SERVICES, *(n for n in extra if n not in SCHEMAS)]
        if scheme == "tcp":
            return Endpoints({n: f"tcp://{host}:{port + i}" for i, n in enumerate(names)})
        if scheme == "ipc":
            d = Path(directory)
            d.mkdir(parents=True, exist_ok=True)
            return Endpoints({n: f"ipc://{d / _slug(n)}.sock" for n in names})
        if scheme == "inproc":
            return Endpoints({n: f"inproc://{name}/{n}" for n in names})
        raise ValueError(f"bus scheme {scheme!r}: must be tcp, ipc or inproc")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


class _Publisher:
    def __init__(self, topic: str, sock: zmq.Socket, taps: list) -> None:
        self.topic = topic
        self._sock = sock
        self._taps = taps

    def send(self, frame: Frame) -> None:
        # PUB never blocks: beyond the high-water mark frames are dropped for slow subscribers.
        self._sock.send(frame, copy=True)
        if self._taps:
            data = bytes(frame)
            for tap in self._taps:
                tap(data)


class _AnnouncedPublisher(_Publisher):
    """A publisher (an XPUB) that is told of each subscription: it can wait for its subscribers."""

    def __init__(self, topic: str, sock: zmq.Socket, taps: list) -> None:
        super().__init__(topic, sock, taps)
        self._prefix = b"\x01" + topic.encode() + b"\0"
        self.subscriptions = 0
        """Subscriptions to this topic received so far (one per subscriber that joined)."""

    def wait_subscribers(self, n: int, timeout_s: float) -> int:
        """Wait until ``n`` subscribers have joined (at most ``timeout_s``); how many have. Frames
        published from a subscriber's join on reach it."""
        end = time.monotonic() + timeout_s
        while self.subscriptions < n:
            left_ms = round((end - time.monotonic()) * 1000)
            if left_ms <= 0 or not self._sock.poll(left_ms):
                break
            if self._sock.recv() == self._prefix:
                self.subscriptions += 1
        return self.subscriptions


class _Subscriber:
    def __init__(self, topic: str, sock: zmq.Socket, link: Link) -> None:
        self.topic = topic
        self._sock = sock
        self._link = link

    def recv(self, timeout_ms: int = 0) -> bytes | None:
        s = self._sock
        self._link.tend()
        if not _ready(s, timeout_ms):
            return None
        return s.recv(copy=True)

    def joined(self) -> bool:
        """Whether a connection to the publisher has been made (its handshake done), after which
        libzmq sends the subscription at once. Reads the link's monitor; frames are not taken.
        Always for ``inproc``: its subscription is in place when the publisher binds, before it can
        publish anything."""
        if self._link.address.startswith("inproc://"):
            return True
        self._link.tend(force=True)
        return self._link.handshakes > 0


def _ready(s: zmq.Socket, timeout_ms: int) -> bool:
    """Whether a frame waits (up to ``timeout_ms``). Without a timeout (the 1 kHz path's case) the
    socket's event flags are read instead of polling: ``poll`` lets go of the interpreter lock, and
    getting it back from a busy thread of the process (sensors, recorder) took 50 us a call where
    reading the flags takes 3 us."""
    if timeout_ms > 0:
        return bool(s.poll(timeout_ms))
    return bool(s.get(zmq.EVENTS) & zmq.POLLIN)


class _Requester:
    def __init__(self, sock: zmq.Socket, link: Link) -> None:
        self._sock = sock
        self._link = link

    def send(self, frame: Frame) -> None:
        self._link.tend()
        self._sock.send(frame, copy=True)

    def recv(self, timeout_ms: int = 0) -> bytes | None:
        s = self._sock
        self._link.tend()
        if not _ready(s, timeout_ms):
            return None
        return s.recv(copy=True)


class _Replier:
    def __init__(self, sock: zmq.Socket) -> None:
        self._sock = sock

    def recv(self, timeout_ms: int = 0) -> tuple[bytes, bytes] | None:
        s = self._sock
        if not _ready(s, timeout_ms):
            return None
        parts = s.recv_multipart(copy=True)
        if len(parts) != 2:
            return None  # not a DEALER request frame; nothing to answer
        return parts[0], parts[1]

    def send(self, peer: bytes, frame: Frame) -> None:
        self._sock.send_multipart((peer, frame), copy=True)


class ZmqBus:
    """Sockets for one process, all in this bus's own context (closed with it).

    ``hwm`` is the high-water mark of every socket (frames queued per peer). With ``curve`` the
    sockets this bus binds are CURVE servers and those it connects are CURVE clients. A subscriber
    refuses frames larger than its topic's schema allows (:mod:`dil.bus.limits`). A connecting
    socket that loses its link by a failed handshake or a refused frame connects again (libzmq
    gives up on both); ``links`` counts those events (:class:`~dil.bus.links.LinkStats`). With
    ``io_priority`` ZeroMQ's I/O thread, which moves every frame, runs under SCHED_FIFO at that
    priority (for a real-time loop whose frames must not wait behind other processes; ignored with
    a warning where not allowed).
    """

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        curve: Curve | None = None,
        hwm: int = 1000,
        context: zmq.Context | None = None,
        io_priority: int | None = None,
    ) -> None:
        self.endpoints = endpoints
        self._own_context = context is None
        self.context = context if context is not None else zmq.Context()
        if io_priority is not None:
            self._realtime_io(io_priority)
        self._curve = curve
        self._hwm = hwm
        self._bound: dict[str, zmq.Socket] = {}
        self._taps: list[Callable[[bytes], None]] = []
        self._sockets: list[zmq.Socket] = []
        self._auth = curve.start_authenticator(self.context) if curve is not None else None
        self.links = LinkStats()
        """Handshake failures and lost links of this bus's connecting sockets."""
        self._links: list[Link] = []

    def _realtime_io(self, priority: int) -> None:
        # takes effect when the I/O thread starts, at the first socket; a refusal shows then as a
        # failure inside libzmq, so check first that this process may use SCHED_FIFO at all
        try:
            os.sched_param(priority)
            before = os.sched_getscheduler(0), os.sched_getparam(0)
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
            os.sched_setscheduler(0, before[0], before[1])
        except (OSError, AttributeError) as e:
            log.warning("ZeroMQ I/O thread stays at normal priority: SCHED_FIFO %d refused (%s)", priority, e)
            return
        self.context.set(zmq.THREAD_SCHED_POLICY, os.SCHED_FIFO)
        self.context.set(zmq.THREAD_PRIORITY, priority)

    def _socket(self, kind: int) -> zmq.Socket:
        s = self.context.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SNDHWM, self._hwm)
        s.setsockopt(zmq.RCVHWM, self._hwm)
        self._sockets.append(s)
        return s

    def _bind(self, kind: int, address: str, sock: zmq.Socket | None = None) -> zmq.Socket:
        s = self._bound.get(address)
        if s is None:
            s = sock if sock is not None else self._socket(kind)
            if self._curve is not None:
                self._curve.server(s)
            try:
                s.bind(address)
            except zmq.ZMQError as e:
                raise OSError(f"cannot bind {address}: {e}") from None
            self._bound[address] = s
        elif s.type != kind:
            raise ValueError(f"{address} is already bound by another kind of socket")
        return s

    def _connect(self, s: zmq.Socket, name: str, address: str | None = None) -> Link:
        if self._curve is not None:
            self._curve.client(s, name)
        link = Link(s, name, address or self.endpoints[name], self.links)
        self._links.append(link)
        return link

    def publisher(self, topic: str) -> _Publisher:
        return _Publisher(topic, self._bind(zmq.PUB, self.endpoints[topic]), self._taps)

    def announced_publisher(self, topic: str) -> _AnnouncedPublisher:
        """A publisher of ``topic`` that counts its subscribers as they join
        (:meth:`~_AnnouncedPublisher.wait_subscribers`): a player that must lose nothing at its start."""
        address = self.endpoints[topic]
        if address in self._bound:
            raise ValueError(f"{address} is already bound")
        sock = self._socket(zmq.XPUB)
        # every subscriber's subscription, not only the first; set before the bind, which takes in
        # the subscriptions of inproc subscribers that connected earlier
        sock.setsockopt(zmq.XPUB_VERBOSE, 1)
        return _AnnouncedPublisher(topic, self._bind(zmq.XPUB, address, sock), self._taps)

    def tap(self, observer: Callable[[bytes], None]) -> None:
        """Call ``observer(frame)`` for every frame this process publishes (a recorder)."""
        self._taps.append(observer)

    def subscriber(self, topic: str, *, conflate: bool = False, max_bytes: int | None = None) -> _Subscriber:
        """A subscriber of ``topic``; frames beyond ``max_bytes`` (default: the topic's schema limit,
        :func:`dil.bus.limits.socket_limit`; -1 for none) are refused by the socket."""
        s = self._socket(zmq.SUB)
        if conflate:
            s.setsockopt(zmq.CONFLATE, 1)  # must precede connect
        s.setsockopt(zmq.MAXMSGSIZE, socket_limit(topic) if max_bytes is None else max_bytes)
        s.setsockopt(zmq.SUBSCRIBE, topic.encode() + b"\0")
        return _Subscriber(topic, s, self._connect(s, topic))

    def requester(self, service: str, address: str | None = None) -> _Requester:
        """A DEALER to ``service`` at its address, or at ``address`` (one of several servers)."""
        s = self._socket(zmq.DEALER)
        return _Requester(s, self._connect(s, service, address))

    def replier(self, service: str, address: str | None = None) -> _Replier:
        """A ROUTER bound at ``service``'s address, or at ``address``."""
        return _Replier(self._bind(zmq.ROUTER, address or self.endpoints[service]))

    def close(self, linger_s: float = 0.0) -> None:
        """Close every socket; a publisher's queued frames may take ``linger_s`` [s] more to reach the
        subscribers connected now (the context's end waits for them), 0 drops them."""
        for link in self._links:
            link.close()
        self._links.clear()
        for s in self._sockets:
            s.close(round(linger_s * 1000))
        self._sockets.clear()
        self._bound.clear()
        if self._auth is not None:
            self._auth.stop()
            self._auth = None
        if self._own_context:
            self.context.term()

    def __enter__(self) -> ZmqBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
