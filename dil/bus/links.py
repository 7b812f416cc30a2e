"""Keeping a connecting ZeroMQ socket connected: handshake failures and refused frames.

libzmq gives up on a connection for good after a protocol error: a failed handshake (a peer
without CURVE, or with CURVE where we have none) or a frame beyond the socket's ZMQ_MAXMSGSIZE.
One stray process that binds a rig's address without CURVE would thus cut the rig off from the
real runtime once that binds. A :class:`Link` watches its socket's monitor events and, after a
failed handshake or a lost connection, connects the socket again (:data:`RECONNECT_S` later), so
the link comes back as soon as the right peer answers. The events are counted in
:class:`LinkStats`, which a rig server publishes in ``rig/feedback`` for the console.

The monitor is read from the socket's own thread (ZeroMQ sockets are not thread-safe), at most
every :data:`CHECK_S`, whenever the socket is read or written.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

import zmq
from zmq.utils.monitor import parse_monitor_message

log = logging.getLogger("dil.bus")

CHECK_S = 0.02
"""How often a link reads its monitor, at most, in seconds."""
RECONNECT_S = 0.2
"""Wait between a failed handshake or a lost connection and connecting again, in seconds."""

HANDSHAKE_FAILED = (
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)
_WATCHED = HANDSHAKE_FAILED | zmq.EVENT_DISCONNECTED | zmq.EVENT_HANDSHAKE_SUCCEEDED
_NAMES = {
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "handshake failed",
    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL: "handshake failed (protocol: a peer without CURVE, or other "
    "security)",
    zmq.EVENT_HANDSHAKE_FAILED_AUTH: "handshake failed (authentication: key refused)",
}


@dataclass
class LinkStats:
    """What went wrong with the links of one bus (all its connecting sockets together)."""

    handshakes: int = 0
    """Handshakes that succeeded: connections made (a subscriber's subscription follows at once)."""
    handshake_failures: int = 0
    """Handshakes that failed (security mismatch, refused key, protocol error)."""
    disconnects: int = 0
    """Established connections lost (peer gone, or a frame beyond the size limit refused)."""
    reconnects: int = 0
    """Times a socket was connected again after one of those."""
    last_failure: str = ""
    """The latest handshake failure: topic, address, what failed, wall-clock time (UTC)."""


class Link:
    """One connecting socket, its address and its monitor (connects the socket on creation)."""

    def __init__(self, sock: zmq.Socket, name: str, address: str, stats: LinkStats) -> None:
        self.name = name
        self.address = address
        self._sock = sock
        self._stats = stats
        self._monitor: zmq.Socket | None = sock.get_monitor_socket(_WATCHED)
        self._next_check = 0.0
        self._reconnect_at: float | None = None
        self.handshakes = 0
        """This link's successful handshakes (read by :meth:`tend`)."""
        sock.connect(address)

    def tend(self, force: bool = False) -> None:
        """Read the monitor (at most every CHECK_S, unless ``force``) and connect again when due."""
        now = time.monotonic()
        if (now < self._next_check and not force) or self._monitor is None:
            return
        self._next_check = now + CHECK_S
        while True:
            try:
                parts = self._monitor.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            self._event(parse_monitor_message(parts)["event"], now)
        if self._reconnect_at is not None and now >= self._reconnect_at:
            self._reconnect_at = None
            self._reconnect()

    def _event(self, event: int, now: float) -> None:
        s = self._stats
        if event & HANDSHAKE_FAILED:
            s.handshake_failures += 1
            what = _NAMES.get(event, "handshake failed")
            s.last_failure = (
                f"{self.name} {self.address}: {what} at {time.strftime('%H:%M:%S', time.gmtime())}Z"
            )
            if s.handshake_failures == 1 or s.handshake_failures % 100 == 0:
                log.warning("%s (%d so far); connecting again", s.last_failure, s.handshake_failures)
        elif event == zmq.EVENT_DISCONNECTED:
            s.disconnects += 1
        else:
            s.handshakes += 1
            self.handshakes += 1
            return
        if self._reconnect_at is None:
            self._reconnect_at = now + RECONNECT_S

    def _reconnect(self) -> None:
        with contextlib.suppress(zmq.ZMQError):  # libzmq may have forgotten the endpoint already
            self._sock.disconnect(self.address)
        self._sock.connect(self.address)
        self._stats.reconnects += 1

    def close(self) -> None:
        if self._monitor is not None:
            with contextlib.suppress(zmq.ZMQError):
                self._sock.disable_monitor()
            self._monitor.close(0)
            self._monitor = None
