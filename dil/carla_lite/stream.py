"""The streaming server: one TCP port, many streams told apart by id.

A client connects, writes the stream id (u32), then reads ``[u32 size][payload]`` messages for as long
as it stays connected. Several clients may read the same stream.

The client asks for a stream's token (``get_sensor_token``) and connects a moment later, so messages
published in between would be lost (``sensor.listen()`` then ``world.tick()``: the first frame).
A stream whose token was asked for is *awaited*: its messages are kept (at most ``PENDING_MAX``,
the oldest dropped first) and sent to the first reader that joins, before anything newer; it stays
awaited until that reader is registered, so no step finds it unwanted in between. A stream
that still has readers is awaited too: after ``sensor.stop()`` the client's old connection may look
alive until a send to it fails, and ``listen()`` again must not lose its first frame to it.

A reader that goes away (the client closed it to reconnect, or a send failed) loses nothing either:
a reader the peer has closed is noticed before a message is sent to it, and a sensor stream whose
last reader is gone is awaited again for ``REJOIN_WAIT_S``, its messages kept for the replacement.
The client closes a reader on ``sensor.stop()`` too, so that is told at INFO level; a send that
fails, and kept messages dropped while a reader is expected, are warnings.

Sensor stream ids start at a random number per server: a client of an earlier server on the same
port keeps reconnecting its streams (CARLA's client retries every second), and with ids counted
from the same start it would join, and take the kept messages of, a new server's stream of the same
id. A connection for a stream this server never made, or for a destroyed sensor, is held open and
sent nothing (closed, the client would reconnect at once, in a loop).
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import random
import select
import socket
import struct
import termios
import threading
import time
from collections import deque

from .layouts import FRAME_SIZE, STREAM_ID, STREAM_ID_SIZE, WORLD_STATE_STREAM
from .peer_queue import unread_by_peer

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 5.0
"""A reader that takes longer than this to accept a message is dropped (its stream is awaited again)."""
FLUSH_POLL_S = 0.0005
"""How often :meth:`StreamServer.flush` looks at a socket's send queue [s]."""
PENDING_MAX = 16
"""Messages kept for an awaited stream until its reader joins."""
REJOIN_WAIT_S = 5.0
"""How long a stream whose reader went away is awaited for a replacement [s] (CARLA's client
reconnects at once after a failed read, a second after a failed connect); then its messages are no
longer made (after ``sensor.stop()``, the sensor stops rendering then)."""
JOIN_WAIT_S = SEND_TIMEOUT_S
"""How long after a stream's token was handed out a synchronous tick waits for its reader to join [s]
(:meth:`StreamServer.wait_for_joins`): the client connects a moment after ``sensor.listen()``, on
threads a loaded machine can hold up, and a sensor destroyed before its reader joined takes the
frames kept for it along."""
FIRST_ID_MAX = 1 << 30
"""Sensor stream ids start at a random number in ``[2, FIRST_ID_MAX)`` (u32 on the wire)."""
_SENT, _CLOSED, _FAILED = 0, 1, 2
"""What :meth:`StreamServer._send` did with a reader."""
_FRAME = struct.Struct("<Q")
"""The frame number in a stream payload: the u64 after the sensor type (``layouts.SENSOR_HEADER``)."""


class StreamServer:
    def __init__(self, host: str, port: int = 0) -> None:
        self._sock = socket.create_server((host, port))
        self.port: int = self._sock.getsockname()[1]
        first = random.SystemRandom().randrange(WORLD_STATE_STREAM + 1, FIRST_ID_MAX)
        self._ids = itertools.count(first)
        self._made: set[int] = {WORLD_STATE_STREAM}
        """Streams this server handed out: only their readers are served."""
        self._readers: dict[int, list[socket.socket]] = {}
        self._lock = threading.Lock()
        self._joined = threading.Condition(self._lock)
        """Notified when a reader joins a stream."""
        self._asked: dict[int, float] = {}
        """Streams whose token was handed out while they had no reader: when (``time.monotonic``)."""
        self._send_lock = threading.Lock()
        """Messages to one reader must not interleave: one sender at a time (taken before ``_lock``)."""
        self._pending: dict[int, deque[bytes]] = {}
        """Awaited streams (a token was handed out or the reader went away, no reader yet): their
        messages so far."""
        self._rejoin_by: dict[int, tuple[float, bool]] = {}
        """Streams whose reader went away: until when a replacement is awaited (``time.monotonic``),
        and whether the server dropped it (a failed send: losses are warnings) rather than the client."""
        self._dropped: set[int] = set()
        """Streams of destroyed sensors (a client that did not stop one reconnects to it)."""
        self._idle: list[socket.socket] = []
        """Connections for streams this server never made, held open so that they do not retry."""
        self.evicted = 0
        """Kept messages dropped because ``PENDING_MAX`` newer ones came before a reader joined."""
        self._evicted: dict[int, int] = {}
        """The same per awaited stream, for its current wait."""
        """Kept messages dropped because ``PENDING_MAX`` newer ones came before a reader joined."""
        self.readers_lost = 0
        """Readers that went away while their stream was live."""
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="carla-lite-stream", daemon=True)
        self.on_subscribe: list = []
        """Callables ``(stream_id)`` run when a reader joins a stream (e.g. to send it a first message)."""

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._sock.close()
        with self._lock:
            for readers in self._readers.values():
                for r in readers:
                    r.close()
            self._readers.clear()
            for conn in self._idle:
                conn.close()
            self._idle.clear()

    def new_stream(self) -> int:
        with self._lock:
            stream_id = next(self._ids)
            self._made.add(stream_id)
        return stream_id

    def has_readers(self, stream_id: int) -> bool:
        with self._lock:
            return bool(self._readers.get(stream_id))

    def await_reader(self, stream_id: int) -> None:
        """A client was given the stream's token: keep its messages until a reader joins."""
        with self._lock:
            if stream_id not in self._made:
                return  # destroyed, or never made: no reader will be served
            self._pending.setdefault(stream_id, deque(maxlen=PENDING_MAX))
            self._rejoin_by.pop(stream_id, None)
            if not self._readers.get(stream_id):
                self._asked[stream_id] = time.monotonic()

    def wait_for_joins(self, timeout: float) -> bool:
        """Wait until every stream whose token was handed out less than ``JOIN_WAIT_S`` ago has a
        reader, at most ``timeout`` [s]; True when none is left waiting. A client that never connects
        holds a synchronous tick up once, for what is left of its ``JOIN_WAIT_S``."""
        deadline = time.monotonic() + timeout

        def joined() -> bool:
            now = time.monotonic()
            for stream_id, asked in list(self._asked.items()):
                if self._readers.get(stream_id) or now - asked > JOIN_WAIT_S:
                    del self._asked[stream_id]
            return not self._asked

        with self._joined:
            while not joined():
                now = time.monotonic()
                if now >= deadline:
                    return False
                self._joined.wait(min(deadline, min(self._asked.values()) + JOIN_WAIT_S) - now)
            return True

    def wanted(self, stream_id: int) -> bool:
        """Someone reads the stream or is about to."""
        with self._lock:
            if self._readers.get(stream_id):
                return True
            rejoin = self._rejoin_by.get(stream_id)
            if rejoin is not None and time.monotonic() > rejoin[0]:
                kept = self._pending.pop(stream_id, ())
                del self._rejoin_by[stream_id]
                self._evicted.pop(stream_id, None)
                log.log(
                    logging.WARNING if rejoin[1] else logging.INFO,
                    "stream %d: no reader came back within %.0f s; %d kept messages dropped",
                    stream_id,
                    REJOIN_WAIT_S,
                    len(kept),
                )
            return stream_id in self._pending

    def drop(self, stream_id: int) -> None:
        """Close a stream's readers (the stream's actor is gone)."""
        with self._lock:
            readers = self._readers.pop(stream_id, [])
            self._pending.pop(stream_id, None)
            self._rejoin_by.pop(stream_id, None)
            self._evicted.pop(stream_id, None)
            self._asked.pop(stream_id, None)
            if stream_id in self._made:
                self._made.discard(stream_id)
                self._dropped.add(stream_id)
        for r in readers:
            r.close()

    def publish(self, stream_id: int, payload: bytes) -> None:
        """Send one message to every reader of ``stream_id``; a reader that is gone or fails is dropped
        and, if it was the last, the message is kept for its replacement."""
        if not payload:
            return  # a zero size makes the client reconnect
        message = FRAME_SIZE.pack(len(payload)) + payload
        with self._send_lock:
            with self._lock:
                readers = list(self._readers.get(stream_id, ()))
            results = [self._send(stream_id, r, message) for r in readers]
            sent = results.count(_SENT)
            failed = _FAILED in results
            with self._lock:
                kept = self._pending.get(stream_id)
                if kept is None and readers and not sent and self._rejoinable(stream_id):
                    kept = self._await_again(stream_id, failed)
                if kept is not None:
                    if len(kept) == kept.maxlen:
                        self._evict(stream_id, kept[0])
                    kept.append(message)

    def flush(self, stream_id: int, timeout: float) -> bool:
        """Wait until every reader of ``stream_id`` has taken all it was sent, at most ``timeout``
        [s]; True when they all did. Taken means read by the client's program where the client is on
        this host (:func:`peer_queue.unread_by_peer`), else acknowledged by its kernel."""
        with self._lock:
            readers = list(self._readers.get(stream_id, ()))
        deadline = time.monotonic() + timeout
        for r in readers:
            while _unacknowledged(r) > 0 or (unread_by_peer(r) or 0) > 0:
                if time.monotonic() > deadline:
                    return False
                time.sleep(FLUSH_POLL_S)
        return True

    def flush_all(self, stream_ids: list[int], timeout: float) -> bool:
        """:meth:`flush` for several streams within one ``timeout`` [s] in all."""
        deadline = time.monotonic() + timeout
        return all(self.flush(i, max(deadline - time.monotonic(), 0.0)) for i in stream_ids)

    def _evict(self, stream_id: int, oldest: bytes) -> None:
        """The oldest kept message of an awaited stream makes room (caller holds ``_lock``); the first
        of a wait is logged, the rest counted (a client that never connects would log every step), and
        none after the client closed its reader (``sensor.stop()`` is the usual reason)."""
        self.evicted += 1
        self._evicted[stream_id] = self._evicted.get(stream_id, 0) + 1
        rejoin = self._rejoin_by.get(stream_id)
        if self._evicted[stream_id] == 1 and (rejoin is None or rejoin[1]):
            log.warning(
                "stream %d: no reader yet after %d messages, frame %d dropped (and any older ones after it)",
                stream_id,
                PENDING_MAX,
                _frame(oldest),
            )

    def _rejoinable(self, stream_id: int) -> bool:
        """A sensor stream that still exists; not the world state: a new reader of it is sent the
        current state when it joins, and older ones would be stale (holding ``_lock``)."""
        return stream_id in self._made and stream_id != WORLD_STATE_STREAM

    def _await_again(self, stream_id: int, failed: bool) -> deque[bytes]:
        """The stream's last reader went away: keep its messages for a replacement (holding ``_lock``)."""
        self._rejoin_by[stream_id] = (time.monotonic() + REJOIN_WAIT_S, failed)
        return self._pending.setdefault(stream_id, deque(maxlen=PENDING_MAX))

    def _send(self, stream_id: int, r: socket.socket, message: bytes) -> int:
        """Send one framed message (holding ``_send_lock``): ``_SENT``, or the reader is dropped,
        ``_CLOSED`` when the client had closed it and ``_FAILED`` when the send failed."""
        try:
            if _peer_closed(r):
                outcome, reason = _CLOSED, "closed by the client"
            else:
                r.sendall(message)
                return _SENT
        except OSError as exc:
            outcome, reason = _FAILED, str(exc)
        with self._lock:
            live = r in self._readers.get(stream_id, ())
            if live:
                self._readers[stream_id].remove(r)
                self.readers_lost += 1
        r.close()
        if live:
            log.log(
                logging.WARNING if outcome == _FAILED else logging.INFO,
                "stream %d: reader gone at frame %d (%s)",
                stream_id,
                _frame(message),
                reason,
            )
        return outcome

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._register, args=(conn,), daemon=True).start()

    def _register(self, conn: socket.socket) -> None:
        conn.settimeout(SEND_TIMEOUT_S)
        try:
            raw = b""
            while len(raw) < STREAM_ID_SIZE:
                chunk = conn.recv(STREAM_ID_SIZE - len(raw))
                if not chunk:
                    conn.close()
                    return
                raw += chunk
        except OSError:
            conn.close()
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        (stream_id,) = STREAM_ID.unpack(raw)
        # One join, as seen by publish and wanted: no message can slip between the kept ones and the
        # next (publish waits for _send_lock), and the stream stays awaited until the reader is
        # registered (wanted, which decides whether the next step renders it, sees one or the other).
        with self._send_lock:
            with self._lock:
                known = stream_id in self._made
                if not known:
                    self._idle.append(conn)
                    destroyed = stream_id in self._dropped
                else:
                    kept = list(self._pending.get(stream_id, ()))
            if not known and destroyed:
                log.info("stream %d: a reader for a destroyed sensor, held idle", stream_id)
            elif not known:
                log.warning("stream %d: not a stream of this server (a client of an earlier one?)", stream_id)
            if not known:
                return
            sent = 0
            for m in kept:
                if not self._send_kept(stream_id, conn, m):
                    break
                sent += 1
            with self._lock:
                joined = sent == len(kept) and stream_id in self._made
                if joined:
                    self._pending.pop(stream_id, None)
                    self._rejoin_by.pop(stream_id, None)
                    evicted = self._evicted.pop(stream_id, 0)
                    self._readers.setdefault(stream_id, []).append(conn)
                    self._asked.pop(stream_id, None)
                    self._joined.notify_all()
                elif sent == len(kept):  # the sensor was destroyed meanwhile
                    self._idle.append(conn)
                elif sent and stream_id in self._pending:  # the rest wait for the next reader
                    self._pending[stream_id] = deque(kept[sent:], maxlen=PENDING_MAX)
        if not joined:
            return
        log.info(
            "stream %d: reader joined (%d kept messages sent, %d dropped)", stream_id, len(kept), evicted
        )
        for callback in self.on_subscribe:
            callback(stream_id)

    def _send_kept(self, stream_id: int, conn: socket.socket, message: bytes) -> bool:
        """Send a kept message to a joining reader (caller holds ``_send_lock``)."""
        try:
            conn.sendall(message)
        except OSError as exc:
            conn.close()
            log.warning(
                "stream %d: a joining reader failed at frame %d (%s)", stream_id, _frame(message), exc
            )
            return False
        return True


def _frame(message: bytes) -> int:
    """The frame number of a framed stream message (-1 when too short to hold one)."""
    offset = FRAME_SIZE.size + 8
    return _FRAME.unpack_from(message, offset)[0] if len(message) >= offset + _FRAME.size else -1


def _peer_closed(conn: socket.socket) -> bool:
    """The client closed its end: readers never write after the stream id, so a readable reader is
    one at its end of file (a reset raises ``OSError``)."""
    poller = select.poll()
    poller.register(conn, select.POLLIN)
    if not poller.poll(0):
        return False
    return conn.recv(1, socket.MSG_PEEK) == b""


def _unacknowledged(conn: socket.socket) -> int:
    """Bytes sent on ``conn`` that the peer has not acknowledged yet (Linux ``SIOCOUTQ``); 0 when the
    socket is gone or the platform cannot tell."""
    try:
        raw = fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError):
        return 0
    return struct.unpack("i", raw)[0]
